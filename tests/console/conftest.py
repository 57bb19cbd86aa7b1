"""Console accounts on the shared test server, and an agent's HTTP client for its API."""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass

import pytest
import requests

from tests.conftest import ROOT, VENV_BIN, Server
from tests.conversation.chat import Chat

PASSWORD = "correct horse battery 9"


def create_user(server: Server, username: str, role: str, name: str) -> None:
    env = {**os.environ, "QINGTING_VAR_DIR": str(server.var_dir), "QINGTING_NEW_PASSWORD": PASSWORD}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [str(VENV_BIN / "qingting"), "create-user", username, "--role", role, "--name", name],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@dataclass
class Staff:
    agent: str
    colleague: str
    supervisor: str
    trainer: str
    admin: str


@pytest.fixture(scope="session")
def staff(server: Server) -> Staff:
    suffix = uuid.uuid4().hex[:6]
    people = Staff(f"li_{suffix}", f"wang_{suffix}", f"zhao_{suffix}", f"qian_{suffix}", f"sun_{suffix}")
    for username, role, name in [
        (people.agent, "agent", "李专员"), (people.colleague, "agent", "王专员"),
        (people.supervisor, "supervisor", "赵主管"), (people.trainer, "trainer", "钱训练师"),
        (people.admin, "admin", "孙管理员"),
    ]:
        create_user(server, username, role, name)
    return people


class ConsoleClient:
    """A browser-like client: cookie jar, CSRF header on every POST."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = requests.Session()
        self.csrf = self.http.get(server.url + "/api/auth/session", timeout=30).json()["csrf_token"]

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        response = self.post("/api/auth/login", json={"username": username, "password": password})
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    def get(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return self.http.get(self.server.url + path, timeout=60, **kwargs)

    def post(self, path: str, csrf: bool = True, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        headers = {**({"X-CSRF-Token": self.csrf} if csrf else {}), **kwargs.pop("headers", {})}
        return self.http.post(self.server.url + path, headers=headers, timeout=60, **kwargs)


@pytest.fixture
def console(server: Server):  # type: ignore[no-untyped-def]
    """Log in as someone: `console(staff.agent)`."""

    def login_as(username: str) -> ConsoleClient:
        client = ConsoleClient(server)
        assert client.login(username).status_code == 200
        return client

    return login_as


def handed_off_customer(server: Server, *lines: str) -> tuple[Chat, str]:
    """A chat-page customer whose last line hands off; returns the chat and the handoff id."""
    customer = Chat.on_the_page(server)
    lines = lines or ("我的电水壶坏了，订单号QT202611150003", "再不解决我就去12315投诉，还要找媒体曝光")
    said = [customer.say(line).text for line in lines]
    assert customer.last.hands_off(), said
    [handoff] = customer.handoffs()
    return customer, handoff["id"]


def history(customer: Chat) -> list[dict]:
    """What the customer's own page shows (read with the customer's cookie)."""
    return customer.history()
