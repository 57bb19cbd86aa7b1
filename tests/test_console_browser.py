"""The agent console page (/console) driven in headless Chromium against the real server.

tests/browser/console.mjs plays both sides: a REST customer who complains, escalates and is
handed off, and an agent who sees the case arrive live, opens, claims, replies (through a
lapsed login), gets warned about negative phrasing and hands the customer back to the bot.
"""

from __future__ import annotations

import json
import subprocess
import uuid

from tests.conftest import Server
from tests.console.conftest import PASSWORD, create_user
from tests.test_browser import BROWSER_DIR, SHOTS, pytestmark  # noqa: F401 - the same skip marker

SCREENSHOTS = ["login", "queue-before", "queue-new-case", "case-record", "xss-inert", "claimed",
               "language-warning", "relogin", "replied", "handback", "supervisor"]


def drive_console(server: Server, agent: str, supervisor: str) -> dict:
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "console.mjs", server.url, str(SHOTS), agent, PASSWORD, supervisor], cwd=BROWSER_DIR,
        capture_output=True, text=True, timeout=420,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(lines[-1])


def test_an_agent_takes_a_live_handoff_in_the_console_and_hands_it_back(server: Server) -> None:
    suffix = uuid.uuid4().hex[:6]
    agent, supervisor = f"agent_li_{suffix}", f"boss_zhao_{suffix}"
    create_user(server, agent, "agent", "李主管")
    create_user(server, supervisor, "supervisor", "赵经理")

    outcome = drive_console(server, agent, supervisor)

    assert outcome["ok"], json.dumps(outcome, ensure_ascii=False, indent=1)
    steps = outcome["steps"]
    assert any("appeared live" in s for s in steps)
    assert any("window.__xss undefined" in s for s in steps)
    assert any("customer history has the reply" in s for s in steps)
    assert any("customer history gained" in s and "感谢您的耐心" in s for s in steps)
    for name in SCREENSHOTS:
        assert (SHOTS / f"console-{name}.png").stat().st_size > 0, name
