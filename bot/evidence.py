"""Evidence photos: content sniffed, size and count limited, stored outside the web root."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.complaints import conversation_for
from bot.storage import models as m
from bot.storage.db import session_scope

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_CONVERSATION = 6

# Magic numbers of the image formats we accept; the name and the declared type are ignored.
SIGNATURES: list[tuple[bytes, int, str, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
]

REFUSED_TYPE = "这个文件我们暂时只能接收照片（JPG、PNG、GIF、WEBP），麻烦您换成照片再发一次。"
REFUSED_SIZE = "照片有点大，麻烦压缩到5MB以内再发，我们会认真查看。"
REFUSED_COUNT = f"这次对话已经收到{MAX_PER_CONVERSATION}张照片了，足够我们核实情况，谢谢您！"
ACCEPTED = "照片已经收到，会附在您的投诉记录里，处理同事都能看到。"


@dataclass(frozen=True)
class UploadResult:
    ok: bool
    message: str
    evidence_id: str | None = None
    status: int = 200  # the HTTP status that fits: 413 too large, 415 not a photo, 409 too many


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, offset, media_type, ext in SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (media_type != "image/webp" or data[:4] == b"RIFF"):
            return media_type, ext
    return None


def conversation_exists(database_url: str, sender_id: str) -> bool:
    """Whether this sender's conversation has a row (an upload never creates one for the chat page)."""
    with session_scope(database_url) as session:
        return session.execute(
            select(m.Conversation.id).where(m.Conversation.sender_id == sender_id).limit(1)
        ).first() is not None


def store_upload(database_url: str, upload_dir: Path, sender_id: str, channel: str, data: bytes) -> UploadResult:
    """Keep one photo. Two first uploads of a new conversation at once (several photos picked
    together) race to create its row: the loser finds the winner's row on a second try."""
    try:
        return _store_once(database_url, upload_dir, sender_id, channel, data)
    except IntegrityError:
        return _store_once(database_url, upload_dir, sender_id, channel, data)


def _store_once(database_url: str, upload_dir: Path, sender_id: str, channel: str, data: bytes) -> UploadResult:
    if len(data) > MAX_BYTES:
        return UploadResult(False, REFUSED_SIZE, status=413)
    kind = sniff(data)
    if kind is None:
        return UploadResult(False, REFUSED_TYPE, status=415)
    media_type, ext = kind
    with session_scope(database_url) as session:
        conversation = conversation_for(session, sender_id, channel)
        count = session.execute(
            select(func.count(m.Evidence.id)).where(m.Evidence.conversation_id == conversation.id)
        ).scalar_one()
        if count >= MAX_PER_CONVERSATION:
            return UploadResult(False, REFUSED_COUNT, status=409)
        complaint = session.execute(
            select(m.Complaint.id).where(m.Complaint.conversation_id == conversation.id)
            .order_by(m.Complaint.created_at.desc()).limit(1)
        ).scalar_one_or_none()
        # File names are ours (random), never the customer's: no path can be smuggled in.
        relative = Path(conversation.id) / f"{uuid.uuid4().hex}.{ext}"
        target = upload_dir / relative
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data)  # the customer's photo: readable by the server's own user only
        evidence = m.Evidence(
            conversation_id=conversation.id, complaint_id=complaint, media_type=media_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), path=str(relative),
        )
        session.add(evidence)
        session.flush()
        return UploadResult(True, ACCEPTED, evidence.id)
