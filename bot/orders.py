"""Orders: the embedded repository (demo orders) and an adapter for a shop's HTTP order API."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

import aiohttp
from sqlalchemy import select
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.knowledge import KnowledgeBase
from bot.remedy import OrderFacts, RepairRecord
from bot.storage import models as m
from bot.storage.crypto import lookup_hash, mask_phone
from bot.storage.db import one_process_at_a_time, session_scope

log = logging.getLogger(__name__)

ORDER_ID = re.compile(r"^QT\d{12}$")
# Sale channels (消保法 §25: online, TV, phone and mail order are distance sales).
CHANNELS = ("online", "tv", "phone", "mail", "store")
_CHANNEL_ALIASES = {
    "web": "online", "app": "online", "internet": "online", "ecommerce": "online", "e-commerce": "online",
    "television": "tv", "tv_shopping": "tv", "telephone": "phone", "hotline": "phone",
    "mail_order": "mail", "catalogue": "mail", "catalog": "mail", "post": "mail",
    "offline": "store", "shop": "store", "in_store": "store",
}
# Facts the order may leave unstated (its default) that the customer's word may fill in.
_FILLABLE = {"damaged_in_transit": False, "refurbished_as_new": False, "same_model_in_stock": None}


def normalize_channel(value: object) -> str:
    """An order API's channel name → online / tv / phone / mail / store (missing: online).
    An unknown name is kept as given: it is no distance sale, so no 七日无理由 is promised."""
    name = str(value or "online").strip().lower().replace(" ", "_")
    return _CHANNEL_ALIASES.get(name, name)


@dataclass(frozen=True)
class OrderRecord:
    order_id: str
    product: str
    price: Decimal
    purchased_on: date
    delivered_on: date | None
    channel: str
    repairs_done: int
    customer_id: str | None  # our customers.id: set for orders in our own database only
    tier: str
    # Facts the law needs (bot/remedy_law.py) when the shop's order API has them; the
    # conversation asks for the rest. Defaults mean "not stated".
    delivered: bool | None = None
    damaged_in_transit: bool = False
    same_model_in_stock: bool | None = None
    repair_history: tuple[RepairRecord, ...] = ()
    exchanged_on: date | None = None
    refurbished_as_new: bool = False
    # Who the order belongs to, only ever compared with what the customer proves
    # (bot/ownership.py), never said back: the last four digits of the phone on the order,
    # the shop account, the keyed hash of the WeChat OpenID.
    owner_phone_last4: str | None = field(default=None, repr=False)
    owner_account: str | None = field(default=None, repr=False)
    owner_openid_hash: str | None = field(default=None, repr=False)
    # The shop's own id of the customer (an order API's "customer_id"): never our customers.id;
    # a linked complaint finds or makes the customer with this external id (bot/complaints.py).
    shop_customer_id: str | None = None

    def facts(self, **stated: object) -> OrderFacts:
        """The order's facts for the remedy engine; `stated` adds what the customer said
        (e.g. loss_amount, injured, food_standard_breach, damaged_in_transit), never overriding
        what the order records: a stated fact fills in only where the order has no value."""
        known = {
            "product": self.product,
            "price": self.price,
            "purchased_on": self.purchased_on,
            "delivered_on": self.delivered_on,
            "channel": self.channel,
            "repairs_done": self.repairs_done,
            "delivered": self.delivered,
            "damaged_in_transit": self.damaged_in_transit,
            "same_model_in_stock": self.same_model_in_stock,
            "repair_history": self.repair_history,
            "exchanged_on": self.exchanged_on,
            "refurbished_as_new": self.refurbished_as_new,
        }
        for key, unstated in _FILLABLE.items():
            if known[key] == unstated and stated.get(key) is not None:
                known[key] = stated[key]
        extra = {key: value for key, value in stated.items() if key not in known and value is not None}
        return OrderFacts(**known, **extra)  # type: ignore[arg-type]


def _optional_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def _last4(phone: object) -> str | None:
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


def _external_id(value: object) -> str | None:
    """The shop's customer id as we keep it (customers.external_id holds 64 characters); a
    longer or empty one is not kept."""
    text = str(value).strip() if value is not None else ""
    return text if 0 < len(text) <= 64 else None


def _optional_date(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


class OrderSource(Protocol):
    async def find(self, order_id: str) -> OrderRecord | None: ...


def clean_order_id(text: str | None) -> str | None:
    value = (text or "").strip().upper().replace(" ", "")
    return value if ORDER_ID.match(value) else None


class DatabaseOrders:
    """Orders kept in our own database (the embedded default, seeded with demo orders)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    async def find(self, order_id: str) -> OrderRecord | None:
        return await asyncio.to_thread(self._find, order_id)

    def _find(self, order_id: str) -> OrderRecord | None:
        with session_scope(self.url) as session:
            row = session.get(m.Order, order_id)
            if row is None:
                return None
            customer = session.get(m.Customer, row.customer_id) if row.customer_id else None
            tier = customer.tier if customer else "normal"
            return OrderRecord(
                order_id=row.order_id,
                product=row.product,
                price=Decimal(row.price),
                purchased_on=row.purchased_at.date(),
                delivered_on=row.delivered_at.date() if row.delivered_at else None,
                channel=row.channel,
                repairs_done=row.repairs_done,
                customer_id=row.customer_id,
                tier=tier,
                owner_phone_last4=_last4(customer.phone) if customer else None,
                owner_account=customer.external_id if customer else None,
                owner_openid_hash=customer.wechat_openid_hash if customer else None,
            )


class OrderApiError(Exception):
    pass


class HttpOrders:
    """A shop's order API: `GET {base}/orders/{order_id}` → JSON, 404 for unknown orders.

    Expected JSON: {"order_id", "product", "price", "purchased_on": "YYYY-MM-DD",
    "delivered_on": "YYYY-MM-DD"|null, "channel" (online/tv/phone/mail/store), "repairs_done",
    "customer_id", "tier"}, optionally the facts the law needs: "delivered", "damaged_in_transit",
    "same_model_in_stock", "repair_history": [{"sent_on", "returned_on", "waiting_parts"}],
    "exchanged_on", "refurbished_as_new" (docs/REMEDY_LAW.md), and who the order belongs to:
    "customer_phone" (or just "phone_last4"), "shop_account" (defaults to "customer_id"),
    "wechat_openid" - never said back, only compared with what the customer proves
    (docs/SHOP_LOGIN.md).
    Timeouts and 5xx are retried with back-off; after that the order counts as not found
    and the complaint is recorded without it (the customer is never stuck on our outage).
    """

    def __init__(self, base_url: str, timeout: float = 3.0, attempts: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.attempts = attempts

    async def find(self, order_id: str) -> OrderRecord | None:
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=0.2, max=2),
                retry=retry_if_exception_type((OrderApiError, aiohttp.ClientError, asyncio.TimeoutError)),
                reraise=True,
            ):
                with attempt:
                    return await self._fetch(order_id)
        except (OrderApiError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("order API unavailable after %d attempts: %s", self.attempts, type(exc).__name__)
        return None

    async def _fetch(self, order_id: str) -> OrderRecord | None:
        async with (
            aiohttp.ClientSession(timeout=self.timeout) as session,
            session.get(f"{self.base_url}/orders/{order_id}") as response,
        ):
            if response.status == 404:
                return None
            if response.status >= 500:
                raise OrderApiError(f"status {response.status}")
            if response.status != 200:
                return None
            body = await response.json(content_type=None)
        return OrderRecord(
            order_id=str(body["order_id"]),
            product=str(body["product"]),
            price=Decimal(str(body["price"])),
            purchased_on=date.fromisoformat(body["purchased_on"]),
            delivered_on=date.fromisoformat(body["delivered_on"]) if body.get("delivered_on") else None,
            channel=normalize_channel(body.get("channel")),
            repairs_done=int(body.get("repairs_done") or 0),
            customer_id=None,
            shop_customer_id=_external_id(body.get("customer_id")),
            tier=str(body.get("tier") or "normal"),
            delivered=_optional_bool(body.get("delivered")),
            damaged_in_transit=bool(body.get("damaged_in_transit")),
            same_model_in_stock=_optional_bool(body.get("same_model_in_stock")),
            repair_history=tuple(RepairRecord.from_dict(r) for r in body.get("repair_history") or ()),
            exchanged_on=_optional_date(body.get("exchanged_on")),
            refurbished_as_new=bool(body.get("refurbished_as_new")),
            owner_phone_last4=_last4(body.get("customer_phone") or body.get("phone_last4")),
            owner_account=str(body.get("shop_account") or body.get("customer_id") or "") or None,
            owner_openid_hash=lookup_hash(str(body["wechat_openid"])) if body.get("wechat_openid") else None,
        )


SEED_LOCK_ID = 0x51_6E_67_75


def seed_demo_orders(database_url: str, kb: KnowledgeBase, today: date | None = None) -> int:
    """Insert the demo customers and orders of knowledge_base/demo_orders.yml (idempotent).

    Dates are relative to today so the demo always shows every policy window.
    """
    today = today or date.today()
    added = 0
    with session_scope(database_url) as session:
        one_process_at_a_time(session, SEED_LOCK_ID)
        existing = set(session.execute(select(m.Order.order_id)).scalars())
        customers: dict[str, str] = {}
        for demo in kb.demo_orders.customers:
            row = session.execute(
                select(m.Customer).where(m.Customer.external_id == demo.id)
            ).scalar_one_or_none()
            if row is None:
                row = m.Customer(
                    external_id=demo.id,
                    tier=demo.tier,
                    name=demo.name,
                    phone=demo.phone,
                    phone_masked=mask_phone(demo.phone),
                    phone_hash=lookup_hash(demo.phone),
                )
                session.add(row)
                session.flush()
            if demo.wechat_openid and not row.wechat_openid_hash:
                row.wechat_openid_hash = lookup_hash(demo.wechat_openid)
            customers[demo.id] = row.id
        for order in kb.demo_orders.orders:
            if order.order_id in existing:
                continue
            purchased = datetime.combine(today - timedelta(days=order.purchased_days_ago), datetime.min.time())
            delivered = datetime.combine(today - timedelta(days=order.delivered_days_ago), datetime.min.time())
            session.add(
                m.Order(
                    order_id=order.order_id,
                    customer_id=customers[order.customer],
                    product=kb.product(order.product).name,  # type: ignore[union-attr]
                    price=Decimal(str(order.price)),
                    purchased_at=purchased.replace(hour=10),
                    delivered_at=delivered.replace(hour=15),
                    channel=order.channel,
                    repairs_done=order.repairs_done,
                )
            )
            added += 1
    return added
