"""A local stand-in for a shop's order system speaking docs/shop_webhook.openapi.yaml.

It receives our work-order webhooks and checks them as the contract says, with its own
HMAC-SHA256 code (not ours): timestamp within the replay window, signature over
"<timestamp>.<body>", an Idempotency-Key; it records each event once per key (a redelivery
answers 200 and is counted in `redelivered`). `down = True` answers 503 (refused attempts are
counted). `signed_callback` builds a status callback signed the same way, to POST to us."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from typing import Any

from aiohttp import web


def shop_signature(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class ShopStandIn:
    def __init__(self, secret: str, window_s: int = 300) -> None:
        self.secret = secret
        self.window_s = window_s
        self.events: list[dict[str, Any]] = []  # accepted, in arrival order, once per key
        self.keys: set[str] = set()
        self.redelivered = 0
        self.refused_signatures = 0
        self.refused_while_down = 0
        self.down = False
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.down:
            self.refused_while_down += 1
            return web.json_response({"error": "maintenance"}, status=503)
        stamp = request.headers.get("X-Qingting-Timestamp", "")
        signature = request.headers.get("X-Qingting-Signature", "")
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= self.window_s
        if not fresh or not hmac.compare_digest(signature, shop_signature(self.secret, int(stamp or 0), body)):
            self.refused_signatures += 1
            return web.json_response({"error": "bad_signature"}, status=401)
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return web.json_response({"error": "idempotency_key_missing"}, status=400)
        if key in self.keys:
            self.redelivered += 1
            return web.json_response({"status": "duplicate"})
        self.keys.add(key)
        self.events.append(json.loads(body))
        return web.json_response({"status": "accepted"})

    def signed_callback(self, payload: dict[str, Any], timestamp: int | None = None,
                        secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": "application/json", "X-Qingting-Timestamp": str(stamp),
                   "X-Qingting-Signature": shop_signature(secret or self.secret, stamp, body)}
        return body, headers

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_post("/qingting/events", self._webhook)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"http://127.0.0.1:{port}/qingting/events"
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
