"""Issue 19, WeChat: a push is answered even when the process that took it died, and an agent's
reply WeChat refuses waits for the customer's next message.

WeChat retries a push it got no answer to (same MsgId, up to three times in ~15 s). The inbox
row of a push carries a lease (bot/channels/wechat_inbox.py): a retry that finds the lease run
out takes the push over and answers it; a retry during a live lease runs nothing and passes on
the holder's answer. A process killed mid-turn is simulated by what it leaves behind: the
push's row, claimed, unanswered, its lease run out.

Agent replies (bot/channels/wechat.py `deliver_kept`): what the customer-service API refuses
(here the stand-in answers 45015 for one openid) is kept in the durable outbox and goes out
once, in the passive reply to the customer's next message; the console says so in Chinese.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, text

from bot.channels import wechat_inbox
from bot.console.reply_notice import reply_notice
from bot.delivery import Outcome
from bot.storage import models as m
from bot.storage.db import session_scope
from tests.conftest import SLOW_OPENID_PREFIX, Server
from tests.console.conftest import ConsoleClient, create_user
from tests.fuzzing.records import user_texts
from tests.test_wechat_channel import WeChatPeer, text_xml
from tests.wechat_standin import WeChatApiStandIn

COMPLAINT = "我的电水壶坏了"


def openid() -> str:
    return "o" + uuid.uuid4().hex[:20]


def msg_id() -> int:
    return int(time.time() * 1000) + uuid.uuid4().int % 100_000


def claimed_row(server: Server, user: str, message_id: int, lease_left_s: float) -> None:
    """What a process that took this push left behind: the row, claimed, no answer yet."""
    with session_scope(server.database_url) as db:
        db.add(m.WeChatInbox(dedupe_key=f"msg:{message_id}", openid=user, state="processing",
                             claimed_by="gone-host:4242:deadbeef",
                             lease_until=m.utcnow() + timedelta(seconds=lease_left_s)))


def inbox_row(server: Server, message_id: int) -> m.WeChatInbox:
    with session_scope(server.database_url) as db:
        row = db.get(m.WeChatInbox, f"msg:{message_id}")
        db.expunge(row)
        return row


def sent_texts(api: WeChatApiStandIn, user: str) -> list[str]:
    return [s["text"]["content"] for s in api.sent if s.get("touser") == user and s.get("msgtype") == "text"]


# --- (a) a push whose process died mid-turn ----------------------------------------------------
def test_a_push_whose_process_died_mid_turn_is_answered_on_wechats_retry_exactly_once(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    peer, user, message_id = WeChatPeer(server), openid(), msg_id()
    claimed_row(server, user, message_id, lease_left_s=-1)  # killed: nobody renews the lease

    answer = peer.reply_text(peer.push(text_xml(user, COMPLAINT, message_id)))
    assert "订单号" in answer  # WeChat's retry got the answer the dead process never gave
    again = peer.reply_text(peer.push(text_xml(user, COMPLAINT, message_id)))
    assert again == answer  # the next retry: the same passive reply, the bot not run again

    assert user_texts(server.database_url, server.var_dir, f"wechat:{user}") == [COMPLAINT]
    assert sent_texts(wechat_api, user) == []  # answered passively, nothing more through the API
    row = inbox_row(server, message_id)
    assert row.state == "replied" and row.claimed_by != "gone-host:4242:deadbeef"


def test_a_retry_that_comes_right_after_the_death_waits_the_lease_out_and_answers(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    """The lease is shorter than a retry's wait: a retry never says "success" for a push
    nobody is answering (that would end WeChat's retries)."""
    peer, user, message_id = WeChatPeer(server), openid(), msg_id()
    claimed_row(server, user, message_id, lease_left_s=wechat_inbox.DEFAULT_LEASE_S)  # renewed just before dying

    started = time.monotonic()
    passive = peer.reply_text(peer.push(text_xml(user, COMPLAINT, message_id)))
    assert time.monotonic() - started < 5.0
    answers = [passive] if passive else sent_texts(wechat_api, user) or [s["text"]["content"] for s in
                                                                          wechat_api.sent_to(user)]
    assert len(answers) == 1 and "订单号" in answers[0]  # answered, passively or (if late) through the API
    assert user_texts(server.database_url, server.var_dir, f"wechat:{user}") == [COMPLAINT]


def test_a_retry_during_a_live_lease_runs_nothing_and_passes_on_the_holders_answer(server: Server) -> None:
    peer, user, message_id = WeChatPeer(server), openid(), msg_id()
    claimed_row(server, user, message_id, lease_left_s=60)  # another process is on it

    started = time.monotonic()
    first_retry = peer.push(text_xml(user, COMPLAINT, message_id))
    assert first_retry.text == "success" and time.monotonic() - started < 5.0  # within WeChat's wait
    assert user_texts(server.database_url, server.var_dir, f"wechat:{user}") == []

    holders_answer = "您好，您的电水壶问题已经记下了，请告诉我订单号。"

    def holder_finishes() -> None:
        time.sleep(1.0)
        with session_scope(server.database_url) as db:
            row = db.get(m.WeChatInbox, f"msg:{message_id}")
            row.state, row.reply, row.lease_until = "replied", holders_answer, None

    finisher = threading.Thread(target=holder_finishes)
    finisher.start()
    second_retry = peer.reply_text(peer.push(text_xml(user, COMPLAINT, message_id)))
    finisher.join()
    assert second_retry == holders_answer  # waited for the live holder instead of answering empty
    assert user_texts(server.database_url, server.var_dir, f"wechat:{user}") == []  # never run here


def test_a_live_slow_turn_renews_its_lease_and_a_retry_after_the_first_lease_does_not_run_it_again(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    """The lease is shorter than this turn (6 s, QINGTING_FAULT_SLOW_SENDERS): only renewal
    keeps the retry from taking over a turn that is still running."""
    peer, user, message_id = WeChatPeer(server), SLOW_OPENID_PREFIX + openid(), msg_id()
    assert peer.push(text_xml(user, COMPLAINT, message_id)).text == "success"  # acknowledged at the deadline
    row = inbox_row(server, message_id)
    first_lease_ends = row.received_at + timedelta(seconds=wechat_inbox.DEFAULT_LEASE_S)
    time.sleep(max(0.0, (first_lease_ends - m.utcnow()).total_seconds()) + 0.2)
    assert inbox_row(server, message_id).state == "processing"  # the turn is still running

    assert peer.push(text_xml(user, COMPLAINT, message_id)).text == "success"
    deadline = time.monotonic() + 30
    while inbox_row(server, message_id).state == "processing" and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(1.0)
    [answer] = sent_texts(wechat_api, user)  # once, through the API, by the holder
    assert "订单号" in answer and inbox_row(server, message_id).state == "sent"
    assert user_texts(server.database_url, server.var_dir, f"wechat:{user}") == [COMPLAINT]


# --- (b) an agent's reply WeChat refuses ---------------------------------------------------------
def handed_off_wechat_customer(server: Server) -> tuple[WeChatPeer, str, str]:
    """A WeChat customer whose complaint an agent has claimed: (peer, openid, handoff id)."""
    peer, user, base = WeChatPeer(server), openid(), msg_id()
    peer.push(text_xml(user, "我的电水壶坏了，订单号QT202611150003", base))
    peer.push(text_xml(user, "再不解决我就去12315投诉，还要找媒体曝光", base + 1))
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        handoff = conn.execute(text("SELECT h.id FROM handoffs h JOIN conversations v ON v.id = h.conversation_id "
                                    "WHERE v.sender_id = :s"), {"s": f"wechat:{user}"}).scalar_one()
    engine.dispose()
    return peer, user, handoff


def agent_console(server: Server, handoff: str) -> ConsoleClient:
    agent = f"wxlease_{uuid.uuid4().hex[:6]}"
    create_user(server, agent, "agent", "周专员")
    console = ConsoleClient(server)
    assert console.login(agent).status_code == 200
    assert console.post(f"/api/console/handoffs/{handoff}/claim").status_code == 200
    return console


def test_an_agent_reply_wechat_refuses_is_kept_and_delivered_once_with_the_answer_to_the_next_message(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    peer, user, handoff = handed_off_wechat_customer(server)
    console = agent_console(server, handoff)
    wechat_api.refusing[user] = 45015  # the customer-service window is closed for this customer
    try:
        reply = "您好，我是周专员，马上为您安排换新，请放心。"
        answer = console.post(f"/api/console/handoffs/{handoff}/messages", json={"text": reply})
        assert answer.status_code == 201
        assert answer.json() == {"sent": True, "pushed": False, "delivery": "queued",
                                 "notice": reply_notice("wechat", Outcome.QUEUED)}
        assert "保存" in answer.json()["notice"] and "公众号" in answer.json()["notice"]
        assert any(r.get("touser") == user and r["text"]["content"] == reply for r in wechat_api.refused)

        next_reply = peer.reply_text(peer.push(text_xml(user, "好的，我等您消息", msg_id())))
        later_reply = peer.reply_text(peer.push(text_xml(user, "还在吗", msg_id())))
    finally:
        wechat_api.refusing.pop(user, None)
    assert next_reply.startswith(reply)  # the customer wrote: the window reopened, the reply comes first
    assert reply not in later_reply  # once
    assert reply not in "".join(sent_texts(wechat_api, user))


def test_an_agent_reply_wechat_accepts_is_pushed_once_and_not_queued(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    peer, user, handoff = handed_off_wechat_customer(server)
    console = agent_console(server, handoff)
    reply = "您好，我是周专员，已经为您登记换新，今天就安排。"
    answer = console.post(f"/api/console/handoffs/{handoff}/messages", json={"text": reply})
    assert answer.status_code == 201
    assert answer.json() == {"sent": True, "pushed": True, "delivery": "pushed",
                             "notice": reply_notice("wechat", Outcome.PUSHED)}
    assert sent_texts(wechat_api, user).count(reply) == 1
    next_reply = peer.reply_text(peer.push(text_xml(user, "好的，谢谢", msg_id())))
    assert reply not in next_reply
    assert sent_texts(wechat_api, user).count(reply) == 1
    assert reply_notice("wechat", Outcome.PUSHED) != reply_notice("wechat", Outcome.QUEUED)


def test_the_console_says_per_channel_what_the_customer_will_see() -> None:
    assert "公众号" in reply_notice("wechat", Outcome.QUEUED)
    assert "下次发消息" in reply_notice("rest", Outcome.QUEUED)
    assert "打开对话" in reply_notice("h5", Outcome.HISTORY)
