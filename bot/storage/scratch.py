"""Throwaway PostgreSQL databases, for the tests and benchmarks that need a real server.

One place creates and drops them (the tests of tests/scaleout, tests/analytics and the
follow-up claims, and bench/load.py, profile_turn.py, analytics_queries.py all do).
"""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from bot.storage.db import engine_for

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def create_scratch_database(admin_url: str = DEFAULT_ADMIN_URL, prefix: str = "qingting_scratch") -> str:
    """A new empty database on the server of `admin_url`; its URL. Raises when the server
    cannot be reached (callers skip or report)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_scratch_database(url: str, admin_url: str = DEFAULT_ADMIN_URL) -> None:
    """Drop it, closing this process's pooled connections and any other session's first."""
    engine_for(url).dispose()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    finally:
        admin.dispose()
