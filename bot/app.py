"""The aiohttp application factory: one process holding the Agent, channels and pages."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.appkeys import AGENT, GATEWAY, SERVICES, SETTINGS
from bot.channels.rest import RestChannel
from bot.gateway import Gateway
from bot.orders import seed_demo_orders
from bot.runtime import load_agent
from bot.services import services
from bot.settings import Settings
from bot.web import pages

log = logging.getLogger(__name__)

def channels() -> list:  # type: ignore[type-arg]
    """REST, socket.io and the chat page API always; WeChat when credentials.yml has it."""
    from bot.channels.chat_api import ChatApi
    from bot.channels.socketio import SocketIOChannel
    from bot.channels.wechat import WeChatChannel
    from bot.credentials import load_credentials

    found = [RestChannel(), SocketIOChannel(), ChatApi()]
    wechat = load_credentials("wechat")
    if wechat:
        found.append(WeChatChannel(wechat))
    return found


@web.middleware
async def polite_errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """No stack trace ever reaches a client; the log keeps the error type and route."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001
        log.exception("unhandled error on %s %s: %s", request.method, request.path, type(exc).__name__)
        return web.json_response(
            {"error": "temporary", "message": "系统正在快速恢复中，请稍后再发一次，您的消息我们会认真处理。"},
            status=503,
        )


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _ready(request: web.Request) -> web.Response:
    agent = request.app.get(AGENT)
    ready = agent is not None and agent.is_ready()
    return web.json_response({"ready": ready}, status=200 if ready else 503)


async def _warm_up(app: web.Application) -> None:
    """Run the NLU graph once so the first customer does not pay TensorFlow's tracing."""
    await app[AGENT].parse_message("你好")


def create_app(settings: Settings, agent=None) -> web.Application:  # type: ignore[no-untyped-def]
    """Build the app; `agent` may be passed in by tests that already loaded one."""
    app = web.Application(middlewares=[polite_errors], client_max_size=6 * 1024 * 1024)
    app[SETTINGS] = settings
    app[SERVICES] = services()
    seed_demo_orders(settings.database_url, app[SERVICES].kb)
    app[AGENT] = agent or load_agent(settings)
    app[GATEWAY] = Gateway(app[AGENT], app[SERVICES].kb)
    app.router.add_get("/health", _health)
    app.router.add_get("/ready", _ready)
    for channel in channels():
        channel.add_routes(app)
    pages.add_routes(app)
    app.on_startup.append(_warm_up)
    return app
