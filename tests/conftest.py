"""Shared fixtures: one trained model and one real server for the whole test run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.wechat_standin import WeChatApiStandIn

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "qingting.tar.gz"
STARTUP_SECONDS = 240

# Senders with this prefix hit an injected crash in action_answer_policy (bot/runtime.py).
FAULT_PREFIX = "fault-"
# WeChat users whose openid starts with this take 6 s per turn (bot/channels/wechat.py).
SLOW_OPENID_PREFIX = "slow-"
SHOP_LOGIN_SECRET = "test-shop-login-secret"  # the shop site and the server share it (docs/SHOP_LOGIN.md)

WECHAT = {
    "token": "qingting-test-token",
    "app_id": "wx1234567890abcdef",
    "app_secret": "test-secret",
    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_model() -> Path:
    """Train once if there is no model (scripts/test.sh trains before pytest runs)."""
    if not MODEL.exists():
        subprocess.run([str(VENV_BIN / "qingting"), "train"], cwd=ROOT, check=True)
    return MODEL


class Server:
    def __init__(self, base_url: str, var_dir: Path, log_path: Path, process: subprocess.Popen,
                 database_url: str | None = None) -> None:
        self.url = base_url
        self.var_dir = var_dir
        self.log_path = log_path
        self.process = process
        # Where tests read the records (the server may reach the same database another way).
        self.database_url = database_url or f"sqlite:///{var_dir / 'qingting.db'}"

    def post(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return requests.post(self.url + path, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return requests.get(self.url + path, timeout=60, **kwargs)


def start_server(var_dir: Path, extra_env: dict[str, str] | None = None) -> Server:
    ensure_model()
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "server.log"
    env = {
        **os.environ,
        "QINGTING_PORT": str(port),
        "QINGTING_VAR_DIR": str(var_dir),
        "QINGTING_MODEL_DIR": str(MODEL.parent),
        "RASA_TELEMETRY_ENABLED": "false",
        # this checkout's code, also when the venv's editable install points at another checkout
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "QINGTING_FAULT_ACTIONS": f"action_answer_policy@{FAULT_PREFIX}",
        # Test clients all come from 127.0.0.1 and type faster than people: generous limits here;
        # tests/hardening/test_rate_limits.py checks real ones on servers of its own.
        "QINGTING_RATE_LIMIT_CUSTOMER": "100000/60",
        "QINGTING_RATE_LIMIT_IP": "100000/60",
        "QINGTING_RATE_LIMIT_LOGIN_IP": "100000/60",
    }
    env.pop("DATABASE_URL", None)  # SQLite under var_dir unless the caller asks for another
    env.update(extra_env or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "qingting"), "serve"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(base + "/ready", timeout=2).status_code == 200:
                return Server(base, var_dir, log_path, process, env.get("DATABASE_URL"))
        except requests.RequestException:
            pass
        time.sleep(1)
    stop_server(Server(base, var_dir, log_path, process))
    raise RuntimeError("server did not become ready in time")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)


LAST = "tests/hardening/test_logs_clean.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The log scan runs after everything else, when every server of the run has logged."""
    items.sort(key=lambda item: item.nodeid.startswith(LAST))


@pytest.fixture(scope="session")
def wechat_api() -> Iterator[WeChatApiStandIn]:
    standin = WeChatApiStandIn(WECHAT["app_id"], WECHAT["app_secret"])
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, wechat_api: WeChatApiStandIn) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("server") / "var"
    var_dir.mkdir(parents=True)
    credentials = var_dir / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"wechat": {**WECHAT, "api_base": wechat_api.url},
                                           "shop_login": {"secret": SHOP_LOGIN_SECRET}}))
    running = start_server(var_dir, {
        "QINGTING_CREDENTIALS": str(credentials),
        "QINGTING_FAULT_SLOW_SENDERS": SLOW_OPENID_PREFIX,
    })
    yield running
    stop_server(running)
