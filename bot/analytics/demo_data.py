"""Realistic demo records for the supervisor dashboard (`qingting seed-demo`).

Several months of complaints of every type and product of the knowledge base, with handoffs
and their reasons, remedies and compensation (some above the goodwill cap, approved or not),
follow-ups and CSAT answers (some reopening the complaint, which then goes to a person),
SLA breaches, and a short transcript for the most recent conversations. Deterministic for a
seed. The records follow the real flows (bot/complaints.py, bot/console/desk.py) and store
personal data the same way (encrypted name and phone, masked phone, keyed hash).

Demo data is history: no handoff waits in the queue, no follow-up is still to be sent and no
complaint is open past its deadline, so a running server sends nothing to demo customers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.knowledge import KnowledgeBase
from bot.storage import models as m
from bot.storage.crypto import lookup_hash, mask_personal_data, mask_phone
from bot.storage.db import engine_for, session_scope

BATCH = 5000
SENDER_PREFIX = "demo-"
TYPE_WEIGHTS = {"quality": 34, "delivery": 22, "after_sales": 15, "billing": 12, "service": 11, "incident": 6}
CHANNEL_WEIGHTS = {"wechat": 40, "h5": 30, "socketio": 18, "rest": 12}
TIER_WEIGHTS = {"normal": 70, "silver": 15, "gold": 10, "vip": 5}
# Local hour of day a complaint arrives (0-23): evenings and lunch time are busiest.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 10, 9, 8, 8, 8, 9, 10, 12, 12, 10, 6, 3]
SEVERITY_WEIGHTS = {"incident": (10, 40, 50), "service": (55, 33, 12)}
DEFAULT_SEVERITY = (66, 26, 8)
HANDOFF_CHANCE = {1: 0.07, 2: 0.28, 3: 0.86}
REASONS_BY_SEVERITY = {
    1: ["asked_for_person", "bot_failed_twice", "remedies_rejected", "above_cap"],
    2: ["asked_for_person", "strong_anger", "repeat_complaint", "high_value_order", "above_cap", "remedies_rejected"],
    3: ["escalation:regulator", "escalation:media", "escalation:legal", "abuse", "extreme_anger", "ultimatum",
        "asked_for_person", "escalation:dismissal"],
}
INCIDENT_REASONS = ["danger:fire", "danger:electric", "danger:injury", "danger:food", "child_at_risk", "incident"]
CSAT_WEIGHTS = (2, 3, 6, 30, 59)
STATEMENTS = {
    "quality": ["我买的{p}才用了几天就坏了", "{p}一直有异响，用着很不放心", "收到的{p}有明显划痕和瑕疵",
                "{p}开不了机了，联系电话{phone}"],
    "delivery": ["{p}下单一周了还没送到", "快递把{p}的包装压坏了", "收到的{p}型号和订单不一致"],
    "after_sales": ["{p}报修三次了还没修好", "约好上门维修{p}的师傅没来", "{p}维修后问题又出现了"],
    "billing": ["买{p}说好的优惠没有给我", "{p}的账单多扣了一笔钱", "{p}降价了想申请退差价"],
    "service": ["门店店员态度很差，买{p}时被冷落", "客服电话一直没人接", "售货员对我很不耐烦"],
    "incident": ["{p}用着突然冒烟了", "{p}漏电，手被电了一下", "吃了{p}以后肚子不舒服"],
}
RESOLUTIONS = ["已为客户办理换货，客户表示认可", "已安排师傅上门检修并致歉", "已退还差价并发放优惠券",
               "已核实账单并退还多收费用", "已升级处理并电话回访致歉", "已按三包规定办理退货退款"]
COMMENTS = ["处理很及时，谢谢", "客服态度很好", "希望以后质量更好一些", "等得有点久", "问题解决了，满意",
            "还是有点麻烦"]
AGENT_REPLY = "您好，我是客服小李，非常抱歉给您添了麻烦，这件事由我来跟进处理。"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂"


@dataclass(frozen=True)
class DemoPlan:
    complaints: int = 6000
    months: int = 6
    seed: int = 7
    transcripts: int = 1500  # the most recent complaints get a short transcript
    end: datetime | None = None  # naive UTC; default now


@dataclass
class Rows:
    customers: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    complaints: list[dict[str, Any]] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    csat: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in vars(self).items()}


class DemoGenerator:
    """Builds the rows in memory (deterministic for the plan's seed)."""

    def __init__(self, kb: KnowledgeBase, plan: DemoPlan) -> None:
        self.kb = kb
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.tz = ZoneInfo(kb.service.timezone)
        self.end = plan.end or m.utcnow() - timedelta(minutes=30)
        self.start = self.end - timedelta(days=30 * plan.months)
        # Arrivals stop a day early, so every handoff is claimed and closed by `end`.
        self.last_arrival = self.end - timedelta(days=1)
        self.breached: set[str] = set()
        self.rows = Rows()
        self.references: dict[str, int] = {}
        self.products = [p.name for p in kb.products.products]
        self.pool = [self._customer() for _ in range(max(1, int(plan.complaints * 0.6)))]

    # --- helpers ---------------------------------------------------------------------------
    def _id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _local(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.tz).replace(tzinfo=None)

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    def _customer(self) -> dict[str, Any]:
        phone = "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))
        name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
        return {"id": self._id(), "tier": self._pick(TIER_WEIGHTS), "name": name, "phone": phone,
                "phone_masked": mask_phone(phone), "phone_hash": lookup_hash(phone), "used": False}

    def _arrivals(self) -> list[datetime]:
        """Arrival times (naive UTC): more at weekends and in the evening, growing slowly,
        plus a two-week burst of kettle quality complaints (see _kind_and_product)."""
        days = [self.start + timedelta(days=i) for i in range((self.last_arrival - self.start).days + 1)]
        weights = [(1.25 if self._local(d).weekday() >= 5 else 1.0) * (0.8 + 0.4 * i / len(days))
                   for i, d in enumerate(days)]
        chosen = self.rng.choices(days, weights=weights, k=self.plan.complaints)
        out = []
        for day in chosen:
            local = self._local(day).replace(hour=0, minute=0, second=0, microsecond=0)
            hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            moment = self._utc(local + timedelta(hours=hour, seconds=self.rng.randrange(3600)))
            out.append(min(max(moment, self.start), self.last_arrival))
        return sorted(out)

    def _kind_and_product(self, at: datetime) -> tuple[str, str | None]:
        burst_start = self.end - timedelta(days=min(70, 30 * self.plan.months // 2))
        if burst_start <= at < burst_start + timedelta(days=14) and self.rng.random() < 0.35:
            return "quality", "电水壶"
        kind = self._pick(TYPE_WEIGHTS)
        if kind in ("service", "billing") and self.rng.random() < 0.3:
            return kind, None
        if kind == "incident":
            return kind, self.rng.choice(["电水壶", "电饭煲", "热水器", "微波炉", "奶粉", "坚果礼包", "空调"])
        return kind, self.rng.choice(self.products)

    def _reference(self, at: datetime) -> str:
        day = self._local(at).strftime("%Y%m%d")
        self.references[day] = self.references.get(day, 0) + 1
        return f"DM{day}-{self.plan.seed % 1000:03d}{self.references[day]:04d}"

    # --- one complaint and what followed ---------------------------------------------------------
    def build(self) -> Rows:
        for index, at in enumerate(self._arrivals()):
            self._complaint(index, at)
        self.rows.customers = [{k: v for k, v in c.items() if k != "used"} for c in self.pool if c["used"]]
        return self.rows

    def _complaint(self, index: int, at: datetime) -> None:
        kind, product = self._kind_and_product(at)
        severity = 1 + self.rng.choices(range(3), weights=SEVERITY_WEIGHTS.get(kind, DEFAULT_SEVERITY))[0]
        customer = self.rng.choice(self.pool) if self.rng.random() < 0.78 else None
        if customer is not None:
            customer["used"] = True
        channel = self._pick(CHANNEL_WEIGHTS)
        conversation = {"id": self._id(), "sender_id": f"{SENDER_PREFIX}{self.plan.seed}-{index:07d}",
                        "channel": channel, "customer_id": customer["id"] if customer else None,
                        "status": "closed", "created_at": at, "updated_at": at}
        self.rows.conversations.append(conversation)
        statement = self.rng.choice(STATEMENTS[kind]).format(p=product or "商品", phone=customer["phone"]
                                                             if customer else "13800000000")
        complaint = {
            "id": self._id(), "reference": self._reference(at), "conversation_id": conversation["id"],
            "customer_id": conversation["customer_id"], "order_id": None, "type": kind, "severity": severity,
            "facts": {"product": product, "statements": [mask_personal_data(statement)], "signals": []},
            "valid": True, "validity_note": None, "remedy": None, "remedy_detail": None,
            "compensation_amount": None, "approval": None, "status": "open", "channel": channel,
            "sla_due_at": at + timedelta(minutes=self.kb.policies.sla_minutes[severity]),  # type: ignore[index]
            "created_at": at, "updated_at": at,
        }
        self.rows.complaints.append(complaint)
        self._remedy(complaint, customer["tier"] if customer else "normal")
        self._history(complaint, conversation)

    def _remedy(self, complaint: dict[str, Any], tier: str) -> None:
        if self.rng.random() < 0.06:
            return  # no remedy agreed yet (the customer is still thinking it over)
        kinds = self.kb.remedies.matrix[complaint["type"]]
        kind = self.rng.choices(kinds, weights=[len(kinds) - i for i in range(len(kinds))])[0]
        complaint["remedy"] = kind
        complaint["remedy_detail"] = {"kind": kind, "label": self.kb.remedy_label(kind)}
        if kind != "compensation":
            return
        above = self.rng.random() < 0.14
        # above the cap goes to a supervisor, and every handoff is severity 3 (bot/complaints.py)
        cap = self.kb.goodwill_cap(tier, 3 if above else complaint["severity"])
        amount = self.rng.randint(cap + 10, cap * 4) if above else self.rng.randint(5, cap)
        complaint["compensation_amount"] = Decimal(amount)
        complaint["approval"] = self.rng.choices(["approved", "rejected"], weights=(78, 22))[0] if above else None

    def _history(self, complaint: dict[str, Any], conversation: dict[str, Any]) -> None:
        at = complaint["created_at"]
        age = self.end - at
        handed = self.rng.random() < HANDOFF_CHANCE[complaint["severity"]] + (0.08 if complaint["type"] == "service"
                                                                              else 0.0)
        if complaint["approval"] is not None:
            handed = True  # a supervisor decided on compensation above the cap
        if handed:
            done = self._handoff(complaint, conversation, at + timedelta(minutes=self.rng.randint(2, 15)),
                                 self._reasons(complaint))
        else:
            done = at + timedelta(minutes=self.rng.randint(5, 40))
        if complaint["remedy"] is None:
            complaint["status"] = "resolved" if handed else "proposed"
            return
        if age < timedelta(days=2):
            complaint["status"] = self.rng.choice(["accepted", "in_progress"]) if not handed else "resolved"
            return
        complaint["status"] = "resolved" if handed else "in_progress"
        if self.rng.random() < 0.12 and not handed and complaint["severity"] < 3:
            self._escalated(complaint)
        self._follow_up(complaint, conversation, done)

    def _reasons(self, complaint: dict[str, Any]) -> list[str]:
        pool = INCIDENT_REASONS if complaint["type"] == "incident" else REASONS_BY_SEVERITY[complaint["severity"]]
        reasons = self.rng.sample(pool, k=self.rng.choice((1, 1, 1, 2)))
        if complaint["approval"] is not None and "above_cap" not in reasons:
            reasons.append("above_cap")
        return reasons

    def _handoff(self, complaint: dict[str, Any], conversation: dict[str, Any], at: datetime,
                 reasons: list[str]) -> datetime:
        """A handoff acknowledged after a realistic wait (some past the deadline), then closed."""
        local = self._local(at)
        on_duty = 9 <= local.hour < 21
        start = at if on_duty else self._utc((local if local.hour >= 9 else local - timedelta(days=1))
                                             .replace(hour=9, minute=0, second=0) + timedelta(days=1))
        due = start + timedelta(minutes=self.kb.policies.sla_minutes[3])  # type: ignore[index]
        claimed = start + timedelta(minutes=min(360.0, self.rng.lognormvariate(2.4, 0.8)))
        closed = claimed + timedelta(minutes=self.rng.randint(10, 180))
        handoff_id = self._id()
        self.rows.handoffs.append({
            "id": handoff_id, "conversation_id": conversation["id"], "complaint_id": complaint["id"], "severity": 3,
            "reasons": reasons, "status": self.rng.choices(["closed", "returned"], weights=(85, 15))[0],
            "agent_id": None, "callback": not on_duty, "sla_due_at": due, "claimed_at": claimed,
            "closed_at": closed, "resolution": self.rng.choice(RESOLUTIONS), "created_at": at, "updated_at": closed,
        })
        complaint["severity"] = 3
        if claimed > due:
            self.breached.add(complaint["id"])
            self.rows.breaches.append({"kind": "handoff", "target_id": handoff_id, "from_level": 3, "to_level": 3,
                                       "due_at": due, "at": due + timedelta(minutes=1)})
        return closed

    def _escalated(self, complaint: dict[str, Any]) -> None:
        before = complaint["severity"]
        self.breached.add(complaint["id"])
        self.rows.breaches.append({"kind": "complaint", "target_id": complaint["id"], "from_level": before,
                                   "to_level": before + 1, "due_at": complaint["sla_due_at"],
                                   "at": complaint["sla_due_at"] + timedelta(minutes=1)})
        complaint["severity"] = before + 1

    def _follow_up(self, complaint: dict[str, Any], conversation: dict[str, Any], after: datetime) -> None:
        """The return visit; an unhappy answer reopens the complaint and hands it to a person."""
        due = after + timedelta(days=self.rng.choice((1, 1, 2)))
        if due + timedelta(hours=1) > self.end:
            return
        answered = self.rng.random() < 0.78
        sent = due + timedelta(seconds=self.rng.randint(1, 90))
        answer_at = sent + timedelta(minutes=self.rng.randint(2, 600))
        fu_id = self._id()
        self.rows.follow_ups.append({
            "id": fu_id, "complaint_id": complaint["id"], "conversation_id": conversation["id"],
            "channel": conversation["channel"], "due_at": due, "status": "answered" if answered else "no_answer",
            "attempts": 1, "created_at": after, "sent_at": sent, "sent_via": conversation["channel"],
            "reminded_at": None if answered else sent + timedelta(hours=24),
            "answered_at": answer_at if answered else None, "messages": None,
        })
        if not answered:
            return
        slow = complaint["id"] in self.breached
        score = 1 + self.rng.choices(range(5), weights=(12, 10, 14, 30, 34) if slow else CSAT_WEIGHTS)[0]
        solved = self.rng.random() < (0.97 if score >= 4 else 0.4)
        self._answer(complaint, fu_id, answer_at, solved, score)
        if solved and score >= 4:
            complaint["status"] = "closed"
            return
        reason = "low_csat" if solved else "followup_unsolved"
        if answer_at + timedelta(days=1) > self.end:
            complaint["status"] = "in_progress"  # an agent is on it again (not open: no deadline passes)
            return
        closed = self._handoff(complaint, conversation, answer_at + timedelta(minutes=1), [reason])
        complaint["status"] = "resolved"
        if self.rng.random() < 0.6 and closed + timedelta(days=1) < self.end:
            self._answer(complaint, None, closed + timedelta(days=1), True, self.rng.choice((3, 4, 4, 5)))
            complaint["status"] = "closed"

    def _answer(self, complaint: dict[str, Any], fu_id: str | None, at: datetime, solved: bool, score: int) -> None:
        comment = self.rng.choice(COMMENTS) if self.rng.random() < 0.3 else None
        self.rows.csat.append({"id": self._id(), "complaint_id": complaint["id"], "follow_up_id": fu_id,
                               "solved": solved, "score": score, "comment": comment, "created_at": at})
        complaint["updated_at"] = at


# --- writing ------------------------------------------------------------------------------------
def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start:start + BATCH]


def already_seeded(url: str, seed: int) -> bool:
    with session_scope(url) as db:
        return db.execute(select(m.Conversation.id).where(
            m.Conversation.sender_id.like(f"{SENDER_PREFIX}{seed}-%")).limit(1)).first() is not None


def write(url: str, rows: Rows) -> None:
    """Bulk inserts (executemany in batches), parents first, in one transaction."""
    tables = [(m.Customer, rows.customers), (m.Conversation, rows.conversations), (m.Complaint, rows.complaints),
              (m.Handoff, rows.handoffs), (m.FollowUp, rows.follow_ups), (m.Csat, rows.csat),
              (m.SlaBreach, rows.breaches)]
    with engine_for(url).begin() as conn:
        for model, table_rows in tables:
            for batch in _batches(table_rows):
                conn.execute(insert(model.__table__), batch)


def write_transcripts(url: str, kb: KnowledgeBase, rows: Rows, limit: int) -> int:
    """A short transcript in Rasa's tracker store for the `limit` most recent conversations."""
    if limit <= 0:
        return 0
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import (
        BotUttered,
        ConversationPaused,
        ConversationResumed,
        UserUttered,
    )

    from bot.runtime import encrypt_tracker_events

    encrypt_tracker_events()
    table = SQLTrackerStore.SQLEvent.__table__
    engine = engine_for(url)
    table.create(engine, checkfirst=True)
    by_conversation = {c["id"]: c for c in rows.conversations}
    handed = {h["complaint_id"] for h in rows.handoffs}
    events = []
    for complaint in rows.complaints[-limit:]:
        sender = by_conversation[complaint["conversation_id"]]["sender_id"]
        t = complaint["created_at"].replace(tzinfo=ZoneInfo("UTC")).timestamp()
        label = kb.complaint_types.types[complaint["type"]]
        lines = [UserUttered(complaint["facts"]["statements"][0], timestamp=t),
                 BotUttered(f"{label.empathy[0]}我已记录：{label.recorded}。", timestamp=t + 2)]
        if complaint["id"] in handed:
            lines += [ConversationPaused(timestamp=t + 60),
                      BotUttered(AGENT_REPLY, metadata={"source": "agent", "agent": "客服小李"}, timestamp=t + 300),
                      ConversationResumed(timestamp=t + 900)]
        for event in lines:
            events.append({"sender_id": sender, "type_name": event.type_name, "timestamp": event.timestamp,
                           "intent_name": None, "action_name": None, "data": json.dumps(event.as_dict())})
    with engine.begin() as conn:
        for batch in _batches(events):
            conn.execute(insert(table), batch)
    return len(events)


def seed_demo(url: str, kb: KnowledgeBase, plan: DemoPlan) -> dict[str, int]:
    """Generate and store the demo records; {} when this seed's records are already there."""
    if already_seeded(url, plan.seed):
        return {}
    rows = DemoGenerator(kb, plan).build()
    write(url, rows)
    counts = rows.counts()
    counts["transcript_events"] = write_transcripts(url, kb, rows, plan.transcripts)
    return counts
