"""Process-wide services shared by the server and the custom actions (built lazily once)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.complaints import ComplaintService
from bot.console.live import LiveEvents
from bot.knowledge import KnowledgeBase, load_knowledge_base
from bot.orders import DatabaseOrders, HttpOrders, OrderSource
from bot.settings import Settings, load_settings
from bot.storage.db import migrate, pending_migrations


@dataclass(frozen=True)
class Services:
    settings: Settings
    kb: KnowledgeBase
    orders: OrderSource
    complaints: ComplaintService
    # Console live events; actions (handoffs) publish here, the app attaches socket.io.
    live: LiveEvents


class SchemaNotCurrent(RuntimeError):
    pass


def _schema_ready(settings: Settings) -> None:
    if settings.migrate_on_start:
        migrate(settings.database_url)
        return
    pending = pending_migrations(settings.database_url)
    if pending:
        raise SchemaNotCurrent(f"the database lacks migrations {', '.join(pending)}: run `qingting migrate` first")


@functools.lru_cache(maxsize=1)
def services() -> Services:
    settings = load_settings()
    settings.ensure_dirs()
    kb = load_knowledge_base(settings.knowledge_dir)
    _schema_ready(settings)
    orders: OrderSource = (
        HttpOrders(settings.order_api_url) if settings.order_api_url else DatabaseOrders(settings.database_url)
    )
    return Services(settings, kb, orders, ComplaintService(settings.database_url, kb, orders), LiveEvents())
