"""Databases for the analytics tests: a small hand-built fixture on SQLite and on PostgreSQL,
and (for the API and the browser) a server of its own with `qingting seed-demo` data."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.storage import models as m
from bot.storage.db import migrate, session_scope
from bot.storage.scratch import create_scratch_database, drop_scratch_database
from tests.conftest import ROOT, VENV_BIN, Server, start_server, stop_server

PG_ADMIN = os.environ.get("QINGTING_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 7, 1, 0)  # naive UTC, 09:00 on 7 November in Shanghai
DEMO_SEED = 11
DEMO_COMPLAINTS = 2500


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute)


@dataclass
class Fixture:
    url: str
    ids: dict[str, str]  # c1..c8 -> complaint id


def _conversation(db, name: str, channel: str, customer_id: str | None = None) -> str:  # type: ignore[no-untyped-def]
    row = m.Conversation(sender_id=f"fixture-{name}-{uuid.uuid4().hex[:6]}", channel=channel, customer_id=customer_id)
    db.add(row)
    db.flush()
    return row.id


def build_fixture(url: str) -> Fixture:
    """Six complaints in view (1-7 November, Shanghai time) and two just outside it; every
    figure of tests/analytics/test_queries.py is computed by hand from these rows."""
    migrate(url)
    ids: dict[str, str] = {}
    with session_scope(url) as db:
        gold = m.Customer(tier="gold", name="张三", phone="13812345678", phone_masked="138****5678")
        normal = m.Customer(tier="normal", name="李四", phone="13987654321", phone_masked="139****4321")
        db.add_all([gold, normal])
        db.add(m.Order(order_id="FX-O1", product="微波炉", price=Decimal("899"), purchased_at=utc(20, 0, month=10)))
        db.flush()

        def complaint(name: str, kind: str, channel: str, severity: int, at: datetime, status: str, product: str | None,
                      remedy: str | None = None, amount: str | None = None, approval: str | None = None,
                      customer: m.Customer | None = None, order_id: str | None = None) -> m.Complaint:
            conversation = _conversation(db, name, channel, customer.id if customer else None)
            row = m.Complaint(reference=f"FX{uuid.uuid4().hex[:10]}", conversation_id=conversation,
                              customer_id=customer.id if customer else None, order_id=order_id, type=kind,
                              severity=severity, facts={"product": product, "statements": [f"{name} 客户陈述 13812345678"]},
                              remedy=remedy, compensation_amount=Decimal(amount) if amount else None, approval=approval,
                              status=status, channel=channel, created_at=at, updated_at=at)
            db.add(row)
            db.flush()
            ids[name] = row.id
            return row

        c1 = complaint("c1", "quality", "wechat", 1, utc(1, 2), "closed", "电水壶", remedy="exchange")
        c2 = complaint("c2", "quality", "h5", 3, utc(31, 20, month=10), "reopened", "电水壶", remedy="compensation",
                       amount="150", customer=gold, order_id="FX-O1")
        complaint("c3", "delivery", "wechat", 2, utc(3, 10), "in_progress", None)
        c4 = complaint("c4", "billing", "rest", 3, utc(5, 15, 59), "closed", "电水壶", remedy="compensation",
                       amount="500", approval="approved", customer=normal)
        c5 = complaint("c5", "incident", "wechat", 3, utc(6, 16, 30), "open", "电水壶")
        complaint("c6", "quality", "wechat", 1, utc(31, 15, month=10), "closed", "电水壶")  # 23:00 on 31 October
        complaint("c7", "quality", "h5", 1, utc(7, 16), "closed", "电水壶")  # 00:00 on 8 November
        c8 = complaint("c8", "service", "h5", 2, utc(2, 1), "closed", None, remedy="compensation", amount="30")

        def handoff(c: m.Complaint, reasons: list[str], at: datetime, due: datetime, claimed: datetime | None,
                    closed: datetime | None, status: str) -> m.Handoff:
            row = m.Handoff(conversation_id=c.conversation_id, complaint_id=c.id, reasons=reasons, status=status,
                            sla_due_at=due, claimed_at=claimed, closed_at=closed, created_at=at, updated_at=at)
            db.add(row)
            db.flush()
            return row

        handoff(c2, ["escalation:regulator", "asked_for_person"], utc(31, 20, 5, month=10), utc(31, 20, 35, month=10),
                utc(31, 20, 10, month=10), utc(31, 21, month=10), "closed")
        h4 = handoff(c4, ["above_cap"], utc(5, 16, 5), utc(6, 1, 30), utc(6, 2), utc(6, 3), "closed")
        handoff(c5, ["danger:fire"], utc(6, 16, 35), utc(7, 1, 30), None, None, "queued")
        # a handoff of a conversation without a complaint counts nowhere
        db.add(m.Handoff(conversation_id=c1.conversation_id, complaint_id=None, reasons=["abuse"], status="closed",
                         sla_due_at=utc(1, 3), claimed_at=utc(1, 4), created_at=utc(1, 2, 30)))
        for c, solved, score, at in [(c1, True, 5, utc(2, 2)), (c2, False, 2, utc(2, 3)), (c4, True, 4, utc(6, 5)),
                                     (c8, True, 3, utc(3, 2)), (c8, True, 5, utc(4, 2))]:
            db.add(m.Csat(complaint_id=c.id, solved=solved, score=score, comment="谢谢，电话13812345678", created_at=at))
        db.add(m.SlaBreach(kind="handoff", target_id=h4.id, from_level=3, to_level=3, due_at=utc(6, 1, 30),
                           at=utc(6, 1, 31)))
        db.add(m.SlaBreach(kind="complaint", target_id=c5.id, from_level=2, to_level=3, due_at=utc(6, 20),
                           at=utc(6, 20, 1)))
    return Fixture(url, ids)


@pytest.fixture(scope="module")
def sqlite_fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_fixture(f"sqlite:///{tmp_path_factory.mktemp('analytics') / 'records.db'}")


@pytest.fixture(scope="module")
def pg_fixture() -> Iterator[Fixture]:
    url = temp_pg_database()
    try:
        yield build_fixture(url)
    finally:
        drop_pg_database(url)


def temp_pg_database() -> str:
    """A new empty PostgreSQL database (skips the test where the server is absent)."""
    try:
        return create_scratch_database(PG_ADMIN, "qingting_test")
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN}: {type(exc).__name__}")


def drop_pg_database(url: str) -> None:
    drop_scratch_database(url, PG_ADMIN)


# --- a server with demo data (the API tests and tests/test_dashboard_browser.py) -------------------
def seed_demo(var_dir: Path, *args: str) -> str:
    env = {**os.environ, "QINGTING_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [str(VENV_BIN / "qingting"), "seed-demo", "--complaints", str(DEMO_COMPLAINTS), "--months", "4",
         "--seed", str(DEMO_SEED), "--transcripts", "400", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="session")
def analytics_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("analytics-server") / "var"
    var_dir.mkdir(parents=True)
    seeded = seed_demo(var_dir)
    assert f"complaints: {DEMO_COMPLAINTS}" in seeded, seeded
    running = start_server(var_dir)
    yield running
    stop_server(running)
