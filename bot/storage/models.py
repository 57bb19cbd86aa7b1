"""Tables of the product's own records. Trackers live in Rasa's SQLTrackerStore beside them."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.storage.crypto import EncryptedText

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


class Customer(Base):
    __tablename__ = "customers"
    id = Column(String(32), primary_key=True, default=new_id)
    external_id = Column(String(64), unique=True, nullable=True)  # the shop's customer id
    tier = Column(String(16), nullable=False, default="normal")
    name = Column(EncryptedText(512), nullable=True)
    phone = Column(EncryptedText(512), nullable=True)
    phone_masked = Column(String(16), nullable=True)
    phone_hash = Column(String(64), nullable=True, index=True)
    # the shop's WeChat OpenID for this customer, as a keyed hash: proves an order is theirs
    wechat_openid_hash = Column(String(64), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    order_id = Column(String(32), primary_key=True)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=True, index=True)
    product = Column(String(64), nullable=False)
    price = Column(Numeric(12, 2), nullable=False)
    purchased_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, nullable=True)
    channel = Column(String(16), nullable=False, default="online")
    repairs_done = Column(Integer, nullable=False, default=0)


class Conversation(Base):
    __tablename__ = "conversations"
    id = Column(String(32), primary_key=True, default=new_id)
    sender_id = Column(String(128), nullable=False, unique=True)  # Rasa's conversation id
    channel = Column(String(32), nullable=False)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=True, index=True)
    status = Column(String(16), nullable=False, default="bot")  # bot/handed_off/agent/closed
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Complaint(Base):
    __tablename__ = "complaints"
    id = Column(String(32), primary_key=True, default=new_id)
    reference = Column(String(24), nullable=False, unique=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=True, index=True)
    order_id = Column(String(32), nullable=True, index=True)
    type = Column(String(16), nullable=False)
    severity = Column(Integer, nullable=False, default=1)
    facts = Column(JSON, nullable=False, default=dict)
    valid = Column(Boolean, nullable=True)
    validity_note = Column(Text, nullable=True)
    remedy = Column(String(16), nullable=True)
    remedy_detail = Column(JSON, nullable=True)
    compensation_amount = Column(Numeric(12, 2), nullable=True)
    approval = Column(String(16), nullable=True)  # pending/approved/rejected
    # open → proposed → accepted → in_progress → resolved/reopened → closed
    status = Column(String(16), nullable=False, default="open")
    channel = Column(String(32), nullable=False)
    sla_due_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    conversation = relationship("Conversation")

    __table_args__ = (
        Index("ix_complaints_created", "created_at"),
        # the supervisor dashboard filters by channel or type over a period (0007)
        Index("ix_complaints_channel_created", "channel", "created_at"),
        Index("ix_complaints_type_created", "type", "created_at"),
    )


class Handoff(Base):
    __tablename__ = "handoffs"
    id = Column(String(32), primary_key=True, default=new_id)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    complaint_id = Column(String(32), ForeignKey("complaints.id"), nullable=True, index=True)
    severity = Column(Integer, nullable=False, default=3)
    reasons = Column(JSON, nullable=False, default=list)
    status = Column(String(16), nullable=False, default="queued")  # queued/claimed/returned/closed
    agent_id = Column(String(32), nullable=True)
    callback = Column(Boolean, nullable=False, default=False)
    sla_due_at = Column(DateTime, nullable=True)
    claimed_at = Column(DateTime, nullable=True)  # first claim = the SLA acknowledgement
    closed_at = Column(DateTime, nullable=True)
    resolution = Column(EncryptedText(4096), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class HandoffNote(Base):
    """An agent's internal note on a handoff (never shown to the customer)."""

    __tablename__ = "handoff_notes"
    id = Column(String(32), primary_key=True, default=new_id)
    handoff_id = Column(String(32), ForeignKey("handoffs.id"), nullable=False, index=True)
    author = Column(String(64), nullable=False)
    text = Column(EncryptedText(8192), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class ConsoleUser(Base):
    """A person who logs into the console: agent, supervisor, trainer or admin."""

    __tablename__ = "console_users"
    id = Column(String(32), primary_key=True, default=new_id)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    role = Column(String(16), nullable=False)
    password_hash = Column(String(256), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime, nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime, nullable=True)


class ConsoleSession(Base):
    """Server-side console sessions: the cookie holds a random key, the row its data.

    Only a hash of the key is stored, so a database dump does not hand out sessions.
    """

    __tablename__ = "console_sessions"
    key_hash = Column(String(64), primary_key=True)
    data = Column(JSON, nullable=False, default=dict)
    expires_at = Column(DateTime, nullable=False, index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    target = Column(String(64), nullable=True, index=True)
    detail = Column(JSON, nullable=False, default=dict)


class FollowUp(Base):
    """A return visit (回访). Status: scheduled → sending → sent → (reminded) → answered or
    no_answer; a failed delivery goes to retry (next_attempt_at) and, after the last attempt,
    to failed (shown in the console). `messages` holds what the bot said, written once, so a
    retried delivery re-sends the same words instead of running the dialogue again."""

    __tablename__ = "follow_ups"
    id = Column(String(32), primary_key=True, default=new_id)
    complaint_id = Column(String(32), ForeignKey("complaints.id"), nullable=False, index=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False)
    channel = Column(String(32), nullable=False)
    due_at = Column(DateTime, nullable=False)
    status = Column(String(16), nullable=False, default="scheduled")
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    next_attempt_at = Column(DateTime, nullable=True)
    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(DateTime, nullable=True)
    messages = Column(JSON, nullable=True)
    sent_at = Column(DateTime, nullable=True)
    sent_via = Column(String(32), nullable=True)
    reminded_at = Column(DateTime, nullable=True)
    answered_at = Column(DateTime, nullable=True)
    last_error = Column(String(256), nullable=True)

    __table_args__ = (Index("ix_follow_ups_due", "status", "due_at"),)


class Csat(Base):
    """The customer's answer to a follow-up: solved or not, a 1-5 rating, a comment."""

    __tablename__ = "csat"
    id = Column(String(32), primary_key=True, default=new_id)
    complaint_id = Column(String(32), ForeignKey("complaints.id"), nullable=False, index=True)
    follow_up_id = Column(String(32), ForeignKey("follow_ups.id"), nullable=True)
    solved = Column(Boolean, nullable=False)
    score = Column(Integer, nullable=False)
    comment = Column(EncryptedText(4096), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class SlaBreach(Base):
    """A complaint or handoff that passed its SLA deadline and was raised one level."""

    __tablename__ = "sla_breaches"
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(16), nullable=False)  # complaint / handoff
    target_id = Column(String(32), nullable=False, index=True)
    from_level = Column(Integer, nullable=False)
    to_level = Column(Integer, nullable=False)
    due_at = Column(DateTime, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    __table_args__ = (UniqueConstraint("kind", "target_id", "due_at"),)


class OutboxMessage(Base):
    """A message for a customer who is not connected right now: delivered, in order, on
    their next visit (socket.io reconnect or next REST message); survives restarts."""

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True, autoincrement=True)
    sender_id = Column(String(128), nullable=False)
    channel = Column(String(32), nullable=False)
    payload = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime, nullable=True)
    claim_token = Column(String(32), nullable=True, index=True)
    __table_args__ = (Index("ix_outbox_pending", "sender_id", "delivered_at"),)


class SmsMessage(Base):
    """The local SMS outbox (the default SMS adapter): what a gateway would send."""

    __tablename__ = "sms_outbox"
    id = Column(Integer, primary_key=True, autoincrement=True)
    phone = Column(EncryptedText(512), nullable=False)
    phone_masked = Column(String(16), nullable=False)
    text = Column(EncryptedText(2048), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class ComplaintCounter(Base):
    """Daily sequence for human-readable complaint references (TS20261123-0001)."""

    __tablename__ = "complaint_counters"
    day = Column(String(8), primary_key=True)
    value = Column(Integer, nullable=False, default=0)
    __table_args__ = (UniqueConstraint("day"),)


class WeChatInbox(Base):
    """Every WeChat push seen, keyed by MsgId (or FromUserName+CreateTime for events).

    The unique key makes a retried push run the bot once across processes; received_at per
    openid gives the 48-hour customer-service window. While the turn runs (`processing`) the
    row is leased: `claimed_by` holds it until `lease_until`, renewed while the holder lives;
    a retry that finds the lease run out (the holder died) takes the push over
    (bot/channels/wechat_inbox.py). A row without a lease (written before 0012) is held.
    """

    __tablename__ = "wechat_inbox"
    dedupe_key = Column(String(128), primary_key=True)
    openid = Column(String(64), nullable=False, index=True)
    received_at = Column(DateTime, nullable=False, default=utcnow)
    state = Column(String(16), nullable=False, default="processing")  # processing/replied/sent/queued/failed
    reply = Column(Text, nullable=True)
    claimed_by = Column(String(64), nullable=True)  # "host:pid:nonce" of the turn's holder
    lease_until = Column(DateTime, nullable=True)


class Evidence(Base):
    """A photo a customer attached (stored outside the web root, shown to agents)."""

    __tablename__ = "evidence"
    id = Column(String(32), primary_key=True, default=new_id)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    complaint_id = Column(String(32), ForeignKey("complaints.id"), nullable=True)
    media_type = Column(String(32), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    path = Column(String(256), nullable=False)  # relative to var/uploads
    created_at = Column(DateTime, nullable=False, default=utcnow)


class TrainingAnnotation(Base):
    """A trainer's correction of one customer message (issue 7): the intent and entity spans
    it should have had. `text` is already made safe for git (bot/training/privacy.py), so it is
    stored as is; it becomes an NLU example on export."""

    __tablename__ = "training_annotations"
    id = Column(String(32), primary_key=True, default=new_id)
    sender_id = Column(String(128), nullable=False, index=True)
    event_id = Column(Integer, nullable=False)  # the user event's row id in Rasa's events table
    text = Column(Text, nullable=False)
    predicted_intent = Column(String(64), nullable=True)
    confidence = Column(Numeric(6, 4), nullable=True)
    intent = Column(String(64), nullable=False)
    entities = Column(JSON, nullable=False, default=list)
    author = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, default="pending")  # pending/exported/refused
    note = Column(String(256), nullable=True)  # why an export refused it (Chinese)
    target_file = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("sender_id", "event_id"),)


class TestStoryMark(Base):
    """A conversation a trainer marked as a good test story (exported under tests/stories/)."""

    __tablename__ = "training_story_marks"
    __test__ = False  # not a pytest class despite the name
    id = Column(String(32), primary_key=True, default=new_id)
    sender_id = Column(String(128), nullable=False, unique=True)
    name = Column(String(128), nullable=False)
    author = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, default="pending")  # pending/exported/refused
    note = Column(String(256), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class WorkOrder(Base):
    """A piece of work the shop carries out for a confirmed remedy (工单): a pickup, a
    shipment, a repair, a refund, a coupon, a payout, feedback to a team. States and the
    allowed moves: bot/workorders/states.py. The address is personal data: encrypted here,
    shown masked (`address_masked`) to staff without the right to see it."""

    __tablename__ = "work_orders"
    id = Column(String(32), primary_key=True, default=new_id)
    reference = Column(String(32), nullable=False, unique=True)  # TS20261123-0001-1
    complaint_id = Column(String(32), ForeignKey("complaints.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    team = Column(String(32), nullable=False)
    state = Column(String(16), nullable=False, default="created")
    origin = Column(String(16), nullable=False, default="bot")  # bot / agent
    remedy = Column(String(16), nullable=True)  # the remedy kind it carries out
    facts = Column(JSON, nullable=False, default=dict)  # order_id, amount, time_slot
    address = Column(EncryptedText(2048), nullable=True)  # sizes: migration 0009
    address_masked = Column(String(128), nullable=True)
    failure_reason = Column(EncryptedText(4096), nullable=True)
    team_note = Column(EncryptedText(4096), nullable=True)  # staff's note for the team (500 characters, encrypted)
    created_by = Column(String(64), nullable=False, default="bot")
    due_at = Column(DateTime, nullable=False)  # the SLA of its kind (knowledge_base/work_orders.yml)
    escalated_at = Column(DateTime, nullable=True)  # overdue and handed to a person, once
    created_at = Column(DateTime, nullable=False, default=utcnow)
    accepted_at = Column(DateTime, nullable=True)
    scheduled_at = Column(DateTime, nullable=True)
    started_at = Column(DateTime, nullable=True)
    done_at = Column(DateTime, nullable=True)
    failed_at = Column(DateTime, nullable=True)
    cancelled_at = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_work_orders_state_due", "state", "due_at"),)


class WorkOrderEvent(Base):
    """One move of a work order (who, when, from, to). `customer_text` is what the customer is
    told about it; `notified_at` is set once it went out, so each change is sent once."""

    __tablename__ = "work_order_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    work_order_id = Column(String(32), ForeignKey("work_orders.id"), nullable=False, index=True)
    from_state = Column(String(16), nullable=True)
    to_state = Column(String(16), nullable=False)
    actor = Column(String(64), nullable=False)
    note = Column(EncryptedText(4096), nullable=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    customer_text = Column(Text, nullable=True)
    notified_at = Column(DateTime, nullable=True)
    __table_args__ = (Index("ix_work_order_events_unnotified", "notified_at"),)


class ShopEvent(Base):
    """A work-order event waiting for (or delivered to) the shop's system: the durable outbox
    of the signed webhook (bot/workorders/shop.py). Sent strictly in id order; a failure waits
    with back-off, and after the last attempt the event is `dead` (supervisors see the list)."""

    __tablename__ = "shop_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    work_order_id = Column(String(32), ForeignKey("work_orders.id"), nullable=False, index=True)
    idempotency_key = Column(String(64), nullable=False, unique=True)
    payload = Column(EncryptedText(8192), nullable=False)  # JSON; holds the address
    status = Column(String(16), nullable=False, default="pending")  # pending / sent / dead
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=True)
    claimed_until = Column(DateTime, nullable=True)
    last_error = Column(String(256), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime, nullable=True)
    __table_args__ = (Index("ix_shop_events_status", "status", "id"),)


class ShopCallback(Base):
    """A status callback from the shop's system already applied: a replay changes nothing."""

    __tablename__ = "shop_callbacks"
    callback_id = Column(String(64), primary_key=True)
    work_order_id = Column(String(32), nullable=False)
    state = Column(String(16), nullable=False)
    received_at = Column(DateTime, nullable=False, default=utcnow)


class ShopTokenUse(Base):
    """A shop login token and the conversation that first presented it (bot/channels/
    shop_login.py): the token proves its account to that conversation only."""

    __tablename__ = "shop_token_uses"
    token_digest = Column(String(64), primary_key=True)  # SHA-256 of the token, never the token
    sender_id = Column(String(128), nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)
    bound_at = Column(DateTime, nullable=False, default=utcnow)
