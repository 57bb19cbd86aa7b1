"""A copy of the project's training data and a real server that trains from it.

Nothing here edits the real nlu/ or models/: QINGTING_TRAINING_ROOT points the trainer's
tools at a copy, QINGTING_MODEL_DIR the server at a copy of the trained model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MODEL, ROOT, VENV_BIN, Server, ensure_model, start_server, stop_server
from tests.console.conftest import ConsoleClient, create_user

DATA = ["nlu", "stories", "domain.yml", "config.yml", "tests/data"]


def project_copy(target: Path) -> Path:
    for name in DATA:
        source, dest = ROOT / name, target / name
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    return target


def home_file(root: Path, intent: str) -> str:
    """Where the exporter appends a plain example of the intent: the file holding most of its
    examples (the data decides, so the tests do not pin a file name)."""
    from bot.training.data import Paths, scan

    paths = Paths(root)
    blocks = [b for b in scan([paths.nlu]) if b.kind == "intent" and b.name == intent]
    return paths.rel(max(blocks, key=lambda b: len(b.examples)).file)


def model_copy(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ensure_model(), target / MODEL.name)
    return target


def qingting(*args: str, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **env}
    full.pop("DATABASE_URL", None)
    return subprocess.run([str(VENV_BIN / "qingting"), *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=timeout)


@dataclass
class TrainerSetup:
    server: Server
    root: Path  # the copy of the training data the server exports to
    model_dir: Path
    trainer: str
    agent: str

    def env(self) -> dict[str, str]:
        return {"QINGTING_TRAINING_ROOT": str(self.root), "QINGTING_MODEL_DIR": str(self.model_dir),
                "QINGTING_VAR_DIR": str(self.server.var_dir)}

    def login(self, username: str) -> ConsoleClient:
        client = ConsoleClient(self.server)
        assert client.login(username).status_code == 200
        return client


def start_trainer_setup(base: Path) -> TrainerSetup:
    root = project_copy(base / "project")
    model_dir = model_copy(base / "models")
    server = start_server(base / "var", {"QINGTING_TRAINING_ROOT": str(root), "QINGTING_MODEL_DIR": str(model_dir),
                                         "QINGTING_MODEL_POLL_S": "1", "QINGTING_SCHEDULER_INTERVAL_S": "0"})
    suffix = uuid.uuid4().hex[:6]
    setup = TrainerSetup(server, root, model_dir, f"trainer_{suffix}", f"agent_{suffix}")
    create_user(server, setup.trainer, "trainer", "钱训练师")
    create_user(server, setup.agent, "agent", "李专员")
    return setup


@pytest.fixture(scope="session")
def trainer_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainerSetup]:
    setup = start_trainer_setup(tmp_path_factory.mktemp("trainer"))
    yield setup
    stop_server(setup.server)
