"""The dashboard API through the real server (its own, with `qingting seed-demo` data): roles,
strict parameters, drill-down lists that add up to the chart counts, the CSV, a conversation."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta

import jsonschema
import pytest

from bot.console import analytics_api
from bot.console.openapi import document
from bot.knowledge import load_knowledge_base
from tests.analytics.conftest import DEMO_COMPLAINTS
from tests.conftest import ROOT, Server
from tests.console.conftest import ConsoleClient, create_user

KB = load_knowledge_base()
BANNED = [b.phrase for b in KB.language.banned]
SUMMARY = "/api/console/analytics/summary"
LIST = "/api/console/analytics/complaints"
EXPORT = "/api/console/analytics/export.csv"
SIX_MONTHS = {"from": (date.today() - timedelta(days=200)).isoformat(), "to": date.today().isoformat()}


def conforms(payload: object, schema_name: str) -> None:
    doc = document()
    jsonschema.validate(payload, {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]})


@pytest.fixture(scope="module")
def people(analytics_server: Server) -> dict[str, ConsoleClient]:
    suffix = uuid.uuid4().hex[:6]
    clients = {}
    for role, name in [("agent", "李专员"), ("supervisor", "赵主管"), ("admin", "孙管理员")]:
        username = f"{role}_{suffix}"
        create_user(analytics_server, username, role, name)
        client = ConsoleClient(analytics_server)
        assert client.login(username).status_code == 200
        clients[role] = client
    return clients


@pytest.fixture(scope="module")
def figures(people: dict[str, ConsoleClient]) -> dict:
    response = people["supervisor"].get(SUMMARY, params=SIX_MONTHS)
    assert response.status_code == 200, response.text
    return response.json()


def test_who_may_see_the_dashboard(analytics_server: Server, people: dict[str, ConsoleClient]) -> None:
    for path in (SUMMARY, LIST, EXPORT, f"{LIST}/{'0' * 32}"):
        anonymous = analytics_server.get(path)
        assert anonymous.status_code == 401 and "登录" in anonymous.json()["message"], path
        refused = people["agent"].get(path)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden", path
    assert people["admin"].get(SUMMARY).status_code == 200


def test_the_summary_covers_the_seeded_months(figures: dict) -> None:
    conforms(figures, "AnalyticsSummary")
    assert figures["totals"]["complaints"] == DEMO_COMPLAINTS
    assert {s["type"] for s in figures["per_day"]["series"] if sum(s["counts"])} == set(KB.complaint_types.types)
    assert sum(sum(s["counts"]) for s in figures["per_day"]["series"]) == DEMO_COMPLAINTS
    assert figures["handoff_reasons"] and figures["remedies"] and figures["compensation"]["above_cap"] > 0
    assert figures["sla"]["breached"] > 0 and figures["sla"]["escalations"]["handoff"] > 0
    assert figures["csat"]["answers"] > 0 and 0 < figures["reopen"]["rate"] < 1
    assert figures["nps"] == {"collected": False}


def test_the_default_period_is_the_last_thirty_days(people: dict[str, ConsoleClient]) -> None:
    period = people["supervisor"].get(SUMMARY).json()["period"]
    assert (date.fromisoformat(period["to"]) - date.fromisoformat(period["from"])).days == 29


@pytest.mark.parametrize(("params", "error"), [
    ({"from": "2026-13-01"}, "bad_parameter"),
    ({"from": "yesterday"}, "bad_parameter"),
    ({"to": "2026-11-31"}, "bad_parameter"),
    ({"from": "2026-11-10", "to": "2026-11-01"}, "bad_range"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "bad_range"),
    ({"channel": "fax"}, "bad_parameter"),
    ({"type": "weather"}, "bad_parameter"),
    ({"colour": "red"}, "unknown_parameter"),
])
def test_bad_summary_parameters_get_a_polite_400(people: dict[str, ConsoleClient], params: dict, error: str) -> None:
    response = people["supervisor"].get(SUMMARY, params=params)
    assert response.status_code == 400 and response.json()["error"] == error
    conforms(response.json(), "Error")
    assert re.search(r"[\u4e00-\u9fff]", response.json()["message"])


@pytest.mark.parametrize("params", [{"severity": "4"}, {"csat": "0"}, {"outcome": "maybe"}, {"sla": "late"},
                                    {"fcr": "true"}, {"reason": "<script>"}, {"page": "0"}, {"per_page": "1000"},
                                    {"day": "2001-01-01"}, {"remedy": "hug"}])
def test_bad_drill_down_parameters_get_a_polite_400(people: dict[str, ConsoleClient], params: dict) -> None:
    response = people["supervisor"].get(LIST, params={**SIX_MONTHS, **params})
    assert response.status_code == 400 and response.json()["error"] == "bad_parameter"


def _total(client: ConsoleClient, **criteria: object) -> int:
    response = client.get(LIST, params={**SIX_MONTHS, **criteria, "per_page": 5})
    assert response.status_code == 200, response.text
    conforms(response.json(), "AnalyticsComplaints")
    return response.json()["total"]


def test_drill_down_lists_add_up_to_the_chart_counts(people: dict[str, ConsoleClient], figures: dict) -> None:
    boss = people["supervisor"]
    assert _total(boss) == figures["totals"]["complaints"]
    for series in figures["per_day"]["series"]:
        busiest = max(range(len(series["counts"])), key=lambda i: series["counts"][i])
        day = figures["per_day"]["days"][busiest]
        assert _total(boss, day=day, type=series["type"]) == series["counts"][busiest], (series["type"], day)
    for product in figures["top_products"][:3]:
        assert _total(boss, product=product["product"]) == product["count"]
    issue = figures["top_issues"][0]
    assert _total(boss, type=issue["type"], product=issue["product"]) == issue["count"]
    for level in figures["severity"]:
        assert _total(boss, severity=level["severity"]) == level["count"]
    for outcome in ("contained", "handed_off", "open"):
        assert _total(boss, outcome=outcome) == figures["containment"][outcome]
    for reason in figures["handoff_reasons"][:3]:
        assert _total(boss, reason=reason["code"]) == reason["count"]
    for remedy in figures["remedies"]:
        assert _total(boss, remedy=remedy["remedy"]) == remedy["count"]
    for level in figures["compensation"]["levels"]:  # every compensation in the demo data is granted or refused
        assert _total(boss, remedy="compensation", severity=level["severity"]) >= level["count"]
    assert _total(boss, fcr="yes") == figures["fcr"]["resolved_first_time"]
    assert _total(boss, reopened="yes") == figures["reopen"]["reopened"]
    assert _total(boss, sla="breached") <= figures["sla"]["breached"]  # complaints vs handoffs


def test_pages_of_the_drill_down_list(people: dict[str, ConsoleClient]) -> None:
    boss = people["supervisor"]
    first = boss.get(LIST, params={**SIX_MONTHS, "severity": 3, "per_page": 10}).json()
    second = boss.get(LIST, params={**SIX_MONTHS, "severity": 3, "per_page": 10, "page": 2}).json()
    assert len(first["items"]) == len(second["items"]) == 10
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    stamps = [i["created_at"] for i in first["items"] + second["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_a_complaint_opens_with_its_record_and_conversation(people: dict[str, ConsoleClient]) -> None:
    boss = people["supervisor"]
    handed = boss.get(LIST, params={**SIX_MONTHS, "outcome": "handed_off", "per_page": 1}).json()["items"][0]
    response = boss.get(f"{LIST}/{handed['id']}")
    assert response.status_code == 200, response.text
    detail = response.json()
    conforms(detail, "AnalyticsComplaint")
    assert detail["complaint"]["reference"] == handed["reference"] and detail["handoffs"]
    froms = [line["from"] for line in detail["transcript"]]
    assert froms[:2] == ["customer", "bot"] and "agent" in froms and "system" in froms
    assert detail["customer"] is None or re.fullmatch(r"1\d{10}", detail["customer"]["phone"])  # supervisors see it
    assert boss.get(f"{LIST}/{'f' * 32}").status_code == 404
    assert boss.get(f"{LIST}/not-an-id").status_code == 404


def test_the_csv_has_the_complaints_in_view_and_is_audited(people: dict[str, ConsoleClient], figures: dict) -> None:
    boss = people["supervisor"]
    level = figures["severity"][0]
    response = boss.get(EXPORT, params={**SIX_MONTHS, "severity": level["severity"]})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "投诉编号" and len(rows) - 1 == level["count"]
    assert {r[5] for r in rows[1:]} == {level["label"]}
    phones = [r[16] for r in rows[1:] if r[16]]
    assert phones and all(re.fullmatch(r"1\d{10}", p) for p in phones)  # supervisors see personal data
    audit = boss.get("/api/console/audit").json()["entries"]
    assert any(e["action"] == "export" and e["detail"]["rows"] == level["count"] for e in audit)


def test_the_dashboard_page_is_served_with_the_console_security_headers(analytics_server: Server) -> None:
    page = analytics_server.get("/console/dashboard")
    html = page.content.decode("utf-8")
    assert page.status_code == 200 and "投诉分析看板" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "/static/vendor/echarts.min.js" in html and "cdn" not in html.lower()
    assert analytics_server.get("/static/vendor/echarts.min.js").status_code == 200


def test_the_dashboard_script_calls_only_documented_routes() -> None:
    script = (ROOT / "bot" / "web" / "static" / "dashboard.js").read_text(encoding="utf-8")
    called = set(re.findall(r"[\"'`](/api/[A-Za-z0-9_/{}.$-]*)", script))
    assert called, "no API path found in dashboard.js"
    documented = [re.sub(r"\{[^}]+\}", "[^/]+", path) for path in document()["paths"]]
    for path in called:
        concrete = path.rstrip("/")
        assert any(re.fullmatch(p, concrete) or p.startswith(concrete + "/") for p in documented), path


def test_what_supervisors_read_is_positive() -> None:
    page = (ROOT / "bot" / "web" / "templates" / "dashboard.html").read_text(encoding="utf-8")
    script = (ROOT / "bot" / "web" / "static" / "dashboard.js").read_text(encoding="utf-8")
    texts = [page, *re.findall(r'"([^"]*[\u4e00-\u9fff][^"]*)"', script), *analytics_api.MESSAGES]
    for text in texts:
        assert not [p for p in BANNED if p in text], text
