"""Two processes behind a load balancer behave as one bot (PostgreSQL + Redis)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from typing import Any

import socketio
from sqlalchemy import create_engine, text

from tests.conftest import Server
from tests.console.conftest import ConsoleClient
from tests.conversation.chat import Chat
from tests.scaleout.conftest import Cluster
from tests.test_socketio_channel import Widget, texts

KETTLE_ORDER = "QT202611150003"


def history(server: Server, customer: Chat) -> list[dict[str, Any]]:
    """The customer's page history as one process serves it (read with the customer's cookie)."""
    return server.get("/api/chat/history", cookies=customer.cookies).json()["messages"]


def test_a_conversation_sent_alternately_to_both_processes_continues_as_one(cluster: Cluster) -> None:
    on_a, on_b = Chat.on_the_page(cluster.a), Chat(cluster.b)
    on_b.sender, on_b.cookies = on_a.sender, on_a.cookies  # one customer, one cookie, two processes
    assert on_a.say("我的电水壶坏了").asks_for_order_id()
    on_a.last = on_b.say(KETTLE_ORDER)  # B knows what A asked
    assert on_a.last.offers_remedies()
    on_b.last = on_a.click("换货")
    on_b.last = on_a.give_work_facts()
    assert on_b.last.asks_for_followup_time()
    assert on_b.say("明天下午三点").says("已为您预约")
    lines = [m["text"] for m in history(cluster.a, on_a) if m["from"] == "user"]
    # the customer proves the order with the last four digits of its phone (0003), chooses the
    # exchange, gives the pickup address and the follow-up time: six lines, each stored once
    assert lines[:4] == ["我的电水壶坏了", KETTLE_ORDER, "0003", "/request_exchange"]
    assert lines[5:] == ["明天下午三点"] and len(lines) == 6
    assert len(on_a.complaints()) == 1 and len(on_a.follow_ups()) == 1


def test_simultaneous_messages_of_one_conversation_are_processed_one_at_a_time(cluster: Cluster) -> None:
    sender = f"both-{uuid.uuid4().hex[:10]}"
    messages = [("a", "我的电水壶坏了"), ("b", KETTLE_ORDER), ("a", "烧水的时候突然不加热了"), ("b", "昨天买的")]
    servers = {"a": cluster.a, "b": cluster.b}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(
            lambda item: servers[item[0]].post("/webhooks/rest/webhook", json={"sender": sender, "message": item[1]}),
            messages,
        ))
    assert all(a.status_code == 200 for a in answers)
    kinds = event_kinds(cluster, sender)
    assert kinds.count("user") == len(messages)
    # One at a time: the bot acts on every message before the next one is read, so no two
    # customer messages are ever adjacent in the one tracker both processes wrote.
    assert "user,user" not in ",".join(kinds)


def event_kinds(cluster: Cluster, sender: str) -> list[str]:
    engine = create_engine(cluster.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        kinds = [row[0] for row in rows if row[0] in ("user", "action")]
    engine.dispose()
    return kinds


async def test_an_agent_on_one_process_answers_a_customer_connected_to_the_other(
    cluster: Cluster, cluster_staff: dict[str, str]
) -> None:
    agent_a, agent_b = ConsoleClient(cluster.a), ConsoleClient(cluster.b)
    assert agent_a.login(cluster_staff["agent"]).status_code == 200
    assert agent_b.login(cluster_staff["colleague"]).status_code == 200
    live_a, live_b = await console_socket(cluster.a, agent_a), await console_socket(cluster.b, agent_b)

    widget = Widget(cluster.b)
    await widget.open()
    await widget.say("我要找你们经理，不然我就去12315投诉")
    assert "资深同事" in texts(await widget.replies(1))
    case = next(i for i in agent_a.get("/api/console/queue").json()["items"] if i["sender_id"] == widget.sender_id)
    for live in (live_a, live_b):  # the new case was announced to agents on both processes
        announced = await asyncio.wait_for(live.events.get(), 15)
        assert (announced["reason"], announced["handoff_id"]) == ("new", case["id"])
    path = f"/api/console/handoffs/{case['id']}"
    claims = await asyncio.gather(asyncio.to_thread(agent_a.post, path + "/claim"),
                                  asyncio.to_thread(agent_b.post, path + "/claim"))
    assert sorted(c.status_code for c in claims) == [200, 409]  # claimed once
    holder = agent_a if claims[0].status_code == 200 else agent_b
    reply = "您好，我是专员，已经看到您的情况，马上为您处理。"
    assert holder.post(path + "/messages", json={"text": reply}).status_code == 201
    assert reply in texts(await widget.replies(1))
    for socket in (widget.client, live_a.client, live_b.client):
        await socket.disconnect()


class LiveConsole:
    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.client.on("queue_changed", self.events.put, namespace="/console")


async def console_socket(server: Server, console: ConsoleClient) -> LiveConsole:
    live = LiveConsole()
    cookie = "; ".join(f"{c.name}={c.value}" for c in console.http.cookies)
    await live.client.connect(server.url, socketio_path="socket.io", namespaces=["/console"],
                              transports=["websocket"], headers={"Cookie": cookie})
    return live
