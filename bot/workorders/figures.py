"""Work-order figures for supervisors: by kind and state, per team, time to done, overdue.
Counts are SQL aggregations; time to done is averaged from the done rows of the period
(portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select

from bot.knowledge import KnowledgeBase
from bot.storage import models as m
from bot.storage.db import session_scope
from bot.workorders.states import OPEN


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def summary(database_url: str, kb: KnowledgeBase, since: datetime, now: datetime) -> dict[str, Any]:
    with session_scope(database_url) as db:
        in_period = m.WorkOrder.created_at >= since
        counts = db.execute(
            select(m.WorkOrder.kind, m.WorkOrder.team, m.WorkOrder.state, func.count(m.WorkOrder.id))
            .where(in_period).group_by(m.WorkOrder.kind, m.WorkOrder.team, m.WorkOrder.state)
        ).all()
        overdue = db.execute(
            select(m.WorkOrder.team, func.count(m.WorkOrder.id))
            .where(in_period, m.WorkOrder.state.in_(OPEN), m.WorkOrder.due_at < now).group_by(m.WorkOrder.team)
        ).all()
        done = db.execute(
            select(m.WorkOrder.kind, m.WorkOrder.team, m.WorkOrder.created_at, m.WorkOrder.done_at,
                   m.WorkOrder.due_at)
            .where(in_period, m.WorkOrder.state == "done")
        ).all()
    return {
        "since": since.isoformat() + "+00:00",
        "by_kind": _by_kind(kb, counts, done),
        "by_team": _by_team(counts, overdue, done),
        "total": sum(n for *_, n in counts),
        "overdue": sum(n for _, n in overdue),
    }


def _by_kind(kb: KnowledgeBase, counts: list, done: list) -> list[dict[str, Any]]:
    states: dict[str, dict[str, int]] = defaultdict(dict)
    for kind, _team, state, n in counts:
        states[kind][state] = states[kind].get(state, 0) + n
    times: dict[str, list[timedelta]] = defaultdict(list)
    for kind, _team, created, finished, _due in done:
        times[kind].append(finished - created)
    return [{"kind": kind, "label": kb.work_orders.kinds[kind].label if kind in kb.work_orders.kinds else kind,
             "states": states[kind], "total": sum(states[kind].values()),
             "median_hours_to_done": _hours(median(times[kind])) if times[kind] else None}
            for kind in sorted(states)]


def _by_team(counts: list, overdue: list, done: list) -> list[dict[str, Any]]:
    totals: dict[str, int] = defaultdict(int)
    open_now: dict[str, int] = defaultdict(int)
    for _kind, team, state, n in counts:
        totals[team] += n
        if state in OPEN:
            open_now[team] += n
    late = dict(overdue)
    finished: dict[str, list[tuple[timedelta, bool]]] = defaultdict(list)
    for _kind, team, created, finished_at, due in done:
        finished[team].append((finished_at - created, finished_at <= due))
    return [{"team": team, "total": totals[team], "open": open_now[team], "overdue": late.get(team, 0),
             "done": len(finished[team]),
             "within_sla_rate": round(sum(ok for _, ok in finished[team]) / len(finished[team]), 3)
             if finished[team] else None,
             "mean_hours_to_done": _hours(sum((d for d, _ in finished[team]), timedelta()) / len(finished[team]))
             if finished[team] else None}
            for team in sorted(totals)]
