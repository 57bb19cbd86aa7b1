"""Trainers' corrections and "good test story" marks, kept in the database until exported."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.storage import models as m
from bot.storage.db import session_scope
from bot.training.data import Paths, domain_entities, domain_intents
from bot.training.review import Review

STORY_NAME = re.compile(r"^[\w\u4e00-\u9fff ,.()\-]{1,100}$")


class AnnotationError(ValueError):
    """A refused annotation; `message` is Chinese, for the trainer page."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Correction:
    sender_id: str
    event_id: int
    intent: str
    entities: list[dict[str, Any]]  # {"start", "end", "entity"} on the git-safe text


class Annotations:
    def __init__(self, database_url: str, paths: Paths) -> None:
        self.url = database_url
        self.paths = paths
        self.review = Review(database_url)

    def annotate(self, correction: Correction, author: str) -> dict[str, Any]:
        message = self.review.user_message(correction.sender_id, correction.event_id)
        if message is None:
            raise AnnotationError(404, "not_found", "没有找到这条客户消息，刷新页面看看最新情况。")
        if correction.intent not in domain_intents(self.paths):
            raise AnnotationError(400, "unknown_intent", f"意图 {correction.intent} 不在 domain.yml 里，请从列表中选择。")
        entities = self._entities(message["text"], correction.entities)
        with session_scope(self.url) as session:
            row = session.execute(sa.select(m.TrainingAnnotation).where(
                m.TrainingAnnotation.sender_id == correction.sender_id,
                m.TrainingAnnotation.event_id == correction.event_id)).scalar_one_or_none()
            if row is None:
                row = m.TrainingAnnotation(sender_id=correction.sender_id, event_id=correction.event_id)
                session.add(row)
            row.text, row.intent, row.entities, row.author = message["text"], correction.intent, entities, author
            row.predicted_intent, row.confidence = message["best_intent"], message["best_confidence"]
            row.status, row.note, row.target_file = "pending", None, None
        return {"event_id": correction.event_id, "text": message["text"], "intent": correction.intent,
                "entities": entities, "status": "pending"}

    def _entities(self, text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        known = set(domain_entities(self.paths))
        out: list[dict[str, Any]] = []
        for span in spans:
            start, end, entity = span.get("start"), span.get("end"), span.get("entity")
            if entity not in known:
                raise AnnotationError(400, "unknown_entity", f"实体类型 {entity} 不在 domain.yml 里。")
            if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
                raise AnnotationError(400, "bad_span", "实体的位置不在这句话里，请重新选择分词。")
            if any(start < other["end"] and other["start"] < end for other in out):
                raise AnnotationError(400, "overlap", "两个实体的范围重叠了，请调整后再保存。")
            if "[" in text[start:end] or "]" in text[start:end]:
                raise AnnotationError(400, "bad_span", "实体请选不含方括号的分词。")
            out.append({"start": start, "end": end, "entity": entity, "value": text[start:end]})
        return sorted(out, key=lambda e: e["start"])

    def mark_story(self, sender_id: str, name: str, author: str) -> dict[str, Any]:
        name = (name or "").strip() or f"reviewed {sender_id[-24:]}"
        name = re.sub(r"[^\w\u4e00-\u9fff ,.()\-]", "-", name)[:100]
        if not STORY_NAME.match(name):
            raise AnnotationError(400, "bad_name", "故事名称请用中文、字母、数字或空格。")
        if self.review.conversation(sender_id) is None:
            raise AnnotationError(404, "not_found", "没有找到这段对话，刷新页面看看最新情况。")
        with session_scope(self.url) as session:
            row = session.execute(sa.select(m.TestStoryMark).where(m.TestStoryMark.sender_id == sender_id)
                                  ).scalar_one_or_none()
            if row is None:
                row = m.TestStoryMark(sender_id=sender_id)
                session.add(row)
            row.name, row.author, row.status, row.note = name, author, "pending", None
        return {"sender_id": sender_id, "name": name, "status": "pending"}

    def pending(self) -> dict[str, list[dict[str, Any]]]:
        with session_scope(self.url) as session:
            notes = session.execute(sa.select(m.TrainingAnnotation).order_by(m.TrainingAnnotation.created_at)
                                    ).scalars().all()
            stories = session.execute(sa.select(m.TestStoryMark).order_by(m.TestStoryMark.created_at)
                                      ).scalars().all()
            return {
                "annotations": [{"id": a.id, "sender_id": a.sender_id, "event_id": a.event_id, "text": a.text,
                                 "intent": a.intent, "predicted_intent": a.predicted_intent,
                                 "entities": a.entities, "status": a.status, "note": a.note,
                                 "target_file": a.target_file, "author": a.author} for a in notes],
                "stories": [{"id": s.id, "sender_id": s.sender_id, "name": s.name, "status": s.status,
                             "note": s.note, "author": s.author} for s in stories],
            }
