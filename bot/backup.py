"""Backups of the embedded default: one archive with the SQLite database (conversations,
complaints, accounts, follow-ups — everything), the evidence photos and the key that decrypts the
personal data in them.

The database is copied with SQLite's online backup API, so a backup can be taken while the server
serves: it is a consistent snapshot, not a file copy that may catch a write half-done. A
PostgreSQL deployment backs up with its own tools (pg_dump); this refuses it with that advice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings

DB_NAME = "qingting.db"
KEY_NAME = "secret.key"
UPLOADS = "uploads"
MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    archive: Path
    database_bytes: int
    uploads: int
    with_key: bool


def backup(settings: Settings, archive: Path, with_key: bool = True) -> BackupSummary:
    """Write a snapshot of the embedded default to `archive` (owner-only permissions)."""
    source = _sqlite_path(settings)
    if not source.exists():
        raise BackupError(f"no database at {source}: nothing to back up")
    with tempfile.TemporaryDirectory(prefix="qingting-backup-") as tmp:
        snapshot = Path(tmp) / DB_NAME
        _online_copy(source, snapshot)
        key = settings.var_dir / KEY_NAME
        include_key = with_key and key.exists() and not os.environ.get("QINGTING_SECRET_KEY")
        uploads = _upload_files(settings.var_dir / UPLOADS)
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "database_sha256": _sha256(snapshot), "uploads": len(uploads), "key": include_key}
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        # Created owner-only before a byte is written: it holds personal data and maybe the key.
        partial.touch(mode=0o600)
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            tar.add(snapshot, DB_NAME)
            if include_key:
                tar.add(key, KEY_NAME)
            for path in uploads:
                tar.add(path, f"{UPLOADS}/{path.relative_to(settings.var_dir / UPLOADS).as_posix()}")
        partial.replace(archive)
        return BackupSummary(archive, snapshot.stat().st_size, len(uploads), include_key)


def restore(settings: Settings, archive: Path, force: bool = False) -> dict:
    """Unpack `archive` into the configured var directory; refuses to overwrite a database
    unless `force`. Returns the archive's manifest."""
    target = _sqlite_path(settings)
    if target.exists() and not force:
        raise BackupError(f"{target} exists: restore into an empty directory, or pass --force to replace it")
    var_dir = settings.var_dir
    var_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qingting-restore-", dir=var_dir) as tmp:
        staging = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                # The "data" filter refuses absolute paths, links out of the tree and devices.
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:  # EOFError: a truncated gzip stream
            raise BackupError(f"{archive} is not a readable backup: {exc}") from None
        manifest = _check(staging)
        _install(staging, var_dir, target)
    return manifest


def _check(staging: Path) -> dict:
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError("the archive has no readable manifest: not a qingting backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not format {FORMAT}")
    if _sha256(staging / DB_NAME) != manifest.get("database_sha256"):
        raise BackupError("the database in the archive does not match its checksum: the archive is damaged")
    return manifest


def _install(staging: Path, var_dir: Path, target: Path) -> None:
    uploads = var_dir / UPLOADS
    if (staging / UPLOADS).exists():
        for path in _upload_files(staging / UPLOADS):
            destination = uploads / path.relative_to(staging / UPLOADS)
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.replace(destination)
    if (staging / KEY_NAME).exists():
        (staging / KEY_NAME).chmod(0o600)
        (staging / KEY_NAME).replace(var_dir / KEY_NAME)
    for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)  # a replaced database must not meet the old one's journal
    (staging / DB_NAME).chmod(0o600)
    (staging / DB_NAME).replace(target)


def _sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupError("this deployment runs on PostgreSQL: back it up with pg_dump (docs/RELIABILITY.md)")
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has nothing on disk to back up")
    return Path(database)


def _online_copy(source: Path, destination: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _upload_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
