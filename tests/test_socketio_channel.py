"""socket.io with the rasa-webchat protocol, driven by a python-socketio client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio

from tests.conftest import Server, start_server, stop_server


class Widget:
    """What the rasa-webchat widget does on the wire."""

    def __init__(self, server: Server, cookie: str | None = None) -> None:
        self.server = server
        self.headers = {"Cookie": cookie} if cookie else {}
        self.client = socketio.AsyncClient(reconnection=False)
        self.session_id: str | None = None
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.client.on("bot_uttered", self.inbox.put)
        self.client.on("session_confirm", self.confirmed.put)

    async def open(self, session_id: str | None = None, custom_data: dict[str, Any] | None = None) -> str:
        await self.client.connect(self.server.url, socketio_path="socket.io", transports=["websocket"],
                                  headers=self.headers)
        request: dict[str, Any] = {"session_id": session_id} if session_id else {}
        if custom_data:
            request["customData"] = custom_data  # what rasa-webchat sends from its `customData` prop
        await self.client.emit("session_request", request)
        self.session_id = await asyncio.wait_for(self.confirmed.get(), 10)
        return self.session_id

    @property
    def sender_id(self) -> str:
        """The conversation's id (the confirmed token is "<id>.<signature>")."""
        assert self.session_id
        return self.session_id.split(".")[0]

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
    session_id = await first.open()
    await first.say("我的电水壶坏了")
    await first.replies(2)
    await first.close()

    again = Widget(server)
    assert await again.open(session_id) == session_id
    await again.say("QT202611150003")
    assert "后四位" in texts(await again.replies(1))  # the order is proven the customer's own first
    await again.say("0003")
    replies = await again.replies(3)
    assert "我已经把情况记录下来了" in texts(replies)
    quick = [q["title"] for m in replies for q in m.get("quick_replies", [])]
    assert "退货退款" in quick
    await again.close()


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Every web session's turns take 6 s here (fault injection on the issued ids' prefix)."""
    server = start_server(tmp_path_factory.mktemp("slow") / "var", {"QINGTING_FAULT_SLOW_SENDERS": "web_"})
    yield server
    stop_server(server)


async def test_a_reply_ready_while_disconnected_arrives_on_reconnect(slow_server: Server) -> None:
    widget = Widget(slow_server)
    session_id = await widget.open()
    await widget.say("我的电水壶坏了")  # this session's turns take 6 s (fault injection)
    await asyncio.sleep(0.5)
    await widget.close()
    await asyncio.sleep(7)
    back = Widget(slow_server)
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


async def test_session_ids_are_issued_by_the_server_with_128_random_bits(server: Server) -> None:
    tokens = []
    for _ in range(3):
        widget = Widget(server)
        tokens.append(await widget.open())
        await widget.close()
    ids = [token.split(".")[0] for token in tokens]
    assert len(set(ids)) == 3
    assert all(len(i) == len("web_") + 32 and int(i.removeprefix("web_"), 16) >= 0 for i in ids)


async def test_another_customers_id_without_its_signature_gets_a_fresh_session(server: Server) -> None:
    owner = Widget(server)
    token = await owner.open()
    await owner.say("我的电水壶坏了")
    await owner.replies(2)
    await owner.close()
    bare_id, signature = token.split(".")
    for stolen in (bare_id, f"{bare_id}.{'0' * len(signature)}", f"{bare_id}.{signature[::-1]}"):
        thief = Widget(server)
        assert (await thief.open(stolen)).split(".")[0] != bare_id
        await thief.say("QT202611150003")
        got = texts(await thief.replies(1))
        assert "我已经把情况记录下来了" not in got  # the owner's complaint is not continued for them
        await thief.close()


async def test_the_chat_page_cookie_is_the_session_and_its_confirmation_carries_no_credential(
    server: Server,
) -> None:
    issued = requests.post(server.url + "/api/chat/session", timeout=30)
    cookie = f"qingting_customer={issued.cookies['qingting_customer']}"
    page = Widget(server, cookie=cookie)
    confirmed = await page.open()
    assert "." not in confirmed and issued.cookies["qingting_customer"].startswith(confirmed + ".")
    await page.say("我的电水壶坏了")
    await page.replies(2)
    await page.close()
    history = requests.get(server.url + "/api/chat/history", headers={"Cookie": cookie}, timeout=30).json()
    assert [m["text"] for m in history["messages"] if m["from"] == "user"] == ["我的电水壶坏了"]


async def test_a_logged_in_shop_customer_is_known_as_the_owner_of_their_orders(server: Server) -> None:
    """The shop's site passes the widget a signed token for its logged-in customer (docs/SHOP_LOGIN.md)."""
    import time

    from bot.channels.shop_login import ShopLogin
    from tests.conftest import SHOP_LOGIN_SECRET

    widget = Widget(server)
    token = ShopLogin(SHOP_LOGIN_SECRET).token_for("c003", int(time.time()) + 600)
    await widget.open(custom_data={"shop_token": token})
    await widget.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    said = texts(await widget.replies(3))
    assert "我已经把情况记录下来了" in said and "后四位" not in said
    await widget.close()
