"""The adapter for a shop's order API, against a local stand-in speaking that protocol."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from bot.complaints import ComplaintService
from bot.knowledge import load_knowledge_base
from bot.orders import HttpOrders
from bot.storage import models as m
from bot.storage.db import migrate, session_scope

ORDER = {
    "order_id": "QT202611150099", "product": "洗衣机", "price": "2599.00", "purchased_on": "2026-11-10",
    "delivered_on": "2026-11-12", "channel": "online", "repairs_done": 0, "customer_id": "shop-7", "tier": "gold",
}


def order_api(failures_before_success: int = 0, delay: float = 0.0) -> web.Application:
    calls = {"n": 0}

    async def get_order(request: web.Request) -> web.Response:
        import asyncio

        calls["n"] += 1
        if delay:
            await asyncio.sleep(delay)
        if calls["n"] <= failures_before_success:
            return web.Response(status=503)
        if request.match_info["order_id"] != ORDER["order_id"]:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(ORDER)

    app = web.Application()
    app["calls"] = calls
    app.router.add_get("/orders/{order_id}", get_order)
    return app


async def test_a_known_order_is_read(aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    server = await aiohttp_server(order_api())
    order = await HttpOrders(str(server.make_url(""))).find("QT202611150099")
    assert order is not None
    assert order.product == "洗衣机" and order.price == Decimal("2599.00") and order.tier == "gold"
    assert order.purchased_on == date(2026, 11, 10) and order.delivered_on == date(2026, 11, 12)


async def test_an_unknown_order_is_none(aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    server = await aiohttp_server(order_api())
    assert await HttpOrders(str(server.make_url(""))).find("QT000000000000") is None


async def test_a_flaky_api_is_retried(aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    app = order_api(failures_before_success=2)
    server = await aiohttp_server(app)
    order = await HttpOrders(str(server.make_url("")), attempts=3).find("QT202611150099")
    assert order is not None and app["calls"]["n"] == 3


async def test_a_down_or_slow_api_gives_up_kindly(aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    server = await aiohttp_server(order_api(delay=2.0))
    assert await HttpOrders(str(server.make_url("")), timeout=0.2, attempts=2).find("QT202611150099") is None
    assert await HttpOrders("http://127.0.0.1:9", timeout=0.5, attempts=2).find("QT202611150099") is None


async def test_the_shop_customer_id_is_kept_as_an_external_id_never_as_our_key(  # type: ignore[no-untyped-def]
        aiohttp_server, tmp_path: Path) -> None:
    """Two complaints of the shop's customer "shop-7": both link to one customer of ours (a
    customers row whose external_id is "shop-7"), and the second is seen as a repeat."""
    server = await aiohttp_server(order_api())
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(url)
    orders = HttpOrders(str(server.make_url("")))
    service = ComplaintService(url, load_knowledge_base(), orders)
    order = await orders.find("QT202611150099")
    assert order is not None and order.customer_id is None and order.shop_customer_id == "shop-7"
    first = await service.open_complaint("c-1", "rest", "quality", "洗衣机漏水", 1, {"product": "洗衣机"})
    _, _, signals = await service.assess(first.id, "quality", order, None, 1, None)
    assert "repeat_complaint" not in signals
    await service.link_order("c-1", first.id, order)
    second = await service.open_complaint("c-2", "rest", "quality", "洗衣机又漏水", 1, {"product": "洗衣机"})
    await service.link_order("c-2", second.id, order)
    _, _, signals = await service.assess(second.id, "quality", order, None, 1, None)
    assert "repeat_complaint" in signals
    with session_scope(url) as db:
        [customer] = db.execute(select(m.Customer)).scalars().all()
        assert (customer.external_id, customer.tier) == ("shop-7", "gold") and customer.id != "shop-7"
        linked = {c.customer_id for c in db.execute(select(m.Complaint)).scalars()}
        talked = {c.customer_id for c in db.execute(select(m.Conversation)).scalars()}
    assert linked == talked == {customer.id}


async def test_an_over_long_shop_customer_id_is_not_kept(aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    app = order_api()
    server = await aiohttp_server(app)
    ORDER["customer_id"], kept = "x" * 65, ORDER["customer_id"]
    try:
        order = await HttpOrders(str(server.make_url(""))).find("QT202611150099")
    finally:
        ORDER["customer_id"] = kept
    assert order is not None and order.shop_customer_id is None
