"""Supervisor dashboard queries on 100,000 seeded complaints, SQLite and PostgreSQL.

Seeds the demo records (bot/analytics/demo_data.py, no transcripts) into a temp SQLite file
and a temp PostgreSQL database, then times every figure of the summary over the whole
period (six months), the full summary, one drill-down page and the CSV export of one chart
element: the median of a few runs after one uncounted warm-up. The baseline measured in the
same run is a plain `SELECT count(*) FROM complaints`; ratios are against it.
Prints a table and writes results/analytics_queries.json. Figures are measured, never asserted.

    .venv/bin/python bench/analytics_queries.py [--complaints N] [--runs N] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from bench.harness import RESULTS_DIR, fmt  # noqa: E402
from bot.analytics import csv_export  # noqa: E402
from bot.analytics import queries as q  # noqa: E402
from bot.analytics.demo_data import DemoPlan, seed_demo  # noqa: E402
from bot.knowledge import load_knowledge_base  # noqa: E402
from bot.storage import models as m  # noqa: E402
from bot.storage.db import engine_for, migrate, session_scope  # noqa: E402
from bot.storage.scratch import create_scratch_database, drop_scratch_database  # noqa: E402

PG_ADMIN = os.environ.get("QINGTING_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
KB = load_knowledge_base()


def figures(period: q.Period) -> dict[str, Callable]:  # type: ignore[type-arg]
    """name -> work(db); each is what one dashboard request runs."""
    def scoped(fn: Callable) -> Callable:  # type: ignore[type-arg]
        return lambda db: fn(db, q.Scope.of(db, period))

    return {
        "totals (rates)": scoped(q.totals),
        "per day by type": scoped(lambda db, s: q.per_day_by_type(db, s, KB)),
        "top products": scoped(q.top_products),
        "top issues": scoped(lambda db, s: q.top_issues(db, s, KB)),
        "severity mix": scoped(q.severity_mix),
        "handoff reasons": scoped(q.handoff_reasons),
        "remedy mix": scoped(lambda db, s: q.remedy_mix(db, s, KB)),
        "compensation vs cap": scoped(lambda db, s: q.compensation(db, s, KB)),
        "sla (+escalations)": scoped(q.sla),
        "csat (dist+trend)": scoped(q.csat),
        "whole summary": lambda db: q.summary(db, period, KB),
        "drill page (severity 3)": lambda db: db.execute(
            q.drilled(q.Scope.of(db, period), q.Drill(severity=3)).limit(20)).all(),
        "drill count (reason)": lambda db: q.count_drilled(db, q.Scope.of(db, period), q.Drill(reason="above_cap")),
        "csv export (sev. 1)": lambda db: csv_export.export(db, KB, q.Scope.of(db, period), q.Drill(severity=1), True),
    }


def timed(url: str, work: Callable, runs: int) -> float:  # type: ignore[type-arg]
    samples = []
    for attempt in range(runs + 1):
        with session_scope(url) as db:
            start = time.perf_counter()
            work(db)
            elapsed = (time.perf_counter() - start) * 1000
        if attempt:  # the first run warms caches and is not counted
            samples.append(elapsed)
    return statistics.median(samples)


def measure(name: str, url: str, complaints: int, runs: int) -> dict:
    migrate(url)
    start = time.perf_counter()
    counts = seed_demo(url, KB, DemoPlan(complaints=complaints, months=6, seed=1, transcripts=0))
    seeded_s = time.perf_counter() - start
    if engine_for(url).dialect.name == "postgresql":
        with engine_for(url).begin() as conn:
            conn.execute(text("ANALYZE"))
    with session_scope(url) as db:
        first = db.execute(select(func.min(m.Complaint.created_at))).scalar_one()
        last = db.execute(select(func.max(m.Complaint.created_at))).scalar_one()
    period = q.Period(first.date() - timedelta(days=1), last.date() + timedelta(days=1))
    baseline = timed(url, lambda db: db.execute(select(func.count()).select_from(m.Complaint)).scalar_one(), runs)
    rows = {label: timed(url, work, runs) for label, work in figures(period).items()}
    print(f"\n{name}: {counts['complaints']:,} complaints seeded in {seeded_s:.1f} s "
          f"({', '.join(f'{k} {v:,}' for k, v in counts.items() if k != 'complaints')})")
    print(f"  {'query':28} {'median ms':>10} {'x count(*)':>11}")
    print(f"  {'baseline: SELECT count(*)':28} {fmt(baseline, 2):>10} {'1.0':>11}")
    for label, ms in rows.items():
        print(f"  {label:28} {fmt(ms, 1):>10} {fmt(ms / baseline if baseline else None, 1):>11}")
    return {"seeded": counts, "seed_s": round(seeded_s, 1), "baseline_ms": round(baseline, 3),
            "queries_ms": {k: round(v, 2) for k, v in rows.items()}}


def postgres_database() -> str | None:
    try:
        return create_scratch_database(PG_ADMIN, "qingting_bench")
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not reachable at {PG_ADMIN} ({type(exc).__name__}); skipped", file=sys.stderr)
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from cryptography.fernet import Fernet

    os.environ.setdefault("QINGTING_SECRET_KEY", Fernet.generate_key().decode())  # a throwaway key
    results = {}
    with tempfile.TemporaryDirectory(prefix="qingting-analytics-") as tmp:
        results["sqlite"] = measure("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.complaints, args.runs)
    if not args.skip_postgres and (url := postgres_database()):
        try:
            results["postgresql"] = measure("PostgreSQL", url, args.complaints, args.runs)
        finally:
            drop_scratch_database(url, PG_ADMIN)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "analytics_queries.json"
    out.write_text(json.dumps({"complaints": args.complaints, "runs": args.runs, **results}, indent=1))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
