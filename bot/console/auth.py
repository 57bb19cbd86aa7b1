"""Console login: server-side sessions, CSRF tokens, role checks.

Every state-changing console request must carry the session's CSRF token in the
`X-CSRF-Token` header (a cross-site form cannot set headers, and the cookie is SameSite=
Strict as well). Logging in starts a brand-new session, so a planted session id is useless.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any

from aiohttp import web
from aiohttp_session import get_session, new_session

from bot.console.accounts import Accounts, ConsoleUser
from bot.console.sessions import DatabaseSessionStorage
from bot.console.validation import body_problem
from bot.ratelimit import LOGIN_SLOW_DOWN, RATE_LIMITER, too_many

ACCOUNTS = web.AppKey("console_accounts", Accounts)
SESSIONS = web.AppKey("console_sessions", DatabaseSessionStorage)
USER_KEY = "console_user"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PROTECTED_PREFIXES = ("/api/console/", "/api/auth/")

NOT_LOGGED_IN = "登录已过期，请重新登录；您正在写的内容已为您保留。"
NOT_ALLOWED = "您的账号没有这项操作的权限，需要时请联系主管。"
BAD_CSRF = "页面已过期，请刷新后再操作；您正在写的内容已为您保留。"
BAD_LOGIN = "用户名或密码不正确，请再试一次。"
BAD_BODY = "提交的内容有一项格式需要调整{where}，请检查后再试。"


def api_error(status: int, code: str, message: str) -> web.HTTPException:
    body = {"text": _json({"error": code, "message": message}), "content_type": "application/json"}
    if status == 413:  # aiohttp's class insists on the sizes, only for a wording the text replaces
        return web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0, **body)
    exc_class = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden,
                 404: web.HTTPNotFound, 409: web.HTTPConflict, 422: web.HTTPUnprocessableEntity}[status]
    return exc_class(**body)


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


@web.middleware
async def csrf_guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    if request.method in UNSAFE and request.path.startswith(PROTECTED_PREFIXES):
        session = await get_session(request)
        sent = request.headers.get("X-CSRF-Token", "")
        expected = str(session.get("csrf", ""))
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise api_error(403, "csrf", BAD_CSRF)
    return await handler(request)


async def current_user(request: web.Request, permission: str | None = None) -> ConsoleUser:
    """The logged-in console user, or a JSON 401/403 for the page to act on."""
    user = request.get(USER_KEY)
    if user is None:
        session = await get_session(request)
        user_id = session.get("user_id")
        user = await asyncio.to_thread(request.app[ACCOUNTS].get, user_id) if user_id else None
        if user is None:
            raise api_error(401, "login_required", NOT_LOGGED_IN)
        request[USER_KEY] = user
    if permission and not user.can(permission):
        raise api_error(403, "forbidden", NOT_ALLOWED)
    return user


async def session_info(request: web.Request) -> web.Response:
    session = await get_session(request)
    token = await csrf_token(request)
    user_id = session.get("user_id")
    user = await asyncio.to_thread(request.app[ACCOUNTS].get, user_id) if user_id else None
    return web.json_response({"authenticated": user is not None, "user": user.as_dict() if user else None,
                              "csrf_token": token})


async def login(request: web.Request) -> web.Response:
    body = await read_json(request)
    username, password = str(body.get("username") or "")[:64], str(body.get("password") or "")[:256]
    limiter, ip = request.app[RATE_LIMITER], request.app[RATE_LIMITER].client_ip(request)
    held = await limiter.login(username, ip)
    if not held.allowed:
        return too_many({"error": "rate_limited", "message": LOGIN_SLOW_DOWN}, held)
    result = await asyncio.to_thread(request.app[ACCOUNTS].authenticate, username, password)
    if result.user is None:
        await limiter.login(username, ip, failed=True)
        raise api_error(401, "bad_login", BAD_LOGIN)
    old = await get_session(request)
    await request.app[SESSIONS].forget(old.identity)
    session = await new_session(request)
    session["user_id"] = result.user.id
    session["csrf"] = secrets.token_urlsafe(32)
    return web.json_response({"authenticated": True, "user": result.user.as_dict(), "csrf_token": session["csrf"]})


async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    session.invalidate()
    return web.json_response({"authenticated": False})


async def read_json(request: web.Request, limit: int = 64 * 1024) -> dict[str, Any]:
    if request.content_length and request.content_length > limit:
        raise api_error(413, "too_large", "内容太长了，请精简后再提交。")
    try:
        body = await request.json()
        _json(body).encode("utf-8")  # lone surrogates ("\udfff") cannot be stored
    except Exception:  # noqa: BLE001 - any undecodable body gets the same polite answer
        raise api_error(400, "invalid_json", "提交的内容格式不正确，请刷新页面后再试。") from None
    if not isinstance(body, dict):
        raise api_error(400, "invalid_json", "提交的内容格式不正确，请刷新页面后再试。")
    problem = body_problem(request, body)  # the route's schema in the served OpenAPI document
    if problem is not None:
        where = f"（{problem}）" if problem else ""
        raise api_error(400, "bad_request", BAD_BODY.format(where=where))
    return body


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/auth/session", session_info)
    app.router.add_post("/api/auth/login", login)
    app.router.add_post("/api/auth/logout", logout)
