"""Follow-up records and SLA escalation on a real database, with a clock the test moves.

What must hold: a due follow-up is claimed once, also by two claimers at the same moment;
a failed delivery retries with back-off and ends visible as failed; an unanswered follow-up
gets one reminder, then closes as "no answer"; a clock jumping back re-sends nothing; a claim
abandoned by a dead process is taken over; an SLA breach raises a complaint one level, once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.followups.sla import SlaWatch
from bot.followups.store import LEASE, FollowUpStore
from bot.knowledge import load_knowledge_base
from bot.knowledge.models import FollowupPolicy
from bot.storage import models as m
from bot.storage.db import migrate, session_scope

KB = load_knowledge_base()
POLICY = FollowupPolicy(reminder_after_hours=24, close_after_hours=48, max_attempts=3, retry_base_minutes=2)
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(database)
    return database


def book(url: str, due: datetime, sender: str = "c1", status: str = "in_progress") -> str:
    with session_scope(url) as db:
        conversation = m.Conversation(sender_id=sender, channel="socketio")
        db.add(conversation)
        db.flush()
        complaint = m.Complaint(conversation_id=conversation.id, reference=f"TS-{sender[-20:]}", type="quality", channel="socketio",
                                severity=1, status=status, facts={}, sla_due_at=due.replace(tzinfo=None))
        db.add(complaint)
        db.flush()
        follow_up = m.FollowUp(complaint_id=complaint.id, conversation_id=conversation.id, channel="socketio",
                               due_at=due.replace(tzinfo=None))
        db.add(follow_up)
        db.flush()
        return follow_up.id


def status_of(url: str, follow_up_id: str) -> str:
    with session_scope(url) as db:
        return db.get(m.FollowUp, follow_up_id).status


def test_nothing_is_claimed_before_it_is_due(url: str) -> None:
    book(url, T0 + timedelta(hours=1))
    assert FollowUpStore(url, POLICY).claim_due(T0, "w1") == []


def test_a_due_follow_up_is_claimed_once(url: str) -> None:
    fid = book(url, T0)
    store = FollowUpStore(url, POLICY)
    [job] = store.claim_due(T0, "w1")
    assert job.id == fid and job.kind == "followup" and job.sender_id == "c1" and job.reference == "TS-c1"
    assert store.claim_due(T0, "w2") == []


def test_two_claimers_at_the_same_moment_split_the_work_without_overlap(url: str) -> None:
    ids = {book(url, T0, sender=f"c{i}") for i in range(30)}
    store = FollowUpStore(url, POLICY)
    got: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claim(name: str) -> None:
        start.wait()
        while jobs := store.claim_due(T0, name, limit=3):
            got[name] += [j.id for j in jobs]

    threads = [threading.Thread(target=claim, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got["a"] + got["b"]) == sorted(ids)  # every one claimed, none twice


def test_a_failed_delivery_retries_with_back_off_then_shows_as_failed(url: str) -> None:
    fid = book(url, T0)
    store = FollowUpStore(url, POLICY)
    [job] = store.claim_due(T0, "w1")
    assert store.failed(job, T0, "timeout") is False
    assert store.claim_due(T0 + timedelta(minutes=1), "w1") == []  # waits 2 minutes
    [job] = store.claim_due(T0 + timedelta(minutes=2), "w1")
    assert store.failed(job, T0 + timedelta(minutes=2), "timeout") is False
    assert store.claim_due(T0 + timedelta(minutes=5), "w1") == []  # then 4 minutes
    [job] = store.claim_due(T0 + timedelta(minutes=6), "w1")
    assert store.failed(job, T0 + timedelta(minutes=6), "timeout") is True
    assert status_of(url, fid) == "failed"
    assert [f["reference"] for f in store.failed_list()] == ["TS-c1"]


def test_an_unanswered_follow_up_gets_one_reminder_then_closes_as_no_answer(url: str) -> None:
    fid = book(url, T0)
    store = FollowUpStore(url, POLICY)
    [job] = store.claim_due(T0, "w1")
    store.delivered(job, T0, "socketio")
    assert store.claim_due(T0 + timedelta(hours=23), "w1") == []
    [reminder] = store.claim_due(T0 + timedelta(hours=24), "w1")
    assert reminder.kind == "reminder"
    store.delivered(reminder, T0 + timedelta(hours=24), "socketio")
    assert store.claim_due(T0 + timedelta(hours=60), "w1") == []  # only one reminder
    assert store.close_unanswered(T0 + timedelta(hours=71)) == []
    assert store.close_unanswered(T0 + timedelta(hours=72)) == [(fid, "c1")]
    assert status_of(url, fid) == "no_answer"
    with session_scope(url) as db:
        assert db.get(m.Complaint, db.get(m.FollowUp, fid).complaint_id).status == "closed"


def test_a_clock_jumping_back_sends_nothing_again(url: str) -> None:
    store = FollowUpStore(url, POLICY)
    book(url, T0)
    [job] = store.claim_due(T0, "w1")
    store.delivered(job, T0, "socketio")
    assert store.claim_due(T0 - timedelta(days=1), "w1") == []
    assert store.claim_due(T0 + timedelta(minutes=1), "w1") == []


def test_a_claim_left_by_a_dead_process_is_taken_over_with_its_saved_words(url: str) -> None:
    store = FollowUpStore(url, POLICY)
    book(url, T0)
    [job] = store.claim_due(T0, "dead-process")
    store.save_messages(job.id, [{"text": "回访"}])
    assert store.claim_due(T0 + LEASE - timedelta(seconds=1), "w2") == []
    [again] = store.claim_due(T0 + LEASE + timedelta(seconds=1), "w2")
    assert again.id == job.id and again.messages == [{"text": "回访"}]  # re-sent, not re-asked


def test_postponed_follow_ups_wait_until_the_given_time(url: str) -> None:
    store = FollowUpStore(url, POLICY)
    book(url, T0)
    [job] = store.claim_due(T0, "w1")
    store.postpone(job, T0 + timedelta(hours=1))
    assert store.claim_due(T0 + timedelta(minutes=59), "w1") == []
    assert len(store.claim_due(T0 + timedelta(hours=1), "w1")) == 1


def test_a_complaint_past_its_sla_goes_up_one_level_once(url: str) -> None:
    book(url, T0, status="open")
    watch = SlaWatch(url, KB)
    assert watch.escalate(T0 - timedelta(minutes=1)) == []
    [breach] = watch.escalate(T0 + timedelta(minutes=1))
    assert (breach.kind, breach.from_level, breach.to_level) == ("complaint", 1, 2)
    assert watch.escalate(T0 + timedelta(minutes=2)) == []  # the new deadline is 4 h away
    [second] = watch.escalate(T0 + timedelta(hours=5))
    assert (second.from_level, second.to_level) == (2, 3)
    [top] = watch.escalate(T0 + timedelta(days=3))  # level 3 has its own 30-minute deadline
    assert (top.from_level, top.to_level) == (3, 3)
    assert watch.escalate(T0 + timedelta(days=4)) == []  # then it stays on the supervisor view
    assert [b["to_level"] for b in watch.recent()] == [3, 3, 2]


def test_a_complaint_with_a_plan_is_not_escalated(url: str) -> None:
    book(url, T0, status="in_progress")
    assert SlaWatch(url, KB).escalate(T0 + timedelta(days=2)) == []
