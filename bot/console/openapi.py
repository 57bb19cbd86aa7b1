"""The OpenAPI 3.1 description of the console API, served at /api/openapi.json.

Tests keep it true: every console route is described, every described path exists, and the
answers of real calls validate against the schemas below.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
ANY_OBJ = {"type": "object"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


SCHEMAS: dict[str, Any] = {
    "Error": obj(["error", "message"], error=STR, message={"type": "string", "description": "Chinese, for people"}),
    "User": obj(["id", "username", "display_name", "role", "permissions"], id=STR, username=STR, display_name=STR,
                role={"enum": ["agent", "supervisor", "trainer", "admin"]}, permissions={"type": "array", "items": STR}),
    "Session": obj(["authenticated", "csrf_token"], authenticated=BOOL,
                   user={"oneOf": [ref("User"), {"type": "null"}]}, csrf_token=STR),
    "Reason": obj(["code", "label"], code=STR, label=STR),
    "AgentRef": {"oneOf": [obj(["username", "display_name"], username=STR, display_name=STR), {"type": "null"}]},
    "QueueItem": obj(
        ["id", "sender_id", "channel", "status", "severity", "reasons", "created_at", "sla_due_at", "agent"],
        id=STR, sender_id=STR, channel=STR, status={"enum": ["queued", "claimed", "returned", "closed"]},
        severity=INT, reasons={"type": "array", "items": ref("Reason")}, callback=BOOL,
        created_at=STR, sla_due_at=NSTR, claimed_at=NSTR, agent=ref("AgentRef"),
        complaint={"type": ["object", "null"]}, preview=STR,
    ),
    "Queue": obj(["items", "now"], items={"type": "array", "items": ref("QueueItem")}, now=STR),
    "Line": obj(["from", "text"], **{"from": {"enum": ["customer", "bot", "agent", "system"]}}, text=STR,
                agent=NSTR, buttons={"type": "array", "items": STR}, at={"type": "number"}),
    "Case": {
        "allOf": [
            ref("QueueItem"),
            obj(["transcript", "notes", "past_complaints", "evidence"],
                transcript={"type": "array", "items": ref("Line")},
                notes={"type": "array", "items": ref("Note")},
                past_complaints={"type": "array", "items": ANY_OBJ},
                evidence={"type": "array", "items": obj(["id", "media_type"], id=STR, media_type=STR, size=INT)},
                order={"type": ["object", "null"]}, customer={"type": ["object", "null"]},
                resolution=NSTR),
        ]
    },
    "Note": obj(["author", "text", "created_at"], author=STR, text=STR, created_at=STR),
    "Claim": obj(["id", "status"], id=STR, status=STR, first_claim=BOOL),
    "LanguageCheck": obj(["ok", "issues", "suggestion"], ok=BOOL, suggestion=STR,
                         issues={"type": "array", "items": obj(["phrase", "rewrite"], phrase=STR, rewrite=STR)}),
    "Scripts": obj(["six_steps", "canned"],
                   six_steps={"type": "array", "items": obj(["step", "template"], step=STR, template=STR)},
                   canned={"type": "array", "items": obj(["id", "title", "text"], id=STR, title=STR, text=STR)}),
    "Agents": obj(["agents"], agents={"type": "array", "items": obj(["username", "display_name", "role"],
                                                                      username=STR, display_name=STR, role=STR)}),
    "Overview": obj(["open", "breached", "agents", "queued", "pending_approvals", "now"],
                    open={"type": "array", "items": ref("QueueItem")},
                    breached={"type": "array", "items": ref("QueueItem")},
                    agents={"type": "array", "items": ANY_OBJ}, queued=INT, pending_approvals=INT, now=STR,
                    failed_followups={"type": "array", "items": obj(
                        ["id", "reference", "channel", "attempts", "due_at", "error"], id=STR, reference=STR,
                        channel=STR, attempts=INT, due_at=STR, error=STR)},
                    sla_breaches={"type": "array", "items": obj(
                        ["kind", "target_id", "from_level", "to_level", "at"], kind=STR, target_id=STR,
                        from_level=INT, to_level=INT, at=STR)}),
    "Audit": obj(["entries"], entries={"type": "array", "items": obj(["at", "actor", "action"], at=STR, actor=STR,
                                                                       action=STR, target=NSTR, detail=ANY_OBJ)}),
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(schema: dict[str, Any] | None, status: str = "200", description: str = "OK") -> dict[str, Any]:
    out: dict[str, Any] = {status: {"description": description}}
    if schema is not None:
        out[status]["content"] = {"application/json": {"schema": schema}}
    return out


ERRORS = {code: {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
          for code, text in {"400": "bad input", "401": "login required", "403": "role or CSRF refused",
                             "404": "not found", "409": "conflict (claimed by someone else, closed)"}.items()}


def op(summary: str, response: dict[str, Any], body: dict[str, Any] | None = None, role: str | None = None,
       unsafe: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {**response, **ERRORS}}
    if body is not None:
        operation["requestBody"] = _body(body)
    if role:
        operation["x-permission"] = role
    if unsafe:
        operation["parameters"] = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": STR}]
    return operation


HANDOFF_ID = {"name": "handoff_id", "in": "path", "required": True, "schema": STR}


def handoff_path(**ops: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": [HANDOFF_ID], **ops}


PATHS: dict[str, Any] = {
    "/api/auth/session": {"get": op("Current session and its CSRF token", _ok(ref("Session")))},
    "/api/auth/login": {"post": op("Log in (starts a new session)", _ok(ref("Session")),
                                   obj(["username", "password"], username=STR, password=STR), unsafe=True)},
    "/api/auth/logout": {"post": op("Log out", _ok(obj(["authenticated"], authenticated=BOOL)), unsafe=True)},
    "/api/console/me": {"get": op("The logged-in user", _ok(ref("User")))},
    "/api/console/queue": {"get": op("Open handoffs by severity, then waiting time", _ok(ref("Queue")), role="handle")},
    "/api/console/handoffs/{handoff_id}": handoff_path(
        get=op("Everything about one handoff: reasons, complaint, order, transcript, notes", _ok(ref("Case")),
               role="handle")),
    "/api/console/handoffs/{handoff_id}/claim": handoff_path(
        post=op("Claim (one agent per conversation)", _ok(ref("Claim")), role="handle", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/release": handoff_path(
        post=op("Put back in the queue", _ok(ANY_OBJ), role="handle", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/transfer": handoff_path(
        post=op("Give to another agent", _ok(ANY_OBJ), obj(["to"], to=STR), role="handle", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/messages": handoff_path(
        post=op("Reply to the customer on their channel (422 with a rewrite for negative phrasing)",
                {**_ok(obj(["sent", "pushed"], sent=BOOL, pushed=BOOL), "201"),
                 "422": {"description": "negative phrasing",
                         "content": {"application/json": {"schema": ref("LanguageCheck")}}}},
                obj(["text"], text=STR), role="handle", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/notes": handoff_path(
        post=op("Add an internal note", _ok(ref("Note"), "201"), obj(["text"], text=STR), role="handle", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/approval": handoff_path(
        post=op("Approve or reject compensation above the bot's cap (the customer is told)",
                _ok(obj(["approval", "told_customer"], approval=STR, told_customer=STR)),
                obj(["decision"], decision={"enum": ["approve", "reject"]}, note=STR), role="approve", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/handback": handoff_path(
        post=op("Hand back to the bot, which continues at the right stage",
                _ok(obj(["status", "stage", "bot_said"], status=STR, stage=STR,
                        bot_said={"type": "array", "items": STR})), role="handle", unsafe=True)),
    "/api/console/handoffs/{handoff_id}/close": handoff_path(
        post=op("Close with a resolution", _ok(obj(["status"], status=STR)), obj(["resolution"], resolution=STR),
                role="handle", unsafe=True)),
    "/api/console/evidence/{evidence_id}": {
        "parameters": [{"name": "evidence_id", "in": "path", "required": True, "schema": STR}],
        "get": op("An evidence photo", {"200": {"description": "the image",
                                                "content": {"image/*": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}},
                  role="handle"),
    },
    "/api/console/scripts": {"get": op("Six-step script and canned positive replies", _ok(ref("Scripts")),
                                       role="handle")},
    "/api/console/language/check": {"post": op("Check a draft for negative phrasing", _ok(ref("LanguageCheck")),
                                               obj(["text"], text=STR), unsafe=True)},
    "/api/console/agents": {"get": op("People a case can be transferred to", _ok(ref("Agents")), role="handle")},
    "/api/console/supervisor": {"get": op("All open handoffs, breaches, who holds what", _ok(ref("Overview")),
                                          role="supervise")},
    "/api/console/audit": {"get": op("Audit log, newest first", _ok(ref("Audit")), role="supervise")},
    "/api/console/users": {"post": op("Create a console account", _ok(ref("User"), "201"),
                                      obj(["username", "password", "role"], username=STR, password=STR,
                                          role={"enum": ["agent", "supervisor", "trainer", "admin"]},
                                          display_name=STR),
                                      role="manage_users", unsafe=True)},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Qingting console API", "version": "1.0.0",
                 "description": "Session cookie + X-CSRF-Token on every POST; roles per x-permission."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


async def serve(request: web.Request) -> web.Response:
    return web.json_response(document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", serve)
