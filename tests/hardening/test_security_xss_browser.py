"""Customer text with script, img-onerror and svg-onload payloads stays inert text wherever
staff read it, in headless Chromium against the real server: the dashboard's drill-down and
complaint conversation, the trainer page's list and message cards (tests/browser/xss.mjs).
The agent console's case view is covered by tests/test_console_browser.py (console.mjs)."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import Server
from tests.console.conftest import PASSWORD, Staff, staff  # noqa: F401 - the fixture
from tests.test_browser import BROWSER_DIR, SHOTS, pytestmark  # noqa: F401 - the same skip marker


def test_payloads_in_customer_text_stay_inert_on_the_dashboard_and_trainer_pages(
    server: Server, staff: Staff  # noqa: F811
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["node", "xss.mjs", server.url, str(SHOTS), staff.supervisor, staff.trainer, PASSWORD],
                         cwd=BROWSER_DIR, capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stdout[-2000:] + run.stderr[-2000:]
    outcome = json.loads(lines[-1])
    assert outcome["ok"], json.dumps(outcome, ensure_ascii=False, indent=1)
    steps = outcome["steps"]
    for where in ("dashboard conversation", "trainer list", "trainer message cards"):
        assert any(s.startswith(where) and "window.__xss undefined" in s for s in steps), where
    assert "no CSP refusals or script errors" in steps
