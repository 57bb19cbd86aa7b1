"""The supervisor dashboard's figures, each one SQL aggregation over the records.

Every figure is computed over the complaints *in view*: created within the period (local days
of the business time zone), optionally on one channel and of one type. Definitions are in
docs/ANALYTICS.md; the short form sits next to each expression below. The queries are
SQLAlchemy Core expressions that run unchanged on SQLite and PostgreSQL; the two places
where the dialects differ (a local calendar day, unnesting a JSON array) are chosen by
`Scope.dialect`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal_column, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.knowledge import KnowledgeBase
from bot.storage import models as m

C = m.Complaint
H = m.Handoff
RESOLVED = ("resolved", "closed")
# A follow-up answer "not solved" or scored below this reopens the complaint (bot/complaints.py).
SATISFIED_SCORE = 4
TOP = 10
NO_PRODUCT = "__none__"
NO_REMEDY = "none"
OUTCOMES = ("contained", "handed_off", "open")
SLA_STATES = ("met", "breached", "pending")
SEVERITY_LABELS = {1: "一般", 2: "较重", 3: "紧急"}


@dataclass(frozen=True)
class Period:
    """Which complaints are in view: created on local days start..end (inclusive)."""

    start: date
    end: date
    channel: str | None = None
    type: str | None = None
    tz: str = "Asia/Shanghai"

    def offset(self) -> timedelta:
        """The zone's offset from UTC (exact for zones without daylight saving, like China's)."""
        return ZoneInfo(self.tz).utcoffset(datetime.combine(self.start, time(12))) or timedelta()

    def bounds(self) -> tuple[datetime, datetime]:
        """[first instant, instant after the last day) as naive UTC, like the stored times."""
        shift = self.offset()
        return (datetime.combine(self.start, time()) - shift,
                datetime.combine(self.end + timedelta(days=1), time()) - shift)

    def days(self) -> list[str]:
        count = (self.end - self.start).days + 1
        return [(self.start + timedelta(days=i)).isoformat() for i in range(count)]


@dataclass(frozen=True)
class Drill:
    """A chart element the supervisor clicked: narrows the complaints in view."""

    day: date | None = None
    product: str | None = None
    severity: int | None = None
    remedy: str | None = None
    reason: str | None = None
    csat: int | None = None
    outcome: str | None = None
    sla: str | None = None
    fcr: bool | None = None
    reopened: bool | None = None


@dataclass(frozen=True)
class Scope:
    period: Period
    dialect: str
    now: datetime

    @classmethod
    def of(cls, db: Session, period: Period, now: datetime | None = None) -> Scope:
        return cls(period, db.get_bind().dialect.name, now or m.utcnow())

    def in_view(self) -> list[ColumnElement[bool]]:
        first, after = self.period.bounds()
        where = [C.created_at >= first, C.created_at < after]
        if self.period.channel:
            where.append(C.channel == self.period.channel)
        if self.period.type:
            where.append(C.type == self.period.type)
        return where

    def local_day(self, column: Any) -> ColumnElement[str]:
        """'YYYY-MM-DD' of a stored (naive UTC) time in the business time zone."""
        minutes = int(self.period.offset().total_seconds() // 60)
        if self.dialect == "sqlite":
            return func.strftime("%Y-%m-%d", column, f"{minutes:+d} minutes")
        return func.to_char(column + literal_column(f"INTERVAL '{minutes} minutes'"), "YYYY-MM-DD")

    def reasons_of_handoff(self):  # type: ignore[no-untyped-def]
        """The handoff's reason codes as rows (a JSON array unnested)."""
        unnest = func.json_each if self.dialect == "sqlite" else func.json_array_elements_text
        return unnest(H.reasons).table_valued("value").alias("reason")


# --- what a complaint is (correlated on the complaint row) -----------------------------------
def handed_off() -> ColumnElement[bool]:
    """At least one handoff was recorded for the complaint."""
    return exists().where(H.complaint_id == C.id)


def unsolved_answer() -> ColumnElement[bool]:
    """A follow-up answer said "not solved" or scored below 4 (which reopens the complaint)."""
    return exists().where(m.Csat.complaint_id == C.id,
                          or_(m.Csat.solved.is_(False), m.Csat.score < SATISFIED_SCORE))


def contained() -> ColumnElement[bool]:
    """Resolved or closed without any person involved."""
    return and_(C.status.in_(RESOLVED), ~handed_off())


def still_open() -> ColumnElement[bool]:
    return and_(C.status.not_in(RESOLVED), ~handed_off())


def reopened() -> ColumnElement[bool]:
    return or_(C.status == "reopened", unsolved_answer())


def reached_resolution() -> ColumnElement[bool]:
    """Resolved at least once: resolved/closed now, reopened since, or answered a follow-up."""
    return or_(C.status.in_((*RESOLVED, "reopened")), exists().where(m.Csat.complaint_id == C.id))


def first_contact_resolution() -> ColumnElement[bool]:
    """Resolved or closed, and the resolution held: never reopened by a follow-up answer."""
    return and_(C.status.in_(RESOLVED), ~unsolved_answer())


def product_of() -> ColumnElement[str]:
    """The order's product, else the product the customer named (needs the orders join)."""
    return func.coalesce(m.Order.product, C.facts["product"].as_string())


def sla_state(now: datetime) -> ColumnElement[str]:
    """A handoff's SLA: acknowledged (claimed, or closed unclaimed) by sla_due_at, or not."""
    ack = func.coalesce(H.claimed_at, H.closed_at)
    return case(
        (and_(ack.is_not(None), ack <= H.sla_due_at), "met"),
        (or_(ack > H.sla_due_at, and_(ack.is_(None), H.sla_due_at < now)), "breached"),
        else_="pending",
    )


def cap_of(kb: KnowledgeBase) -> ColumnElement[int]:
    """The goodwill cap for the customer's tier (normal when unknown) and the severity."""
    tier = func.coalesce(m.Customer.tier, "normal")
    whens = [(and_(tier == t, C.severity == level), cap)
             for t, caps in kb.policies.goodwill_caps.items() for level, cap in caps.items()]
    return case(*whens, else_=None)


# --- the figures --------------------------------------------------------------------------------
def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _money(value: Any) -> float:
    return round(float(value or 0), 2)


def per_day_by_type(db: Session, scope: Scope, kb: KnowledgeBase) -> dict[str, Any]:
    day = scope.local_day(C.created_at).label("day")
    rows = db.execute(select(day, C.type, func.count()).where(*scope.in_view()).group_by(day, C.type)).all()
    days = scope.period.days()
    index = {d: i for i, d in enumerate(days)}
    counts: dict[str, list[int]] = {t: [0] * len(days) for t in kb.complaint_types.types}
    for d, kind, n in rows:
        counts.setdefault(kind, [0] * len(days))[index[d]] = n
    return {"days": days, "series": [{"type": t, "label": _type_label(kb, t), "counts": c}
                                     for t, c in counts.items()]}


def _type_label(kb: KnowledgeBase, kind: str) -> str:
    return kb.type_label(kind) if kind in kb.complaint_types.types else kind


def totals(db: Session, scope: Scope) -> dict[str, int]:
    """The counts behind the rates, in one pass over the complaints in view.

    Per-complaint flags come from two grouped subqueries joined once (faster on PostgreSQL than
    an EXISTS per row inside each aggregate); they mean the same as handed_off(),
    unsolved_answer() etc. above, which the drill-down uses.
    """
    handoffs = select(H.complaint_id.label("cid")).where(H.complaint_id.is_not(None)).group_by(H.complaint_id)
    handoffs = handoffs.subquery("h")
    answers = select(m.Csat.complaint_id.label("cid"),
                     func.count().filter(or_(m.Csat.solved.is_(False), m.Csat.score < SATISFIED_SCORE))
                     .label("unsolved")).group_by(m.Csat.complaint_id).subquery("a")
    handed = handoffs.c.cid.is_not(None)
    answered = answers.c.cid.is_not(None)
    unsolved = func.coalesce(answers.c.unsolved, 0) > 0
    resolved = C.status.in_(RESOLVED)
    one = db.execute(
        select(
            func.count(),
            func.count().filter(and_(resolved, ~handed)),
            func.count().filter(handed),
            func.count().filter(and_(resolved, ~unsolved)),
            func.count().filter(or_(C.status == "reopened", unsolved)),
            func.count().filter(or_(C.status.in_((*RESOLVED, "reopened")), answered)),
        ).select_from(C).outerjoin(handoffs, handoffs.c.cid == C.id).outerjoin(answers, answers.c.cid == C.id)
        .where(*scope.in_view())
    ).one()
    keys = ("complaints", "contained", "handed_off", "fcr", "reopened", "reached_resolution")
    return dict(zip(keys, (int(v or 0) for v in one), strict=True))


def top_products(db: Session, scope: Scope) -> list[dict[str, Any]]:
    product = func.coalesce(product_of(), NO_PRODUCT).label("product")
    rows = db.execute(
        select(product, func.count().label("n")).select_from(C)
        .outerjoin(m.Order, m.Order.order_id == C.order_id).where(*scope.in_view())
        .group_by(product).order_by(func.count().desc(), product).limit(TOP)
    ).all()
    return [{"product": p, "label": _product_label(p), "count": n} for p, n in rows]


def _product_label(product: str) -> str:
    return "未注明商品" if product == NO_PRODUCT else product


def top_issues(db: Session, scope: Scope, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """High-frequency issues: the most frequent (type, product) pairs."""
    product = func.coalesce(product_of(), NO_PRODUCT).label("product")
    rows = db.execute(
        select(C.type, product, func.count().label("n")).select_from(C)
        .outerjoin(m.Order, m.Order.order_id == C.order_id).where(*scope.in_view())
        .group_by(C.type, product).order_by(func.count().desc(), C.type, product).limit(TOP)
    ).all()
    return [{"type": t, "type_label": _type_label(kb, t), "product": p, "product_label": _product_label(p),
             "count": n} for t, p, n in rows]


def severity_mix(db: Session, scope: Scope) -> list[dict[str, Any]]:
    rows = dict(db.execute(select(C.severity, func.count()).where(*scope.in_view()).group_by(C.severity)).all())
    return [{"severity": s, "label": SEVERITY_LABELS.get(s, str(s)), "count": int(rows.get(s, 0))}
            for s in sorted({1, 2, 3} | set(rows))]


def handoff_reasons(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per reason code: how many complaints in view had a handoff for that reason."""
    from bot.severity import reason_label

    reason = scope.reasons_of_handoff()
    pairs = (select(H.complaint_id, reason.c.value.label("code")).distinct()
             .select_from(H).join(C, C.id == H.complaint_id).join(reason, true())
             .where(*scope.in_view()).subquery("pairs"))
    rows = db.execute(
        select(pairs.c.code, func.count().label("n")).group_by(pairs.c.code)
        .order_by(literal_column("n").desc(), pairs.c.code)
    ).all()
    return [{"code": code, "label": reason_label(code), "count": n} for code, n in rows]


def remedy_mix(db: Session, scope: Scope, kb: KnowledgeBase) -> list[dict[str, Any]]:
    remedy = func.coalesce(C.remedy, NO_REMEDY).label("remedy")
    rows = db.execute(select(remedy, func.count()).where(*scope.in_view()).group_by(remedy)
                      .order_by(func.count().desc(), remedy)).all()
    return [{"remedy": r, "label": _remedy_label(kb, r), "count": n} for r, n in rows]


def _remedy_label(kb: KnowledgeBase, remedy: str) -> str:
    if remedy == NO_REMEDY:
        return "尚未确定方案"
    return kb.remedy_label(remedy) if remedy in kb.remedies.kinds else remedy


def compensation(db: Session, scope: Scope, kb: KnowledgeBase) -> dict[str, Any]:
    """Compensation granted (not rejected by a supervisor) against the goodwill cap, per severity."""
    cap = cap_of(kb)
    granted = [C.remedy == "compensation", C.compensation_amount.is_not(None),
               func.coalesce(C.approval, "none") != "rejected"]
    rows = db.execute(
        select(C.severity, func.count(), func.sum(C.compensation_amount), func.sum(cap),
               func.count().filter(C.compensation_amount > cap))
        .select_from(C).outerjoin(m.Customer, m.Customer.id == C.customer_id)
        .where(*scope.in_view(), *granted).group_by(C.severity).order_by(C.severity)
    ).all()
    levels = [{"severity": s, "label": SEVERITY_LABELS.get(s, str(s)), "count": n, "paid": _money(paid),
               "cap": _money(caps), "above_cap": int(above or 0)} for s, n, paid, caps, above in rows]
    return {"levels": levels, "count": sum(x["count"] for x in levels),
            "paid_total": _money(sum(x["paid"] for x in levels)),
            "cap_total": _money(sum(x["cap"] for x in levels)),
            "above_cap": sum(x["above_cap"] for x in levels)}


def sla(db: Session, scope: Scope) -> dict[str, Any]:
    """Handoffs of complaints in view that have a deadline: met / breached / still pending."""
    state = sla_state(scope.now).label("state")
    day = scope.local_day(H.created_at).label("day")
    rows = db.execute(
        select(day, state, func.count()).select_from(H).join(C, C.id == H.complaint_id)
        .where(*scope.in_view(), H.sla_due_at.is_not(None)).group_by(day, state)
    ).all()
    counts = dict.fromkeys(SLA_STATES, 0)
    by_day: dict[str, dict[str, int]] = {}
    for d, s, n in rows:
        counts[s] += n
        by_day.setdefault(d, dict.fromkeys(SLA_STATES, 0))[s] += n
    decided = counts["met"] + counts["breached"]
    return {**counts, "rate": _rate(counts["met"], decided), "escalations": escalations(db, scope),
            "by_day": [{"day": d, **by_day[d], "rate": _rate(by_day[d]["met"], by_day[d]["met"] + by_day[d]["breached"])}
                       for d in sorted(by_day)]}


def escalations(db: Session, scope: Scope) -> dict[str, int]:
    """Rows of sla_breaches (automatic one-level escalations) for complaints in view and their handoffs."""
    on_complaints = db.execute(
        select(func.count()).select_from(m.SlaBreach).join(C, C.id == m.SlaBreach.target_id)
        .where(m.SlaBreach.kind == "complaint", *scope.in_view())
    ).scalar_one()
    on_handoffs = db.execute(
        select(func.count()).select_from(m.SlaBreach).join(H, H.id == m.SlaBreach.target_id)
        .join(C, C.id == H.complaint_id).where(m.SlaBreach.kind == "handoff", *scope.in_view())
    ).scalar_one()
    return {"complaint": int(on_complaints), "handoff": int(on_handoffs)}


def csat(db: Session, scope: Scope) -> dict[str, Any]:
    """Follow-up answers for complaints in view: 1-5 distribution, and per answer day."""
    base = select().select_from(m.Csat).join(C, C.id == m.Csat.complaint_id).where(*scope.in_view())
    by_score = db.execute(base.add_columns(m.Csat.score, func.count(), func.count().filter(m.Csat.solved.is_(True)))
                          .group_by(m.Csat.score)).all()
    dist = {score: int(n) for score, n, _solved in by_score}
    answers = sum(dist.values())
    solved = sum(int(s) for _score, _n, s in by_score)
    points = sum(score * n for score, n in dist.items())
    day = scope.local_day(m.Csat.created_at).label("day")
    trend = db.execute(base.add_columns(day, func.count(), func.avg(m.Csat.score)).group_by(day).order_by(day)).all()
    return {
        "distribution": [{"score": s, "count": dist.get(s, 0)} for s in range(1, 6)],
        "answers": answers, "average": round(points / answers, 2) if answers else None,
        "solved_rate": _rate(solved, answers),
        "trend": [{"day": d, "answers": n, "average": round(float(a), 2)} for d, n, a in trend],
    }


def summary(db: Session, period: Period, kb: KnowledgeBase, now: datetime | None = None) -> dict[str, Any]:
    scope = Scope.of(db, period, now)
    t = totals(db, scope)
    total = t["complaints"]
    open_ = total - t["contained"] - t["handed_off"]
    sla_figures = sla(db, scope)
    csat_figures = csat(db, scope)
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "channel": period.channel,
                   "type": period.type, "timezone": period.tz},
        "totals": {"complaints": total, "containment_rate": _rate(t["contained"], total),
                   "handoff_rate": _rate(t["handed_off"], total), "fcr_rate": _rate(t["fcr"], total),
                   "reopen_rate": _rate(t["reopened"], t["reached_resolution"]), "sla_rate": sla_figures["rate"],
                   "csat_average": csat_figures["average"]},
        "per_day": per_day_by_type(db, scope, kb),
        "top_products": top_products(db, scope),
        "top_issues": top_issues(db, scope, kb),
        "severity": severity_mix(db, scope),
        "containment": {"total": total, "contained": t["contained"], "handed_off": t["handed_off"], "open": open_,
                        "containment_rate": _rate(t["contained"], total),
                        "handoff_rate": _rate(t["handed_off"], total)},
        "handoff_reasons": handoff_reasons(db, scope),
        "remedies": remedy_mix(db, scope, kb),
        "compensation": compensation(db, scope, kb),
        "sla": sla_figures,
        "csat": csat_figures,
        "nps": {"collected": False},
        "fcr": {"total": total, "resolved_first_time": t["fcr"], "rate": _rate(t["fcr"], total)},
        "reopen": {"reopened": t["reopened"], "resolved": t["reached_resolution"],
                   "rate": _rate(t["reopened"], t["reached_resolution"])},
    }


# --- drill-down: the complaints behind a chart element --------------------------------------------
def drill_filters(scope: Scope, drill: Drill) -> list[ColumnElement[bool]]:
    where = scope.in_view()
    if drill.day is not None:
        shift = scope.period.offset()
        first = datetime.combine(drill.day, time()) - shift
        where += [C.created_at >= first, C.created_at < first + timedelta(days=1)]
    if drill.product is not None:
        where.append(product_of().is_(None) if drill.product == NO_PRODUCT else product_of() == drill.product)
    if drill.severity is not None:
        where.append(C.severity == drill.severity)
    if drill.remedy is not None:
        where.append(C.remedy.is_(None) if drill.remedy == NO_REMEDY else C.remedy == drill.remedy)
    if drill.reason is not None:
        reason = scope.reasons_of_handoff()
        where.append(exists(select(H.id).join(reason, true()).where(H.complaint_id == C.id,
                                                                     reason.c.value == drill.reason)))
    if drill.csat is not None:
        where.append(exists().where(m.Csat.complaint_id == C.id, m.Csat.score == drill.csat))
    if drill.outcome is not None:
        where.append({"contained": contained, "handed_off": handed_off, "open": still_open}[drill.outcome]())
    if drill.sla is not None:
        where.append(exists().where(H.complaint_id == C.id, H.sla_due_at.is_not(None),
                                    sla_state(scope.now) == drill.sla))
    if drill.fcr is not None:
        where.append(first_contact_resolution() if drill.fcr else ~first_contact_resolution())
    if drill.reopened is not None:
        where.append(reopened() if drill.reopened else ~reopened())
    return where


def drilled(scope: Scope, drill: Drill):  # type: ignore[no-untyped-def]
    """SELECT complaint, product, customer over the drill-down's complaints, newest first."""
    return (
        select(C, product_of().label("product"), m.Customer)
        .select_from(C).outerjoin(m.Order, m.Order.order_id == C.order_id)
        .outerjoin(m.Customer, m.Customer.id == C.customer_id)
        .where(*drill_filters(scope, drill)).order_by(C.created_at.desc(), C.id)
    )


def count_drilled(db: Session, scope: Scope, drill: Drill) -> int:
    return int(db.execute(
        select(func.count()).select_from(C).outerjoin(m.Order, m.Order.order_id == C.order_id)
        .where(*drill_filters(scope, drill))
    ).scalar_one())


def facts_of(db: Session, complaint_ids: list[str], now: datetime) -> dict[str, dict[str, Any]]:
    """Per complaint: handoff count and reasons, latest CSAT score, SLA state of its handoffs."""
    out: dict[str, dict[str, Any]] = {cid: {"handoffs": 0, "reasons": [], "csat": None, "sla": None}
                                      for cid in complaint_ids}
    if not complaint_ids:
        return out
    for cid, reasons, state in db.execute(
        select(H.complaint_id, H.reasons, case((H.sla_due_at.is_(None), None), else_=sla_state(now)))
        .where(H.complaint_id.in_(complaint_ids)).order_by(H.created_at)
    ).all():
        row = out[cid]
        row["handoffs"] += 1
        row["reasons"] += [r for r in reasons or [] if r not in row["reasons"]]
        row["sla"] = state or row["sla"]
    for cid, score in db.execute(
        select(m.Csat.complaint_id, m.Csat.score).where(m.Csat.complaint_id.in_(complaint_ids))
        .order_by(m.Csat.created_at)
    ).all():
        out[cid]["csat"] = score
    return out
