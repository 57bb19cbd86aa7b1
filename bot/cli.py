"""`qingting`: serve, train, analyze, chat, seed, backup, restore."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from bot.settings import load_settings  # noqa: E402


def _train(force: bool = False) -> Path:
    """Train (or reuse) the model atomically: bot/training/trainer.py."""
    from bot.training.commands import train_model

    return train_model(force=force)


def cmd_train(args: argparse.Namespace) -> None:
    _train(force=args.force)


def cmd_serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from bot.app import create_app
    from bot.logs import configure_logging
    from bot.runtime import model_path

    configure_logging()
    settings = load_settings()
    if args.port:
        os.environ["QINGTING_PORT"] = str(args.port)
        settings = load_settings()
    if not model_path(settings).exists():
        print("no model yet: training one (a few minutes, once)…", flush=True)
        _train()
    if args.workers > 1:
        raise SystemExit(_serve_workers(settings, args.workers))
    app = create_app(settings)
    base = f"http://{settings.host}:{settings.port}"

    async def announce(_app: web.Application) -> None:
        from bot.console.accounts import Accounts

        print(f"Qingting is up.\n  chat page:    {base}/chat\n  agent console: {base}/console\n"
              f"  REST channel: {base}/webhooks/rest/webhook\n  health:       {base}/health", flush=True)
        if not Accounts(settings.database_url).list():
            # No default password exists anywhere: the first account is made by hand.
            print("  no console account yet: `.venv/bin/qingting create-user NAME --role admin`", flush=True)

    app.on_startup.append(announce)
    web.run_app(app, host=settings.host, port=settings.port, print=None, shutdown_timeout=15)


def _serve_workers(settings, count: int) -> int:  # type: ignore[no-untyped-def]
    from bot.storage.db import migrate
    from bot.workers import Supervisor, WorkersRefused, check_shared_storage

    try:
        check_shared_storage(settings)
    except WorkersRefused as exc:
        print(f"not started: {exc}", file=sys.stderr)
        return 2
    migrate(settings.database_url)  # once, before the workers race for it
    ports = ", ".join(str(settings.port + i) for i in range(count))
    print(f"starting {count} workers on ports {ports} (put a load balancer in front: docs/SCALE_OUT.md)", flush=True)
    return Supervisor(count, settings.port).run()


def cmd_migrate(args: argparse.Namespace) -> None:
    from bot.storage.db import migrate, pending_migrations

    settings = load_settings()
    settings.ensure_dirs()
    pending = pending_migrations(settings.database_url)
    if args.check:
        print("schema current" if not pending else f"pending: {', '.join(pending)}")
        raise SystemExit(1 if pending else 0)
    migrate(settings.database_url)
    print(f"applied: {', '.join(reversed(pending))}" if pending else "schema already current")


def cmd_analyze(args: argparse.Namespace) -> None:
    from rasa.core.agent import Agent

    from bot.logs import configure_logging
    from bot.runtime import model_path

    configure_logging("WARNING")
    settings = load_settings()
    agent = Agent.load(str(Path(args.model) if args.model else model_path(settings)))

    async def run() -> None:
        # Bytes, split on "\n" only: a line that is not UTF-8, or holds a lone "\r", is still
        # one line in and one JSON line out, and never ends the run.
        for line in sys.stdin.buffer:
            text = line.decode("utf-8", "replace").removesuffix("\n").removesuffix("\r")
            parsed = await agent.parse_message(text) if text.strip() else {}
            intent = parsed.get("intent") or {}
            signal = parsed.get("qingting") or {"severity": 1, "handoff": False, "reasons": []}
            guess = parsed.get("complaint_type") or {}
            out = {
                "text": text,
                "intent": intent.get("name"),
                "confidence": round(float(intent.get("confidence") or 0.0), 4),
                "entities": [{"entity": e["entity"], "value": e["value"]} for e in parsed.get("entities", [])],
                "severity": signal["severity"],
                "handoff": signal["handoff"],
                "reasons": signal["reasons"],
                "type": guess.get("primary"),
                "secondary_type": guess.get("secondary"),
            }
            print(json.dumps(out, ensure_ascii=False), flush=True)

    asyncio.run(run())


def cmd_chat(args: argparse.Namespace) -> None:
    import uuid

    import requests

    url = args.url.rstrip("/") + "/webhooks/rest/webhook"
    sender = args.sender or f"cli-{uuid.uuid4().hex[:8]}"
    print("倾听客服（输入 /quit 退出）")
    for line in sys.stdin if not sys.stdin.isatty() else iter(lambda: input("您：") + "\n", None):
        text = line.strip()
        if text in ("/quit", "/exit"):
            break
        try:
            replies = requests.post(url, json={"sender": sender, "message": text}, timeout=60).json()
        except requests.RequestException as exc:
            print(f"[连接 {url} 失败：{exc}]")
            continue
        for reply in replies:
            if reply.get("text"):
                print(f"小倾：{reply['text']}")
            for index, button in enumerate(reply.get("buttons") or [], start=1):
                print(f"   [{index}] {button['title']}  ({button['payload']})")


def cmd_seed(args: argparse.Namespace) -> None:
    from bot.knowledge import load_knowledge_base
    from bot.orders import seed_demo_orders
    from bot.storage.db import migrate

    settings = load_settings()
    settings.ensure_dirs()
    migrate(settings.database_url)
    added = seed_demo_orders(settings.database_url, load_knowledge_base(settings.knowledge_dir))
    print(f"demo orders added: {added}")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    """Demo complaints for the supervisor dashboard (bot/analytics/demo_data.py)."""
    from bot.analytics.demo_data import DemoPlan, seed_demo
    from bot.knowledge import load_knowledge_base
    from bot.storage.db import migrate

    settings = load_settings()
    settings.ensure_dirs()
    migrate(settings.database_url)
    plan = DemoPlan(complaints=args.complaints, months=args.months, seed=args.seed, transcripts=args.transcripts)
    counts = seed_demo(settings.database_url, load_knowledge_base(settings.knowledge_dir), plan)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()) if counts
          else f"demo data of seed {args.seed} is already there; nothing added")


def cmd_create_user(args: argparse.Namespace) -> None:
    """Create a console account. The password comes from QINGTING_NEW_PASSWORD or a prompt;
    there is no default password anywhere."""
    import getpass

    from bot.console.accounts import AccountError, Accounts
    from bot.storage.db import migrate

    settings = load_settings()
    settings.ensure_dirs()
    migrate(settings.database_url)
    password = os.environ.get("QINGTING_NEW_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("set QINGTING_NEW_PASSWORD or run in a terminal to be asked for the password", file=sys.stderr)
            raise SystemExit(2)
        password = getpass.getpass("password: ")
        if password != getpass.getpass("again: "):
            print("the two passwords differ", file=sys.stderr)
            raise SystemExit(2)
    try:
        user = Accounts(settings.database_url).create(args.username, password, args.role, args.name)
    except AccountError as exc:
        print(f"not created: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"created {user.role} {user.username}")


def cmd_backup(args: argparse.Namespace) -> None:
    from bot.backup import BackupError, backup

    try:
        done = backup(load_settings(), Path(args.archive), with_key=not args.without_key)
    except BackupError as exc:
        print(f"no backup: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    key = "with the data key" if done.with_key else "without the data key (keep QINGTING_SECRET_KEY safe yourself)"
    print(f"backed up to {done.archive}: database {done.database_bytes} bytes, {done.uploads} photos, {key}")


def cmd_restore(args: argparse.Namespace) -> None:
    from bot.backup import BackupError, restore

    settings = load_settings()
    try:
        manifest = restore(settings, Path(args.archive), force=args.force)
    except BackupError as exc:
        print(f"not restored: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"restored the backup of {manifest['created_at']} into {settings.var_dir} "
          f"({manifest['uploads']} photos); start the server as usual")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="qingting", description="倾听 complaint assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server (channels, actions, pages) in one process")
    serve.add_argument("--port", type=int, default=None, help="port (default 5005 or QINGTING_PORT)")
    serve.add_argument("--workers", type=int, default=1,
                       help="N processes on ports PORT..PORT+N-1 (needs PostgreSQL and Redis)")
    serve.set_defaults(func=cmd_serve)
    train = sub.add_parser("train", help="train the model into models/qingting.tar.gz")
    train.add_argument("--force", action="store_true", help="retrain even if nothing changed")
    train.set_defaults(func=cmd_train)
    analyze = sub.add_parser("analyze", help="one JSON line per stdin line: intent, entities, handoff")
    analyze.add_argument("--model", default=None)
    analyze.set_defaults(func=cmd_analyze)
    chat = sub.add_parser("chat", help="chat in the terminal with a running server")
    chat.add_argument("--url", default=os.environ.get("QINGTING_URL", "http://127.0.0.1:5005"))
    chat.add_argument("--sender", default=None)
    chat.set_defaults(func=cmd_chat)
    migrate = sub.add_parser("migrate", help="apply pending database migrations (also done at start-up)")
    migrate.add_argument("--check", action="store_true", help="only report; exit 1 when migrations are pending")
    migrate.set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="create the schema and the demo orders")
    seed.set_defaults(func=cmd_seed)
    demo = sub.add_parser("seed-demo", help="add months of realistic demo complaints for the dashboard")
    demo.add_argument("--complaints", type=int, default=6000)
    demo.add_argument("--months", type=int, default=6)
    demo.add_argument("--seed", type=int, default=7, help="same seed, same records (added once)")
    demo.add_argument("--transcripts", type=int, default=1500, help="latest conversations given a transcript")
    demo.set_defaults(func=cmd_seed_demo)
    create_user = sub.add_parser("create-user", help="create a console account (agent/supervisor/trainer/admin)")
    create_user.add_argument("username")
    create_user.add_argument("--role", default="admin", choices=["agent", "supervisor", "trainer", "admin"])
    create_user.add_argument("--name", default=None, help="display name shown to customers and colleagues")
    create_user.set_defaults(func=cmd_create_user)
    backup = sub.add_parser("backup", help="snapshot the embedded SQLite database, photos and data key (server may run)")
    backup.add_argument("archive", help="the .tar.gz file to write")
    backup.add_argument("--without-key", action="store_true", help="leave the data key out of the archive")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into the var directory (server stopped)")
    restore.add_argument("archive")
    restore.add_argument("--force", action="store_true", help="replace an existing database")
    restore.set_defaults(func=cmd_restore)
    from bot.training.commands import add_parsers as add_training_parsers

    add_training_parsers(sub)  # lint, test, export (docs/TRAINING.md)
    args = parser.parse_args(argv)
    from bot.knowledge import KnowledgeBaseError
    from bot.services import SchemaNotCurrent

    try:
        args.func(args)
    except KnowledgeBaseError as exc:
        # A broken knowledge base stops the start with the file and the field, no traceback.
        print(f"knowledge base error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except SchemaNotCurrent as exc:
        print(f"not started: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
