"""Whether a message states something or denies it: 没有受伤, 不是假货, 并没有变质, 我没请假.

Shared by the readers of facts in free text (bot/law_facts.py, bot/consequences.py).
"""

from __future__ import annotations

import re

# A word right after one of these is denied.
NEGATION = re.compile(r"(?:没有|没|不是|并非|不像|未|无|不)(?:人|被|有)?$")


def stated(text: str, pattern: re.Pattern[str]) -> bool:
    """The pattern occurs at least once without a negation right before it."""
    return any(not NEGATION.search(text[max(0, m.start() - 3) : m.start()]) for m in pattern.finditer(text))
