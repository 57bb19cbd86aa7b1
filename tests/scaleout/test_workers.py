"""`qingting serve --workers N`: N processes on consecutive ports, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import requests

from tests.conftest import MODEL, ROOT, VENV_BIN, free_port
from tests.conversation.chat import Chat
from tests.scaleout.conftest import Cluster


def serve(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([str(VENV_BIN / "qingting"), "serve", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def base_env(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "QINGTING_VAR_DIR": str(tmp), "QINGTING_MODEL_DIR": str(MODEL.parent)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


def ready(url: str) -> bool:
    try:
        return requests.get(url + "/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_several_workers_on_sqlite_are_refused_with_the_reason(tmp_path: Path) -> None:
    process = serve(["--workers", "2"], base_env(tmp_path), tmp_path / "log")
    assert process.wait(timeout=120) == 2
    assert "several workers need DATABASE_URL=postgresql" in (tmp_path / "log").read_text()


def test_two_workers_answer_on_two_ports_and_stop_together(cluster: Cluster, tmp_path: Path) -> None:
    port = free_port()
    while not _free(port + 1):
        port = free_port()
    env = {**base_env(tmp_path), **{k: v for k, v in cluster.env.items() if k != "QINGTING_KNOWLEDGE_DIR"},
           "DATABASE_URL": cluster.database_url, "QINGTING_PORT": str(port),
           "QINGTING_REDIS_NAMESPACE": f"w{uuid.uuid4().hex[:6]}"}
    supervisor = serve(["--workers", "2"], env, tmp_path / "log")
    urls = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    try:
        deadline = time.monotonic() + 240
        while not all(ready(url) for url in urls):
            assert supervisor.poll() is None, (tmp_path / "log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the workers did not become ready"
            time.sleep(1)
        customer = Chat(_Server(urls[0]))
        assert customer.say("我的电水壶坏了").asks_for_order_id()
        customer.server = _Server(urls[1])
        assert customer.say("QT202611150003").offers_remedies()
    finally:
        os.killpg(supervisor.pid, signal.SIGTERM)
    assert supervisor.wait(timeout=60) == 0
    assert not any(ready(url) for url in urls)


def _free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class _Server:
    """Enough of tests.conftest.Server for Chat."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.database_url = ""

    def post(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return requests.post(self.url + path, timeout=60, **kwargs)
