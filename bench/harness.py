"""What the benchmarks share: start and stop servers on loopback, wait for them, percentiles.

Every server binds to 127.0.0.1 on a free port and runs in its own process group, so
`stop` takes down everything it started (also on errors and Ctrl-C in the callers).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "qingting.tar.gz"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"

STARTUP_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    process: subprocess.Popen
    log_path: Path

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def base_env(var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "QINGTING_VAR_DIR": str(var_dir),
           "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "PYTHONUNBUFFERED": "1",
           # All benchmark traffic comes from 127.0.0.1 at machine speed: the per-IP and
           # per-customer limits (bot/ratelimit.py) would measure themselves, not the bot.
           "QINGTING_RATE_LIMITS": "0"}
    for name in ("DATABASE_URL", "REDIS_URL", "ORDER_API_URL", "QINGTING_FAULT_ACTIONS"):
        env.pop(name, None)
    return env


def spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Proc:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Proc(name, process, log_path)


def stop(proc: Proc) -> None:
    """SIGTERM the process group, SIGKILL it if it does not go within STOP_TIMEOUT_S."""
    if proc.process.poll() is not None:
        return
    try:
        os.killpg(proc.process.pid, signal.SIGTERM)
        proc.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.process.pid, signal.SIGKILL)
        proc.process.wait(timeout=STOP_TIMEOUT_S)
    except ProcessLookupError:
        pass


async def wait_until_up(session: aiohttp.ClientSession, proc: Proc, url: str, deadline: float,
                        check=None) -> None:  # type: ignore[no-untyped-def]
    """Poll `url` until it answers 200 (and `check(body)` holds), the process dies or time runs out."""
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"{proc.name} exited early (code {proc.process.returncode}); "
                               f"log {proc.log_path}:\n{proc.tail()}")
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                body = await response.text()
                if response.status == 200 and (check is None or check(body)):
                    return
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(1.0)
    raise RuntimeError(f"{proc.name} did not come up at {url} in time; log {proc.log_path}:\n{proc.tail()}")


def startup_deadline(run_deadline: float) -> float:
    return min(time.monotonic() + STARTUP_TIMEOUT_S, run_deadline)


async def start_qingting(session: aiohttp.ClientSession, work: Path, procs: list[Proc],
                         run_deadline: float) -> str:
    var_dir = work / "qingting-var"
    var_dir.mkdir()
    port = free_port()
    env = {**base_env(var_dir), "QINGTING_PORT": str(port), "QINGTING_HOST": HOST,
           "QINGTING_MODEL_DIR": str(MODEL.parent)}
    proc = spawn("qingting-serve", [str(VENV_BIN / "qingting"), "serve"], env, work)
    procs.append(proc)
    base = f"http://{HOST}:{port}"
    deadline = startup_deadline(run_deadline)
    await wait_until_up(session, proc, base + "/health", deadline)
    await wait_until_up(session, proc, base + "/ready", deadline)
    return base

def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]

def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"

def keep_logs(procs: list[Proc]) -> None:
    """After a failure, copy the servers' logs next to the results (the temp dir goes away)."""
    if not procs:
        return
    logs = RESULTS_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for proc in procs:
        if proc.log_path.exists():
            shutil.copyfile(proc.log_path, logs / proc.log_path.name)
    print(f"server logs kept in {logs}", file=sys.stderr)
