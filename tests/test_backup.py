"""`qingting backup` and `qingting restore`: a snapshot taken while the server serves, restored
into a fresh directory, and the customer carries on the conversation where they left it."""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile
from pathlib import Path

from tests.conftest import ROOT, VENV_BIN, start_server, stop_server
from tests.conversation.chat import Chat

PHOTO = b"\xff\xd8\xff\xe0" + b"photo of the broken kettle" * 40


def qingting(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QINGTING_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("QINGTING_SECRET_KEY", None)
    return subprocess.run([str(VENV_BIN / "qingting"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def owner_only(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_a_backup_taken_while_serving_restores_into_a_fresh_directory_and_the_conversation_goes_on(
    tmp_path: Path,
) -> None:
    first, archive = tmp_path / "first", tmp_path / "backups" / "qingting.tar.gz"
    server = start_server(first)
    try:
        customer = Chat(server)
        assert customer.say("我的电水壶坏了，订单号QT202611150003").offers_remedies()
        photo = first / "uploads" / "conversation-1" / "photo.jpg"
        photo.parent.mkdir(parents=True)
        photo.write_bytes(PHOTO)

        done = qingting(first, "backup", str(archive))  # the server is still serving
        assert done.returncode == 0, done.stderr
        assert "1 photos" in done.stdout and "with the data key" in done.stdout
    finally:
        stop_server(server)
    assert owner_only(archive)

    second = tmp_path / "second"
    restored = qingting(second, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert owner_only(second / "qingting.db") and owner_only(second / "secret.key")
    assert (second / "uploads" / "conversation-1" / "photo.jpg").read_bytes() == PHOTO

    server = start_server(second)
    try:
        customer.server = server
        customer.click("换货")  # from the menu shown before the backup
        assert customer.give_work_facts().asks_for_followup_time()
        assert customer.say("明天下午三点").says("已为您预约")
        [complaint] = customer.complaints()
        assert complaint["order_id"] == "QT202611150003"
        [follow_up] = customer.follow_ups()
        assert follow_up["status"] == "awaiting_work"  # due once the exchange is carried out
    finally:
        stop_server(server)


def test_a_restore_never_overwrites_a_database_unasked(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    (first / "qingting.db").write_bytes(b"")
    assert qingting(first, "backup", str(tmp_path / "a.tar.gz")).returncode == 0

    refused = qingting(first, "restore", str(tmp_path / "a.tar.gz"))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert qingting(first, "restore", "--force", str(tmp_path / "a.tar.gz")).returncode == 0


def test_a_damaged_or_foreign_archive_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.tar.gz"
    (tmp_path / "notes.txt").write_text("not a backup", encoding="utf-8")
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(tmp_path / "notes.txt", "notes.txt")
    truncated = tmp_path / "truncated.tar.gz"
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "qingting.db").write_bytes(b"")
    assert qingting(tmp_path / "source", "backup", str(truncated)).returncode == 0
    truncated.write_bytes(truncated.read_bytes()[:40])

    for archive, reason in ((foreign, "manifest"), (truncated, "not a readable backup")):
        target = tmp_path / f"target-{archive.stem}"
        refused = qingting(target, "restore", str(archive))
        assert refused.returncode == 2 and reason in refused.stderr, refused.stderr
        assert not (target / "qingting.db").exists()
