"""The supervisor views of the back-office page (/console/workorders): the work-order figures and
the dead letters (events the shop's system never took), with a retry, through the real server.

What must hold: only supervisors read the figures and the dead letters and send one again; a
retry needs the CSRF header, is audited, puts the event first in line with its attempts counted
afresh, and a second retry of the same event is refused (409); the page is served with the
console's Content-Security-Policy. The same path in headless Chromium (skipped where Chromium
or playwright-core is missing, like every browser test).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.conftest import Server, free_port, start_server, stop_server
from tests.console.conftest import PASSWORD, ConsoleClient, create_user
from tests.conversation.chat import Chat
from tests.test_browser import BROWSER_DIR, SHOTS
from tests.test_browser import pytestmark as browser_only

pytestmark = pytest.mark.conversation


@pytest.fixture(scope="module")
def shop_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose shop system never answers: each event is a dead letter after one attempt."""
    tmp = tmp_path_factory.mktemp("shop-down")
    credentials = tmp / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"shop": {
        "webhook_url": f"http://127.0.0.1:{free_port()}/hooks", "secret": "shop-secret-for-the-dead-letter-test",
        "max_attempts": 1, "retry_base_s": 1, "retry_cap_s": 1, "timeout_s": 2}}))
    running = start_server(tmp / "var", {"QINGTING_CREDENTIALS": str(credentials),
                                         "QINGTING_SCHEDULER_INTERVAL_S": "1"})
    yield running
    stop_server(running)


def query(server: Server, sql: str, **params: object) -> list[dict]:
    engine = create_engine(server.database_url)
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(text(sql), params).mappings()]
    engine.dispose()
    return rows


@pytest.fixture(scope="module")
def returned(shop_down: Server) -> str:
    """A kettle returned in the conversation; its events could not reach the shop. Returns the
    complaint reference once every event of it is a dead letter."""
    customer = Chat(shop_down)
    customer.say("我的电水壶坏了，订单号QT202611150003")
    assert customer.click("退货退款").says("已为您确认：退货退款")
    customer.give_work_facts()
    [complaint] = customer.complaints()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        states = {r["status"] for r in query(shop_down, "SELECT status FROM shop_events")}
        if states == {"dead"}:
            return str(complaint["reference"])
        time.sleep(1)
    raise AssertionError(f"the events did not become dead letters: {states}")


@pytest.fixture(scope="module")
def people(shop_down: Server) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    found = {"agent": f"wo_agent_{suffix}", "supervisor": f"wo_super_{suffix}"}
    create_user(shop_down, found["agent"], "agent", "周专员")
    create_user(shop_down, found["supervisor"], "supervisor", "吴主管")
    return found


def signed_in(server: Server, username: str) -> ConsoleClient:
    client = ConsoleClient(server)
    assert client.login(username).status_code == 200
    return client


def test_only_supervisors_read_the_figures_and_dead_letters_and_send_one_again(
    shop_down: Server, returned: str, people: dict[str, str]
) -> None:
    agent, supervisor = signed_in(shop_down, people["agent"]), signed_in(shop_down, people["supervisor"])
    assert agent.get("/api/console/workorders/figures").status_code == 403
    assert agent.get("/api/console/workorders/dead-letters").status_code == 403

    figures = supervisor.get("/api/console/workorders/figures?days=7").json()
    pickup = next(k for k in figures["by_kind"] if k["kind"] == "return_pickup")
    assert pickup["total"] >= 1 and pickup["label"] == "退货上门取件"
    assert any(t["team"] == "物流组" for t in figures["by_team"])

    items = supervisor.get("/api/console/workorders/dead-letters").json()["items"]
    mine = [i for i in items if i["reference"].startswith(returned + "-")]
    assert {"work_order.created", "work_order.updated"} <= {i["type"] for i in mine}  # the address came after
    event_id = mine[-1]["id"]
    retry = f"/api/console/workorders/dead-letters/{event_id}/retry"
    assert agent.post(retry).status_code == 403
    assert supervisor.post(retry, csrf=False).status_code == 403  # no CSRF header: refused
    assert query(shop_down, "SELECT status FROM shop_events WHERE id = :id", id=event_id)[0]["status"] == "dead"

    answer = supervisor.post(retry)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": event_id, "reference": mine[-1]["reference"], "status": "pending"}
    [audit] = query(shop_down, "SELECT actor, action FROM audit_log WHERE target = :t AND action = 'shop_event_retry'",
                    t=str(event_id))
    assert audit["actor"] == people["supervisor"]
    again = supervisor.post(retry)  # pending (or dead again after its one attempt)
    assert again.status_code in (200, 409)
    assert supervisor.post("/api/console/workorders/dead-letters/999999/retry").status_code == 409
    assert supervisor.post("/api/console/workorders/dead-letters/１２/retry").status_code == 404


def test_the_page_is_served_with_the_console_protections(shop_down: Server) -> None:
    page = shop_down.get("/console/workorders")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert 'id="tab-dead"' in page.text and "<script>" not in page.text  # no inline script


@browser_only
def test_a_supervisor_reads_the_figures_and_sends_a_dead_letter_again_in_chromium(
    shop_down: Server, returned: str, people: dict[str, str]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "workorders_supervisor.mjs", shop_down.url, str(SHOTS), people["agent"], people["supervisor"],
         PASSWORD, returned], cwd=BROWSER_DIR, capture_output=True, text=True, timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    outcome = json.loads(lines[-1])
    assert outcome["ok"], json.dumps(outcome, ensure_ascii=False, indent=1)
    assert "an agent sees only the work-order list" in outcome["steps"]
    for name in ("figures", "dead"):
        assert (SHOTS / f"workorders-{name}.png").stat().st_size > 0, name
