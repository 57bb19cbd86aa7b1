"""Personal data found however it is written, masked for every staff view, log and export.

Phones are found by Google's libphonenumber (the `phonenumbers` package) in any way people
write them: +86 139…, 139 1234 5678, 137-1234-5678, full-width digits, landlines with an
area code. Chinese ID-card numbers count only with a valid ISO 7064 check digit, bank cards
only with a valid Luhn sum (so order ids and amounts stay readable); then e-mail addresses
and street addresses. The text keeps its length and shape apart from the masked runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋", "0123456789Xx-+")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CARD = re.compile(r"(?<![0-9A-Za-z])\d{4}(?:[ -]?\d){11,15}(?![0-9A-Za-z])")
_NUMBER_RUN = re.compile(r"(?<![\d+])\+?[(（]?\d[\d \-()（）]{5,24}\d(?!\d)")
_MOBILE_SHAPE = re.compile(r"(?<![\d+])1[3-9]\d(?:[ -]?\d){8}(?!\d)")
# Anchored at the start of a run and bounded, so a long run of letters costs linear time.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{0,63}(@[A-Za-z0-9.-]+)")
# A street address: a place name, then a road/street/lane, then a number ("…路88号3栋").
# Words such as 超市 or 小区 alone are no address and stay readable.
_ADDRESS = re.compile(
    r"([\u4e00-\u9fa5]{2,6}(?:省|市|区|县|镇))?([\u4e00-\u9fa5]{1,12}(?:路|街|大道|巷|弄|胡同))"
    r"\s*\d+\s*号[\dA-Za-z\-栋幢单元室楼层号]*"
)


def _valid_id_card(number: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _luhn(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _mask_id_card(match: re.Match[str]) -> str:
    return f"{match.group(1)}********{match.group(3)}" if _valid_id_card(match.group(0)) else match.group(0)


def _masked_number(national: str) -> str:
    """139****5678 for a mobile, the last four digits only for a landline."""
    if len(national) == 11 and national.startswith("1"):
        return f"{national[:3]}****{national[-4:]}"
    return f"****{national[-4:]}"


def replace_phones(text: str, replacement: Callable[[str], str]) -> str:
    """Every phone number in `text` replaced by `replacement(its national number)`."""

    def in_run(candidate: re.Match[str]) -> str:
        run, pieces, last = candidate.group(0), [], 0
        for match in phonenumbers.PhoneNumberMatcher(run, "CN", leniency=phonenumbers.Leniency.VALID):
            pieces += [run[last : match.start], replacement(str(match.number.national_number))]
            last = match.end
        return "".join(pieces) + run[last:]

    def mobile_shaped(match: re.Match[str]) -> str:
        return replacement(re.sub(r"\D", "", match.group(0)))

    # libphonenumber's matcher is slow on long texts: it reads only the runs of digits that
    # could be a number (a + and brackets, spaces and hyphens between the digits allowed).
    text = _NUMBER_RUN.sub(in_run, text.translate(FULL_WIDTH))
    # A mobile-shaped number libphonenumber does not know as valid (a range newer than its
    # data, 174…) is still someone's phone as far as masking goes.
    return _MOBILE_SHAPE.sub(mobile_shaped, text)


def replace_bank_cards(text: str, replacement: Callable[[str], str]) -> str:
    """Every Luhn-valid card number replaced by `replacement(its digits)`."""

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return replacement(digits) if _luhn(digits) else match.group(0)

    return _CARD.sub(card, text.translate(FULL_WIDTH))


_STEPS: tuple[Callable[[str], str], ...] = (
    lambda text: _ID_CARD.sub(_mask_id_card, text),
    lambda text: replace_bank_cards(text, lambda digits: f"{digits[:4]} **** **** {digits[-4:]}"),
    lambda text: replace_phones(text, _masked_number),
    lambda text: _EMAIL.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text),
    lambda text: _ADDRESS.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}***", text),
)


def mask_personal_data(text: str) -> str:
    """Mask phones, ID numbers, bank cards, e-mails and street addresses inside free text."""
    text = text.translate(FULL_WIDTH)
    for step in _STEPS:
        text = step(text)
    return text


def mask_phone(phone: str) -> str:
    """The display form of a phone the customer gave (the stored value is encrypted)."""
    return mask_personal_data(phone)
