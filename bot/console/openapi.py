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
    # --- the back office (bot/console/workorders_api.py; states in bot/workorders/states.py) ---
    "WorkOrder": obj(
        ["id", "reference", "complaint_reference", "kind", "kind_label", "team", "state", "state_label", "actions",
         "facts", "due_at", "overdue", "times"],
        id=STR, reference=STR, complaint_reference=STR, kind=STR, kind_label=STR, team=STR,
        state={"enum": ["created", "accepted", "scheduled", "in_progress", "done", "failed", "cancelled"]},
        state_label=STR, actions={"type": "array", "items": {"enum": ["accept", "schedule", "start", "done", "fail",
                                                                       "cancel"]}},
        origin={"enum": ["bot", "agent"]}, facts=ANY_OBJ, needs={"type": "array", "items": STR},
        address={"type": ["string", "null"], "description": "masked unless the role sees personal data"},
        failure_reason=NSTR, note={"type": ["string", "null"], "description": "for the team; masked like the address"},
        changed={"type": "array", "items": STR, "description": "facts edit: the fields changed (empty: none)"},
        due_at=STR, overdue=BOOL, times=ANY_OBJ,
        events={"type": "array", "items": obj(["from", "to", "actor", "at"], to=STR, actor=STR, at=STR,
                                              note=NSTR, told_customer=NSTR, notified=BOOL,
                                              **{"from": NSTR})}),
    "WorkOrders": obj(["items", "kinds", "states", "actions", "teams"],
                      items={"type": "array", "items": {"$ref": "#/components/schemas/WorkOrder"}},
                      kinds=ANY_OBJ, states=ANY_OBJ, actions=ANY_OBJ, teams={"type": "array", "items": STR}),
    # --- the supervisor dashboard (bot/console/analytics_api.py; figures defined in docs/ANALYTICS.md) ---
    "Rate": {"type": ["number", "null"], "description": "0..1; null when nothing to divide by"},
    "AnalyticsSummary": obj(
        ["period", "totals", "per_day", "top_products", "top_issues", "severity", "containment", "handoff_reasons",
         "remedies", "compensation", "sla", "csat", "nps", "fcr", "reopen", "generated_at"],
        period=obj(["from", "to", "timezone"], to=STR, timezone=STR, channel=NSTR, type=NSTR, **{"from": STR}),
        totals=obj(["complaints"], complaints=INT, containment_rate=ref("Rate"), handoff_rate=ref("Rate"),
                   fcr_rate=ref("Rate"), reopen_rate=ref("Rate"), sla_rate=ref("Rate"),
                   csat_average={"type": ["number", "null"]}),
        per_day=obj(["days", "series"], days={"type": "array", "items": STR}, series={"type": "array", "items": obj(
            ["type", "label", "counts"], type=STR, label=STR, counts={"type": "array", "items": INT})}),
        top_products={"type": "array", "items": obj(["product", "label", "count"], product=STR, label=STR,
                                                    count=INT)},
        top_issues={"type": "array", "items": obj(["type", "type_label", "product", "product_label", "count"],
                                                  type=STR, type_label=STR, product=STR, product_label=STR,
                                                  count=INT)},
        severity={"type": "array", "items": obj(["severity", "label", "count"], severity=INT, label=STR, count=INT)},
        containment=obj(["total", "contained", "handed_off", "open"], total=INT, contained=INT, handed_off=INT,
                        open=INT, containment_rate=ref("Rate"), handoff_rate=ref("Rate")),
        handoff_reasons={"type": "array", "items": obj(["code", "label", "count"], code=STR, label=STR, count=INT)},
        remedies={"type": "array", "items": obj(["remedy", "label", "count"], remedy=STR, label=STR, count=INT)},
        compensation=obj(["levels", "count", "paid_total", "cap_total", "above_cap"], count=INT,
                         paid_total={"type": "number"}, cap_total={"type": "number"}, above_cap=INT,
                         levels={"type": "array", "items": obj(
                             ["severity", "label", "count", "paid", "cap", "above_cap"], severity=INT, label=STR,
                             count=INT, paid={"type": "number"}, cap={"type": "number"}, above_cap=INT)}),
        sla=obj(["met", "breached", "pending", "rate", "escalations", "by_day"], met=INT, breached=INT, pending=INT,
                rate=ref("Rate"), escalations=obj(["complaint", "handoff"], complaint=INT, handoff=INT),
                by_day={"type": "array", "items": obj(["day", "met", "breached"], day=STR, met=INT, breached=INT,
                                                      pending=INT, rate=ref("Rate"))}),
        csat=obj(["distribution", "answers", "average", "solved_rate", "trend"], answers=INT,
                 average={"type": ["number", "null"]}, solved_rate=ref("Rate"),
                 distribution={"type": "array", "items": obj(["score", "count"], score=INT, count=INT)},
                 trend={"type": "array", "items": obj(["day", "answers", "average"], day=STR, answers=INT,
                                                      average={"type": "number"})}),
        nps=obj(["collected"], collected=BOOL),
        fcr=obj(["total", "resolved_first_time", "rate"], total=INT, resolved_first_time=INT, rate=ref("Rate")),
        reopen=obj(["reopened", "resolved", "rate"], reopened=INT, resolved=INT, rate=ref("Rate")),
        generated_at=STR),
    "AnalyticsItem": obj(
        ["id", "reference", "created_at", "channel", "type", "type_label", "severity", "status", "handoffs",
         "reasons", "csat"],
        id=STR, reference=STR, created_at=STR, channel=STR, type=STR, type_label=STR, product=NSTR, severity=INT,
        status=STR, status_label=STR, remedy=NSTR, remedy_label=NSTR, compensation_amount=NSTR, handoffs=INT,
        reasons={"type": "array", "items": ref("Reason")}, sla={"enum": ["met", "breached", "pending", None]},
        csat={"type": ["integer", "null"]}, preview=STR,
        customer={"oneOf": [obj(["tier", "phone"], tier=STR, name=STR, phone=STR), {"type": "null"}]}),
    "AnalyticsComplaints": obj(["total", "page", "per_page", "items"], total=INT, page=INT, per_page=INT,
                               items={"type": "array", "items": ref("AnalyticsItem")}),
    "AnalyticsComplaint": obj(
        ["complaint", "customer", "channel", "handoffs", "csat", "transcript"], channel=STR,
        complaint=obj(["id", "reference", "type", "type_label", "severity", "status"], id=STR, reference=STR,
                      type=STR, type_label=STR, severity=INT, status=STR),
        customer={"type": ["object", "null"]},
        handoffs={"type": "array", "items": obj(["id", "status", "reasons"], id=STR, status=STR,
                                                reasons={"type": "array", "items": ref("Reason")},
                                                created_at=STR, sla_due_at=NSTR, claimed_at=NSTR,
                                                closed_at=NSTR, resolution=NSTR)},
        csat={"type": "array", "items": obj(["score", "solved"], score=INT, solved=BOOL, created_at=STR,
                                            comment=NSTR)},
        transcript={"type": "array", "items": ref("Line")}),
    "Audit": obj(["entries"], entries={"type": "array", "items": obj(["at", "actor", "action"], at=STR, actor=STR,
                                                                       action=STR, target=NSTR, detail=ANY_OBJ)}),
    # --- the trainer page (bot/console/training_api.py) ---
    "TrainingSummary": obj(
        ["sender_id", "channel", "started_at", "last_at", "messages", "fallbacks", "min_confidence", "handoff",
         "csat", "reopened", "flags"],
        sender_id=STR, channel=STR, started_at=STR, last_at=STR, messages=INT, fallbacks=INT,
        min_confidence={"type": ["number", "null"]}, handoff=BOOL, csat={"type": ["integer", "null"]},
        reopened=BOOL, annotated=INT, story_marked=BOOL, preview=STR,
        flags={"type": "array", "items": {"enum": ["fallback", "low_confidence", "handoff", "low_csat", "reopened"]}}),
    "TrainingConversations": obj(["items"], items={"type": "array", "items": ref("TrainingSummary")}),
    "Span": obj(["entity", "start", "end"], entity=STR, start=INT, end=INT, value={}),
    "TrainingLine": obj(
        ["from", "text"], **{"from": {"enum": ["customer", "bot", "agent", "system"]}}, text=STR,
        at={"type": "number"}, event_id=INT, intent=NSTR, confidence={"type": "number"}, best_intent=NSTR,
        best_confidence={"type": ["number", "null"]}, fallback=BOOL, action=STR,
        ranking={"type": "array", "items": obj(["name", "confidence"], name=STR, confidence={"type": "number"})},
        entities={"type": "array", "items": ref("Span")},
        tokens={"type": "array", "items": obj(["text", "start", "end"], text=STR, start=INT, end=INT)},
        annotation={"type": ["object", "null"]}),
    "TrainingConversation": obj(["sender_id", "lines", "story"], sender_id=STR,
                                lines={"type": "array", "items": ref("TrainingLine")},
                                story={"type": ["object", "null"]}),
    "TrainingSchema": obj(["intents", "entities", "kinds"], intents={"type": "array", "items": STR},
                          entities={"type": "array", "items": STR}, kinds={"type": "array", "items": STR}),
    "Annotation": obj(["event_id", "text", "intent", "entities", "status"], event_id=INT, text=STR, intent=STR,
                      entities={"type": "array", "items": ref("Span")}, status=STR),
    "StoryMark": obj(["sender_id", "name", "status"], sender_id=STR, name=STR, status=STR),
    "Pending": obj(["annotations", "stories"], annotations={"type": "array", "items": ANY_OBJ},
                   stories={"type": "array", "items": ANY_OBJ}),
    "ExportResult": obj(["added", "stories", "refused", "files"],
                        added={"type": "array", "items": obj(["text", "intent", "file", "example"], text=STR,
                                                             intent=STR, file=STR, example=STR)},
                        stories={"type": "array", "items": obj(["name", "file"], name=STR, file=STR)},
                        refused={"type": "array", "items": obj(["kind", "reason"], kind=STR, reason=STR)},
                        files={"type": "array", "items": STR}),
    "LintResult": obj(["findings"], findings={"type": "array", "items": obj(
        ["kind", "severity", "file", "line", "message"], kind=STR, severity={"enum": ["error", "warning"]},
        file=STR, line=INT, message=STR)}),
    "ModelInfo": obj(["reloaded", "model_id", "reloads"], reloaded=BOOL, model_id=NSTR, model_name=NSTR,
                     reloads=INT, loaded_at={"type": "number"}, file_mtime_ns={"type": ["integer", "null"]},
                     last_error=NSTR, poll_s={"type": "number"}),
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
       unsafe: bool = False, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {**response, **ERRORS}}
    if body is not None:
        operation["requestBody"] = _body(body)
    if role:
        operation["x-permission"] = role
    if unsafe:
        operation["parameters"] = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": STR}]
    if params:
        operation["parameters"] = params
    return operation


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


DATE = {"type": "string", "format": "date"}
ANALYTICS_PERIOD = [
    _query("from", DATE, "first local day (default: 29 days before `to`)"),
    _query("to", DATE, "last local day, inclusive (default: today); at most 366 days in all"),
    _query("channel", {"enum": ["rest", "socketio", "h5", "wechat"]}, "only this channel"),
    _query("type", STR, "only this complaint type (knowledge_base/complaint_types.yml)"),
]
ANALYTICS_DRILL = [
    _query("day", DATE, "created on this local day"),
    _query("product", STR, "this product (__none__: no product named)"),
    _query("severity", {"type": "integer", "minimum": 1, "maximum": 3}, "this severity"),
    _query("remedy", STR, "this remedy kind (none: no remedy yet)"),
    _query("reason", STR, "had a handoff for this reason code"),
    _query("csat", {"type": "integer", "minimum": 1, "maximum": 5}, "has a follow-up answer with this score"),
    _query("outcome", {"enum": ["contained", "handed_off", "open"]}, "bot containment outcome"),
    _query("sla", {"enum": ["met", "breached", "pending"]}, "has a handoff in this SLA state"),
    _query("fcr", {"enum": ["yes", "no"]}, "first-contact resolution"),
    _query("reopened", {"enum": ["yes", "no"]}, "reopened by a follow-up answer"),
]


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
                {**_ok(obj(["sent", "pushed", "delivery", "notice"], sent=BOOL, pushed=BOOL,
                           delivery={"enum": ["pushed", "queued", "history"],
                                     "description": "pushed now; kept for the customer's next message; "
                                                    "in the conversation's history"},
                           notice={"type": "string", "description": "Chinese, for the agent: what the "
                                                                    "customer will see, on their channel"}),
                      "201"),
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
    "/api/console/audit": {"get": op("Audit log, newest first", _ok(ref("Audit")), role="supervise", params=[
        _query("target", {"type": "string", "maxLength": 256}, "only entries about this target (an id)")])},
    "/api/console/analytics/summary": {"get": op(
        "Dashboard figures for a period (all chart series in one answer)", _ok(ref("AnalyticsSummary")),
        role="supervise", params=ANALYTICS_PERIOD)},
    "/api/console/analytics/complaints": {"get": op(
        "The complaints behind a chart element (drill-down), newest first, paginated, masked by role",
        _ok(ref("AnalyticsComplaints")), role="supervise", params=ANALYTICS_PERIOD + ANALYTICS_DRILL + [
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}])},
    "/api/console/analytics/complaints/{complaint_id}": {
        "parameters": [{"name": "complaint_id", "in": "path", "required": True, "schema": STR}],
        "get": op("One complaint with its handoffs, follow-up answers and conversation transcript",
                  _ok(ref("AnalyticsComplaint")), role="supervise")},
    "/api/console/analytics/export.csv": {"get": op(
        "The complaints in view as CSV (UTF-8 with BOM; personal data masked by role; audited)",
        {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
        role="supervise", params=ANALYTICS_PERIOD + ANALYTICS_DRILL)},
    "/api/console/workorders": {
        "get": op("Work orders, soonest due first (后台工单)", _ok(ref("WorkOrders")), role="handle", params=[
            _query("state", STR, "comma-separated states"), _query("team", STR, "only this team")]),
        "post": op("Create a work order from a case (the customer is told)", _ok(ref("WorkOrder"), "201"),
                   obj(["complaint_reference", "kind"], complaint_reference=STR, kind=STR, address=STR,
                       facts=obj([], order_id=STR, amount=STR, time_slot=STR)), role="handle", unsafe=True)},
    "/api/console/workorders/dead-letters": {"get": op(
        "Work-order events the shop's system never took after the last retry (dead letters)",
        _ok(obj(["items"], items={"type": "array", "items": obj(
            ["id", "reference", "type", "attempts", "error", "created_at"], id=INT, reference=STR, type=STR,
            attempts=INT, error=STR, created_at=STR)})), role="supervise")},
    "/api/console/workorders/dead-letters/{event_id}/retry": {
        "parameters": [{"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "post": op("Send a dead letter again: pending once more, first in line, attempts counted afresh (409 when it "
                   "is no dead letter any more)",
                   _ok(obj(["id", "reference", "status"], id=INT, reference=STR, status={"enum": ["pending"]})),
                   role="supervise", unsafe=True)},
    "/api/console/workorders/figures": {"get": op(
        "Work-order figures for a period: by kind and state, per team (open, overdue, done within SLA, time to "
        "done), overdue now", _ok(obj(["since", "by_kind", "by_team", "total", "overdue"], since=STR, total=INT,
                                      overdue=INT, by_kind={"type": "array", "items": ANY_OBJ},
                                      by_team={"type": "array", "items": ANY_OBJ})),
        role="supervise", params=[_query("days", {"type": "integer", "minimum": 1, "maximum": 366},
                                         "the last N days (default 30)")])},
    "/api/console/workorders/{work_order_id}": {
        "parameters": [{"name": "work_order_id", "in": "path", "required": True, "schema": STR}],
        "get": op("One work order with its moves", _ok(ref("WorkOrder")), role="handle")},
    "/api/console/workorders/{work_order_id}/moves": {
        "parameters": [{"name": "work_order_id", "in": "path", "required": True, "schema": STR}],
        "post": op("Move a work order (409 with the reason when the state does not allow it; nothing changes)",
                   _ok(ref("WorkOrder")),
                   obj(["action"], action={"enum": ["accept", "schedule", "start", "done", "fail", "cancel"]},
                       slot={"type": "string", "description": "schedule: the agreed time, e.g. 周四下午2点"},
                       reason={"type": "string", "description": "fail: why (the person taking over reads it)"}),
                   role="handle", unsafe=True)},
    "/api/console/workorders/{work_order_id}/facts": {
        "parameters": [{"name": "work_order_id", "in": "path", "required": True, "schema": STR}],
        "post": op("Edit an open work order's address, time window and note for the team (omitted: unchanged, "
                   "\"\": cleared); the address is stored encrypted and read masked by role; one event, sent to the "
                   "shop as work_order.updated; audited. 409 in a final state (done, failed, cancelled)",
                   _ok(ref("WorkOrder")),
                   {**obj([], address={"type": "string", "description": "at most 200 characters"},
                          time_slot={"type": "string", "description": "at most 40 characters, e.g. 周六上午"},
                          note={"type": "string", "description": "for the team, at most 500 characters"}),
                    "additionalProperties": False, "minProperties": 1},
                   role="handle", unsafe=True)},
    "/api/console/users": {"post": op("Create a console account", _ok(ref("User"), "201"),
                                      obj(["username", "password", "role"], username=STR, password=STR,
                                          role={"enum": ["agent", "supervisor", "trainer", "admin"]},
                                          display_name=STR),
                                      role="manage_users", unsafe=True)},
    "/api/console/training/conversations": {"get": {
        **op("Conversations for review, filtered (kinds=fallback,low_confidence,handoff,low_csat,reopened)",
             _ok(ref("TrainingConversations")), role="train"),
        "parameters": [
            _query("kinds", {"type": "string", "maxLength": 200}, "comma-separated kinds"),
            _query("from", {"type": "string", "maxLength": 32}, "ISO date or time, first"),
            _query("to", {"type": "string", "maxLength": 32}, "ISO date or time, last (a date: the whole day)"),
            _query("channel", {"type": "string", "maxLength": 32}, "only this channel"),
            _query("threshold", {"type": "number", "minimum": 0, "maximum": 1}, "low confidence below this"),
            _query("limit", INT, "at most this many (1-200)")]}},
    "/api/console/training/conversations/{sender_id}": {
        "parameters": [{"name": "sender_id", "in": "path", "required": True, "schema": STR}],
        "get": op("One conversation: per customer message the prediction, entities and jieba tokens",
                  _ok(ref("TrainingConversation")), role="train")},
    "/api/console/training/schema": {"get": op("The domain's intents and entities", _ok(ref("TrainingSchema")),
                                               role="train")},
    "/api/console/training/annotations": {"post": op(
        "Correct a customer message's intent and entity spans (spans on the shown, git-safe text)",
        _ok(ref("Annotation"), "201"),
        obj(["sender_id", "event_id", "intent"], sender_id=STR, event_id=INT, intent=STR,
            entities={"type": "array", "items": ref("Span")}), role="train", unsafe=True)},
    "/api/console/training/pending": {"get": op("Corrections and story marks with their export status",
                                                _ok(ref("Pending")), role="train")},
    "/api/console/training/stories": {"post": op("Mark a conversation as a good test story", _ok(ref("StoryMark"), "201"),
                                                 obj(["sender_id"], sender_id=STR, name=STR), role="train",
                                                 unsafe=True)},
    "/api/console/training/export": {"post": op(
        "Append corrections to nlu/ and marked stories to tests/stories/ (duplicates and conflicts refused)",
        _ok(ref("ExportResult")), role="train", unsafe=True)},
    "/api/console/training/lint": {"get": op("Data lint findings with file and line", _ok(ref("LintResult")),
                                             role="train")},
    "/api/console/training/reload": {"post": op("Load models/qingting.tar.gz now (409 if it cannot be loaded)",
                                                _ok(ref("ModelInfo")), role="train", unsafe=True)},
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
