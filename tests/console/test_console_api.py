"""The agent console's API: login and roles, the queue, taking a conversation over and back."""

from __future__ import annotations

import threading
from collections.abc import Callable

import jsonschema
import pytest
from sqlalchemy import create_engine, text

from bot.console.openapi import document
from bot.ratelimit import LOGIN_SLOW_DOWN
from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff, handed_off_customer, history
from tests.conversation.chat import Chat, banned_phrases

Login = Callable[[str], ConsoleClient]


def conforms(payload: object, schema_name: str) -> None:
    """The answer matches the schema the OpenAPI document promises."""
    doc = document()
    jsonschema.validate(payload, {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]})


# --- login, sessions, CSRF --------------------------------------------------------------------
def test_the_queue_needs_a_login_and_says_so_in_chinese(server: Server) -> None:
    response = server.get("/api/console/queue")
    assert response.status_code == 401
    assert response.json()["error"] == "login_required" and "登录" in response.json()["message"]


def test_logging_in_needs_the_csrf_token(server: Server, staff: Staff) -> None:
    client = ConsoleClient(server)
    response = client.post("/api/auth/login", csrf=False, json={"username": staff.agent, "password": "x" * 12})
    assert response.status_code == 403 and response.json()["error"] == "csrf"


def test_login_rotates_the_session_and_sets_safe_cookie_flags(server: Server, staff: Staff) -> None:
    client = ConsoleClient(server)
    before = client.http.cookies.get("qingting_console")
    response = client.login(staff.agent)
    assert response.status_code == 200
    conforms(response.json(), "Session")
    after = client.http.cookies.get("qingting_console")
    assert before and after and before != after  # a planted session id is worthless
    cookie_header = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header
    planted = ConsoleClient(server)
    planted.http.cookies.set("qingting_console", before)
    assert planted.get("/api/console/queue").status_code == 401


def test_five_wrong_passwords_slow_down_this_address_for_that_name_whether_or_not_it_exists(server: Server, staff: Staff) -> None:
    from tests.console.conftest import create_user

    create_user(server, "lockme_" + staff.agent[-6:], "agent", "锁定测试")
    client = ConsoleClient(server)
    username = "lockme_" + staff.agent[-6:]
    stranger = "nobody_" + staff.agent[-6:]
    for name in (username, stranger):  # a real account and a made-up one read exactly alike
        answers = [client.login(name, "wrong password!") for _ in range(5)]
        assert all(a.status_code == 401 and "不正确" in a.json()["message"] for a in answers)
        held = client.login(name, "wrong password!")
        assert held.status_code == 429 and held.json() == {"error": "rate_limited", "message": LOGIN_SLOW_DOWN}
    assert client.login(username).status_code == 429  # from this address even the right password waits


def test_state_changing_calls_without_the_csrf_header_are_refused(server: Server, staff: Staff, console: Login) -> None:
    _, handoff_id = handed_off_customer(server)
    agent = console(staff.agent)
    response = agent.post(f"/api/console/handoffs/{handoff_id}/claim", csrf=False)
    assert response.status_code == 403 and response.json()["error"] == "csrf"
    assert agent.get(f"/api/console/handoffs/{handoff_id}").json()["status"] == "queued"


def test_logging_out_ends_the_session(server: Server, staff: Staff, console: Login) -> None:
    agent = console(staff.agent)
    assert agent.get("/api/console/me").status_code == 200
    assert agent.post("/api/auth/logout").status_code == 200
    assert agent.get("/api/console/me").status_code == 401


# --- roles --------------------------------------------------------------------------------------
def test_roles_are_enforced_on_every_api_route(server: Server, staff: Staff, console: Login) -> None:
    trainer, agent, admin = console(staff.trainer), console(staff.agent), console(staff.admin)
    assert trainer.get("/api/console/queue").status_code == 403
    assert agent.get("/api/console/supervisor").status_code == 403
    assert agent.get("/api/console/audit").status_code == 403
    made = agent.post("/api/console/users", json={"username": "sneaky", "password": "p" * 12, "role": "admin"})
    assert made.status_code == 403
    created = admin.post("/api/console/users", json={"username": f"new_{staff.agent[-6:]}", "password": "Qingting-新同事-2026",
                                                     "role": "agent", "display_name": "新同事"})
    assert created.status_code == 201
    conforms(created.json(), "User")
    weak = admin.post("/api/console/users", json={"username": "weak_one", "password": "short", "role": "agent"})
    assert weak.status_code == 400 and "密码" in weak.json()["message"]


# --- the queue and claiming -----------------------------------------------------------------------
def test_a_handoff_appears_in_the_queue_with_its_reasons_and_sla(server: Server, staff: Staff, console: Login) -> None:
    customer, handoff_id = handed_off_customer(server)
    queue = console(staff.agent).get("/api/console/queue").json()
    conforms(queue, "Queue")
    [item] = [i for i in queue["items"] if i["id"] == handoff_id]
    assert item["severity"] == 3 and item["status"] == "queued" and item["sender_id"] == customer.sender
    assert "escalation:regulator" in {r["code"] for r in item["reasons"]}
    assert any("12315" in r["label"] for r in item["reasons"])
    assert item["sla_due_at"] and item["complaint"]["reference"].startswith("TS")
    severities = [i["severity"] for i in queue["items"]]
    assert severities == sorted(severities, reverse=True)


def test_two_agents_claiming_at_once_one_wins_and_the_other_is_told(
    server: Server, staff: Staff, console: Login
) -> None:
    _, handoff_id = handed_off_customer(server)
    agents = [console(staff.agent), console(staff.colleague)]
    results: list = [None, None]
    start = threading.Barrier(2)

    def claim(index: int) -> None:
        start.wait()
        results[index] = agents[index].post(f"/api/console/handoffs/{handoff_id}/claim")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"] == "already_claimed" and "已由" in loser.json()["message"]


def test_a_second_tab_of_the_same_agent_can_claim_again(server: Server, staff: Staff, console: Login) -> None:
    _, handoff_id = handed_off_customer(server)
    first, second = console(staff.agent), console(staff.agent)
    assert first.post(f"/api/console/handoffs/{handoff_id}/claim").status_code == 200
    again = second.post(f"/api/console/handoffs/{handoff_id}/claim")
    assert again.status_code == 200 and again.json()["first_claim"] is False


def test_release_and_transfer(server: Server, staff: Staff, console: Login) -> None:
    _, handoff_id = handed_off_customer(server)
    agent, colleague = console(staff.agent), console(staff.colleague)
    assert agent.post(f"/api/console/handoffs/{handoff_id}/claim").status_code == 200
    assert colleague.post(f"/api/console/handoffs/{handoff_id}/release").status_code == 403
    assert agent.post(f"/api/console/handoffs/{handoff_id}/release").status_code == 200
    assert agent.get(f"/api/console/handoffs/{handoff_id}").json()["status"] == "queued"
    assert agent.post(f"/api/console/handoffs/{handoff_id}/claim").status_code == 200
    moved = agent.post(f"/api/console/handoffs/{handoff_id}/transfer", json={"to": staff.colleague})
    assert moved.status_code == 200 and moved.json()["agent"]["username"] == staff.colleague
    assert agent.post(f"/api/console/handoffs/{handoff_id}/messages", json={"text": "您好"}).status_code == 403
    assert colleague.post(f"/api/console/handoffs/{handoff_id}/messages", json={"text": "您好，我来继续跟进"}).status_code == 201
    nowhere = colleague.post(f"/api/console/handoffs/{handoff_id}/transfer", json={"to": "nobody_here"})
    assert nowhere.status_code == 400


# --- taking over the conversation -------------------------------------------------------------------
def test_an_agent_takes_over_replies_live_and_hands_back_to_the_bot(
    server: Server, staff: Staff, console: Login
) -> None:
    customer, handoff_id = handed_off_customer(server)
    agent = console(staff.agent)
    assert customer.say("我等着呢，快点").silent  # the bot stays quiet while the case waits for a person

    case = agent.get(f"/api/console/handoffs/{handoff_id}").json()
    conforms(case, "Case")
    said = [line["text"] for line in case["transcript"] if line["from"] == "customer"]
    assert said[-1] == "我等着呢，快点" and any("12315" in s for s in said)
    assert case["complaint"]["facts"]["order_id"] == "QT202611150003"
    assert case["order"]["product"] and case["complaint"]["options"]

    claimed = agent.post(f"/api/console/handoffs/{handoff_id}/claim")
    conforms(claimed.json(), "Claim")
    assert claimed.json()["first_claim"] is True
    assert "李专员" in history(customer)[-1]["text"]  # the customer is told who took over

    sent = agent.post(f"/api/console/handoffs/{handoff_id}/messages",
                      json={"text": "非常抱歉给您添麻烦了，我马上为您安排换新。"})
    assert sent.status_code == 201
    assert history(customer)[-1]["text"] == "非常抱歉给您添麻烦了，我马上为您安排换新。"
    # A REST customer gets what the person wrote with their next message; the bot stays quiet.
    waiting = customer.say("好的，那就换新吧")
    assert waiting.texts[-1] == "非常抱歉给您添麻烦了，我马上为您安排换新。" and "李专员" in waiting.texts[0]
    assert customer.say("还在吗").silent

    transcript = agent.get(f"/api/console/handoffs/{handoff_id}").json()["transcript"]
    agent_lines = [line for line in transcript if line["from"] == "agent"]
    assert agent_lines[-1]["agent"] == "李专员" and transcript[-1]["text"] == "还在吗"

    back = agent.post(f"/api/console/handoffs/{handoff_id}/handback")
    assert back.status_code == 200
    assert back.json()["bot_said"] and "感谢您的耐心" in back.json()["bot_said"][0]
    assert not customer.say("你好").silent  # the bot answers again
    assert agent.get(f"/api/console/handoffs/{handoff_id}").json()["status"] == "returned"

    actions = [e["action"] for e in console(staff.supervisor).get(
        "/api/console/audit", params={"target": handoff_id}).json()["entries"]]
    assert {"claim", "reply", "hand_back"} <= set(actions)


def test_handing_back_after_the_remedy_was_agreed_goes_on_to_the_follow_up(
    server: Server, staff: Staff, console: Login
) -> None:
    customer, handoff_id = handed_off_customer(server, "我的电水壶坏了，订单号QT202611150003", "转人工")
    engine = create_engine(server.database_url)
    with engine.begin() as conn:  # the agent agreed an exchange with the customer by phone
        conn.execute(text("UPDATE complaints SET remedy='exchange', status='accepted' WHERE id = "
                          "(SELECT complaint_id FROM handoffs WHERE id = :h)"), {"h": handoff_id})
    engine.dispose()
    agent = console(staff.agent)
    agent.post(f"/api/console/handoffs/{handoff_id}/claim")
    back = agent.post(f"/api/console/handoffs/{handoff_id}/handback").json()
    assert back["stage"] == "followup"
    assert any("回访" in line for line in back["bot_said"])
    assert customer.say("明天下午三点").says("回访")


def test_a_negative_phrase_is_refused_with_a_positive_rewrite(server: Server, staff: Staff, console: Login) -> None:
    customer, handoff_id = handed_off_customer(server)
    agent = console(staff.agent)
    agent.post(f"/api/console/handoffs/{handoff_id}/claim")
    phrase = banned_phrases()[0]
    draft = f"这个要求{phrase}。我们会尽快处理。"
    checked = agent.post("/api/console/language/check", json={"text": draft}).json()
    conforms(checked, "LanguageCheck")
    assert not checked["ok"] and checked["issues"][0]["phrase"] == phrase
    assert phrase not in checked["suggestion"] and "我们会尽快处理" in checked["suggestion"]
    refused = agent.post(f"/api/console/handoffs/{handoff_id}/messages", json={"text": draft})
    assert refused.status_code == 422 and refused.json()["suggestion"] == checked["suggestion"]
    assert all(phrase not in m["text"] for m in history(customer))


def test_replying_needs_a_claim_and_sensible_text(server: Server, staff: Staff, console: Login) -> None:
    _, handoff_id = handed_off_customer(server)
    agent = console(staff.agent)
    assert agent.post(f"/api/console/handoffs/{handoff_id}/messages", json={"text": "您好"}).status_code == 409
    agent.post(f"/api/console/handoffs/{handoff_id}/claim")
    assert agent.post(f"/api/console/handoffs/{handoff_id}/messages", json={"text": "   "}).status_code == 400
    assert agent.post(f"/api/console/handoffs/{handoff_id}/messages", json={"text": "好" * 5000}).status_code == 400
    broken = agent.post(f"/api/console/handoffs/{handoff_id}/messages", data="{not json",
                        headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["message"]
    assert agent.get("/api/console/handoffs/nonexistent0000").status_code == 404
    assert agent.get("/api/console/handoffs/../../etc").status_code == 404


def test_notes_stay_internal(server: Server, staff: Staff, console: Login) -> None:
    customer, handoff_id = handed_off_customer(server)
    agent = console(staff.agent)
    agent.post(f"/api/console/handoffs/{handoff_id}/claim")  # notes, like every action on a case, by its holder
    note = agent.post(f"/api/console/handoffs/{handoff_id}/notes", json={"text": "客户情绪激动，已电话安抚"})
    assert note.status_code == 201
    conforms(note.json(), "Note")
    assert agent.get(f"/api/console/handoffs/{handoff_id}").json()["notes"][-1]["text"] == "客户情绪激动，已电话安抚"
    assert all("电话安抚" not in m["text"] for m in history(customer))


def test_compensation_above_the_cap_is_approved_by_a_supervisor_and_the_customer_is_told(
    server: Server, staff: Staff, console: Login
) -> None:
    customer, handoff_id = handed_off_customer(server)
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE complaints SET approval='pending', compensation_amount=800 WHERE id = "
                          "(SELECT complaint_id FROM handoffs WHERE id = :h)"), {"h": handoff_id})
    engine.dispose()
    agent, supervisor = console(staff.agent), console(staff.supervisor)
    refused = agent.post(f"/api/console/handoffs/{handoff_id}/approval", json={"decision": "approve"})
    assert refused.status_code == 403
    assert supervisor.get("/api/console/supervisor").json()["pending_approvals"] >= 1
    approved = supervisor.post(f"/api/console/handoffs/{handoff_id}/approval", json={"decision": "approve"})
    assert approved.status_code == 200 and "审批通过" in approved.json()["told_customer"]
    assert "审批通过" in history(customer)[-1]["text"]
    again = supervisor.post(f"/api/console/handoffs/{handoff_id}/approval", json={"decision": "reject"})
    assert again.status_code == 409


def test_legal_damages_the_bot_confirmed_wait_in_the_queue_for_a_supervisor(
    server: Server, staff: Staff, console: Login
) -> None:
    customer = Chat.on_the_page(server)
    customer.say("我买的手机是假货，跟正品完全不一样")
    customer.say("QT202611150002")  # 4,599 yuan: refund plus three times the price
    customer.click("退货退款并赔偿")
    [queued] = customer.handoffs()
    assert queued["status"] == "queued" and queued["severity"] == 2
    supervisor = console(staff.supervisor)
    case = supervisor.get(f"/api/console/handoffs/{queued['id']}").json()
    assert case["complaint"]["approval"] == "pending"
    kinds = [w["kind"] for w in customer.work_orders()]
    assert "return_pickup" in kinds and "compensation_payout" not in kinds  # the payout waits for approval
    approved = supervisor.post(f"/api/console/handoffs/{queued['id']}/approval", json={"decision": "approve"})
    assert approved.status_code == 200 and "审批通过" in approved.json()["told_customer"]
    assert "审批通过" in history(customer)[-1]["text"]
    payouts = [w for w in customer.work_orders() if w["kind"] == "compensation_payout"]
    assert len(payouts) == 1 and payouts[0]["created_by"] == staff.supervisor


def test_closing_records_the_resolution_and_thanks_the_customer(server: Server, staff: Staff, console: Login) -> None:
    customer, handoff_id = handed_off_customer(server)
    agent = console(staff.agent)
    agent.post(f"/api/console/handoffs/{handoff_id}/claim")
    assert agent.post(f"/api/console/handoffs/{handoff_id}/close", json={"resolution": ""}).status_code == 400
    assert agent.post(f"/api/console/handoffs/{handoff_id}/close", json={"resolution": "已换新并补偿50元"}).status_code == 200
    assert "感谢您的耐心" in history(customer)[-1]["text"]
    assert customer.complaints()[0]["status"] == "resolved"
    assert handoff_id not in {i["id"] for i in agent.get("/api/console/queue").json()["items"]}
    assert agent.post(f"/api/console/handoffs/{handoff_id}/claim").status_code == 409


def test_personal_data_is_masked_for_agents_and_shown_to_supervisors(
    server: Server, staff: Staff, console: Login
) -> None:
    _, handoff_id = handed_off_customer(
        server, "我的电水壶坏了，订单号QT202611150003，电话13912345678", "我要找你们经理")
    agent_view = console(staff.agent).get(f"/api/console/handoffs/{handoff_id}").json()
    supervisor_view = console(staff.supervisor).get(f"/api/console/handoffs/{handoff_id}").json()
    agent_text = " ".join(line["text"] for line in agent_view["transcript"])
    assert "13912345678" not in agent_text and "139****5678" in agent_text
    assert agent_view["customer"]["phone"] == "139****5678"
    assert supervisor_view["customer"]["phone"] == "13912345678"


def test_the_supervisor_sees_every_open_handoff_and_who_holds_it(server: Server, staff: Staff, console: Login) -> None:
    _, handoff_id = handed_off_customer(server)
    console(staff.agent).post(f"/api/console/handoffs/{handoff_id}/claim")
    overview = console(staff.supervisor).get("/api/console/supervisor").json()
    conforms(overview, "Overview")
    [item] = [i for i in overview["open"] if i["id"] == handoff_id]
    assert item["agent"]["username"] == staff.agent
    assert next(a for a in overview["agents"] if a["username"] == staff.agent)["holding"] >= 1


def test_evidence_photos_are_shown_to_logged_in_agents_only(server: Server, staff: Staff, console: Login) -> None:
    customer, handoff_id = handed_off_customer(server)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    uploaded = server.post("/api/chat/upload", cookies=customer.cookies,
                           files={"photo": ("kettle.png", png, "image/png")})
    assert uploaded.status_code == 200, uploaded.text
    evidence_id = uploaded.json()["evidence_id"]
    agent = console(staff.agent)
    assert [e["id"] for e in agent.get(f"/api/console/handoffs/{handoff_id}").json()["evidence"]] == [evidence_id]
    photo = agent.get(f"/api/console/evidence/{evidence_id}")
    assert photo.status_code == 200 and photo.content == png and photo.headers["Content-Type"] == "image/png"
    assert server.get(f"/api/console/evidence/{evidence_id}").status_code == 401


# --- the OpenAPI document is true ---------------------------------------------------------------
def _routes(server: Server) -> set[tuple[str, str]]:
    from bot.console import analytics_api, api, auth, training_api, workorders_api

    class Collect:
        def __init__(self) -> None:
            self.routes: set[tuple[str, str]] = set()

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            method = name.removeprefix("add_").upper()
            return lambda path, handler: self.routes.add((method, path))

    class FakeApp:
        router = Collect()

    auth.add_routes(FakeApp)  # type: ignore[arg-type]
    api.add_routes(FakeApp)  # type: ignore[arg-type]
    training_api.add_routes(FakeApp)  # type: ignore[arg-type]
    analytics_api.add_routes(FakeApp)  # type: ignore[arg-type]
    workorders_api.add_routes(FakeApp)  # type: ignore[arg-type]
    return FakeApp.router.routes


def test_every_console_route_is_in_the_openapi_document_and_nothing_else(server: Server) -> None:
    served = server.get("/api/openapi.json").json()
    jsonschema.Draft202012Validator.check_schema({"components": served["components"]})
    documented = {(method.upper(), path) for path, ops in served["paths"].items() for method in ops
                  if method != "parameters"}
    assert documented == _routes(server)


def test_the_console_page_calls_only_documented_routes() -> None:
    import re

    from tests.conftest import ROOT

    script = "\n".join((ROOT / "bot" / "web" / "static" / name).read_text(encoding="utf-8")
                        for name in ("console.js", "trainer.js", "dashboard.js", "workorders.js"))
    called = set(re.findall(r"[\"'`](/api/[A-Za-z0-9_/{}.$-]*)", script))
    documented = [re.sub(r"\{[^}]+\}", "[^/]+", path) for path in document()["paths"]]
    for path in called:
        concrete = re.sub(r"\$\{[^}]+\}", "x", path).rstrip("/")
        assert any(re.fullmatch(pattern, concrete) or pattern.startswith(concrete + "/")
                   for pattern in documented), f"console.js calls {path}, which the OpenAPI document lacks"


@pytest.mark.parametrize("path", ["/console"])
def test_the_console_page_is_served_with_security_headers(server: Server, path: str) -> None:
    response = server.get(path)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
