"""One schema layer for console request bodies: the OpenAPI document the console serves.

A JSON body is checked against the request schema of its route in bot/console/openapi.py
before any handler reads it, so a list where a string belongs (or any other wrong shape)
is a polite 400, never a crash deeper down. OpenAPI 3.1 schemas are JSON Schema 2020-12.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

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
