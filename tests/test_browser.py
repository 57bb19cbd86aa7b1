"""The web widget (real npm rasa-webchat) and the H5 chat page, driven in headless Chromium."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Server

BROWSER_DIR = ROOT / "tests" / "browser"
SHOTS = ROOT / "tests" / "output" / "screenshots"

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and (BROWSER_DIR / "node_modules" / "playwright-core").exists()),
    reason="needs Debian chromium and `npm ci` in tests/browser (scripts/test.sh installs both)",
)


@pytest.fixture(scope="module")
def shop_page() -> Iterator[str]:
    """The shop's own page embedding the widget, served from tests/browser on loopback."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(BROWSER_DIR))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def drive(mode: str, server: Server, page_url: str) -> dict:
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "drive.mjs", mode, server.url, page_url, str(SHOTS)], cwd=BROWSER_DIR,
        capture_output=True, text=True, timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(lines[-1])


def test_a_full_complaint_in_the_rasa_webchat_widget_survives_a_reload(server: Server, shop_page: str) -> None:
    outcome = drive("widget", server, shop_page)
    assert outcome["ok"], outcome
    assert Path(SHOTS / "widget-booked.png").stat().st_size > 0


def test_the_h5_page_on_a_phone_restores_its_history(server: Server) -> None:
    outcome = drive("h5", server, server.url)
    assert outcome["ok"], outcome
    assert Path(SHOTS / "h5-history.png").stat().st_size > 0
