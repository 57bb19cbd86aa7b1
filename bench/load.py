"""Load benchmark: scripted complaint conversations at 50, 100 and 200 concurrent customers.

Four systems, all in one run, one at a time, each started fresh on loopback:

  (a) stock    `rasa run` + `rasa run actions` on the same model (in-memory trackers);
  (b) sqlite   one `qingting serve` on its embedded SQLite file;
  (c) pg1      one `qingting serve` on PostgreSQL + Redis;
  (d) pg2      two `qingting serve` processes on the same PostgreSQL + Redis, each turn of a
               conversation sent to the other process than the one before (no stickiness:
               the hardest case for the shared lock and tracker).

For each system and each concurrency level, N virtual customers (this process: the load
client) run the 10-turn complaint conversations of bench/rest_turns.py back to back — a
reply, then the next turn — for a fixed time (closed loop; a customer who finishes starts a
new conversation under a new sender id). Then an open-loop phase offers turns at a fixed
rate (default 50 turns/s) to read latency at a known load. Printed per system and level:
turns/s, p50/p95/p99 latency, errors, and the peak memory (VmHWM) of every server process;
then the ratios of turns/s to (a).

    .venv/bin/python bench/load.py                      # everything (about 20 minutes)
    .venv/bin/python bench/load.py --systems sqlite,pg2 --levels 50 --seconds 20

A benchmark, not a test: it asserts nothing. Every request has a timeout, every phase a
time limit and the whole run a deadline (--timeout); servers are stopped on every exit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from harness import (
    HOST,
    MODEL,
    RESULTS_DIR,
    VENV_BIN,
    Proc,
    base_env,
    fmt,
    free_port,
    keep_logs,
    percentile,
    spawn,
    startup_deadline,
    stop,
    wait_until_up,
)
from rest_turns import CONVERSATIONS, WARM_UP, start_stock

from bot.storage.scratch import create_scratch_database, drop_scratch_database

RESULTS = RESULTS_DIR / "load.json"
WEBHOOK = "/webhooks/rest/webhook"
REQUEST_TIMEOUT_S = 60.0
PG_ADMIN = os.environ.get("QINGTING_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("QINGTING_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SYSTEMS = ("stock", "sqlite", "pg1", "pg2")


# --- the systems -------------------------------------------------------------------------------
@dataclass
class System:
    name: str
    urls: list[str]
    procs: list[Proc]


async def start_qingtings(session: aiohttp.ClientSession, work: Path, count: int, extra_env: dict[str, str],
                          procs: list[Proc], run_deadline: float, label: str) -> list[str]:
    var_dir = work / f"{label}-var"
    var_dir.mkdir()
    urls, started = [], []
    for index in range(count):
        port = free_port()
        env = {**base_env(var_dir), "QINGTING_PORT": str(port), "QINGTING_HOST": HOST,
               "QINGTING_MODEL_DIR": str(MODEL.parent), **extra_env}
        proc = spawn(f"{label}-{index}", [str(VENV_BIN / "qingting"), "serve"], env, work)
        procs.append(proc)
        started.append(proc)
        urls.append(f"http://{HOST}:{port}")
    deadline = startup_deadline(run_deadline)
    for proc, url in zip(started, urls, strict=True):
        await wait_until_up(session, proc, url + "/ready", deadline)
    return urls


async def start_system(name: str, session: aiohttp.ClientSession, work: Path, deadline: float,
                       databases: list[str]) -> System:
    procs: list[Proc] = []
    if name == "stock":
        return System(name, [await start_stock(session, work, procs, deadline)], procs)
    if name == "sqlite":
        return System(name, await start_qingtings(session, work, 1, {}, procs, deadline, name), procs)
    database = create_scratch_database(PG_ADMIN, "qingting_bench")
    databases.append(database)
    env = {"DATABASE_URL": database, "REDIS_URL": REDIS_URL, "QINGTING_REDIS_NAMESPACE": f"bench{uuid.uuid4().hex[:6]}",
           "QINGTING_SECRET_KEY": _fernet_key()}
    count = 2 if name == "pg2" else 1
    return System(name, await start_qingtings(session, work, count, env, procs, deadline, name), procs)


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def peak_memory_mb(proc: Proc) -> dict[str, float]:
    """VmHWM (peak resident set) of the process and its children, by pid."""
    found: dict[str, float] = {}
    for pid in [proc.process.pid, *_children(proc.process.pid)]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    found[f"{proc.name}[{pid}]"] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return found


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# --- the load ----------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


class Customers:
    """Endless scripted conversations under fresh sender ids; each turn to the next URL."""

    def __init__(self, urls: list[str], run_id: str) -> None:
        self.urls = itertools.cycle(urls)
        self.run_id = run_id
        self.numbers = itertools.count()

    def conversation(self) -> tuple[str, list[str]]:
        number = next(self.numbers)
        return f"load-{self.run_id}-{number:05d}", CONVERSATIONS[number % len(CONVERSATIONS)]

    def next_url(self) -> str:
        return next(self.urls) + WEBHOOK


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)) as response:
            body = await response.read()
            if response.status != 200 or not isinstance(json.loads(body), list):
                tally.error(f"HTTP {response.status}: {body[:160]!r}")
                return
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        tally.error(f"{type(exc).__name__}: {exc}")
        return
    tally.latencies_ms.append((time.perf_counter() - started) * 1000)


async def closed_loop(session: aiohttp.ClientSession, customers: Customers, concurrency: int,
                      seconds: float) -> tuple[Tally, float]:
    """`concurrency` customers, each sending its next turn as soon as the reply is in."""
    tally = Tally()
    stop_at = time.monotonic() + seconds

    async def customer() -> None:
        while time.monotonic() < stop_at:
            sender, lines = customers.conversation()
            for text in lines:
                if time.monotonic() >= stop_at:
                    return
                await turn(session, customers.next_url(), sender, text, tally)

    started = time.perf_counter()
    await asyncio.gather(*(customer() for _ in range(concurrency)))
    return tally, time.perf_counter() - started


async def open_loop(session: aiohttp.ClientSession, customers: Customers, rate: float,
                    seconds: float) -> tuple[Tally, float]:
    """Turns offered at `rate` per second whatever the replies do; each conversation keeps
    its own order (its next turn waits for its previous reply), so there are as many
    conversations in flight as the server's latency requires."""
    tally = Tally()
    idle: asyncio.Queue[tuple[str, Iterator[str]]] = asyncio.Queue()
    tasks: list[asyncio.Task] = []  # type: ignore[type-arg]

    async def one(sender: str, lines: Iterator[str], text: str) -> None:
        await turn(session, customers.next_url(), sender, text, tally)
        idle.put_nowait((sender, lines))

    started = time.perf_counter()
    for index in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        sender, lines = idle.get_nowait() if not idle.empty() else _fresh(customers)
        text = next(lines, None)
        if text is None:
            sender, lines = _fresh(customers)
            text = next(lines)
        tasks.append(asyncio.create_task(one(sender, lines, text)))
    await asyncio.gather(*tasks)
    return tally, time.perf_counter() - started


def _fresh(customers: Customers) -> tuple[str, Iterator[str]]:
    sender, lines = customers.conversation()
    return sender, iter(lines)


# --- results -----------------------------------------------------------------------------------
@dataclass
class Row:
    system: str
    phase: str
    turns: int
    errors: int
    turns_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    first_error: str | None


def row(system: str, phase: str, tally: Tally, wall: float) -> Row:
    lat = tally.latencies_ms
    return Row(system, phase, len(lat), tally.errors, round(len(lat) / wall, 2) if wall else 0.0,
               _r(percentile(lat, 50)), _r(percentile(lat, 95)), _r(percentile(lat, 99)), tally.first_error)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_table(rows: list[Row], memory: dict[str, dict[str, float]]) -> None:
    print(f"\n{'system':8} {'phase':12} {'turns':>6} {'errors':>6} {'turns/s':>8} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r.system:8} {r.phase:12} {r.turns:>6} {r.errors:>6} {r.turns_per_s:>8.2f} {fmt(r.p50_ms):>8} "
              f"{fmt(r.p95_ms):>8} {fmt(r.p99_ms):>8}")
    print("\npeak memory (VmHWM, MB)")
    for system, procs in memory.items():
        print(f"  {system:8} " + ", ".join(f"{name} {mb:.0f}" for name, mb in procs.items()))
    baseline = {r.phase: r.turns_per_s for r in rows if r.system == "stock"}
    if baseline:
        print("\nturns/s relative to (a) stock")
        for r in rows:
            if r.system != "stock" and baseline.get(r.phase):
                print(f"  {r.system:8} {r.phase:12} {r.turns_per_s / baseline[r.phase]:.2f}x")
    pg = {(r.system, r.phase): r.turns_per_s for r in rows if r.system in ("pg1", "pg2")}
    for phase in sorted({p for _, p in pg}):
        if pg.get(("pg1", phase)) and pg.get(("pg2", phase)):
            print(f"  pg2/pg1  {phase:12} {pg[('pg2', phase)] / pg[('pg1', phase)]:.2f}x")


# --- the run -----------------------------------------------------------------------------------
async def bench_one(name: str, args: argparse.Namespace, work: Path, deadline: float, rows: list[Row],
                    memory: dict[str, dict[str, float]], databases: list[str], all_procs: list[Proc]) -> None:
    print(f"\n== {name}: starting", flush=True)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        system = await start_system(name, session, work, deadline, databases)
        all_procs.extend(system.procs)
        try:
            customers = Customers(system.urls, uuid.uuid4().hex[:6])
            warm = Tally()
            for text in WARM_UP:
                await turn(session, customers.next_url(), f"warm-{customers.run_id}", text, warm)
            for level in args.levels:
                tally, wall = await closed_loop(session, customers, level, args.seconds)
                rows.append(row(name, f"closed x{level}", tally, wall))
                print(f"  closed x{level}: {rows[-1].turns_per_s} turns/s, p99 {rows[-1].p99_ms} ms, "
                      f"{tally.errors} errors", flush=True)
            tally, wall = await open_loop(session, customers, args.rate, args.open_seconds)
            rows.append(row(name, f"open {args.rate:g}/s", tally, wall))
            print(f"  open {args.rate:g}/s: p99 {rows[-1].p99_ms} ms, {tally.errors} errors", flush=True)
            memory[name] = {k: v for proc in system.procs for k, v in peak_memory_mb(proc).items()}
        finally:
            for proc in system.procs:
                stop(proc)


async def main_async(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    rows: list[Row] = []
    memory: dict[str, dict[str, float]] = {}
    databases: list[str] = []
    procs: list[Proc] = []
    with tempfile.TemporaryDirectory(prefix="qingting-load-") as tmp:
        try:
            for name in args.systems:
                await bench_one(name, args, Path(tmp), deadline, rows, memory, databases, procs)
        except Exception:
            keep_logs(procs)
            raise
        finally:
            for proc in procs:
                stop(proc)
            for database in databases:
                drop_scratch_database(database, PG_ADMIN)
    print_table(rows, memory)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(timezone.utc).isoformat(), "machine": platform.platform(), "cpus": os.cpu_count(),
        "args": {k: v for k, v in vars(args).items()}, "rows": [asdict(r) for r in rows], "memory_mb": memory,
    }, indent=2, ensure_ascii=False))
    print(f"\nwritten to {RESULTS}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", default=",".join(SYSTEMS), type=lambda s: [x for x in s.split(",") if x])
    parser.add_argument("--levels", default="50,100,200", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--seconds", type=float, default=40.0, help="closed-loop time per level")
    parser.add_argument("--rate", type=float, default=50.0, help="open-loop turns offered per second")
    parser.add_argument("--open-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=3600.0, help="deadline for the whole run")
    args = parser.parse_args(argv)
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; choose from {SYSTEMS}")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
