"""The terminal chat works against a running server; personal data is encrypted and kept out of logs."""

from __future__ import annotations

import subprocess

from sqlalchemy import create_engine, text

from tests.conftest import ROOT, VENV_BIN, Server
from tests.conversation.chat import Chat

PHONE = "13912345678"


def test_qingting_chat_talks_to_a_running_server(server: Server) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "qingting"), "chat", "--url", server.url, "--sender", "cli-test"],
        input="你好\n我的电水壶坏了\n/quit\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "小倾：" in result.stdout
    assert "订单号" in result.stdout


def test_a_phone_number_is_encrypted_in_records_and_masked_in_logs(server: Server) -> None:
    customer = Chat(server)
    customer.say(f"我的电水壶坏了 我电话是{PHONE} 有事打给我")
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT phone, phone_masked FROM customers WHERE phone_masked = :m"),
                              {"m": "139****5678"}).all()
        facts = conn.execute(text("SELECT facts FROM complaints")).scalars().all()
        events = conn.execute(text("SELECT data FROM events WHERE sender_id = :s"), {"s": customer.sender}).scalars().all()
    engine.dispose()
    assert stored and all(PHONE not in row.phone for row in stored)
    assert all(PHONE not in str(f) for f in facts)
    assert events and all(PHONE not in e and "电水壶" not in e for e in events)  # tracker encrypted
    assert PHONE not in server.log_path.read_text(errors="replace")
