"""Exactly once across processes: two scheduler processes claim due follow-ups from one
PostgreSQL database (SELECT … FOR UPDATE SKIP LOCKED, then a conditional UPDATE) and no
follow-up is claimed twice or left behind.

Needs the PostgreSQL server on 127.0.0.1:5432 (it runs on these machines and in CI); skipped
with the reason where it is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.storage.db import migrate
from bot.storage.scratch import create_scratch_database, drop_scratch_database
from tests.conftest import ROOT
from tests.unit.test_followup_store import T0, book

ADMIN_URL = os.environ.get("QINGTING_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")

CLAIMER = """
import json, sys, time
from datetime import datetime
from bot.followups.store import FollowUpStore
from bot.knowledge.models import FollowupPolicy

url, name, start_at, now = sys.argv[1], sys.argv[2], float(sys.argv[3]), datetime.fromisoformat(sys.argv[4])
store = FollowUpStore(url, FollowupPolicy(reminder_after_hours=24, close_after_hours=48, max_attempts=3,
                                          retry_base_minutes=2))
while time.time() < start_at:  # both processes start claiming at the same moment
    time.sleep(0.005)
claimed = []
while jobs := store.claim_due(now, name, limit=2):
    for job in jobs:
        claimed.append(job.id)
        store.delivered(job, now, "socketio")
print(json.dumps(claimed))
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        url = create_scratch_database(ADMIN_URL, "qingting_test")
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {type(exc).__name__}")
    try:
        yield url
    finally:
        drop_scratch_database(url, ADMIN_URL)


def test_two_scheduler_processes_on_postgresql_claim_each_due_follow_up_exactly_once(pg_url: str) -> None:
    migrate(pg_url)
    booked = {book(pg_url, T0, sender=f"pg-{i}") for i in range(60)}
    start_at = time.time() + 3
    processes = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, pg_url, name, str(start_at), T0.isoformat()],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("scheduler-a", "scheduler-b")
    ]
    claimed = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
        claimed.append(json.loads(out.strip().splitlines()[-1]))
    together = claimed[0] + claimed[1]
    assert len(together) == len(set(together))  # nobody claimed what the other one did
    assert set(together) == booked  # and nothing was left behind
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT status, count(*) FROM follow_ups GROUP BY status")).all())
    engine.dispose()
    assert statuses == {"sent": 60}
