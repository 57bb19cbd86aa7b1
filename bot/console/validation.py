"""One schema layer for request bodies and query strings: the OpenAPI document the console
serves, and the same kind of schemas for the customer channels' query strings.

A JSON body is checked against the request schema of its route in bot/console/openapi.py
before any handler reads it, so a list where a string belongs (or any other wrong shape)
is a polite 400, never a crash deeper down. OpenAPI 3.1 schemas are JSON Schema 2020-12.

Query strings are checked by the `query_guard` middleware before any handler: each documented
parameter (the console's in the OpenAPI document, the customer channels' in CUSTOMER_QUERIES)
is read as its schema's type - integers and numbers as plain ASCII digits only - and checked
against the schema; a bad value, or a parameter given twice, is a 400 with a Chinese sentence.
Parameters a route does not document are left to the handler.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator, FormatChecker

from bot.console.openapi import document


@cache
def _validator(path: str, method: str) -> Draft202012Validator | None:
    doc = document()
    operation = doc["paths"].get(path, {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return Draft202012Validator({**schema, "components": doc["components"]})


def body_problem(request: web.Request, body: Any) -> str | None:
    """Where the body breaks its route's schema ("" path for the whole body), or None."""
    resource = request.match_info.route.resource
    validator = _validator(resource.canonical, request.method) if resource is not None else None
    if validator is None:
        return None
    error = next(iter(validator.iter_errors(body)), None)
    return None if error is None else "/".join(str(part) for part in error.absolute_path)


# --- query strings ------------------------------------------------------------------------------
BAD_QUERY = "链接里的参数「{name}」格式不对，请检查后再试一次。"
_INTEGER = re.compile(r"^-?[0-9]{1,9}$")
_NUMBER = re.compile(r"^-?[0-9]{1,9}(\.[0-9]{1,9})?$")
_STR = {"type": "string", "maxLength": 512}
_HEX40 = {"type": "string", "pattern": "^[0-9a-fA-F]{40}$"}
# WeChat signs every push: signature, timestamp and nonce; safe mode adds msg_signature.
_WECHAT = {"signature": _HEX40, "msg_signature": _HEX40, "timestamp": {"type": "string", "pattern": "^[0-9]{1,10}$"},
           "nonce": {"type": "string", "maxLength": 64}, "echostr": _STR, "openid": {"type": "string", "maxLength": 128},
           "encrypt_type": {"enum": ["aes", "raw"]}}
# The customer channels are not the console's API (not in its OpenAPI document); their query
# strings are described here in the same terms. The chat page never names its session: a
# `session_id` in the query is ignored, but it is still a string of sensible length.
CUSTOMER_QUERIES: dict[str, dict[str, dict[str, Any]]] = {
    "/webhooks/wechat/webhook": _WECHAT,
    "/api/chat/history": {"session_id": {"type": "string", "maxLength": 256}},
    "/api/chat/upload": {"session_id": {"type": "string", "maxLength": 256}},
    "/api/chat/session": {},
    "/webhooks/rest": {},
    "/webhooks/rest/": {},
    "/webhooks/rest/webhook": {},
}


@cache
def _query_schemas(path: str, method: str) -> dict[str, Draft202012Validator] | None:
    if path in CUSTOMER_QUERIES:
        found = CUSTOMER_QUERIES[path]
    else:
        item = document()["paths"].get(path)
        if item is None:
            return None  # pages, static files, health: no query string is read
        parameters = [*item.get("parameters", []), *item.get(method.lower(), {}).get("parameters", [])]
        found = {p["name"]: p.get("schema", {}) for p in parameters if p.get("in") == "query"}
    return {name: Draft202012Validator(schema, format_checker=FormatChecker()) for name, schema in found.items()}


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """The value as its schema's type; ValueError when it is no plain number of that kind."""
    kind = schema.get("type")
    if kind == "integer":
        if not _INTEGER.match(value):
            raise ValueError(value)
        return int(value)
    if kind == "number":
        if not _NUMBER.match(value):
            raise ValueError(value)
        return float(value)
    if schema.get("format") == "date":
        date.fromisoformat(value)  # FormatChecker alone takes any string for a date in some versions
    return value


def query_problem(request: web.Request) -> str | None:
    """The name of the first query parameter that breaks its route's schema, or None."""
    resource = request.match_info.route.resource
    schemas = _query_schemas(resource.canonical, request.method) if resource is not None else None
    if not schemas:
        return None
    for name in dict.fromkeys(request.query.keys()):
        validator = schemas.get(name)
        if validator is None:
            continue
        values = request.query.getall(name)
        if len(values) != 1 or "\x00" in values[0]:
            return name
        try:
            typed = _typed(values[0], validator.schema)
        except ValueError:
            return name
        if next(iter(validator.iter_errors(typed)), None) is not None:
            return name
    return None


async def _anonymous_at_the_console(request: web.Request) -> bool:
    """A console route called without a login: the handler's 401 comes first (an anonymous
    caller learns nothing about the parameters)."""
    resource = request.match_info.route.resource
    if resource is None or resource.canonical in CUSTOMER_QUERIES:
        return False
    from bot.console.auth import current_user

    try:
        await current_user(request)
    except web.HTTPException:
        return True
    return False


@web.middleware
async def query_guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    if request.query_string:
        problem = query_problem(request)
        if problem is not None and not await _anonymous_at_the_console(request):
            return web.json_response({"error": "bad_parameter", "message": BAD_QUERY.format(name=problem[:32])},
                                     status=400)
    return await handler(request)
