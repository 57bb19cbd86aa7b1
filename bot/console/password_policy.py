"""What a console password must be: long enough, and not one an attacker tries first.

Refused: shorter than MIN_LENGTH, fewer than MIN_DISTINCT different characters
("aaaaaaaaaa", "ababababab"), a run up or down the keyboard or the alphabet ("1234567890",
"qwertyuiop"), the username inside it, or one of the most common passwords of public
leak lists (common_passwords.txt, compared without case and trailing digits/symbols).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MIN_DISTINCT = 5
COMMON = Path(__file__).with_name("common_passwords.txt")
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv")
TOO_SHORT = f"密码至少需要 {MIN_LENGTH} 位"
TOO_SIMPLE = "这个密码太容易被猜到，请换一个更独特的，比如几个不相关的词加数字。"


@cache
def _common() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_run(text: str) -> bool:
    return any(text in run or text in run[::-1] or text in run * 2 for run in _RUNS)


def problem(password: str, username: str = "") -> str | None:
    """The Chinese reason a password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    lowered = password.lower()
    core = re.sub(r"[\d\W_]+$", "", lowered) or lowered  # "password2024!" counts as "password"
    if (len(set(lowered)) < MIN_DISTINCT or _is_run(lowered) or lowered in _common() or core in _common()
            or (len(username) >= 3 and username.lower() in lowered)):
        return TOO_SIMPLE
    return None
