"""Where a turn spends its time, in process: cProfile over the scripted complaint conversations.

Loads the agent the way `qingting serve` does (our tracker store, lock store, in-process
actions) on SQLite by default or on PostgreSQL + Redis (`--postgres`), runs the 10-turn
conversations of bench/rest_turns.py through the Gateway, and prints the share of time per
part of a turn: NLU, policy featurisation, policy models, tracker load, tracker save, lock,
actions (ours), the rest.

    .venv/bin/python bench/profile_turn.py
    .venv/bin/python bench/profile_turn.py --postgres --conversations 10
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rest_turns import CONVERSATIONS  # noqa: E402

# (label, substring of "file:function" of a profiled frame). The first match wins, so more
# specific parts come first; cumulative time of the outermost matching frame is counted.
PARTS = [
    ("tracker save", "tracker_store.py:save"),
    ("tracker load", "tracker_store.py:retrieve"),
    ("lock (Redis)", "lock_store.py:lock"),
    ("actions (ours)", "rasa_sdk/executor.py:run"),
    ("NLU (graph: jieba, spaCy, DIET)", "processor.py:parse_message"),
    ("policy featurisation", "featurizers/tracker_featurizers.py:"),
    ("policy models (TED, rules, memo)", "processor.py:_predict_next_with_tracker"),
]


def settings_env(args: argparse.Namespace, tmp: str) -> None:
    os.environ["QINGTING_VAR_DIR"] = tmp
    if args.postgres:
        from bot.storage.scratch import create_scratch_database

        os.environ["DATABASE_URL"] = create_scratch_database(args.pg_admin, "qingting_prof")
        os.environ["REDIS_URL"] = args.redis
        os.environ["QINGTING_REDIS_NAMESPACE"] = f"prof{uuid.uuid4().hex[:6]}"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)


async def run(conversations: int) -> tuple[int, float, cProfile.Profile]:
    from bot.gateway import Gateway
    from bot.orders import seed_demo_orders
    from bot.runtime import load_agent
    from bot.services import services
    from bot.settings import load_settings

    settings = load_settings()
    svc = services()
    seed_demo_orders(settings.database_url, svc.kb)
    gateway = Gateway(load_agent(settings), svc.kb, None)
    await gateway.handle("warm-up", "你好", "rest")
    profile = cProfile.Profile()
    turns = 0
    started = time.perf_counter()
    profile.enable()
    for index in range(conversations):
        for text in CONVERSATIONS[index % len(CONVERSATIONS)]:
            await gateway.handle(f"prof-{index}", text, "rest")
            turns += 1
    profile.disable()
    return turns, time.perf_counter() - started, profile


def shares(profile: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for label, needle in PARTS:
        best = 0.0
        for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if needle in f"{filename}:{function}":
                best = max(best, cumulative)
        found[label] = best / total
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qingting-prof-") as tmp:
        settings_env(args, tmp)
        try:
            turns, wall, profile = asyncio.run(run(args.conversations))
        finally:
            if args.postgres:
                from bot.storage.scratch import drop_scratch_database

                drop_scratch_database(os.environ["DATABASE_URL"], args.pg_admin)
    store = "PostgreSQL + Redis" if args.postgres else "SQLite"
    print(f"{turns} turns on {store}: {wall / turns * 1000:.1f} ms per turn (profiled)")
    for label, share in shares(profile).items():
        print(f"  {label:34} {share * 100:5.1f} %")
    print("(shares of cumulative time; parts nest, e.g. featurisation is inside policy prediction)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
