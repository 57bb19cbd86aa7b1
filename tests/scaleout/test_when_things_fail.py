"""What a cluster survives: a process stopped or killed mid-turn, PostgreSQL or Redis away.

Runs after test_two_processes.py (file order) on the same two processes; the stop and kill tests start
a third process of their own so the pair stays whole.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import time
import uuid
from pathlib import Path

import requests

from tests.conftest import SLOW_OPENID_PREFIX, Server, start_server, stop_server
from tests.conversation.chat import Chat, Reply
from tests.scaleout.conftest import Cluster
from tests.test_followups_server import FOLLOWUP_OPENING, history_texts, wait_for
from tests.unit.test_followup_store import T0, book

RECOVERING = "系统正在快速恢复"


def say_later(server: Server, sender: str, text: str) -> concurrent.futures.Future:
    pool = concurrent.futures.ThreadPoolExecutor(1)
    return pool.submit(server.post, "/webhooks/rest/webhook", json={"sender": sender, "message": text})


def test_due_follow_ups_go_out_once_although_both_processes_run_the_scheduler(cluster: Cluster) -> None:
    customers = [Chat.on_the_page(cluster.a) for _ in range(10)]  # each reads its history with its cookie
    for customer in customers:
        book(cluster.database_url, T0, sender=customer.sender)
    wait_for(lambda: all(any(FOLLOWUP_OPENING in t for t in history_texts(c)) for c in customers), 90)
    time.sleep(2)  # a second sender would show by now
    for customer in customers:
        customer.server = cluster.b  # the other process reads the same conversation
        assert sum(FOLLOWUP_OPENING in t for t in history_texts(customer)) == 1


def test_a_stopped_process_finishes_the_turn_in_flight_and_the_customer_carries_on_elsewhere(
    cluster: Cluster, tmp_path: Path
) -> None:
    third = start_server(tmp_path / "c", {**cluster.env, "QINGTING_FAULT_SLOW_SENDERS": SLOW_OPENID_PREFIX})
    sender = f"{SLOW_OPENID_PREFIX}{uuid.uuid4().hex[:8]}"
    answer = say_later(third, sender, "我的电水壶坏了")
    time.sleep(1.5)  # the slow turn is running
    os.killpg(third.process.pid, signal.SIGTERM)  # what a deploy or a scale-in does
    response = answer.result(timeout=60)
    assert response.status_code == 200 and "订单号" in str(response.json()[-1]["text"])
    assert third.process.wait(timeout=40) == 0
    customer = Chat(cluster.a, sender=sender)
    assert customer.say("QT202611150003").offers_remedies()  # the other process knew the whole story


def test_a_killed_process_loses_nothing_the_customer_resends_on_another(cluster: Cluster, tmp_path: Path) -> None:
    third = start_server(tmp_path / "d", {**cluster.env, "QINGTING_FAULT_SLOW_SENDERS": SLOW_OPENID_PREFIX})
    sender = f"{SLOW_OPENID_PREFIX}{uuid.uuid4().hex[:8]}"
    first = Chat(third, sender=sender)
    assert first.say("我的电水壶坏了").asks_for_order_id()
    answer = say_later(third, sender, "QT202611150003")
    time.sleep(1.5)
    os.killpg(third.process.pid, signal.SIGKILL)  # a crash mid-turn
    third.process.wait(timeout=30)
    try:
        answer.result(timeout=30)
        raise AssertionError("a killed process cannot answer")
    except requests.RequestException:
        pass
    again = Chat(cluster.b, sender=sender)  # the widget or the balancer retries elsewhere
    assert again.say("QT202611150003").offers_remedies()
    assert len(again.complaints()) == 1
    stop_server(third)


def test_postgresql_away_for_a_moment_delays_the_turn_and_loses_nothing(cluster: Cluster) -> None:
    customer = Chat(cluster.a)
    customer.say("我的电水壶坏了")
    cluster.postgres.cut()
    answer = say_later(cluster.a, customer.sender, "QT202611150003")
    time.sleep(2)
    assert cluster.a.get("/ready").status_code == 503
    cluster.postgres.restore()
    customer.last = Reply(answer.result(timeout=60).json())
    assert customer.last.asks_for_order_owner()  # answered in context (the order's digits next), after the database came back
    wait_for(lambda: cluster.a.get("/ready").status_code == 200, 20)


def test_redis_away_for_a_moment_delays_the_turn_and_loses_nothing(cluster: Cluster) -> None:
    customer = Chat(cluster.b)
    customer.say("我的电水壶坏了")
    cluster.redis.cut()
    answer = say_later(cluster.b, customer.sender, "QT202611150003")
    time.sleep(2)
    assert cluster.b.get("/ready").json()["checks"]["redis"] is False
    cluster.redis.restore()
    customer.last = Reply(answer.result(timeout=60).json())
    assert customer.last.asks_for_order_owner()  # answered in context (the order's digits next), after Redis came back
    wait_for(lambda: cluster.b.get("/ready").status_code == 200, 20)


def test_a_longer_outage_is_answered_politely_and_the_next_message_works(cluster: Cluster) -> None:
    customer = Chat(cluster.a)
    cluster.postgres.cut()
    try:
        response = cluster.a.post("/webhooks/rest/webhook", json={"sender": customer.sender, "message": "你好"})
    finally:
        cluster.postgres.restore()
    assert response.status_code == 200 and Reply(response.json()).says(RECOVERING)
    wait_for(lambda: cluster.a.get("/ready").status_code == 200, 20)
    assert customer.say("我的电水壶坏了").asks_for_order_id()
