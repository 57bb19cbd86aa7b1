"""Protective headers on every answer (pages, static files, API, errors) and path traversal
through the static route, evidence ids and path parameters refused."""

from __future__ import annotations

import asyncio
import http.client
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.appkeys import SETTINGS
from bot.settings import Settings
from bot.web import pages
from tests.conftest import ROOT, Server
from tests.console.conftest import ConsoleClient, Staff, staff  # noqa: F401 - the fixture

STATIC = ROOT / "bot" / "web" / "static"
PAGES = ["/", "/chat", "/console", "/console/trainer", "/console/dashboard"]
OTHERS = ["/api/auth/session", "/api/openapi.json", "/webhooks/rest", "/health", "/ready", "/version",
          "/api/console/queue", "/no/such/page", "/socket.io/?EIO=4&transport=polling"]


def static_files() -> list[str]:
    return sorted("/static/" + p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file())


def assert_protected(headers: object, where: str) -> None:
    get = headers.get  # type: ignore[attr-defined]
    csp = get("Content-Security-Policy") or ""
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp, where
    assert get("X-Content-Type-Options") == "nosniff", where
    assert get("X-Frame-Options") == "DENY", where
    assert get("Referrer-Policy") == "same-origin", where


@pytest.mark.parametrize("path", PAGES + static_files() + OTHERS)
def test_every_answer_carries_the_security_headers(server: Server, path: str) -> None:
    response = server.get(path)
    assert response.status_code < 500, path
    assert_protected(response.headers, path)
    assert "Strict-Transport-Security" not in response.headers  # plain-HTTP loopback: no HSTS


def test_posted_and_refused_answers_carry_them_too(server: Server) -> None:
    for response in (server.post("/webhooks/rest/webhook", json={"sender": "hdr-check", "message": "你好"}),
                     server.post("/webhooks/rest/webhook", data=b"{not json"),
                     server.post("/api/auth/login", json={})):
        assert_protected(response.headers, response.url)


def test_hsts_is_sent_only_behind_https() -> None:
    """The same hook on a bare app: HSTS with QINGTING_SECURE_COOKIES=1, never without it."""

    async def headers_for(secure: bool) -> tuple[dict[str, str], dict[str, str]]:
        app = web.Application()
        app[SETTINGS] = Settings(secure_cookies=secure)
        pages.add_routes(app)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/chat") as page:
                    page_headers = dict(page.headers)
                async with session.get(f"http://127.0.0.1:{port}/static/chat.js") as script:
                    script_headers = dict(script.headers)
            return page_headers, script_headers
        finally:
            await runner.cleanup()

    for secure in (True, False):
        for headers in asyncio.run(headers_for(secure)):
            assert_protected(headers, f"secure={secure}")
            assert ("max-age=" in headers.get("Strict-Transport-Security", "")) is secure


# --- path traversal ---------------------------------------------------------------------------------
def raw_get(server: Server, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (no client-side normalisation of ../)."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


SECRETS_ON_DISK = [b"QINGTING_SECRET_KEY", b"[tool.pytest", b"def load_settings", b"root:x:0:0"]
TRAVERSALS = ["/static/../settings.py", "/static/../../bot/settings.py", "/static/%2e%2e/%2e%2e/pyproject.toml",
              "/static/..%2f..%2fpyproject.toml", "/static/%2e%2e%2f%2e%2e%2fsettings.py", "/static/....//....//etc/passwd",
              "/static/..\\..\\settings.py", "/static/vendor/../../../../../../etc/passwd", "/static//etc/passwd",
              "/static/%252e%252e/%252e%252e/pyproject.toml", "/static/chat.js%00.png"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_the_static_route_serves_nothing_outside_its_folder(server: Server, path: str) -> None:
    status, body = raw_get(server, path)
    assert status in (400, 403, 404), (path, status)
    assert not any(marker in body for marker in SECRETS_ON_DISK), path


def test_the_secret_key_and_uploads_are_not_reachable_over_http(server: Server) -> None:
    assert (server.var_dir / "secret.key").exists()
    for path in ("/static/../var/secret.key", "/secret.key", "/var/secret.key", "/static/../../var/secret.key",
                 "/uploads/", "/static/../uploads/"):
        status, body = raw_get(server, path)
        assert status in (400, 403, 404), path
        assert (server.var_dir / "secret.key").read_bytes().strip() not in body


EVIL_IDS = ["../../secret.key", "..%2F..%2Fsecret.key", "%2e%2e%2f%2e%2e%2fsecret.key", "..\\..\\secret.key",
            "x' OR '1'='1", "/etc/passwd", "%00", "." * 300]


@pytest.mark.parametrize("evidence_id", EVIL_IDS)
def test_evidence_ids_cannot_walk_out_of_the_upload_folder(
    server: Server, staff: Staff, evidence_id: str  # noqa: F811
) -> None:
    client = ConsoleClient(server)
    assert client.login(staff.supervisor).status_code == 200
    response = client.get(f"/api/console/evidence/{evidence_id}")
    assert response.status_code in (400, 404), (evidence_id, response.status_code)
    assert (server.var_dir / "secret.key").read_bytes().strip() not in response.content


@pytest.mark.parametrize("sender", ["../../../etc/passwd", "..%2F..%2Fsecret.key", "x' OR '1'='1"])
def test_training_conversation_ids_are_looked_up_not_walked(
    server: Server, staff: Staff, sender: str  # noqa: F811
) -> None:
    client = ConsoleClient(server)
    assert client.login(staff.trainer).status_code == 200
    response = client.get(f"/api/console/training/conversations/{sender}")
    assert response.status_code in (400, 404), (sender, response.status_code)
    assert b"root:x:0:0" not in response.content


def test_uploads_live_outside_the_web_root(server: Server) -> None:
    uploads = (server.var_dir / "uploads").resolve()
    assert not uploads.is_relative_to(STATIC.resolve()) and Path(ROOT / "bot" / "web").resolve() not in uploads.parents
