"""No line twice in one conversation: pick among the variants the customer has not read yet."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence


def fresh(lines: Sequence[str], said: Iterable[str]) -> str:
    """A variant not yet part of anything said (random among those); when every variant was
    used, the one used longest ago."""
    said = list(said)
    unused = [line for line in lines if not any(line in text for text in said)]
    if unused:
        return random.choice(unused)
    last_use = {line: max(i for i, text in enumerate(said) if line in text) for line in lines}
    return min(lines, key=lambda line: last_use[line])
