"""The adapter for a shop's order API, against a local stand-in speaking that protocol."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from aiohttp import web

from bot.orders import HttpOrders

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
