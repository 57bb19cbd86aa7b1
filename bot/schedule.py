"""Working hours of the human team (knowledge_base/service.yml)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.knowledge.models import ServiceFile
from bot.timeparse import _hm


def local(service: ServiceFile, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(service.timezone))


def on_duty(service: ServiceFile, moment: datetime) -> bool:
    now = local(service, moment)
    hours = service.working_hours
    return now.isoweekday() in hours.days and _hm(hours.start) <= now.time() < _hm(hours.end)


def next_working_time(service: ServiceFile, moment: datetime) -> datetime:
    """The next moment the team is on duty (the start of the next working period)."""
    now = local(service, moment)
    start = _hm(service.working_hours.start)
    for offset in range(0, 8):
        day = (now + timedelta(days=offset)).replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
        if day.isoweekday() in service.working_hours.days and day > now:
            return day
    return now
