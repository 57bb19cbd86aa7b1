"""Static pages: the index and the customer chat page."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.appkeys import SETTINGS

HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


HSTS = "max-age=31536000; includeSubDomains"


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer (pages, static files, API, errors) carries the same protective headers;
    HSTS only when served behind HTTPS (QINGTING_SECURE_COOKIES=1)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = "Qingting"  # no software versions for anyone to read
    if request.path.startswith("/api/"):  # console and customer data: never kept by a cache
        response.headers["Cache-Control"] = "no-store"
    if request.app[SETTINGS].secure_cookies:
        response.headers.setdefault("Strict-Transport-Security", HSTS)


def _page(name: str) -> web.FileResponse:
    return web.FileResponse(HERE / "templates" / name, headers=SECURITY_HEADERS)


async def index(request: web.Request) -> web.StreamResponse:
    return _page("index.html")


async def chat(request: web.Request) -> web.StreamResponse:
    return _page("chat.html")


async def console(request: web.Request) -> web.StreamResponse:
    return _page("console.html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/chat", chat)
    app.router.add_get("/console", console)
    app.router.add_get("/console/trainer", lambda request: _page("trainer.html"))  # issue 7
    app.router.add_get("/console/dashboard", lambda request: _page("dashboard.html"))  # issue 9
    app.router.add_get("/console/workorders", lambda request: _page("workorders.html"))  # issue 18
    app.router.add_static("/static/", HERE / "static", show_index=False)
    app.on_response_prepare.append(_security_headers)
