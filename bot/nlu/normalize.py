"""Text normalisation applied before the NLU (and to training data, identically).

NFKC folds full-width letters, digits and punctuation; OpenCC folds traditional characters
to simplified; whitespace is collapsed; very long messages are capped for the NLU while the
tracker keeps the customer's full text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

DEFAULT_CHAR_LIMIT = 2000

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@dataclass(frozen=True)
class Normalized:
    text: str
    original_length: int
    truncated: bool


def normalize(text: str | None, limit: int = DEFAULT_CHAR_LIMIT) -> Normalized:
    raw = text or ""
    folded = unicodedata.normalize("NFKC", raw)
    folded = _CONTROL.sub("", folded)
    folded = _t2s().convert(folded)
    folded = _SPACES.sub(" ", folded).strip()
    truncated = len(folded) > limit
    if truncated:
        folded = folded[:limit]
    return Normalized(text=folded, original_length=len(raw), truncated=truncated)


def normalize_text(text: str | None, limit: int = DEFAULT_CHAR_LIMIT) -> str:
    return normalize(text, limit).text
