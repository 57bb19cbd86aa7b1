"""Read back what the server kept: customer messages in the tracker, evidence photos.

Tracker events are encrypted at rest (bot/storage/crypto.py); the key is the server's
var/secret.key, read here only to decrypt the fuzz run's own messages.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from tests.fuzzing.oracles import same_text


def _fernet(var_dir: Path) -> Fernet:
    return Fernet((var_dir / "secret.key").read_bytes().strip())


def user_texts(database_url: str, var_dir: Path, sender: str) -> list[str]:
    fernet = _fernet(var_dir)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' "
                                              "ORDER BY id"), {"s": sender}).scalars().all()
    finally:
        engine.dispose()
    texts = []
    for data in rows:
        try:
            plain = data if data.startswith("{") else fernet.decrypt(data.encode()).decode()
        except InvalidToken:
            continue
        texts.append(str(json.loads(plain).get("text") or ""))
    return texts


def lost_messages(database_url: str, var_dir: Path, delivered: list[tuple[str, str]], sample: int,
                  seed: int = 7) -> tuple[int, list[str]]:
    """(how many were checked, those missing) for a random sample of delivered messages."""
    chosen = random.Random(seed).sample(delivered, min(sample, len(delivered)))
    by_sender: dict[str, list[str]] = {}
    for sender, text in chosen:
        by_sender.setdefault(sender, []).append(text)
    missing = []
    for sender, texts in by_sender.items():
        stored = user_texts(database_url, var_dir, sender)
        missing += [f"{sender}: {text[:60]!r}" for text in texts if not any(same_text(text, s) for s in stored)]
    return len(chosen), missing


def missing_photos(database_url: str, digests: list[str]) -> list[str]:
    if not digests:
        return []
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            kept = set(connection.execute(sa.text("SELECT sha256 FROM evidence")).scalars().all())
    finally:
        engine.dispose()
    return [d for d in digests if d not in kept]
