"""Customer text made safe for git before it becomes training data.

Decision (docs/TRAINING.md): a corrected example is committed to the repository, so personal
data in it is replaced by fixed placeholders of the same shape — the model still learns
"a phone number goes here", and RegexEntityExtractor still sees a well-formed value:

- mobile numbers → 13800138000, order numbers → QT202600000000, ID-card numbers →
  110101199001011234 (all the same length as what they replace, so entity offsets hold);
- phones written any other way (+86 139 1234 5678, 137-1234-5678, full-width digits,
  landlines; found by libphonenumber, bot/storage/masking.py) → 13800138000, bank card
  numbers (Luhn-valid) → 6222000000000000, e-mail addresses → user@example.com and street
  addresses → 人民路1号 (length changes; entity spans are re-located by value).

The trainer page shows and annotates the safe text only, so nobody marks spans on data that
will not be exported.
"""

from __future__ import annotations

import re
from typing import Any

from bot.storage.masking import replace_bank_cards, replace_phones

PHONE = "13800138000"
BANK_CARD = "6222000000000000"
ORDER = "QT202600000000"
ID_CARD = "110101199001011234"
EMAIL = "user@example.com"
ADDRESS = "人民路1号"

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?!\d)"), ID_CARD),
    (re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), PHONE),
    (re.compile(r"[Qq][Tt]\d{12}(?!\d)"), ORDER),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), EMAIL),
    (re.compile(r"[\u4e00-\u9fa5]{1,6}(?:路|街|大道|巷|弄|胡同)\s*\d+\s*号[\dA-Za-z\-栋幢单元室楼层号]*"), ADDRESS),
]


def safe_text(text: str) -> str:
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    text = replace_bank_cards(text, lambda _: BANK_CARD)
    return replace_phones(text, lambda number: number if number == PHONE else PHONE)


def safe_entities(original: str, safe: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Carry entity spans of `original` over to `safe`; spans that cannot be found are dropped."""
    out = []
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(original):
            continue
        if len(original) == len(safe):
            out.append({**entity, "value": _value(entity, safe[start:end])})
            continue
        piece = safe_text(original[start:end])
        found = safe.find(piece)
        if found >= 0:
            out.append({**entity, "start": found, "end": found + len(piece), "value": _value(entity, piece)})
    return out


def _value(entity: dict[str, Any], text: str) -> Any:
    value = entity.get("value")
    return text if not isinstance(value, str) or safe_text(value) != value else value
