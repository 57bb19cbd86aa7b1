"""Real conversations for trainers: where the bot fell back, was unsure, handed off or was
rated low — and, per customer message, what the model predicted and how jieba segmented it.

Tracker events are read from Rasa's `events` table through the same encrypted column type
the tracker store writes with (bot/storage/crypto.py), so this works from the server and
from the command line alike. Customer text is shown in its git-safe form
(bot/training/privacy.py): what a trainer sees is exactly what an export would write.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import jieba
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.knowledge import load_knowledge_base
from bot.nlu.lexicon import add_jieba_words
from bot.storage import models as m
from bot.storage.crypto import EncryptedJSONText, mask_personal_data
from bot.storage.db import engine_for, session_scope
from bot.training.privacy import safe_entities, safe_text

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback", "action_two_stage_fallback")
KINDS = ("fallback", "low_confidence", "handoff", "low_csat", "reopened")
LOW_CSAT = 2
SCAN_LIMIT = 300

EVENTS = sa.Table(
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", EncryptedJSONText()),
)


@dataclass(frozen=True)
class Filters:
    kinds: frozenset[str] = frozenset()  # any of KINDS; a conversation must show all of them
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    threshold: float = 0.6  # "low confidence" is below this
    limit: int = 100


@dataclass
class Summary:
    sender_id: str
    channel: str
    started_at: float
    last_at: float
    messages: int = 0
    fallbacks: int = 0
    min_confidence: float | None = None
    handoff: bool = False
    csat: int | None = None
    reopened: bool = False
    annotated: int = 0
    story_marked: bool = False
    preview: str = ""
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sender_id": self.sender_id, "channel": self.channel,
            "started_at": _iso(self.started_at), "last_at": _iso(self.last_at),
            "messages": self.messages, "fallbacks": self.fallbacks,
            "min_confidence": None if self.min_confidence is None else round(self.min_confidence, 4),
            "handoff": self.handoff, "csat": self.csat, "reopened": self.reopened,
            "annotated": self.annotated, "story_marked": self.story_marked,
            "preview": self.preview, "flags": self.flags,
        }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


@functools.lru_cache(maxsize=1)
def _jieba_ready() -> bool:
    add_jieba_words(load_knowledge_base().jieba_words())
    return True


def tokens(text: str) -> list[dict[str, Any]]:
    """jieba's segmentation (with the knowledge-base words, as the NLU tokenizer has it) with
    character offsets; whitespace tokens are dropped like KnowledgeBaseJiebaTokenizer does."""
    _jieba_ready()
    return [{"text": word, "start": start, "end": end}
            for word, start, end in jieba.tokenize(text) if word.strip()]


class Review:
    def __init__(self, database_url: str) -> None:
        self.url = database_url

    # --- the list ------------------------------------------------------------------------------
    def conversations(self, filters: Filters) -> list[dict[str, Any]]:
        summaries = self._summaries(filters)
        self._add_records(summaries)
        chosen = [s for s in summaries.values() if _matches(s, filters)]
        chosen.sort(key=lambda s: s.last_at, reverse=True)
        return [s.as_dict() for s in chosen[: filters.limit]]

    def _summaries(self, filters: Filters) -> dict[str, Summary]:
        last = sa.func.max(EVENTS.c.timestamp)
        query = (sa.select(EVENTS.c.sender_id, sa.func.min(EVENTS.c.timestamp), last)
                 .group_by(EVENTS.c.sender_id).order_by(last.desc()).limit(SCAN_LIMIT))
        if filters.since is not None:
            query = query.having(last >= filters.since.replace(tzinfo=timezone.utc).timestamp())
        if filters.until is not None:
            query = query.having(sa.func.min(EVENTS.c.timestamp) <= filters.until.replace(tzinfo=timezone.utc)
                                 .timestamp())
        try:
            with engine_for(self.url).connect() as connection:
                rows = connection.execute(query).all()
                senders = [row[0] for row in rows]
                events = connection.execute(
                    sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.intent_name, EVENTS.c.action_name,
                              EVENTS.c.data)
                    .where(EVENTS.c.sender_id.in_(senders), EVENTS.c.type_name.in_(("user", "action")))
                    .order_by(EVENTS.c.id)).all() if senders else []
        except (OperationalError, ProgrammingError):
            return {}  # no conversation yet: Rasa creates the table with the first tracker
        out = {row[0]: Summary(row[0], "", float(row[1] or 0), float(row[2] or 0)) for row in rows}
        for sender, type_name, intent_name, action_name, data in events:
            _count(out[sender], type_name, intent_name, action_name, data)
        return out

    def _add_records(self, summaries: dict[str, Summary]) -> None:
        if not summaries:
            return
        senders = list(summaries)
        with session_scope(self.url) as session:
            conversations = session.execute(
                sa.select(m.Conversation.id, m.Conversation.sender_id, m.Conversation.channel)
                .where(m.Conversation.sender_id.in_(senders))).all()
            by_id = {cid: sender for cid, sender, _ in conversations}
            for _, sender, channel in conversations:
                summaries[sender].channel = channel or summaries[sender].channel
            for (cid,) in session.execute(sa.select(m.Handoff.conversation_id)
                                          .where(m.Handoff.conversation_id.in_(by_id))).all():
                summaries[by_id[cid]].handoff = True
            complaints = session.execute(
                sa.select(m.Complaint.id, m.Complaint.conversation_id, m.Complaint.status)
                .where(m.Complaint.conversation_id.in_(by_id))).all()
            complaint_sender = {cid: by_id[conv] for cid, conv, _ in complaints}
            for _, conv, status in complaints:
                summaries[by_id[conv]].reopened |= status == "reopened"
            for complaint_id, solved, score in session.execute(
                    sa.select(m.Csat.complaint_id, m.Csat.solved, m.Csat.score)
                    .where(m.Csat.complaint_id.in_(complaint_sender))).all():
                summary = summaries[complaint_sender[complaint_id]]
                summary.csat = score if summary.csat is None else min(summary.csat, score)
                summary.reopened |= not (solved and score >= 4)
            for (sender,) in session.execute(sa.select(m.TrainingAnnotation.sender_id)
                                             .where(m.TrainingAnnotation.sender_id.in_(senders))).all():
                summaries[sender].annotated += 1
            for (sender,) in session.execute(sa.select(m.TestStoryMark.sender_id)
                                             .where(m.TestStoryMark.sender_id.in_(senders))).all():
                summaries[sender].story_marked = True

    # --- one conversation ----------------------------------------------------------------------
    def conversation(self, sender_id: str) -> dict[str, Any] | None:
        try:
            with engine_for(self.url).connect() as connection:
                rows = connection.execute(
                    sa.select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.action_name, EVENTS.c.data)
                    .where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)).all()
        except (OperationalError, ProgrammingError):
            return None
        if not rows:
            return None
        annotations = self._annotations(sender_id)
        lines: list[dict[str, Any]] = []
        for event_id, type_name, action_name, data in rows:
            line = _line(event_id, type_name, action_name, _load(data), annotations)
            if line is not None:
                _after_user(lines, line)
                lines.append(line)
        with session_scope(self.url) as session:
            mark = session.execute(sa.select(m.TestStoryMark).where(m.TestStoryMark.sender_id == sender_id)
                                   ).scalar_one_or_none()
        story = {"name": mark.name, "status": mark.status, "note": mark.note} if mark else None
        return {"sender_id": sender_id, "lines": lines, "story": story}

    def _annotations(self, sender_id: str) -> dict[int, dict[str, Any]]:
        with session_scope(self.url) as session:
            rows = session.execute(sa.select(m.TrainingAnnotation)
                                   .where(m.TrainingAnnotation.sender_id == sender_id)).scalars().all()
            return {row.event_id: {"intent": row.intent, "entities": row.entities, "status": row.status,
                                   "note": row.note, "author": row.author} for row in rows}

    def user_message(self, sender_id: str, event_id: int) -> dict[str, Any] | None:
        """One customer message as the trainer page shows it (for annotating)."""
        with engine_for(self.url).connect() as connection:
            row = connection.execute(
                sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == sender_id, EVENTS.c.id == event_id,
                                               EVENTS.c.type_name == "user")).first()
        return _user_line(event_id, _load(row[0])) if row else None


def _load(data: str | None) -> dict[str, Any]:
    try:
        return json.loads(data or "{}")
    except ValueError:
        return {}


def _count(summary: Summary, type_name: str, intent: str | None, action: str | None, data: str | None) -> None:
    if type_name == "action":
        summary.fallbacks += action in FALLBACK_ACTIONS
        return
    event = _load(data)
    summary.channel = summary.channel or str(event.get("input_channel") or "")
    if event.get("text") is None:
        return
    summary.messages += 1
    summary.preview = summary.preview or mask_personal_data(str(event["text"]))[:60]
    summary.fallbacks += intent == FALLBACK_INTENT
    confidence = _confidence(event.get("parse_data") or {})
    if confidence is not None:
        summary.min_confidence = confidence if summary.min_confidence is None else min(summary.min_confidence,
                                                                                       confidence)


def _confidence(parse: dict[str, Any]) -> float | None:
    """The classifier's own confidence: for nlu_fallback, that of the best real intent."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    if ranking:
        return float(ranking[0].get("confidence") or 0.0)
    intent = parse.get("intent") or {}
    return float(intent["confidence"]) if intent.get("confidence") is not None else None


def _matches(summary: Summary, filters: Filters) -> bool:
    flags = {
        "fallback": summary.fallbacks > 0,
        "low_confidence": summary.min_confidence is not None and summary.min_confidence < filters.threshold,
        "handoff": summary.handoff,
        "low_csat": summary.csat is not None and summary.csat <= LOW_CSAT,
        "reopened": summary.reopened,
    }
    summary.flags = [kind for kind in KINDS if flags[kind]]
    if filters.channel and summary.channel != filters.channel:
        return False
    return summary.messages > 0 and all(flags[kind] for kind in filters.kinds)


def _user_line(event_id: int, event: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("text") is None:
        return None
    parse = event.get("parse_data") or {}
    original = str(parse.get("text") or event["text"])
    text = safe_text(original)
    intent = parse.get("intent") or {}
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    return {
        "from": "customer", "event_id": event_id, "text": text, "at": float(event.get("timestamp") or 0),
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "best_intent": ranking[0]["name"] if ranking else intent.get("name"),
        "best_confidence": round(float(ranking[0].get("confidence") or 0.0), 4) if ranking else None,
        "ranking": [{"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0.0), 4)}
                    for r in ranking[:5]],
        "entities": [{k: e.get(k) for k in ("entity", "value", "start", "end")}
                     for e in safe_entities(original, text, parse.get("entities") or [])],
        "tokens": tokens(text),
        "fallback": intent.get("name") == FALLBACK_INTENT,
    }


def _line(event_id: int, type_name: str, action: str | None, event: dict[str, Any],
          annotations: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    if type_name == "user":
        line = _user_line(event_id, event)
        if line is not None:
            line["annotation"] = annotations.get(event_id)
        return line
    if type_name == "bot" and event.get("text"):
        source = "agent" if (event.get("metadata") or {}).get("source") == "agent" else "bot"
        return {"from": source, "text": mask_personal_data(safe_text(str(event["text"]))),
                "at": float(event.get("timestamp") or 0)}
    if type_name == "action" and action in FALLBACK_ACTIONS:
        return {"from": "system", "text": "机器人兜底回复", "action": action, "at": float(event.get("timestamp") or 0)}
    if type_name == "pause":
        return {"from": "system", "text": "已转人工", "at": float(event.get("timestamp") or 0)}
    return None


def _after_user(lines: list[dict[str, Any]], line: dict[str, Any]) -> None:
    """A fallback action marks the customer message before it as a fallback too."""
    if line.get("action") in FALLBACK_ACTIONS:
        for previous in reversed(lines):
            if previous["from"] == "customer":
                previous["fallback"] = True
                break

