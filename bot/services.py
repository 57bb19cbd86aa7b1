"""Process-wide services shared by the server and the custom actions (built lazily once)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.complaints import ComplaintService
from bot.console.live import LiveEvents
from bot.knowledge import KnowledgeBase, load_knowledge_base
from bot.orders import DatabaseOrders, HttpOrders, OrderSource
from bot.settings import Settings, load_settings
from bot.storage.db import migrate


@dataclass(frozen=True)
class Services:
    settings: Settings
    kb: KnowledgeBase
    orders: OrderSource
    complaints: ComplaintService
    # Console live events; actions (handoffs) publish here, the app attaches socket.io.
    live: LiveEvents


@functools.lru_cache(maxsize=1)
def services() -> Services:
    settings = load_settings()
    settings.ensure_dirs()
    kb = load_knowledge_base(settings.knowledge_dir)
    migrate(settings.database_url)
    orders: OrderSource = (
        HttpOrders(settings.order_api_url) if settings.order_api_url else DatabaseOrders(settings.database_url)
    )
    return Services(settings, kb, orders, ComplaintService(settings.database_url, kb, orders), LiveEvents())
