"""socket.io with the rasa-webchat protocol, driven by a python-socketio client."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import socketio

from tests.conftest import SLOW_OPENID_PREFIX, Server


class Widget:
    """What the rasa-webchat widget does on the wire."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.client = socketio.AsyncClient(reconnection=False)
        self.session_id: str | None = None
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.client.on("bot_uttered", self.inbox.put)
        self.client.on("session_confirm", self.confirmed.put)

    async def open(self, session_id: str | None = None) -> str:
        await self.client.connect(self.server.url, socketio_path="socket.io", transports=["websocket"])
        await self.client.emit("session_request", {"session_id": session_id} if session_id else {})
        self.session_id = await asyncio.wait_for(self.confirmed.get(), 10)
        return self.session_id

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def replies(self, at_least: int = 1, wait: float = 30) -> list[dict[str, Any]]:
        got = [await asyncio.wait_for(self.inbox.get(), wait) for _ in range(at_least)]
        await asyncio.sleep(0.5)
        while not self.inbox.empty():
            got.append(self.inbox.get_nowait())
        return got

    async def close(self) -> None:
        await self.client.disconnect()


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_a_session_is_confirmed_and_the_bot_answers(server: Server) -> None:
    widget = Widget(server)
    session_id = await widget.open()
    assert session_id
    await widget.say("我的电水壶坏了")
    assert "订单号" in texts(await widget.replies(2))
    await widget.close()


async def test_a_reconnect_with_the_same_session_continues_the_conversation(server: Server) -> None:
    first = Widget(server)
    session_id = await first.open(f"web{uuid.uuid4().hex[:12]}")
    await first.say("我的电水壶坏了")
    await first.replies(2)
    await first.close()

    again = Widget(server)
    assert await again.open(session_id) == session_id
    await again.say("QT202611150003")
    replies = await again.replies(2)
    assert "我已经把情况记录下来了" in texts(replies)
    quick = [q["title"] for m in replies for q in m.get("quick_replies", [])]
    assert "退货退款" in quick
    await again.close()


async def test_a_reply_ready_while_disconnected_arrives_on_reconnect(server: Server) -> None:
    widget = Widget(server)
    session_id = await widget.open(SLOW_OPENID_PREFIX + uuid.uuid4().hex[:12])
    await widget.say("我的电水壶坏了")  # this session's turns take 6 s (fault injection)
    await asyncio.sleep(0.5)
    await widget.close()
    await asyncio.sleep(7)
    back = Widget(server)
    await back.open(session_id)
    assert "订单号" in texts(await back.replies(1, wait=10))
    await back.close()


async def test_a_flood_gets_a_kind_message(server: Server) -> None:
    widget = Widget(server)
    await widget.open()
    for _ in range(12):
        await widget.say("你好")
    got = await widget.replies(8, wait=60)
    assert any("发得有点快" in m.get("text", "") for m in got)
    await widget.close()


async def test_a_forged_session_id_gets_a_fresh_one(server: Server) -> None:
    widget = Widget(server)
    assert await widget.open("../../etc/passwd") != "../../etc/passwd"
    await widget.close()
