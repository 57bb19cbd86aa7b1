"""Corrections → NLU examples, marked conversations → test stories, as clean git diffs.

An example is appended after the last example of its intent in the file where that intent's
examples already live (only added lines in the diff, the file's own indentation kept). A
text that is already there for that intent is refused as a duplicate, one that is there for
another intent (in nlu/ or tests/data/) as a conflict — each with the reason in Chinese.

Two trainers exporting at once are serialised by an exclusive lock on a file beside the
data (fcntl), and every file is written to a temporary file and moved into place
(os.replace), so a reader never sees half a file and nobody's lines are lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from bot.storage import models as m
from bot.storage.db import engine_for, session_scope
from bot.training.data import Block, Paths, annotated_entities, domain_of, scan, text_key
from bot.training.privacy import safe_text
from bot.training.review import EVENTS, FALLBACK_INTENT

NEW_NLU_FILE = "reviewed.yml"
SKIPPED_ACTIONS = {"action_listen", "action_session_start", "action_restart"}


@dataclass
class ExportResult:
    added: list[dict[str, Any]] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "stories": self.stories, "refused": self.refused,
                "files": sorted(set(self.files))}


@contextlib.contextmanager
def data_lock(paths: Paths) -> Iterator[None]:
    """One exporter (or trainer) at a time edits the data files, across processes."""
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def render_example(text: str, entities: list[dict[str, Any]]) -> str:
    """`订单QT1` + [{start 2, end 5, order_id}] → `订单[QT1](order_id)`, one line."""
    out, at = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        out += [text[at:entity["start"]], f"[{text[entity['start']:entity['end']]}]({entity['entity']})"]
        at = entity["end"]
    out.append(text[at:])
    return " ".join("".join(out).split())


class KnownExamples:
    """Every example text in nlu/ and tests/data/ → where it is and under which intent."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.where: dict[str, list[tuple[str, str, int]]] = {}
        self.blocks = scan([paths.nlu])
        for block in [*self.blocks, *scan([paths.test_data])]:
            if block.kind == "intent":
                for example in block.examples:
                    self.add(example.text, block.name, paths.rel(block.file), example.line)

    def add(self, text: str, intent: str, file: str, line: int) -> None:
        self.where.setdefault(text_key(text), []).append((intent, file, line))

    def refusal(self, text: str, intent: str) -> str | None:
        for other, file, line in self.where.get(text_key(text), []):
            if other == intent:
                return f"重复：这句话已经是 {intent} 的例句（{file} 第{line}行），无需再加。"
        for other, file, line in self.where.get(text_key(text), []):
            return f"冲突：同样的话在 {file} 第{line}行 标为 {other}，与 {intent} 矛盾，请先统一再导出。"
        return None

    def target(self, intent: str, has_entities: bool) -> Block | None:
        """Where the intent's examples already live: with annotated examples for an example
        with entities, otherwise the file holding most of them."""
        blocks = [b for b in self.blocks if b.kind == "intent" and b.name == intent]
        if not blocks:
            return None

        def score(block: Block) -> tuple[int, int]:
            annotated = sum(1 for e in block.examples if annotated_entities(e.text))
            return ((annotated > 0) == has_entities, len(block.examples))

        return max(blocks, key=score)


class Exporter:
    def __init__(self, database_url: str, paths: Paths) -> None:
        self.url = database_url
        self.paths = paths

    def export(self) -> ExportResult:
        with data_lock(self.paths):
            result = ExportResult()
            self._export_examples(result)
            self._export_stories(result)
            return result

    # --- NLU examples --------------------------------------------------------------------------
    def _export_examples(self, result: ExportResult) -> None:
        known = KnownExamples(self.paths)
        inserts: dict[Path, list[tuple[int, str]]] = {}
        new_blocks: dict[str, list[str]] = {}
        outcome: dict[str, tuple[str, str | None, str | None]] = {}
        for row in self._pending(m.TrainingAnnotation):
            line = render_example(row.text, row.entities or [])
            reason = known.refusal(row.text, row.intent)
            if reason:
                outcome[row.id] = ("refused", reason, None)
                result.refused.append({"kind": "example", "text": row.text, "intent": row.intent, "reason": reason})
                continue
            block = known.target(row.intent, bool(row.entities))
            if block is None:
                file = self.paths.nlu / NEW_NLU_FILE
                new_blocks.setdefault(row.intent, []).append(line)
                known.add(row.text, row.intent, self.paths.rel(file), 0)
            else:
                file = block.file
                inserts.setdefault(file, []).append((block.last_line, f"{block.example_indent}- {line}"))
                known.add(row.text, row.intent, self.paths.rel(file), block.last_line + 1)
            outcome[row.id] = ("exported", None, self.paths.rel(file))
            result.added.append({"text": row.text, "intent": row.intent, "file": self.paths.rel(file),
                                 "example": line})
        for file, lines in inserts.items():
            self._insert(file, lines)
            result.files.append(self.paths.rel(file))
        if new_blocks:
            self._append_new_intents(new_blocks)
            result.files.append(self.paths.rel(self.paths.nlu / NEW_NLU_FILE))
        self._record(m.TrainingAnnotation, outcome)

    def _insert(self, file: Path, lines: list[tuple[int, str]]) -> None:
        text = file.read_text(encoding="utf-8")
        rows = text.splitlines(keepends=True)
        if rows and not rows[-1].endswith("\n"):
            rows[-1] += "\n"
        # Bottom first so earlier line numbers hold; the same spot in reverse keeps the order.
        for _, after, line in sorted(((i, a, t) for i, (a, t) in enumerate(lines)),
                                     key=lambda item: (item[1], item[0]), reverse=True):
            rows.insert(after, line + "\n")
        new = "".join(rows)
        yaml.safe_load(new)  # never write a file that no longer parses
        write_atomically(file, new)

    def _append_new_intents(self, blocks: dict[str, list[str]]) -> None:
        file = self.paths.nlu / NEW_NLU_FILE
        text = file.read_text(encoding="utf-8") if file.exists() else 'version: "3.1"\nnlu:\n'
        if not text.endswith("\n"):
            text += "\n"
        for intent, lines in blocks.items():
            text += f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {line}\n" for line in lines)
        yaml.safe_load(text)
        write_atomically(file, text)

    # --- test stories --------------------------------------------------------------------------
    def _export_stories(self, result: ExportResult) -> None:
        file = self.paths.reviewed_stories
        existing = file.read_text(encoding="utf-8") if file.exists() else 'version: "3.1"\nstories:\n'
        names = {s.get("story") for s in (yaml.safe_load(existing) or {}).get("stories") or []}
        added: list[str] = []
        outcome: dict[str, tuple[str, str | None, str | None]] = {}
        for row in self._pending(m.TestStoryMark):
            story, reason = self._story(row.sender_id, row.name)
            if reason is None and row.name in names:
                reason = f"重复：测试故事“{row.name}”已经在 {self.paths.rel(file)} 里。"
            if reason is not None:
                outcome[row.id] = ("refused", reason, None)
                result.refused.append({"kind": "story", "name": row.name, "reason": reason})
                continue
            names.add(row.name)
            added.append(story)
            outcome[row.id] = ("exported", None, self.paths.rel(file))
            result.stories.append({"name": row.name, "file": self.paths.rel(file)})
        if added:
            new = existing + ("" if existing.endswith("\n") else "\n") + "".join(added)
            yaml.safe_load(new)
            write_atomically(file, new)
            result.files.append(self.paths.rel(file))
        self._record(m.TestStoryMark, outcome)

    def _story(self, sender_id: str, name: str) -> tuple[str, str | None]:
        with engine_for(self.url).connect() as connection:
            rows = connection.execute(sa.select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.data)
                                      .where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)).all()
        with session_scope(self.url) as session:
            fixes = {a.event_id: a for a in session.execute(
                sa.select(m.TrainingAnnotation).where(m.TrainingAnnotation.sender_id == sender_id)).scalars()}
        slots = {name for name, slot in (domain_of(self.paths).get("slots") or {}).items()
                 if (slot or {}).get("influence_conversation", True)}
        steps: list[str] = []
        for event_id, type_name, data in rows:
            event = json.loads(data or "{}")
            if type_name == "pause" or (type_name == "session_started" and steps):
                break
            step = _step(event_id, type_name, event, fixes, slots)
            if isinstance(step, tuple):
                return "", step[1]
            if step:
                steps.append(step)
        if not any(s.startswith("    - user:") for s in steps):
            return "", "这段对话里没有客户消息，无法做成测试故事。"
        return f"  - story: {json.dumps(name, ensure_ascii=False)}\n    steps:\n" + "".join(steps), None

    # --- bookkeeping ---------------------------------------------------------------------------
    def _pending(self, model: Any) -> list[Any]:
        with session_scope(self.url) as session:
            return list(session.execute(sa.select(model).where(model.status == "pending")
                                        .order_by(model.created_at)).scalars())

    def _record(self, model: Any, outcome: dict[str, tuple[str, str | None, str | None]]) -> None:
        if not outcome:
            return
        with session_scope(self.url) as session:
            for row in session.execute(sa.select(model).where(model.id.in_(outcome))).scalars():
                row.status, row.note, target = outcome[row.id]
                if hasattr(row, "target_file"):
                    row.target_file = target


def _step(event_id: int, type_name: str, event: dict[str, Any], fixes: dict[int, Any],
          slots: set[str]) -> str | tuple[None, str] | None:
    if type_name == "user" and event.get("text") is not None:
        parse = event.get("parse_data") or {}
        fix = fixes.get(event_id)
        if fix is not None:
            text, intent = render_example(fix.text, fix.entities or []), fix.intent
        else:
            text, intent = safe_text(str(parse.get("text") or event["text"])), (parse.get("intent") or {}).get("name")
        if not intent or intent == FALLBACK_INTENT:
            return None, f"客户说“{safe_text(str(event['text']))[:30]}”时机器人兜底了，请先纠正这句的意图再标记故事。"
        return f"    - user: |\n        {' '.join(text.split())}\n      intent: {intent}\n"
    if type_name == "action" and event.get("name") and event["name"] not in SKIPPED_ACTIONS:
        return f"    - action: {event['name']}\n"
    if type_name == "active_loop":
        return f"    - active_loop: {event.get('name') or 'null'}\n"
    if type_name == "slot" and event.get("name") in slots:
        return f"    - slot_was_set:\n      - {event['name']}: {json.dumps(event.get('value'), ensure_ascii=False)}\n"
    return None
