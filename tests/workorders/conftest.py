"""A real, migrated SQLite database with the demo orders, per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import load_knowledge_base
from bot.orders import seed_demo_orders
from bot.storage.db import migrate


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(database)
    seed_demo_orders(database, load_knowledge_base())
    return database
