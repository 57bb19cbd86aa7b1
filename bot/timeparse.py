"""Chinese follow-up time phrases → an aware datetime in the shop's time zone.

Understands: 今天/明天/后天/大后天, 周X/星期X/礼拜X (this or next week), 下周X, N天后/N天以后,
M月D日/号, 上午/中午/下午/晚上 + N点(半), HH:MM, and "随时/都行/随便" (the first offer).
Times inside quiet hours move to the next morning; the caller says so to the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
PERIOD_DEFAULT_HOUR = {
    "早上": 9, "明早": 9, "上午": 10, "中午": 12, "下午": 15, "傍晚": 18, "晚上": 19, "今晚": 19, "明晚": 19,
}
EVENING = ("下午", "傍晚", "晚上", "今晚", "明晚")
ANYTIME = re.compile(r"随时|都行|都可以|随便|任何时间|什么时候都")


def cn_number(text: str) -> int | None:
    """'3', '十', '十二', '二十', '两' → int; None for anything else ('三三', '十十', '²')."""
    if text.isdecimal():
        return int(text)
    if not text or any(ch not in CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return None
        return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)
    return CN_DIGITS[text] if len(text) == 1 else None


NUM = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"


@dataclass(frozen=True)
class ParsedTime:
    when: datetime
    moved_out_of_quiet_hours: bool
    anytime: bool = False


def _day(text: str, now: datetime) -> datetime | None:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for word, offset in (("大后天", 3), ("后天", 2), ("明天", 1), ("明早", 1), ("明晚", 1), ("今天", 0), ("今晚", 0)):
        if word in text:
            return today + timedelta(days=offset)
    hit = re.search(NUM + r"\s*天(?:后|以后|之后)", text)
    if hit and cn_number(hit.group(1)) is not None:
        return today + timedelta(days=cn_number(hit.group(1)))  # type: ignore[arg-type]
    hit = re.search(r"(下(?:个)?)?(?:周|星期|礼拜)([一二三四五六日天])", text)
    if hit:
        target = WEEKDAYS[hit.group(2)]
        days = (target - today.weekday()) % 7
        if hit.group(1):
            days = (7 - today.weekday()) + target
        elif days == 0:
            days = 7
        return today + timedelta(days=days)
    hit = re.search(NUM + r"\s*月\s*" + NUM + r"\s*[日号]", text)
    if hit:
        month, day = cn_number(hit.group(1)), cn_number(hit.group(2))
        if month and day:
            try:
                candidate = today.replace(month=month, day=day)
            except ValueError:
                return None
            if candidate < today:
                candidate = candidate.replace(year=candidate.year + 1)
            return candidate
    return None


def _clock(text: str) -> time | None:
    period = next((p for p in PERIOD_DEFAULT_HOUR if p in text), None)
    hit = re.search(r"(\d{1,2})[:：](\d{2})", text)
    if hit:
        hour, minute = int(hit.group(1)), int(hit.group(2))
    else:
        hit = re.search(NUM + r"\s*[点时](半|一刻|(\d{1,2})分?)?", text)
        if hit:
            hour = cn_number(hit.group(1))
            if hour is None:
                return None
            extra = hit.group(2) or ""
            minute = 30 if extra == "半" else 15 if extra == "一刻" else int(hit.group(3) or 0)
        elif period:
            return time(PERIOD_DEFAULT_HOUR[period], 0)
        else:
            return None
    if period in EVENING and hour < 12:
        hour += 12
    if period == "中午" and hour < 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _hm(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def in_quiet_hours(moment: datetime, quiet_start: str, quiet_end: str) -> bool:
    start, end, clock = _hm(quiet_start), _hm(quiet_end), moment.time()
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def move_out_of_quiet_hours(moment: datetime, quiet_start: str, quiet_end: str) -> datetime:
    if not in_quiet_hours(moment, quiet_start, quiet_end):
        return moment
    end = _hm(quiet_end)
    morning = moment.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if moment.time() >= _hm(quiet_start) or morning <= moment:
        morning += timedelta(days=1) if moment.time() >= _hm(quiet_start) else timedelta(0)
    return morning


def parse_followup_time(
    text: str,
    now: datetime,
    quiet_start: str = "21:00",
    quiet_end: str = "09:00",
    default_offer: tuple[int, str] = (1, "10:00"),
) -> ParsedTime | None:
    """Parse a follow-up time in the shop's time zone (`now` must be aware); None if unclear."""
    text = text.strip()
    day = _day(text, now)
    clock = _clock(text)
    anytime = bool(ANYTIME.search(text))
    if anytime and day is None and clock is None:
        days, offer_clock = default_offer
        when = (now + timedelta(days=days)).replace(
            hour=_hm(offer_clock).hour, minute=_hm(offer_clock).minute, second=0, microsecond=0
        )
        return ParsedTime(when, False, anytime=True)
    if day is None and clock is None:
        return None
    if day is None:
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    clock = clock or time(10, 0)
    when = day.replace(hour=clock.hour, minute=clock.minute)
    if when <= now:
        when += timedelta(days=1)
    moved = move_out_of_quiet_hours(when, quiet_start, quiet_end)
    return ParsedTime(moved, moved != when)


def describe(moment: datetime, now: datetime) -> str:
    """'明天（11月24日）上午10:00' style text for confirmations."""
    delta = (moment.date() - now.date()).days
    day = {0: "今天", 1: "明天", 2: "后天"}.get(delta, "")
    weekday = "一二三四五六日"[moment.weekday()]
    date_text = f"{moment.month}月{moment.day}日（周{weekday}）"
    hour = moment.hour
    period = "上午" if hour < 12 else "中午" if hour < 13 else "下午" if hour < 18 else "晚上"
    return f"{day}{date_text}{period}{moment:%H:%M}"


def shop_now(timezone: str = "Asia/Shanghai") -> datetime:
    return datetime.now(ZoneInfo(timezone))
