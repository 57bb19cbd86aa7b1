"""The back-office page (后台工单, /console/workorders) in headless Chromium against the real
server: a customer on the H5 chat page agrees to a refund, an agent edits the pickup's address
and note (shown back masked, the note as text), accepts and completes the refund work order on
the page, and the customer's page shows each update live, once."""

from __future__ import annotations

import json
import subprocess
import uuid

from tests.conftest import Server
from tests.console.conftest import PASSWORD, create_user
from tests.test_browser import BROWSER_DIR, SHOTS, pytestmark  # noqa: F401 - the same skip marker


def test_an_agent_completes_a_refund_on_the_back_office_page_and_the_customer_sees_it(server: Server) -> None:
    agent = f"wo_agent_{uuid.uuid4().hex[:6]}"
    create_user(server, agent, "agent", "周专员")
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["node", "workorders.mjs", server.url, str(SHOTS), agent, PASSWORD], cwd=BROWSER_DIR,
                            capture_output=True, text=True, timeout=420)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    outcome = json.loads(lines[-1])
    assert outcome["ok"], json.dumps(outcome, ensure_ascii=False, indent=1)
    assert any("done is not offered" in step for step in outcome["steps"])
    assert any("edited the pickup's address, shown masked" in step for step in outcome["steps"])
    assert outcome["shownOnce"], outcome["steps"]
    for name in ("list", "edited", "done", "customer"):
        assert (SHOTS / f"workorders-{name}.png").stat().st_size > 0, name
