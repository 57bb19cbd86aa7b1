"""`qingting`: serve, train, analyze, chat, seed."""

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

from bot.settings import PROJECT_ROOT, load_settings  # noqa: E402


def _train(force: bool = False) -> Path:
    """Train the model (Rasa reuses cached components when the data did not change)."""
    from rasa.api import train

    settings = load_settings()
    settings.ensure_dirs()
    from bot.knowledge import load_knowledge_base

    load_knowledge_base(settings.knowledge_dir)  # a broken knowledge base stops here, clearly
    result = train(
        domain=str(PROJECT_ROOT / "domain.yml"),
        config=str(PROJECT_ROOT / "config.yml"),
        training_files=[str(PROJECT_ROOT / "nlu"), str(PROJECT_ROOT / "stories")],
        output=str(settings.model_dir),
        fixed_model_name="qingting",
        force_training=force,
    )
    if result.code != 0 or not result.model:
        raise SystemExit(f"training failed (code {result.code}); the previous model is unchanged")
    return Path(result.model)


def cmd_train(args: argparse.Namespace) -> None:
    print(f"model: {_train(force=args.force)}")


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


def cmd_analyze(args: argparse.Namespace) -> None:
    from rasa.core.agent import Agent

    from bot.logs import configure_logging
    from bot.runtime import model_path

    configure_logging("WARNING")
    settings = load_settings()
    agent = Agent.load(str(Path(args.model) if args.model else model_path(settings)))

    async def run() -> None:
        for line in sys.stdin:
            text = line.rstrip("\n")
            parsed = await agent.parse_message(text) if text.strip() else {}
            intent = parsed.get("intent") or {}
            signal = parsed.get("qingting") or {"severity": 1, "handoff": False, "reasons": []}
            out = {
                "text": text,
                "intent": intent.get("name"),
                "confidence": round(float(intent.get("confidence") or 0.0), 4),
                "entities": [{"entity": e["entity"], "value": e["value"]} for e in parsed.get("entities", [])],
                "severity": signal["severity"],
                "handoff": signal["handoff"],
                "reasons": signal["reasons"],
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="qingting", description="倾听 complaint assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server (channels, actions, pages) in one process")
    serve.add_argument("--port", type=int, default=None, help="port (default 5005 or QINGTING_PORT)")
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
    seed = sub.add_parser("seed", help="create the schema and the demo orders")
    seed.set_defaults(func=cmd_seed)
    create_user = sub.add_parser("create-user", help="create a console account (agent/supervisor/trainer/admin)")
    create_user.add_argument("username")
    create_user.add_argument("--role", default="admin", choices=["agent", "supervisor", "trainer", "admin"])
    create_user.add_argument("--name", default=None, help="display name shown to customers and colleagues")
    create_user.set_defaults(func=cmd_create_user)
    args = parser.parse_args(argv)
    from bot.knowledge import KnowledgeBaseError

    try:
        args.func(args)
    except KnowledgeBaseError as exc:
        # A broken knowledge base stops the start with the file and the field, no traceback.
        print(f"knowledge base error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
