"""The aiohttp application factory: one process holding the Agent, channels, console and pages."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import lifecycle, model_watch, ratelimit
from bot.appkeys import AGENT, DELIVERY, GATEWAY, SERVICES, SETTINGS
from bot.channels.identity import IDENTITY, CustomerIdentity
from bot.channels.rest import RestChannel
from bot.channels.shop_login import ShopLogin
from bot.channels.socketio import SocketIOChannel, socket_server
from bot.console import analytics_api, openapi, training_api, workorders_api
from bot.console import api as console_api
from bot.console import auth as console_auth
from bot.console.accounts import Accounts
from bot.console.desk import HandoffDesk
from bot.console.sessions import DatabaseSessionStorage
from bot.console.sockets import ConsoleSockets
from bot.console.takeover import Takeover
from bot.console.validation import query_guard
from bot.delivery import Delivery
from bot.fanout import Fanout
from bot.followups.scheduler import FollowUpScheduler, SchedulerParts
from bot.followups.sla import SlaWatch
from bot.followups.store import FollowUpStore
from bot.gateway import Gateway
from bot.orders import seed_demo_orders
from bot.outbox import Outbox
from bot.runtime import load_agent
from bot.services import services
from bot.settings import Settings
from bot.sms.config import sms_sender
from bot.tasks import stop_task
from bot.web import pages
from bot.workorders import webhook_api
from bot.workorders.notify import WorkOrderNotifier, WorkOrderTicker
from bot.workorders.service import WorkOrderService
from bot.workorders.shop import ShopLink, ShopSender

log = logging.getLogger(__name__)
SCHEDULER_TASK = web.AppKey("scheduler_task", asyncio.Task)
FANOUT = web.AppKey("fanout", Fanout)


def channels(sio, outbox: Outbox, fanout: Fanout) -> list:  # type: ignore[no-untyped-def, type-arg]
    """REST, socket.io and the chat page API always; WeChat when credentials.yml has it."""
    from bot.channels.chat_api import ChatApi
    from bot.channels.wechat import WeChatChannel
    from bot.credentials import load_credentials

    found = [RestChannel(outbox, load_credentials("rest")), SocketIOChannel(outbox, sio, fanout), ChatApi()]
    wechat = load_credentials("wechat")
    if wechat:
        found.append(WeChatChannel(wechat))
    return found


# aiohttp's own refusals (no such route, wrong method, body over client_max_size) say so in
# English plain text; on the API paths they are answered like every other refusal.
ROUTING_ERRORS = {
    404: ("not_found", "没有找到这个地址，请核对链接；需要帮助时随时联系我们。"),
    405: ("method_not_allowed", "这个地址需要换一种请求方式，请按接口说明调用。"),
    413: ("too_large", "内容有点多，麻烦精简或分几次发送，我们会认真查看。"),
}
API_PREFIXES = ("/api/", "/webhooks/")


@web.middleware
async def polite_errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """No stack trace ever reaches a client; the log keeps the error type and route."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        known = ROUTING_ERRORS.get(exc.status)
        if known is None or exc.content_type == "application/json" or not request.path.startswith(API_PREFIXES):
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return web.json_response({"error": known[0], "message": known[1]}, status=exc.status, headers=headers)
    except Exception as exc:  # noqa: BLE001
        log.exception("unhandled error on %s %s: %s", request.method, request.path, type(exc).__name__)
        return web.json_response(
            {"error": "temporary", "message": "系统正在快速恢复中，请稍后再发一次，您的消息我们会认真处理。"},
            status=503,
        )


async def _warm_up(app: web.Application) -> None:
    """Run the NLU graph once so the first customer does not pay TensorFlow's tracing."""
    await app[AGENT].parse_message("你好")


def _back_office(app: web.Application, settings: Settings) -> workorders_api.BackOffice:
    svc = app[SERVICES]
    notifier = WorkOrderNotifier(settings.database_url, app[AGENT], app[DELIVERY])
    return workorders_api.BackOffice(WorkOrderService(settings.database_url, svc.kb), notifier, svc.live)


def _add_shop_link(app: web.Application, settings: Settings) -> None:
    """The shop system's signed webhooks and callbacks, when credentials.yml has `shop:`."""
    link = ShopLink.from_credentials()
    office = app[workorders_api.BACK_OFFICE]
    if link is not None:
        app[webhook_api.SHOP] = link
        app[webhook_api.SHOP_SERVICE] = office.service

        async def after_callback(outcome) -> None:  # type: ignore[no-untyped-def]
            await office.notifier.flush()
            if outcome.handoff_id:
                await office.live.queue_changed("new", outcome.handoff_id, 2)

        app[webhook_api.AFTER_CALLBACK] = after_callback
    webhook_api.add_routes(app)


def scheduler_for(app: web.Application, settings: Settings) -> FollowUpScheduler:
    svc = app[SERVICES]
    office = app.get(workorders_api.BACK_OFFICE) or _back_office(app, settings)
    parts = SchedulerParts(
        agent=app[AGENT], kb=svc.kb, store=FollowUpStore(settings.database_url, svc.kb.service.followup),
        sla=SlaWatch(settings.database_url, svc.kb), delivery=app[DELIVERY],
        sms=sms_sender(settings.database_url), live=svc.live,
        workorders=WorkOrderTicker(office.service, office.notifier, svc.live,
                                   ShopSender(settings.database_url, app[webhook_api.SHOP])
                                   if webhook_api.SHOP in app else None),
    )
    return FollowUpScheduler(parts, interval_s=settings.scheduler_interval_s)


async def _start_scheduler(app: web.Application) -> None:
    if app[SETTINGS].scheduler_interval_s > 0:
        app[SCHEDULER_TASK] = asyncio.create_task(scheduler_for(app, app[SETTINGS]).run_forever())


async def _start_fanout(app: web.Application) -> None:
    await app[FANOUT].start()


async def _stop_fanout(app: web.Application) -> None:
    await app[FANOUT].stop()


async def _stop_scheduler(app: web.Application) -> None:
    await stop_task(app.get(SCHEDULER_TASK))


def _add_console(app: web.Application, sio, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    svc = app[SERVICES]
    storage = DatabaseSessionStorage(settings.database_url, secure=settings.secure_cookies,
                                     signing_key=settings.secret_key())
    app[console_auth.SESSIONS] = storage
    app[console_auth.ACCOUNTS] = Accounts(settings.database_url)
    desk = HandoffDesk(settings.database_url, svc.kb)
    svc.live.attach(sio)
    app[console_api.CONSOLE] = console_api.Console(desk, Takeover(app[AGENT], svc.live, app[DELIVERY]), svc.live)
    ConsoleSockets(sio, storage, app[console_auth.ACCOUNTS], desk)
    console_auth.add_routes(app)
    console_api.add_routes(app)
    training_api.add_routes(app)
    analytics_api.add_routes(app)
    app[workorders_api.BACK_OFFICE] = _back_office(app, settings)
    workorders_api.add_routes(app)
    _add_shop_link(app, settings)
    openapi.add_routes(app)


def create_app(settings: Settings, agent=None) -> web.Application:  # type: ignore[no-untyped-def]
    """Build the app; `agent` may be passed in by tests that already loaded one."""
    from aiohttp_session import session_middleware

    app = web.Application(client_max_size=6 * 1024 * 1024)
    app[SETTINGS] = settings
    app[SERVICES] = services()
    app[IDENTITY] = CustomerIdentity(settings.secret_key(), secure_cookie=settings.secure_cookies)
    seed_demo_orders(settings.database_url, app[SERVICES].kb)
    app[AGENT] = agent or load_agent(settings)
    app[DELIVERY] = Delivery()
    app[GATEWAY] = Gateway(app[AGENT], app[SERVICES].kb, app[SERVICES].live, ShopLogin.configured(settings.database_url))
    sio = socket_server(settings.redis_url, settings.redis_namespace)
    app[FANOUT] = Fanout(settings.redis_url, settings.redis_namespace)
    ratelimit.install(app, settings)  # per customer and per client IP, shared through Redis
    lifecycle.add_routes(app, sio)
    for channel in channels(sio, Outbox(settings.database_url), app[FANOUT]):
        channel.add_routes(app)
        if hasattr(channel, "deliver"):
            app[DELIVERY].register(channel.name, channel.deliver, getattr(channel, "deliver_kept", None))
    _add_console(app, sio, settings)
    # query_guard reads the console session (an anonymous caller gets the handler's 401 first)
    app.middlewares.extend([polite_errors, session_middleware(app[console_auth.SESSIONS]), query_guard,
                            console_auth.csrf_guard])
    pages.add_routes(app)
    model_watch.install(app)  # hot reload of models/qingting.tar.gz, GET /version
    app.on_startup.append(_warm_up)
    app.on_startup.append(_start_scheduler)
    app.on_startup.append(_start_fanout)
    app.on_cleanup.append(_stop_scheduler)
    app.on_cleanup.append(_stop_fanout)
    return app
