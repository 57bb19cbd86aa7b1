"""Work-order figures for supervisors on a real database: counts by kind and state, per team
open / overdue / done within the SLA, time to done."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage import models as m
from bot.workorders.figures import summary
from bot.workorders.service import WorkOrderService
from tests.workorders.test_service import GOODWILL, KB, by_kind, open_case


def test_figures_count_by_kind_and_state_and_per_team_with_time_to_done(url: str) -> None:
    service = WorkOrderService(url, KB)
    first = by_kind(url, open_case(url, sender="a"))
    created = datetime.utcnow()
    service.move(first["refund"], "accept", "li", now=created + timedelta(hours=1))
    service.move(first["refund"], "done", "li", now=created + timedelta(hours=10))
    by_kind(url, open_case(url, GOODWILL, "service", sender="b"))
    later = created + timedelta(hours=KB.work_orders.kinds["return_pickup"].sla_hours + 1)

    figures = summary(url, KB, created - timedelta(days=1), later)

    assert figures["total"] == 4
    kinds = {row["kind"]: row for row in figures["by_kind"]}
    assert kinds["refund"]["states"] == {"done": 1} and kinds["return_pickup"]["states"] == {"created": 1}
    assert 9.9 <= kinds["refund"]["median_hours_to_done"] <= 10.1
    assert kinds["return_pickup"]["median_hours_to_done"] is None
    teams = {row["team"]: row for row in figures["by_team"]}
    assert teams["财务组"]["done"] == 1 and teams["财务组"]["within_sla_rate"] == 1.0
    assert teams["财务组"]["open"] == 1  # the payout of the second case
    assert teams["物流组"] == {"team": "物流组", "total": 1, "open": 1, "overdue": 1, "done": 0,
                             "within_sla_rate": None, "mean_hours_to_done": None}
    assert figures["overdue"] == 3  # everything still open is past its SLA by then


def test_figures_only_count_the_period(url: str) -> None:
    open_case(url)
    assert summary(url, KB, m.utcnow() + timedelta(minutes=1), m.utcnow())["total"] == 0
