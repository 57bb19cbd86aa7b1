"""Rasa's own tools keep working on the same project (trainers use them)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import requests

from tests.conftest import ROOT, VENV_BIN, free_port


def test_rasa_data_validate_passes() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--data", "nlu", "stories", "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_run_actions_serves_the_same_actions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "QINGTING_VAR_DIR": str(tmp_path),
           "SANIC_HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        names: list[str] = []
        while time.monotonic() < deadline:
            try:
                names = [a["name"] for a in requests.get(f"http://127.0.0.1:{port}/actions", timeout=2).json()]
                break
            except requests.RequestException:
                time.sleep(1)
        assert {"action_acknowledge_complaint", "action_handoff", "validate_complaint_form"} <= set(names)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
