"""A follow-up due for a customer who chose SMS, through the real scheduler, store and database,
sent by the Alibaba Cloud adapter to the provider stand-in (tests/sms_standin.py).

What must hold: the provider's refusal is a failed delivery, never "sent": an illegal number
ends the follow-up as failed at once (the code on the row, the console's failed list shows
it); trouble that lasts goes through the follow-up's retry path and ends as failed after the
last attempt; an accepted message is sent once, via sms.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.console.live import LiveEvents
from bot.delivery import Delivery
from bot.followups.scheduler import FollowUpScheduler, SchedulerParts
from bot.followups.sla import SlaWatch
from bot.followups.store import FollowUpStore
from bot.knowledge import load_knowledge_base
from bot.knowledge.models import FollowupPolicy
from bot.sms.aliyun import AliyunSms
from bot.storage import models as m
from bot.storage.crypto import mask_phone
from bot.storage.db import migrate, session_scope
from tests.sms_standin import SmsStandIn
from tests.test_sms_aliyun import config_for

KB = load_knowledge_base()
POLICY = FollowupPolicy(reminder_after_hours=24, close_after_hours=48, max_attempts=2, retry_base_minutes=2)
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, outside quiet hours
PHONE = "13712340000"
WORDS = "您好，按约定来回访：您的电水壶换货问题现在解决了吗？"


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(database)
    return database


@pytest.fixture
def standin() -> SmsStandIn:
    return SmsStandIn()


@pytest.fixture
async def provider(standin: SmsStandIn, aiohttp_server) -> TestServer:  # type: ignore[no-untyped-def]
    return await aiohttp_server(standin.app(), access_log=None)


def book_sms_follow_up(url: str, phone: str = PHONE) -> str:
    """A complaint of a customer who asked to be called back by SMS; the words already composed."""
    with session_scope(url) as db:
        customer = m.Customer(phone=phone, phone_masked=mask_phone(phone))
        db.add(customer)
        db.flush()
        conversation = m.Conversation(sender_id=f"sms-{phone}", channel="sms", customer_id=customer.id)
        db.add(conversation)
        db.flush()
        complaint = m.Complaint(conversation_id=conversation.id, customer_id=customer.id, reference="TS-SMS-1",
                                type="quality", channel="sms", severity=1, status="in_progress", facts={},
                                sla_due_at=(T0 + timedelta(days=7)).replace(tzinfo=None))
        db.add(complaint)
        db.flush()
        follow_up = m.FollowUp(complaint_id=complaint.id, conversation_id=conversation.id, channel="sms",
                               due_at=T0.replace(tzinfo=None), messages=[{"text": WORDS}])
        db.add(follow_up)
        db.flush()
        return follow_up.id


def scheduler(url: str, provider: TestServer, clock: list[datetime]) -> FollowUpScheduler:
    parts = SchedulerParts(agent=None, kb=KB, store=FollowUpStore(url, POLICY), sla=SlaWatch(url, KB),  # type: ignore[arg-type]
                           delivery=Delivery(), sms=AliyunSms(config_for(provider, attempts=2)), live=LiveEvents())
    return FollowUpScheduler(parts, clock=lambda: clock[0])


def row(url: str, follow_up_id: str) -> tuple[str, int, str | None, str | None]:
    with session_scope(url) as db:
        f = db.get(m.FollowUp, follow_up_id)
        return f.status, f.attempts, f.last_error, f.sent_via


async def test_an_illegal_number_ends_the_follow_up_as_failed_at_once(url: str, provider: TestServer,
                                                                      standin: SmsStandIn) -> None:
    fid = book_sms_follow_up(url)
    standin.script(PHONE, "isv.MOBILE_NUMBER_ILLEGAL")
    report = await scheduler(url, provider, [T0]).tick()
    assert report.failed == [fid] and report.delivered == []
    assert row(url, fid) == ("failed", 1, "sms isv.MOBILE_NUMBER_ILLEGAL", None)
    assert len(standin.requests_for(PHONE)) == 1
    assert [f["error"] for f in FollowUpStore(url, POLICY).failed_list()] == ["sms isv.MOBILE_NUMBER_ILLEGAL"]


async def test_a_provider_that_stays_down_retries_then_fails_never_sent(url: str, provider: TestServer,
                                                                        standin: SmsStandIn) -> None:
    fid = book_sms_follow_up(url)
    standin.script(PHONE, *["503"] * 4)
    clock = [T0]
    report = await scheduler(url, provider, clock).tick()
    assert report.retried == [fid] and row(url, fid)[:3] == ("retry", 1, "sms HTTP 503")
    clock[0] = T0 + timedelta(minutes=2)
    report = await scheduler(url, provider, clock).tick()
    assert report.failed == [fid] and row(url, fid)[:2] == ("failed", 2)
    assert standin.answers == ["503"] * 4 and not standin.accepted


async def test_an_accepted_sms_is_sent_once_via_sms(url: str, provider: TestServer, standin: SmsStandIn) -> None:
    fid = book_sms_follow_up(url)
    standin.script(PHONE, "isv.BUSINESS_LIMIT_CONTROL")
    report = await scheduler(url, provider, [T0]).tick()
    assert report.delivered == [fid]
    assert row(url, fid) == ("sent", 1, None, "sms")
    [accepted] = standin.accepted
    assert accepted.phone == PHONE and accepted.template_param == {"content": WORDS}
    assert (await scheduler(url, provider, [T0 + timedelta(minutes=5)]).tick()).delivered == []
