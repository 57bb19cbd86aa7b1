"""Fuzz every entry point with generated bad input and measure what happens (issue 10).

    .venv/bin/python bench/fuzz.py                       # 10,000 inputs per entry point
    .venv/bin/python bench/fuzz.py --examples 500 --only rest,wechat

One fresh `qingting serve` (SQLite in a temp dir, WeChat configured against an in-process
stand-in of the WeChat API, the trainer's tools pointed at a copy of the training data) takes
the HTTP and socket.io input; the knowledge-base loader, the time-phrase parser run in-process
and `qingting analyze` as a subprocess. The strategies and the judging are tests/fuzzing/*,
the same the test suite runs at a small sample. Per entry point: inputs sent, a status
histogram, 5xx, problems (impolite or English error text, banned phrases, accepted forgeries),
exceptions in the server log, and for the channels a sample of accepted messages looked up
in the tracker ("nothing lost"). Writes results/fuzz.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from harness import (
    HOST,
    MODEL,
    RESULTS_DIR,
    ROOT,
    VENV_BIN,
    Proc,
    base_env,
    free_port,
    keep_logs,
    spawn,
    startup_deadline,
    stop,
    wait_until_up,
)
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT))

from tests.fuzzing import oracles, records, schemathesis_env  # noqa: E402
from tests.fuzzing import strategies as S  # noqa: E402
from tests.fuzzing import targets as T  # noqa: E402
from tests.wechat_standin import WeChatApiStandIn  # noqa: E402

WECHAT = {"token": "qingting-fuzz-token", "app_id": "wx00fuzz00000000a", "app_secret": "fuzz-secret",
          "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}
PASSWORD = "fuzz horse battery 42"
TRAINING_DATA = ["nlu", "stories", "domain.yml", "config.yml", "tests/data"]
LOST_SAMPLE = 500


@dataclass
class Tally:
    name: str
    inputs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    delivered: list[tuple[str, str]] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    log_alarms: list[str] = field(default_factory=list)
    lost_checked: int = 0
    lost: list[str] = field(default_factory=list)
    seconds: float = 0.0
    slowest: list[tuple[float, str]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def add(self, outcome: T.Outcome) -> None:
        self.inputs += outcome.inputs
        self.statuses[str(outcome.status)] += 1
        for problem in outcome.problems:
            self.problems[problem[:160]] += 1
        self.delivered += outcome.delivered
        self.photos += outcome.photos

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.isdigit() and int(s) >= 500)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs, "statuses": dict(sorted(self.statuses.items())), "server_errors": self.server_errors,
            "problems": sum(self.problems.values()), "problem_examples": dict(self.problems.most_common(15)),
            "log_alarms": len(self.log_alarms), "log_alarm_examples": self.log_alarms[:10],
            "accepted_messages": len(self.delivered) + len(self.photos), "lost_checked": self.lost_checked,
            "lost": len(self.lost), "lost_examples": self.lost[:10], "seconds": round(self.seconds, 1),
            "slowest_cases": self.slowest[::-1],
            **self.notes,
        }


def draw_cases(strategy: st.SearchStrategy[Any], count: int, seed_value: int) -> list[Any]:
    """`count` generated cases (hypothesis, generation only: no shrinking, no database)."""
    out: list[Any] = []

    @seed(seed_value)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case: Any) -> None:
        out.append(case)

    collect()
    return out


# --- the server ----------------------------------------------------------------------------------
@dataclass
class Server:
    base: str
    var_dir: Path
    proc: Proc

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.var_dir / 'qingting.db'}"

    def log_size(self) -> int:
        return self.proc.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.proc.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")


async def start_server(http: aiohttp.ClientSession, work: Path, procs: list[Proc], standin_url: str) -> Server:
    var_dir, training = work / "qingting-var", work / "training"
    var_dir.mkdir()
    for name in TRAINING_DATA:  # the trainer's export writes here, never into the checkout
        source, dest = ROOT / name, training / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, dest)
    credentials = work / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"wechat": {**WECHAT, "api_base": standin_url}}))
    port = free_port()
    env = {**base_env(var_dir), "QINGTING_PORT": str(port), "QINGTING_HOST": HOST,
           "QINGTING_MODEL_DIR": str(MODEL.parent), "QINGTING_CREDENTIALS": str(credentials),
           "QINGTING_TRAINING_ROOT": str(training),
           "QINGTING_RATE_LIMITS": "0"}  # one client sends everything here: this run is about content
    proc = spawn("qingting-serve", [str(VENV_BIN / "qingting"), "serve"], env, work)
    procs.append(proc)
    base = f"http://{HOST}:{port}"
    deadline = startup_deadline(time.monotonic() + 600)
    await wait_until_up(http, proc, base + "/health", deadline)
    await wait_until_up(http, proc, base + "/ready", deadline)
    return Server(base, var_dir, proc)


def create_admin(var_dir: Path) -> str:
    username = f"fuzz_{uuid.uuid4().hex[:8]}"
    env = {**base_env(var_dir), "QINGTING_NEW_PASSWORD": PASSWORD}
    done = subprocess.run([str(VENV_BIN / "qingting"), "create-user", username, "--role", "admin", "--name", "模糊测试"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"create-user failed: {done.stderr[-1500:]}")
    return username


# --- HTTP entry points -------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpEntry:
    strategy: Callable[[], st.SearchStrategy[Any]]
    run: Callable[[T.Target, Any], Awaitable[T.Outcome]]
    concurrency: int
    lost_check: bool = False


HTTP_ENTRIES: dict[str, HttpEntry] = {
    "rest": HttpEntry(S.rest_case, T.rest, 8, lost_check=True),
    "socketio": HttpEntry(S.socket_case, T.socket_chat, 8, lost_check=True),
    "wechat": HttpEntry(S.wechat_case, T.wechat, 8, lost_check=True),
    "upload": HttpEntry(S.upload_case, T.upload, 8),
    "chat_history": HttpEntry(S.history_query, T.history, 16),
    "console": HttpEntry(S.console_case, T.console, 16),
}


async def run_http(name: str, entry: HttpEntry, server: Server, target: T.Target, count: int) -> Tally:
    tally = Tally(name)
    # socket.io cases carry 1-5 messages each: draw enough cases for `count` messages.
    cases = draw_cases(entry.strategy(), count if name != "socketio" else max(1, count // 2), seed_value=10)
    offset, started = server.log_size(), time.monotonic()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)

    async def worker() -> None:
        while not queue.empty() and tally.inputs < count:
            case, began = queue.get_nowait(), time.monotonic()
            tally.add(await T.attempt(entry.run, target, case))
            tally.slowest = sorted([*tally.slowest, (round(time.monotonic() - began, 2), str(case)[:100])])[-5:]

    progress = asyncio.create_task(report_progress(tally, count))
    await asyncio.gather(*(worker() for _ in range(entry.concurrency)))
    progress.cancel()
    tally.seconds = time.monotonic() - started
    await asyncio.sleep(8 if name == "wechat" else 1)  # slow WeChat turns finish through the API
    tally.log_alarms = oracles.log_alarms(server.log_since(offset))
    if entry.lost_check and tally.delivered:
        tally.lost_checked, tally.lost = await asyncio.to_thread(
            records.lost_messages, server.database_url, server.var_dir, tally.delivered, LOST_SAMPLE)
    if tally.photos:
        missing = await asyncio.to_thread(records.missing_photos, server.database_url, tally.photos)
        tally.lost_checked, tally.lost = len(tally.photos), [f"photo {d[:12]}" for d in missing]
    return tally


async def report_progress(tally: Tally, count: int) -> None:
    while True:
        await asyncio.sleep(30)
        print(f"  … {tally.name}: {tally.inputs}/{count}", file=sys.stderr, flush=True)


# --- in-process entry points ---------------------------------------------------------------------
_KB_DIR: Path | None = None


def _kb_worker_init() -> None:
    global _KB_DIR
    _KB_DIR = Path(tempfile.mkdtemp(prefix="fuzz-kb-")) / "knowledge_base"
    shutil.copytree(T.KB_SOURCE, _KB_DIR)


def _kb_chunk(mutations: list[S.KbMutation]) -> list[T.Outcome]:
    assert _KB_DIR is not None
    return [T.kb_load(mutation, _KB_DIR) for mutation in mutations]


def run_kb(count: int, workers: int) -> Tally:
    tally, started = Tally("kb_loader"), time.monotonic()
    cases = draw_cases(S.kb_mutation(), count, seed_value=11)
    chunks = [cases[i : i + 200] for i in range(0, len(cases), 200)]
    with ProcessPoolExecutor(workers, initializer=_kb_worker_init) as pool:
        for outcomes in pool.map(_kb_chunk, chunks):
            for outcome in outcomes:
                tally.add(outcome)
    tally.seconds = time.monotonic() - started
    return tally


def run_timeparse(count: int) -> Tally:
    tally, started = Tally("timeparse"), time.monotonic()
    for phrase, moment in draw_cases(st.tuples(S.time_phrase(), st.integers(0, 400 * 86400)), count, seed_value=12):
        tally.add(T.time_parse(phrase, moment))
    tally.seconds = time.monotonic() - started
    return tally


def run_analyze(count: int, work: Path) -> Tally:
    tally, started = Tally("analyze"), time.monotonic()
    lines = draw_cases(S.analyze_line(), count, seed_value=13)
    var_dir = work / "analyze-var"
    var_dir.mkdir(exist_ok=True)
    done = subprocess.run([str(VENV_BIN / "qingting"), "analyze"], input=b"\n".join(lines) + b"\n",
                          capture_output=True, cwd=ROOT, env={**base_env(var_dir)}, timeout=3600)
    problems = T.analyze_problems(lines, done.stdout, done.stderr, done.returncode)
    tally.inputs = len(lines)
    tally.statuses["exit " + str(done.returncode)] = 1
    tally.statuses["json lines out"] = done.stdout.count(b"\n")
    for problem in problems:
        tally.problems[problem[:160]] += 1
    tally.seconds = time.monotonic() - started
    return tally


def run_schemathesis(server: Server, admin: T.Admin, examples: int) -> Tally:
    tally, started = Tally("schemathesis"), time.monotonic()
    cookie = "; ".join(f"{k}={v}" for k, v in admin.cookies.items())
    offset = server.log_size()
    guarded = [f"{method} {path}" for method, path in S.GUARDED]
    for mode in ("anon", "admin"):
        report = schemathesis_env.run(server.base, mode, examples, cookie, admin.csrf,
                                      exclude=guarded if mode == "admin" else [], timeout=7200)
        tally.notes[f"{mode}_operations"] = len(report["operations"])
        for op_name, op in report["operations"].items():
            tally.inputs += op["requests"]
            for status, n in op["statuses"].items():
                tally.statuses[status] += n
            for failure, n in op["failures"].items():
                tally.problems[f"{mode} {op_name}: {failure}"[:160]] += n
    tally.log_alarms = oracles.log_alarms(server.log_since(offset))
    tally.seconds = time.monotonic() - started
    return tally


# --- the run ---------------------------------------------------------------------------------
ORDER = ["timeparse", "kb_loader", "analyze", "rest", "socketio", "wechat", "upload", "chat_history", "console",
         "schemathesis"]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    chosen = [name for name in ORDER if not args.only or name in args.only]
    results: dict[str, Tally] = {}
    work = Path(tempfile.mkdtemp(prefix="qingting-fuzz-"))
    try:
        for name in [n for n in chosen if n in ("timeparse", "kb_loader", "analyze")]:
            print(f"fuzzing {name} …", file=sys.stderr, flush=True)
            results[name] = (run_timeparse(args.examples) if name == "timeparse" else
                             run_kb(args.examples, args.kb_workers) if name == "kb_loader" else
                             run_analyze(args.examples, work))
            print(json.dumps({name: results[name].as_dict()}, ensure_ascii=False), file=sys.stderr, flush=True)
        served = [n for n in chosen if n in HTTP_ENTRIES or n == "schemathesis"]
        if served:
            await run_served(args, served, work, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a failed run's server log was copied to results/logs
    return {name: results[name].as_dict() for name in chosen if name in results}


async def run_served(args: argparse.Namespace, names: list[str], work: Path, results: dict[str, Tally]) -> None:
    standin = WeChatApiStandIn(WECHAT["app_id"], WECHAT["app_secret"])
    standin.start()
    procs: list[Proc] = []
    failed = True
    try:
        async with aiohttp.ClientSession() as http:
            server = await start_server(http, work, procs, standin.url)
        admin_name = create_admin(server.var_dir)
        target = await T.Target.open(server.base, WECHAT, (admin_name, PASSWORD), limit=64)
        try:
            for name in names:
                print(f"fuzzing {name} …", file=sys.stderr, flush=True)
                if name == "schemathesis":
                    assert target.admin is not None
                    results[name] = await asyncio.to_thread(run_schemathesis, server, target.admin,
                                                            args.schemathesis_examples)
                else:
                    results[name] = await run_http(name, HTTP_ENTRIES[name], server, target, args.examples)
                print(json.dumps({name: results[name].as_dict()}, ensure_ascii=False), file=sys.stderr, flush=True)
        finally:
            await target.close()
        failed = False
    finally:
        if failed:
            keep_logs(procs)
        for proc in procs:
            stop(proc)
        standin.stop()


def table(rows: dict[str, dict[str, Any]]) -> str:
    head = f"{'entry point':<14}{'inputs':>8}{'5xx':>6}{'problems':>10}{'log exc':>9}{'checked':>9}{'lost':>6}{'s':>8}"
    lines = [head, "-" * len(head)]
    for name, row in rows.items():
        lines.append(f"{name:<14}{row['inputs']:>8}{row['server_errors']:>6}{row['problems']:>10}"
                     f"{row['log_alarms']:>9}{row['lost_checked']:>9}{row['lost']:>6}{row['seconds']:>8}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per entry point")
    parser.add_argument("--only", type=lambda s: set(s.split(",")), default=None, help=f"some of {','.join(ORDER)}")
    parser.add_argument("--schemathesis-examples", type=int, default=150,
                        help="cases per operation and generation mode (positive, negative), anonymous and admin")
    parser.add_argument("--kb-workers", type=int, default=2)
    args = parser.parse_args()
    if not MODEL.exists():
        raise SystemExit("no model: run `.venv/bin/qingting train` first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    started = time.monotonic()
    rows = asyncio.run(run(args))
    print(table(rows))
    save(args, rows, round((time.monotonic() - started) / 60, 1))


def save(args: argparse.Namespace, rows: dict[str, dict[str, Any]], minutes: float) -> None:
    """results/fuzz.json keeps the latest figures of every entry point: an --only run
    replaces those it ran and keeps the others (each row says when and with what)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "fuzz.json"
    kept = json.loads(path.read_text()).get("entry_points", {}) if path.exists() else {}
    run_info = {"when": datetime.now(timezone.utc).isoformat(), "examples": args.examples,
                "schemathesis_examples": args.schemathesis_examples, "run_minutes": minutes}
    kept.update({name: {**row, "run": run_info} for name, row in rows.items()})
    out = {"machine": platform.platform(), "cpus": os.cpu_count(), "entry_points": kept}
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
