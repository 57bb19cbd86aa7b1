"""Follow-ups (回访) through the real server: the scheduler sends them when due, the customer
answers whether it was solved and rates it, and a killed server loses and repeats nothing.

A server of its own: the scheduler ticks every second, and its knowledge base has no quiet
hours (a copy with an empty window) so the tests hold at any hour of the day.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.knowledge import load_knowledge_base
from bot.workorders.service import WorkOrderService
from tests.conftest import ROOT, Server, start_server, stop_server
from tests.conversation.chat import Chat
from tests.unit.test_followup_store import T0, book

FOLLOWUP_OPENING = "按约定来回访"


def server_env(tmp: Path) -> dict[str, str]:
    kb = tmp / "knowledge_base"
    shutil.copytree(ROOT / "knowledge_base", kb)
    service = yaml.safe_load((kb / "service.yml").read_text(encoding="utf-8"))
    service["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    (kb / "service.yml").write_text(yaml.safe_dump(service, allow_unicode=True), encoding="utf-8")
    return {"QINGTING_KNOWLEDGE_DIR": str(kb), "QINGTING_SCHEDULER_INTERVAL_S": "1"}


@pytest.fixture(scope="module")
def followup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("followups")
    running = start_server(tmp / "var", server_env(tmp))
    yield running
    stop_server(running)


def sql(server: Server, statement: str, **params: object) -> list[dict]:
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        result = conn.execute(text(statement), params)
        rows = [dict(r) for r in result.mappings().all()] if result.returns_rows else []
    engine.dispose()
    return rows


def history_texts(customer: Chat) -> list[str]:
    return [m["text"] for m in customer.history()]


def wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError("the scheduler did not get there in time")


def booked_customer(server: Server) -> Chat:
    """A customer whose kettle complaint has an exchange agreed and a follow-up booked."""
    customer = Chat.on_the_page(server)
    customer.say("我的电水壶坏了，订单号QT202611150003")
    customer.click("换货")
    customer.give_work_facts()
    assert customer.say("明天下午三点").says("已为您预约")
    return customer


def work_done(server: Server, customer: Chat) -> None:
    """The shop carries out the agreed remedy: the follow-up waits for its work orders (issue 18)."""
    service = WorkOrderService(server.database_url, load_knowledge_base())
    rows = sql(server, "SELECT w.id FROM work_orders w JOIN complaints c ON c.id = w.complaint_id "
                       "JOIN conversations v ON v.id = c.conversation_id WHERE v.sender_id = :s", s=customer.sender)
    assert rows
    for row in rows:
        service.move(row["id"], "accept", "test")
        service.move(row["id"], "done", "test")
    assert customer.follow_ups()[0]["status"] == "scheduled"
    # the scheduler tells the customer about the work (lines waiting in their outbox) first
    wait_for(lambda: not sql(server, "SELECT id FROM work_order_events WHERE customer_text IS NOT NULL "
                                     "AND notified_at IS NULL"))


def follow_up_comes_due(server: Server, customer: Chat) -> None:
    work_done(server, customer)
    [follow_up] = customer.follow_ups()
    sql(server, "UPDATE follow_ups SET due_at = :past WHERE id = :id", past="2026-01-01 00:00:00", id=follow_up["id"])
    # "sent" is recorded after the words are in the outbox; the tracker has them a moment earlier,
    # and a customer message in that moment would be answered before the follow-up is delivered.
    wait_for(lambda: customer.follow_ups()[0]["status"] == "sent")
    assert any(FOLLOWUP_OPENING in t for t in history_texts(customer))


def test_a_due_follow_up_asks_and_a_solved_five_star_answer_closes_the_complaint(followup_server: Server) -> None:
    customer = booked_customer(followup_server)
    follow_up_comes_due(followup_server, customer)

    bot = customer.say("解决了")  # the follow-up waited in the outbox and comes first
    assert bot.says(FOLLOWUP_OPENING, "问题现在解决了吗", "打个分")
    bot = customer.click("5分 非常满意")
    assert bot.says("还有什么想对我们说的吗")
    bot = customer.click("不用了")
    assert bot.says("感谢您的评价")

    [complaint] = customer.complaints()
    assert complaint["status"] == "closed"
    [follow_up] = customer.follow_ups()
    assert follow_up["status"] == "answered" and follow_up["sent_via"] == "rest"
    [csat] = sql(followup_server, "SELECT * FROM csat WHERE complaint_id = :c", c=complaint["id"])
    assert (csat["score"], bool(csat["solved"]), csat["comment"]) == (5, True, None)
    assert not customer.say("你好").silent  # the bot carries on as usual


def test_an_unsolved_answer_reopens_the_complaint_and_hands_it_to_a_person(followup_server: Server) -> None:
    customer = booked_customer(followup_server)
    follow_up_comes_due(followup_server, customer)

    customer.say("还没解决")
    assert customer.click("2分 不太满意").says("还有什么想对我们说的吗")
    bot = customer.say("换的新壶还是不加热")
    assert bot.says("重新打开", "资深同事")

    [complaint] = customer.complaints()
    assert complaint["status"] == "reopened"
    [handoff] = customer.handoffs()
    assert "followup_unsolved" in handoff["reasons"]
    [csat] = sql(followup_server, "SELECT * FROM csat WHERE complaint_id = :c", c=complaint["id"])
    assert csat["score"] == 2 and csat["comment"] and "新壶" not in csat["comment"]  # encrypted at rest
    assert customer.say("有人吗").silent  # a person has it now


def test_a_follow_up_while_a_person_has_the_conversation_waits(followup_server: Server) -> None:
    customer = booked_customer(followup_server)
    customer.say("转人工")
    work_done(followup_server, customer)
    [follow_up] = customer.follow_ups()
    sql(followup_server, "UPDATE follow_ups SET due_at = :past WHERE id = :id", past="2026-01-01 00:00:00",
        id=follow_up["id"])
    wait_for(lambda: customer.follow_ups()[0]["status"] == "retry")
    assert not any(FOLLOWUP_OPENING in t for t in history_texts(customer))


def test_a_server_killed_while_follow_ups_are_due_sends_each_exactly_once_after_restart(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path)
    server = start_server(tmp_path / "var", env)
    customers = [Chat.on_the_page(server) for _ in range(8)]  # each reads its history with its cookie
    senders = [customer.sender for customer in customers]
    try:
        for sender in senders:
            book(server.database_url, T0, sender=sender)
        time.sleep(1.5)  # the scheduler is mid-way through them
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)
        server = start_server(tmp_path / "var", env)

        def all_sent() -> bool:
            rows = sql(server, "SELECT status FROM follow_ups")
            return len(rows) == len(senders) and all(r["status"] == "sent" for r in rows)

        wait_for(all_sent, 90)
        for customer in customers:
            customer.server, sender = server, customer.sender  # the restarted server
            openings = [t for t in history_texts(customer) if FOLLOWUP_OPENING in t]
            assert len(openings) == 1, (sender, openings)  # asked once in the conversation
            waiting = sql(server, "SELECT payload FROM outbox WHERE sender_id = :s", s=sender)
            sent = [json.loads(row["payload"]).get("text", "") for row in waiting]
            assert sum(FOLLOWUP_OPENING in t for t in sent) == 1  # and sent once
    finally:
        stop_server(server)
