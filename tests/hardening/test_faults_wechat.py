"""The WeChat API failing (errcode -1 系统繁忙, HTTP 500, no answer within the timeout), on a
server of its own whose WeChat API stand-in can be told to fail (tests/wechat_standin.py).

Expected outcomes (docs/RELIABILITY.md, "Faults"):
- An answer too slow for the passive reply that the API refuses is kept in the durable outbox
  and comes first in the answer to the customer's next message: once, never lost.
- A follow-up the API refuses is retried by the scheduler with back-off; when the API is back
  it goes out once, with the same words (the dialogue is not run twice).
- An agent's reply the API refuses is recorded in the conversation and kept in the durable
  outbox; the console is told so (`delivery: queued` and a Chinese notice). It goes out with
  the passive reply to the customer's next message, never through the API behind the agent's
  back.
- WeChat itself always gets its answer within the deadline ("success").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.storage import models as m
from bot.storage.db import session_scope
from tests.conftest import SLOW_OPENID_PREFIX, WECHAT, Server, start_server, stop_server
from tests.console.conftest import ConsoleClient, create_user
from tests.test_followups_server import server_env
from tests.test_wechat_channel import WeChatPeer, event_xml, text_xml
from tests.wechat_standin import WeChatApiStandIn


@dataclass
class Rig:
    server: Server
    api: WeChatApiStandIn


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    api = WeChatApiStandIn(WECHAT["app_id"], WECHAT["app_secret"])
    api.start()
    tmp = tmp_path_factory.mktemp("wechatfaults")
    (tmp / "var").mkdir()
    credentials = tmp / "var" / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"wechat": {**WECHAT, "api_base": api.url}}))
    server = start_server(tmp / "var", {**server_env(tmp), "QINGTING_CREDENTIALS": str(credentials),
                                        "QINGTING_FAULT_SLOW_SENDERS": SLOW_OPENID_PREFIX})
    yield Rig(server, api)
    stop_server(server)
    api.stop()


@pytest.fixture(autouse=True)
def api_works_again(rig: Rig) -> Iterator[None]:
    rig.api.failing = None
    yield
    rig.api.failing = None


def sql(server: Server, statement: str, **params: object) -> list[dict]:
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        result = conn.execute(text(statement), params)
        rows = [dict(r) for r in result.mappings().all()] if result.returns_rows else []
    engine.dispose()
    return rows


def wait_for(condition, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("did not happen in time")


def sent_to(api: WeChatApiStandIn, user: str) -> list[dict]:
    return [message for message in api.sent if message.get("touser") == user]


def contents(messages: list[dict]) -> list[str]:
    return [message["text"]["content"] for message in messages if message.get("msgtype") == "text"]


@pytest.mark.parametrize("fault", ["busy", "http500", "hang"])
def test_a_slow_answer_the_api_refuses_comes_first_in_the_next_reply(rig: Rig, fault: str) -> None:
    peer, user = WeChatPeer(rig.server), SLOW_OPENID_PREFIX + "o" + uuid.uuid4().hex[:16]
    rig.api.failing = fault
    acknowledged = peer.push(text_xml(user, "我的电水壶坏了", int(time.time() * 1000)))
    assert acknowledged.status_code == 200 and acknowledged.text == "success"  # WeChat: answered in time
    wait_for(lambda: sql(rig.server, "SELECT state FROM wechat_inbox WHERE openid = :o", o=user)[0]["state"]
             == "queued", 90)
    [refused] = [r for r in rig.api.refused if r.get("touser") == user]
    kept = refused["text"]["content"]
    assert "订单号" in kept and not sent_to(rig.api, user)

    rig.api.failing = None
    peer.push(text_xml(user, "订单号QT202611150003", int(time.time() * 1000) + 1))
    wait_for(lambda: len(contents(sent_to(rig.api, user))) >= 1, 90)
    time.sleep(1.0)
    delivered = "".join(contents(sent_to(rig.api, user)))
    assert delivered.startswith(kept)  # the kept answer first, then the new one
    assert delivered.count(kept) == 1  # once
    assert sql(rig.server, "SELECT COUNT(*) AS n FROM outbox WHERE sender_id = :s AND delivered_at IS NULL",
               s=f"wechat:{user}")[0]["n"] == 0


def book_wechat_follow_up(server: Server, user: str) -> str:
    with session_scope(server.database_url) as db:
        conversation = m.Conversation(sender_id=f"wechat:{user}", channel="wechat")
        db.add(conversation)
        db.flush()
        complaint = m.Complaint(conversation_id=conversation.id, reference=f"TSW{uuid.uuid4().hex[:8]}",
                                type="quality", channel="wechat", severity=1, status="in_progress", facts={},
                                sla_due_at=datetime(2026, 1, 2))
        db.add(complaint)
        db.flush()
        follow_up = m.FollowUp(complaint_id=complaint.id, conversation_id=conversation.id, channel="wechat",
                               due_at=datetime(2026, 1, 1))
        db.add(follow_up)
        db.flush()
        return follow_up.id


def follow_up(server: Server, follow_up_id: str) -> dict:
    return sql(server, "SELECT * FROM follow_ups WHERE id = :i", i=follow_up_id)[0]


def test_a_follow_up_the_api_refuses_is_retried_and_goes_out_once_with_the_same_words(rig: Rig) -> None:
    peer, user = WeChatPeer(rig.server), "o" + uuid.uuid4().hex[:20]
    peer.push(event_xml(user, "subscribe"))  # inside the 48-hour window
    rig.api.failing = "busy"
    follow_up_id = book_wechat_follow_up(rig.server, user)
    wait_for(lambda: follow_up(rig.server, follow_up_id)["status"] == "retry")
    row = follow_up(rig.server, follow_up_id)
    assert row["attempts"] == 1 and row["last_error"] == "channel refused" and row["next_attempt_at"]
    first_try = [contents([r]) for r in rig.api.refused if r.get("touser") == user]
    assert first_try and not sent_to(rig.api, user)

    rig.api.failing = None
    sql(rig.server, "UPDATE follow_ups SET next_attempt_at = :past WHERE id = :i", past="2026-01-01 00:00:00",
        i=follow_up_id)  # the back-off has passed
    wait_for(lambda: follow_up(rig.server, follow_up_id)["status"] == "sent")
    time.sleep(2.5)  # two more scheduler ticks: nothing else goes out
    sent = contents(sent_to(rig.api, user))
    assert sent == first_try[0]  # once, the same words
    assert follow_up(rig.server, follow_up_id)["sent_via"] == "wechat"


def test_an_agent_reply_the_api_refuses_is_recorded_kept_and_the_console_is_told(rig: Rig) -> None:
    peer, user = WeChatPeer(rig.server), "o" + uuid.uuid4().hex[:20]
    base = int(time.time() * 1000)
    peer.push(text_xml(user, "我的电水壶坏了，订单号QT202611150003", base))
    peer.push(text_xml(user, "再不解决我就去12315投诉，还要找媒体曝光", base + 1))
    [handoff] = sql(rig.server, "SELECT h.id FROM handoffs h JOIN conversations v ON v.id = h.conversation_id "
                                "WHERE v.sender_id = :s", s=f"wechat:{user}")
    agent = f"wxfault_{uuid.uuid4().hex[:6]}"
    create_user(rig.server, agent, "agent", "周专员")
    console = ConsoleClient(rig.server)
    assert console.login(agent).status_code == 200
    assert console.post(f"/api/console/handoffs/{handoff['id']}/claim").status_code == 200
    rig.api.failing = "busy"
    reply = "您好，我是周专员，马上为您安排换新，请放心。"
    answer = console.post(f"/api/console/handoffs/{handoff['id']}/messages", json={"text": reply})
    assert answer.status_code == 201
    assert answer.json()["pushed"] is False and answer.json()["delivery"] == "queued"
    assert any(r.get("touser") == user and reply in contents([r]) for r in rig.api.refused)
    transcript = console.get(f"/api/console/handoffs/{handoff['id']}").json()["transcript"]
    assert any(line["from"] == "agent" and line["text"] == reply for line in transcript)
    rig.api.failing = None
    time.sleep(2.5)
    assert reply not in contents(sent_to(rig.api, user))  # not sent behind the agent's back
    assert sql(rig.server, "SELECT COUNT(*) AS n FROM outbox WHERE sender_id = :s AND delivered_at IS NULL",
               s=f"wechat:{user}")[0]["n"] == 1  # waiting for the customer's next message
