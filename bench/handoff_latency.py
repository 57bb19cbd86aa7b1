"""Handoff latency: a customer's extreme message → the case visible to a connected console.

Starts `qingting serve` fresh (SQLite in a temp dir), creates an agent account, logs in over
HTTP like the console page does and connects to the console's socket.io namespace with that
session cookie. Then, one handoff at a time, a new customer sends an extreme message over the
REST channel and the clock runs until

  event    the console receives `queue_changed` (reason "new") for the new handoff;
  visible  the console has also fetched GET /api/console/queue and found the case in it
           (what the page does on that event: the case is on the agent's screen).

Baseline, in the same run and the same server: the REST round trip of an ordinary first
complaint turn ("我的电水壶坏了", no handoff), so the ratio visible/baseline says what the
handoff path adds on top of a normal bot turn.

    .venv/bin/python bench/handoff_latency.py               # 100 handoffs, 100 baseline turns
    .venv/bin/python bench/handoff_latency.py --handoffs 20

Prints p50/p95/p99 per measure and writes bench/results/handoff_latency.json. A benchmark,
not a test: nothing here asserts a speed. Loopback only; every wait has a timeout and the
whole run an overall deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from harness import (
    MODEL,
    RESULTS_DIR,
    ROOT,
    VENV_BIN,
    Proc,
    base_env,
    fmt,
    keep_logs,
    percentile,
    start_qingting,
    stop,
)

RESULTS = RESULTS_DIR / "handoff_latency.json"
WEBHOOK = "/webhooks/rest/webhook"
WAIT_S = 30.0
PASSWORD = "bench-agent-password-1"

# Each hands off on its own (DOMAIN.md): a person asked for, a regulator or the media
# threatened, danger. Each goes to a brand-new customer.
EXTREME = [
    "转人工",
    "再不处理我就去12315投诉你们",
    "我要找媒体曝光你们",
    "热水器冒烟了，差点着火",
    "我要跟真人说，叫你们经理来",
]
ORDINARY = "我的电水壶坏了"


class ConsoleWatcher:
    """An agent's console: logged in over HTTP, listening on the /console namespace."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sio = socketio.AsyncClient(reconnection=False)
        self.new_cases: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.sio.on("queue_changed", self._on_queue_changed, namespace="/console")

    async def _on_queue_changed(self, event: dict[str, Any]) -> None:
        if event.get("reason") == "new":
            await self.new_cases.put((time.perf_counter(), str(event.get("handoff_id"))))

    async def login(self, username: str) -> None:
        async with self.http.get(self.base + "/api/auth/session") as response:
            csrf = (await response.json())["csrf_token"]
        async with self.http.post(self.base + "/api/auth/login", json={"username": username, "password": PASSWORD},
                                  headers={"X-CSRF-Token": csrf}) as response:
            if response.status != 200:
                raise RuntimeError(f"console login failed: HTTP {response.status} {await response.text()}")
        cookie = "; ".join(f"{c.key}={c.value}" for c in self.http.cookie_jar)
        await self.sio.connect(self.base, namespaces=["/console"], transports=["websocket"],
                               headers={"Cookie": cookie}, socketio_path="socket.io", wait_timeout=10)

    async def queue_ids(self) -> set[str]:
        async with self.http.get(self.base + "/api/console/queue") as response:
            return {item["id"] for item in (await response.json())["items"]}

    async def close(self) -> None:
        await self.sio.disconnect()
        await self.http.close()


def create_agent(var_dir: Path) -> str:
    username = f"bench_{uuid.uuid4().hex[:8]}"
    env = {**base_env(var_dir), "QINGTING_NEW_PASSWORD": PASSWORD}
    done = subprocess.run([str(VENV_BIN / "qingting"), "create-user", username, "--role", "agent", "--name", "压测专员"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"create-user failed: {done.stderr[-1500:]}")
    return username


async def rest_turn(http: aiohttp.ClientSession, base: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    async with http.post(base + WEBHOOK, json={"sender": sender, "message": text},
                         timeout=aiohttp.ClientTimeout(total=WAIT_S)) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"REST turn failed: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


async def one_handoff(console: ConsoleWatcher, http: aiohttp.ClientSession, base: str, index: int,
                      run_id: str) -> dict[str, float]:
    while not console.new_cases.empty():  # nothing stale may count for this customer
        console.new_cases.get_nowait()
    started = time.perf_counter()
    reply = asyncio.create_task(rest_turn(http, base, f"bench-handoff-{run_id}-{index}", EXTREME[index % len(EXTREME)]))
    at, handoff_id = await asyncio.wait_for(console.new_cases.get(), WAIT_S)
    event_ms = (at - started) * 1000
    while handoff_id not in await console.queue_ids():
        if (time.perf_counter() - started) > WAIT_S:
            raise RuntimeError(f"handoff {handoff_id} never showed in the queue")
        await asyncio.sleep(0.01)
    visible_ms = (time.perf_counter() - started) * 1000
    reply_ms = await reply
    return {"event": event_ms, "visible": visible_ms, "reply": reply_ms}


def summary(values: list[float]) -> dict[str, float | None]:
    return {f"p{p}": (round(v, 1) if (v := percentile(values, p)) is not None else None) for p in (50, 95, 99)} | {
        "n": len(values)}


async def run(args: argparse.Namespace, work: Path, procs: list[Proc]) -> dict[str, Any]:
    deadline = time.monotonic() + args.timeout
    run_id = datetime.now().strftime("%H%M%S")
    async with aiohttp.ClientSession() as http:
        print("[qingting] starting…", flush=True)
        base = await start_qingting(http, work, procs, deadline)
        username = create_agent(work / "qingting-var")
        console = ConsoleWatcher(base)
        await console.login(username)
        for i in range(3):  # warm-up, not counted
            await rest_turn(http, base, f"bench-warm-{run_id}-{i}", ORDINARY)
            await one_handoff(console, http, base, 10_000 + i, run_id)
        baseline = []
        for i in range(args.handoffs):
            baseline.append(await rest_turn(http, base, f"bench-plain-{run_id}-{i}", ORDINARY))
        measured: dict[str, list[float]] = {"event": [], "visible": [], "reply": []}
        errors = 0
        for i in range(args.handoffs):
            if time.monotonic() > deadline:
                break
            try:
                one = await one_handoff(console, http, base, i, run_id)
            except (RuntimeError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
                errors += 1
                print(f"handoff {i}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            for key, value in one.items():
                measured[key].append(value)
        await console.close()
    return {
        "baseline_ordinary_turn_ms": summary(baseline),
        **{f"handoff_{key}_ms": summary(values) for key, values in measured.items()},
        "errors": errors,
    }


def report(figures: dict[str, Any]) -> None:
    rows = [("ordinary bot turn (REST round trip)", "baseline_ordinary_turn_ms"),
            ("handoff: console receives the event", "handoff_event_ms"),
            ("handoff: case visible in the console queue", "handoff_visible_ms"),
            ("handoff: customer has the bot's reply", "handoff_reply_ms")]
    print(f"\n{'measure':<46}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for label, key in rows:
        s = figures[key]
        print(f"{label:<46}{s['n']:>5}{fmt(s['p50']):>10}{fmt(s['p95']):>10}{fmt(s['p99']):>10}")
    base, visible = figures["baseline_ordinary_turn_ms"]["p50"], figures["handoff_visible_ms"]["p50"]
    if base and visible:
        figures["ratio_visible_p50_over_baseline_p50"] = round(visible / base, 3)
        print(f"\nratio handoff visible p50 / ordinary turn p50: {visible / base:.2f}")
    print(f"errors: {figures['errors']}")


def on_term(signum, frame):  # type: ignore[no-untyped-def]
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--handoffs", type=int, default=100, help="measured handoffs (default 100)")
    parser.add_argument("--timeout", type=float, default=900.0, help="overall deadline in seconds (default 900)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not 1 <= args.handoffs <= 1000:
        parser.error("--handoffs must be between 1 and 1000")
    if not MODEL.exists():
        print(f"no model at {MODEL}: train one first (`.venv/bin/qingting train`)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_term)
    procs: list[Proc] = []
    with tempfile.TemporaryDirectory(prefix="qingting-bench-") as tmp:
        try:
            figures = asyncio.run(run(args, Path(tmp), procs))
        except BaseException:
            keep_logs(procs)
            raise
        finally:
            for proc in reversed(procs):
                stop(proc)
    report(figures)
    payload = {"benchmark": "handoff_latency", "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "host": {"cpus": os.cpu_count(), "platform": platform.platform()}, **figures}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.output}")
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
