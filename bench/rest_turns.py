"""REST turns benchmark: `qingting serve` against stock `rasa run` + `rasa run actions`.

Sends the same scripted complaint conversations (200 turns by default: 20 conversations of
10 turns, each its own sender id) over the REST channel, POST /webhooks/rest/webhook with
{"sender", "message"}, to

  (a) `qingting serve`: one aiohttp process, actions in process, SQLite under a temp dir;
  (b) stock `rasa run --enable-api` on the same model, with `rasa run actions` as the action
      server (in-memory tracker store; the action server's SQLite under another temp dir,
      seeded with the demo orders like (a) seeds its own).

One system runs at a time, each started fresh and stopped before the next one starts. For
each: a short warm-up (not counted), then

  sequential  one conversation at a time, turn by turn, waiting for each reply
              (the latency figures: p50/p99 per turn);
  concurrent  `--concurrency` conversations in parallel (asyncio + aiohttp), each still
              turn by turn (the throughput figure under concurrency).

It prints a table (system, mode, turns, errors, empty replies, turns/s, p50 ms, p99 ms) and
the ratios (a)/(b) for turns/s and p50, and writes the same to bench/results/rest_turns.json.

Run it from the project root (takes several minutes: each server needs ~1 minute to load):

    .venv/bin/python bench/rest_turns.py
    .venv/bin/python bench/rest_turns.py --skip-stock          # only (a)
    .venv/bin/python bench/rest_turns.py --turns 100 --concurrency 5

This is a benchmark, not a test: it asserts nothing about speed. Servers bind to 127.0.0.1
only; every request has a 30 s timeout and the whole run an overall deadline (--timeout);
servers are stopped (their process groups killed) on exit, also on errors and Ctrl-C.
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
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from harness import (
    HOST,
    MODEL,
    RESULTS_DIR,
    ROOT,
    VENV_BIN,
    Proc,
    base_env,
    fmt,
    free_port,
    keep_logs,
    percentile,
    spawn,
    start_qingting,
    startup_deadline,
    stop,
    wait_until_up,
)

RESULTS = RESULTS_DIR / "rest_turns.json"
WEBHOOK = "/webhooks/rest/webhook"

REQUEST_TIMEOUT_S = 30.0

# --------------------------------------------------------------------------------------------
# The script: 20 conversations x 10 turns = 200 turns. Demo orders QT202611150001..24.
# No handoff triggers (转人工, insults, 12315 ...): they pause a conversation.
# --------------------------------------------------------------------------------------------
CONVERSATIONS: list[list[str]] = [
    ["你好", "我上周买的电水壶用了三天就不加热了", "QT202611150003", "我要退货", "明天下午三点",
     "七天无理由怎么算", "保修期多久", "我的投诉处理得怎么样了", "谢谢", "再见"],
    ["在吗", "电视买回来屏幕就有一条竖线", "订单号QT202611150001", "/request_exchange", "后天上午十点",
     "三包是什么", "进度查一下", "好的", "谢谢", "拜拜"],
    ["你好", "快递一直没到 都过去五天了", "QT202611150002", "给点补偿吧", "明天上午十点",
     "退款多久会到帐", "我的投诉处理得怎么样了", "好的", "感谢", "先这样吧"],
    ["亲在吗", "多扣了我50块钱", "QT202611150004", "/request_compensation", "周五下午两点",
     "七天无理由怎么算", "进度查一下", "可以", "谢谢", "再见"],
    ["你好", "洗衣机转起来声音特别大 还漏水", "QT202611150005", "安排维修吧", "明天上午九点",
     "三包是什么", "维修要多久", "我的投诉处理得怎么样了", "辛苦了", "没事了"],
    ["在吗", "微波炉用了两天就不转了", "QT202611150006", "我要换货", "下周一下午三点",
     "拆封了还能退货吗", "进度查一下", "行", "谢谢", "拜拜"],
    ["你好", "冰箱不制冷 里面的菜都坏了", "订单号QT202611150007", "/request_repair", "明天下午四点",
     "三包是什么", "我的投诉处理得怎么样了", "好的", "感谢", "再见"],
    ["你好", "报修一周了还没人来修", "QT202611150008", "安排维修吧", "后天下午两点",
     "保修期多久", "进度查一下", "嗯嗯", "谢谢", "先这样吧"],
    ["在吗", "笔记本电脑开机就蓝屏 才买两周", "QT202611150009", "安排维修吧", "明天上午十一点",
     "七天无理由怎么算", "退款多久会到帐", "我的投诉处理得怎么样了", "谢谢", "再见"],
    ["你好", "热水器用了一个月就不出热水了", "QT202611150010", "我要换货", "周六上午十点",
     "三包是什么", "进度查一下", "可以", "辛苦了", "拜拜"],
    ["亲在吗", "付款的时候扣了两次钱", "QT202611150011", "给点补偿吧", "明天下午三点",
     "退款多久会到帐", "我的投诉处理得怎么样了", "好的", "谢谢", "没事了"],
    ["你好", "路由器收到就坏的 灯都不亮", "QT202611150012", "/request_repair", "后天晚上八点",
     "拆封了还能退货吗", "进度查一下", "行", "感谢", "再见"],
    ["在吗", "吸尘器吸力越来越小 才用了几天", "QT202611150013", "安排维修吧", "明天中午十二点",
     "七天无理由怎么算", "我的投诉处理得怎么样了", "好的", "谢谢", "拜拜"],
    ["你好", "收到的箱子整个压扁 电视屏幕碎了", "QT202611150014", "/request_compensation", "下周二上午十点",
     "退款多久会到帐", "进度查一下", "可以", "辛苦了", "先这样吧"],
    ["你好", "水果礼盒到的时候一半都烂了", "QT202611150015", "/request_return", "明天下午五点",
     "退款多久会到帐", "我的投诉处理得怎么样了", "好的", "谢谢", "再见"],
    ["在吗", "说好三天送达 现在一个礼拜了还没收到", "QT202611150016", "给点补偿吧", "后天下午三点",
     "七天无理由怎么算", "进度查一下", "嗯嗯", "感谢", "拜拜"],
    ["你好", "优惠券明明有 付款时却没抵扣", "QT202611150017", "/request_compensation", "明天上午十点",
     "保修期多久", "我的投诉处理得怎么样了", "行", "谢谢", "没事了"],
    ["亲在吗", "约好的安装师傅没来 我请了一天假", "QT202611150018", "你们得给我赔偿", "明天下午四点",
     "三包是什么", "进度查一下", "好的", "辛苦了", "再见"],
    ["你好", "床垫有很大的异味 根本没法睡", "QT202611150019", "给点补偿吧", "明天下午五点",
     "七天无理由怎么算", "退款多久会到帐", "我的投诉处理得怎么样了", "谢谢", "拜拜"],
    ["在吗", "沙发质量太差了 腿都断了", "QT202611150020", "/request_exchange", "后天上午九点",
     "拆封了还能退货吗", "进度查一下", "可以", "感谢", "先这样吧"],
]
assert len(CONVERSATIONS) == 20 and all(len(c) == 10 for c in CONVERSATIONS)

WARM_UP = ["你好", "羽绒服掉毛很厉害", "QT202611150021", "我要退货", "明天下午三点", "谢谢"]


def script(turns: int) -> list[list[str]]:
    """Exactly `turns` turns: the conversations in order, cycled, the last one cut short."""
    out: list[list[str]] = []
    left = turns
    index = 0
    while left > 0:
        conversation = CONVERSATIONS[index % len(CONVERSATIONS)][:left]
        out.append(conversation)
        left -= len(conversation)
        index += 1
    return out


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------
async def start_stock(session: aiohttp.ClientSession, work: Path, procs: list[Proc],
                      run_deadline: float) -> str:
    var_dir = work / "stock-var"
    var_dir.mkdir()
    env = base_env(var_dir)
    # The actions read the demo orders from their own database; `qingting serve` seeds its own.
    seeded = subprocess.run([str(VENV_BIN / "qingting"), "seed"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    if seeded.returncode != 0:
        raise RuntimeError(f"`qingting seed` failed:\n{seeded.stdout[-1500:]}\n{seeded.stderr[-1500:]}")

    action_port = free_port()
    actions = spawn("rasa-run-actions",
                    [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(action_port)],
                    {**env, "SANIC_HOST": HOST}, work)
    procs.append(actions)

    endpoints = work / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://{HOST}:{action_port}/webhook"\n', encoding="utf-8")
    port = free_port()
    rasa = spawn("rasa-run",
                 [str(VENV_BIN / "rasa"), "run", "--enable-api", "-i", HOST, "--port", str(port),
                  "--model", str(MODEL), "--endpoints", str(endpoints),
                  "--credentials", str(ROOT / "credentials.yml")],
                 env, work)
    procs.append(rasa)

    base = f"http://{HOST}:{port}"
    deadline = startup_deadline(run_deadline)
    await wait_until_up(session, actions, f"http://{HOST}:{action_port}/health", deadline)
    await wait_until_up(session, rasa, base + "/", deadline)
    await wait_until_up(session, rasa, base + "/status", deadline,
                        check=lambda body: bool(json.loads(body).get("model_file")))
    return base


# --------------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    first_error: str | None = None

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def send(session: aiohttp.ClientSession, url: str, sender: str, message: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": message},
                                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)) as response:
            body = await response.read()
            elapsed_ms = (time.perf_counter() - started) * 1000
            if response.status != 200:
                tally.error(f"HTTP {response.status}: {body[:200]!r}")
                return
            replies = json.loads(body)
            if not isinstance(replies, list):
                tally.error(f"not a list: {body[:200]!r}")
                return
    except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        tally.error(f"{type(exc).__name__}: {exc}")
        return
    tally.latencies_ms.append(elapsed_ms)
    if not any(r.get("text") for r in replies if isinstance(r, dict)):
        tally.empty += 1


async def converse(session: aiohttp.ClientSession, url: str, sender: str, turns: list[str],
                   tally: Tally) -> None:
    for message in turns:
        await send(session, url, sender, message, tally)


@dataclass
class Result:
    system: str
    mode: str
    turns: int
    errors: int
    empty: int
    wall_s: float
    turns_per_s: float | None
    p50_ms: float | None
    p99_ms: float | None
    concurrency: int
    first_error: str | None


def summarise(system: str, mode: str, concurrency: int, turns: int, tally: Tally, wall_s: float) -> Result:
    done = len(tally.latencies_ms)
    return Result(
        system=system, mode=mode, turns=turns, errors=tally.errors, empty=tally.empty,
        wall_s=round(wall_s, 3),
        turns_per_s=round(done / wall_s, 3) if wall_s > 0 and done else None,
        p50_ms=_round(percentile(tally.latencies_ms, 50)),
        p99_ms=_round(percentile(tally.latencies_ms, 99)),
        concurrency=concurrency, first_error=tally.first_error,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def run_phase(session: aiohttp.ClientSession, url: str, conversations: list[list[str]],
                    concurrency: int, sender_prefix: str, deadline: float) -> tuple[Tally, float]:
    """Run the conversations, at most `concurrency` at a time; bounded by `deadline`."""
    tally = Tally()
    queue: asyncio.Queue[tuple[int, list[str]]] = asyncio.Queue()
    for index, conversation in enumerate(conversations):
        queue.put_nowait((index, conversation))

    async def worker() -> None:
        while True:
            try:
                index, conversation = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await converse(session, url, f"{sender_prefix}-{index:03d}", conversation, tally)

    started = time.perf_counter()
    tasks = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=max(1.0, deadline - time.monotonic()))
    except asyncio.TimeoutError:
        sent = len(tally.latencies_ms) + tally.errors
        total = sum(len(c) for c in conversations)
        tally.errors += total - sent
        tally.first_error = tally.first_error or f"overall deadline reached after {sent}/{total} turns"
    wall = time.perf_counter() - started
    return tally, wall


async def bench_system(session: aiohttp.ClientSession, system: str, base: str,
                       conversations: list[list[str]], concurrency: int, deadline: float,
                       run_id: str) -> list[Result]:
    url = base + WEBHOOK
    turns = sum(len(c) for c in conversations)
    warm = Tally()
    await asyncio.wait_for(converse(session, url, f"bench-{run_id}-warmup", WARM_UP, warm),
                           timeout=max(1.0, deadline - time.monotonic()))
    if warm.errors:
        raise RuntimeError(f"{system}: warm-up failed: {warm.first_error}")
    print(f"  warm-up: {len(WARM_UP)} turns, "
          f"{', '.join(f'{ms:.0f}' for ms in warm.latencies_ms)} ms", flush=True)

    results = []
    for mode, parallel in (("sequential", 1), ("concurrent", concurrency)):
        tally, wall = await run_phase(session, url, conversations, parallel,
                                      f"bench-{run_id}-{mode[:3]}", deadline)
        result = summarise(system, mode, parallel, turns, tally, wall)
        print(f"  {mode}: {turns} turns in {wall:.1f} s, {tally.errors} errors"
              + (f" (first: {tally.first_error})" if tally.first_error else ""), flush=True)
        results.append(result)
    return results


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def table(results: list[Result]) -> str:
    header = ("system", "mode", "turns", "errors", "empty", "turns/s", "p50 ms", "p99 ms")
    rows = [(r.system, f"{r.mode} x{r.concurrency}", str(r.turns), str(r.errors), str(r.empty),
             fmt(r.turns_per_s, 2), fmt(r.p50_ms), fmt(r.p99_ms)) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def ratios(results: list[Result]) -> dict[str, dict[str, float | None]]:
    by = {(r.system, r.mode): r for r in results}
    out: dict[str, dict[str, float | None]] = {}
    for mode in ("sequential", "concurrent"):
        a, b = by.get(("qingting", mode)), by.get(("stock", mode))
        if not a or not b:
            continue
        out[mode] = {
            "turns_per_s": _ratio(a.turns_per_s, b.turns_per_s, 3),
            "p50_ms": _ratio(a.p50_ms, b.p50_ms, 3),
        }
    return out


def _ratio(a: float | None, b: float | None, digits: int) -> float | None:
    return round(a / b, digits) if a is not None and b else None


# --------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-stock", action="store_true", help="only benchmark `qingting serve`")
    parser.add_argument("--turns", type=int, default=200, help="scripted turns per phase (default 200)")
    parser.add_argument("--concurrency", type=int, default=10,
                        help="conversations in parallel in the concurrent phase (default 10)")
    parser.add_argument("--timeout", type=float, default=2400.0,
                        help="overall deadline for the whole run in seconds (default 2400)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON output (default {RESULTS})")
    args = parser.parse_args(argv)
    if not 1 <= args.turns <= 10_000:
        parser.error("--turns must be between 1 and 10000")
    if not 1 <= args.concurrency <= 100:
        parser.error("--concurrency must be between 1 and 100")
    return args


async def main_async(args: argparse.Namespace, work: Path, procs: list[Proc]) -> list[Result]:
    run_deadline = time.monotonic() + args.timeout
    conversations = script(args.turns)
    run_id = datetime.now().strftime("%H%M%S")
    systems = [("qingting", start_qingting)] + ([] if args.skip_stock else [("stock", start_stock)])
    results: list[Result] = []
    connector = aiohttp.TCPConnector(limit=max(10, args.concurrency))
    async with aiohttp.ClientSession(connector=connector) as session:
        for system, start in systems:
            print(f"[{system}] starting…", flush=True)
            started = time.monotonic()
            first = len(procs)
            base = await start(session, work, procs, run_deadline)
            print(f"[{system}] up at {base} after {time.monotonic() - started:.0f} s", flush=True)
            try:
                results += await bench_system(session, system, base, conversations, args.concurrency,
                                              run_deadline, f"{system}-{run_id}")
            finally:
                for proc in reversed(procs[first:]):
                    stop(proc)
            print(f"[{system}] stopped", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not MODEL.exists():
        print(f"no model at {MODEL}: train one first (`.venv/bin/qingting train`)", file=sys.stderr)
        return 2

    def on_term(signum, frame):  # type: ignore[no-untyped-def]
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    procs: list[Proc] = []
    with tempfile.TemporaryDirectory(prefix="qingting-bench-") as tmp:
        work = Path(tmp)
        try:
            results = asyncio.run(main_async(args, work, procs))
        except BaseException:
            for proc in reversed(procs):
                stop(proc)
            keep_logs(procs)
            raise
        finally:
            for proc in reversed(procs):
                stop(proc)

    ratio = ratios(results)
    print()
    print(f"REST turns benchmark: {args.turns} scripted turns per phase, "
          f"{len(script(args.turns))} conversations, concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs")
    print("(a) qingting = `qingting serve`; (b) stock = `rasa run --enable-api` + `rasa run actions`")
    print()
    print(table(results))
    if ratio:
        print()
        print("ratios (a)/(b)          turns/s    p50   (turns/s > 1 and p50 < 1: (a) is faster)")
        for mode, values in ratio.items():
            print(f"  {mode:<20} {fmt(values['turns_per_s'], 3):>9} {fmt(values['p50_ms'], 3):>6}")
    for r in results:
        if r.first_error:
            print(f"note: {r.system} {r.mode}: first error: {r.first_error}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "rest_turns",
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "turns": args.turns,
        "conversations": len(script(args.turns)),
        "concurrency": args.concurrency,
        "request_timeout_s": REQUEST_TIMEOUT_S,
        "host": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "results": [asdict(r) for r in results],
        "ratios_a_over_b": ratio,
    }
    args.output.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.output}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
