"""What counts as a good answer to bad input: no 5xx, a polite Chinese message, nothing lost."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from bot.dialogue import positive
from bot.knowledge import KnowledgeBase, load_knowledge_base

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
LEAKS = ("Traceback", "Exception", "File \"/", "sqlalchemy", "aiohttp", "rasa.", "root:x:0:0")
LOG_ALARMS = ("Traceback (most recent call last)", "unhandled error")


@lru_cache(maxsize=1)
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def is_chinese(text: str) -> bool:
    """Written for a Chinese reader: several Chinese characters, and they make up a good share
    of the letters (a field name such as `sender` may appear in it)."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return cjk >= 4 and cjk >= 0.25 * (cjk + latin)


def banned_in(text: str, said: str = "") -> list[str]:
    """Banned negative phrases in a text we sent, less those the customer typed themselves
    (the bot may quote the customer)."""
    return [f.phrase for f in positive.findings(kb(), text) if f.phrase not in said]


def leaks(text: str) -> list[str]:
    return [word for word in LEAKS if word in text]


def error_body_problems(body: bytes) -> list[str]:
    """An error answer a person may read: JSON {error, message}, the message polite Chinese."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [f"error body is not JSON: {body[:80]!r}"]
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return [f"error body has no message: {body[:80]!r}"]
    message = data["message"]
    problems = []
    if not is_chinese(message):
        problems.append(f"error message not Chinese: {message[:80]!r}")
    problems += [f"banned phrase {p!r} in error message" for p in banned_in(message)]
    problems += [f"error message leaks {w!r}" for w in leaks(message)]
    return problems


def reply_problems(texts: list[str], said: str) -> list[str]:
    """The bot's own replies: no banned phrasing (beyond what the customer typed), no leaks."""
    problems = []
    for text in texts:
        problems += [f"banned phrase {p!r} in a reply" for p in banned_in(text, said)]
        problems += [f"reply leaks {w!r}" for w in leaks(text) if w not in said]
    return problems


def log_alarms(log_text: str) -> list[str]:
    """Lines of a server log that show an exception nobody handled."""
    return [line.strip()[:300] for line in log_text.splitlines() if any(a in line for a in LOG_ALARMS)]


def same_text(sent: str, stored: str) -> bool:
    """Whitespace (XML and JSON transports normalise line ends) does not count, nor the slash
    of a Rasa command the gateway passes on as plain text (bot/gateway.py TRACKER_COMMANDS)."""
    sent, stored = "".join(sent.split()), "".join(stored.split())
    return sent == stored or (sent.startswith("/") and sent[1:] == stored)
