"""A console reply reaches the customer on their own socket channel (issue: channels + takeover)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from tests.conftest import Server
from tests.console.conftest import PASSWORD, create_user
from tests.test_browser import BROWSER_DIR, SHOTS, pytestmark, shop_page  # noqa: F401


def test_an_agent_reply_reaches_the_widget_and_the_h5_page_even_after_a_reconnect(
    server: Server, shop_page: str  # noqa: F811
) -> None:
    username = f"reply_{uuid.uuid4().hex[:6]}"
    create_user(server, username, "agent", "李专员")
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "agent_reply.mjs", server.url, shop_page, str(SHOTS), username, PASSWORD],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    outcome = json.loads(lines[-1])
    assert outcome["ok"], outcome
    for shot in ("widget-agent-reply.png", "h5-agent-reply.png", "h5-agent-reply-after-return.png"):
        assert Path(SHOTS / shot).stat().st_size > 0
