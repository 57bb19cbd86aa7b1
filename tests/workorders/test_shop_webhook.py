"""The outbound signed webhook to a shop's system, against a local stand-in that checks the
contract with its own HMAC code (tests/shop_standin.py), on a real database with a clock the
test moves.

What must hold: every work-order event goes out signed, in order, each once; with the shop
down the events wait (back-off, no hammering) and go out in order when it is back; an event
sent by a process that died before recording it is sent again under the same idempotency key
and the shop keeps it once; after the last attempt it is a dead letter; a wrong secret is
refused by the shop and nothing counts as sent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from bot.storage import models as m
from bot.storage.db import engine_for, session_scope
from bot.workorders.service import WorkOrderService
from bot.workorders.shop import LEASE, ShopLink, ShopSender, dead_letters
from tests.shop_standin import ShopStandIn
from tests.workorders.test_service import KB, by_kind, open_case

SECRET = "shop-shared-secret-for-tests"
T0 = 1_800_000_000.0


@pytest.fixture
def shop() -> Iterator[ShopStandIn]:
    standin = ShopStandIn(SECRET)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def configured(tmp_path: Path, shop: ShopStandIn, monkeypatch: pytest.MonkeyPatch) -> ShopLink:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"shop": {"webhook_url": shop.url, "secret": SECRET}}))
    monkeypatch.setenv("QINGTING_CREDENTIALS", str(credentials))
    link = ShopLink.from_credentials()
    assert link is not None
    return link


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def statuses(url: str) -> list[str]:
    with session_scope(url) as db:
        return list(db.execute(select(m.ShopEvent.status).order_by(m.ShopEvent.id)).scalars())


def refund_moved_to_done(url: str) -> None:
    refund = by_kind(url, open_case(url))["refund"]
    service = WorkOrderService(url, KB)
    service.move(refund, "accept", "li")
    service.move(refund, "done", "li")


def test_every_event_goes_out_signed_in_order_once(url: str, configured: ShopLink, shop: ShopStandIn) -> None:
    refund_moved_to_done(url)
    sent = asyncio.run(ShopSender(url, configured, Clock()).tick())
    assert sent == 4 and shop.refused_signatures == 0
    assert [(e["type"], e["work_order"]["kind"]) for e in shop.events] == [
        ("work_order.created", "return_pickup"), ("work_order.created", "refund"),
        ("work_order.accepted", "refund"), ("work_order.done", "refund")]
    ids = [e["event_id"] for e in shop.events]
    assert ids == sorted(ids)
    assert asyncio.run(ShopSender(url, configured, Clock()).tick()) == 0  # nothing twice
    assert statuses(url) == ["sent"] * 4


def test_nothing_is_queued_without_a_shop_system(url: str) -> None:
    refund_moved_to_done(url)
    assert statuses(url) == []


def test_with_the_shop_down_for_an_hour_events_wait_and_then_go_out_in_order(
        url: str, configured: ShopLink, shop: ShopStandIn) -> None:
    refund_moved_to_done(url)
    shop.down = True
    clock = Clock()
    sender = ShopSender(url, configured, clock)
    for _ in range(60):  # a tick a minute for an hour
        asyncio.run(sender.tick())
        clock.now += 60
    assert shop.events == []
    assert 5 <= shop.refused_while_down <= 25  # backed off, not once a tick
    assert statuses(url) == ["pending"] * 4
    shop.down = False
    clock.now += configured.retry_cap_s
    assert asyncio.run(sender.tick()) == 4
    assert [e["type"] for e in shop.events] == ["work_order.created", "work_order.created", "work_order.accepted",
                                                "work_order.done"]


def test_an_event_sent_by_a_process_that_died_before_recording_it_is_kept_once_by_the_shop(
        url: str, configured: ShopLink, shop: ShopStandIn) -> None:
    refund_moved_to_done(url)
    clock = Clock()
    dying = ShopSender(url, configured, clock)
    event_id, key, body = dying._claim_head()  # type: ignore[misc]
    assert asyncio.run(dying._post(key, body))[0] == 200  # delivered, then the process is killed
    restarted = ShopSender(url, configured, clock)
    assert asyncio.run(restarted.tick()) == 0  # the dead process's claim holds for the lease
    clock.now += LEASE.total_seconds() + 1
    assert asyncio.run(restarted.tick()) == 4
    assert shop.redelivered == 1
    assert len(shop.events) == 4 and len({e["event_id"] for e in shop.events}) == 4


def test_after_the_last_attempt_the_event_is_a_dead_letter_and_the_next_one_goes(
        url: str, configured: ShopLink, shop: ShopStandIn) -> None:
    refund_moved_to_done(url)
    link = ShopLink(configured.url, SECRET, max_attempts=3, retry_base_s=1, retry_cap_s=1)
    clock = Clock()
    sender = ShopSender(url, link, clock)
    shop.down = True
    for _ in range(3):
        asyncio.run(sender.tick())
        clock.now += 2
    assert statuses(url) == ["dead", "pending", "pending", "pending"]
    [letter] = dead_letters(url)
    assert letter["type"] == "work_order.created" and letter["attempts"] == 3 and "503" in letter["error"]
    shop.down = False
    assert asyncio.run(sender.tick()) == 3


def test_a_wrong_secret_is_refused_by_the_shop_and_nothing_counts_as_sent(
        url: str, configured: ShopLink, shop: ShopStandIn) -> None:
    refund_moved_to_done(url)
    wrong = ShopLink(configured.url, "another secret")
    assert asyncio.run(ShopSender(url, wrong, Clock()).tick()) == 0
    assert shop.refused_signatures == 1 and shop.events == []
    assert statuses(url)[0] == "pending"


def test_the_back_off_doubles_up_to_its_cap(configured: ShopLink) -> None:
    waits = [configured.backoff(n) for n in range(1, 10)]
    assert waits[0] == timedelta(seconds=configured.retry_base_s)
    assert waits[1] == 2 * waits[0]
    assert max(waits) == timedelta(seconds=configured.retry_cap_s)


def test_an_agent_created_pickup_reaches_the_shop_with_its_address(url: str, configured: ShopLink,
                                                                  shop: ShopStandIn) -> None:
    complaint_id = open_case(url)
    with session_scope(url) as db:
        reference = db.get(m.Complaint, complaint_id).reference
    address = "杭州市西湖区文三路90号2单元"
    WorkOrderService(url, KB).create_by_agent(reference, "repair_visit", {"time_slot": "周六上午"}, address, "li")
    asyncio.run(ShopSender(url, configured, Clock()).tick())
    [visit] = [e for e in shop.events if e["work_order"]["kind"] == "repair_visit"]
    assert visit["work_order"]["address"] == address and visit["work_order"]["facts"]["time_slot"] == "周六上午"
    with engine_for(url).connect() as connection:
        stored = connection.execute(text("SELECT payload FROM shop_events")).scalars().all()
    assert len(stored) == 3 and not any("文三路" in raw for raw in stored)  # encrypted at rest
