"""The supervisor dashboard (/console/dashboard) in headless Chromium against a server of its
own seeded with `qingting seed-demo` (tests/analytics/conftest.py).

tests/browser/dashboard.mjs: an anonymous visitor is sent to the console login; a supervisor
logs in there and follows the nav link; every chart draws on its canvas (one screenshot per
chart); clicking a product bar lists as many complaints as the bar says, and their CSV
downloads; a real REST customer's complaint of today is found by clicking today's bar, and
opening it shows the customer's own words; an agent is told the page is for supervisors; no
CSP refusal or script error happens on the way.
"""

from __future__ import annotations

import json
import subprocess
import uuid

from tests.analytics.conftest import analytics_server  # noqa: F401 - the fixture
from tests.conftest import Server
from tests.console.conftest import PASSWORD, create_user
from tests.test_browser import BROWSER_DIR, SHOTS, pytestmark  # noqa: F401 - the same skip marker

CHARTS = ["daily", "products", "issues", "severity", "containment", "reasons", "remedies", "compensation",
          "sla", "csat", "csat-trend", "quality"]


def test_a_supervisor_reads_the_charts_drills_down_and_exports(analytics_server: Server) -> None:  # noqa: F811
    suffix = uuid.uuid4().hex[:6]
    supervisor, agent = f"dash_boss_{suffix}", f"dash_agent_{suffix}"
    create_user(analytics_server, supervisor, "supervisor", "赵主管")
    create_user(analytics_server, agent, "agent", "李专员")
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "dashboard.mjs", analytics_server.url, str(SHOTS), supervisor, PASSWORD, agent],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=420,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    outcome = json.loads(lines[-1])

    assert outcome["ok"], json.dumps(outcome, ensure_ascii=False, indent=1)
    steps = outcome["steps"]
    assert any("sends the visitor to /console" in s for s in steps)
    assert any(s.startswith("clicked bar") for s in steps)
    assert any(s.startswith("CSV downloaded") for s in steps)
    assert any(s.startswith("conversation opened") for s in steps)
    assert any("no CSP refusals" in s for s in steps)
    for name in CHARTS:
        assert outcome["charts"][name]["inked"] > 800, name
        assert (SHOTS / f"dashboard-{name}.png").stat().st_size > 0, name
    for name in ("overview", "drilldown", "conversation"):
        assert (SHOTS / f"dashboard-{name}.png").stat().st_size > 0, name
