"""Hot reload on a running server, and the trainer's whole loop once: a message the model gets
wrong → annotated → exported → `qingting train` → the server hot-loads the new model → the
same message is now understood. The only training run of the suite (Rasa's cache keeps it short)."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
import time
import uuid
from pathlib import Path

from tests.console.conftest import ConsoleClient
from tests.conversation.chat import Chat
from tests.training.conftest import TrainerSetup, qingting

POEM = "窗含西岭千秋雪门泊东吴万里船"  # no intent fits it today: the bot falls back


_STAFF: dict[int, ConsoleClient] = {}


def version(setup: TrainerSetup) -> dict:
    """What /version tells logged-in staff (anyone else learns no versions)."""
    if id(setup) not in _STAFF:
        _STAFF[id(setup)] = setup.login(setup.agent)
    return _STAFF[id(setup)].get("/version").json()


def wait_for(check, what: str, timeout: float = 180):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def with_new_model_id(model: Path, model_id: str) -> bytes:
    """The same trained model under a new model id (what a retrained file looks like to the server)."""
    out = io.BytesIO()
    with tarfile.open(model, "r:gz") as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name.lstrip("/") == "metadata.json" and data is not None:
                metadata = json.loads(data)
                metadata["model_id"] = model_id
                data = json.dumps(metadata).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def replace_model(setup: TrainerSetup, content: bytes) -> None:
    temp = setup.model_dir / f".incoming-{uuid.uuid4().hex}"
    temp.write_bytes(content)
    os.replace(temp, setup.model_dir / "qingting.tar.gz")


def customer_lines(setup: TrainerSetup, sender: str) -> list[dict]:
    trainer = setup.login(setup.trainer)
    detail = trainer.get(f"/api/console/training/conversations/{sender}").json()
    return [line for line in detail["lines"] if line["from"] == "customer"]


def test_a_new_model_is_hot_loaded_while_a_conversation_goes_on(trainer_setup: TrainerSetup) -> None:
    setup = trainer_setup
    original = (setup.model_dir / "qingting.tar.gz").read_bytes()
    customer = Chat(setup.server, sender=f"reload-{uuid.uuid4().hex[:10]}", proves_orders=False)
    assert customer.say("我上周买的电水壶用了三天就不加热了").texts
    before = version(setup)
    new_id = uuid.uuid4().hex
    replies: list = []
    talking = threading.Thread(target=lambda: replies.append(customer.say("订单号是QT202611150003")))
    talking.start()  # a turn in flight while the new model arrives
    replace_model(setup, with_new_model_id(setup.model_dir / "qingting.tar.gz", new_id))
    talking.join(timeout=120)
    after = wait_for(lambda: (v := version(setup))["reloads"] > before["reloads"] and v, "the reload")
    assert after["model_id"] == new_id != before["model_id"] and after["last_error"] is None
    assert replies and replies[0].texts
    assert customer.say("选择换货").texts  # the same conversation continues on the new model
    lines = customer_lines(setup, customer.sender)
    assert [line["text"][:6] for line in lines] == ["我上周买的电", "订单号是QT", "选择换货"]

    # a broken file is refused; the model that serves stays and the conversation goes on
    replace_model(setup, b"not a model archive")
    refused = wait_for(lambda: (v := version(setup))["last_error"] and v, "the refusal")
    assert refused["model_id"] == new_id and refused["reloads"] == after["reloads"]
    assert customer.say("什么时候能换好").texts
    trainer = setup.login(setup.trainer)
    assert trainer.post("/api/console/training/reload").status_code == 409
    replace_model(setup, original)
    wait_for(lambda: version(setup)["last_error"] is None, "the good model back")


def test_annotate_export_retrain_and_the_message_is_understood(trainer_setup: TrainerSetup) -> None:
    setup = trainer_setup
    customer = Chat(setup.server, sender=f"roundtrip-{uuid.uuid4().hex[:10]}")
    customer.say(POEM)
    [wrong] = customer_lines(setup, customer.sender)
    assert wrong["intent"] == "nlu_fallback", wrong
    trainer = setup.login(setup.trainer)
    saved = trainer.post("/api/console/training/annotations", json={
        "sender_id": customer.sender, "event_id": wrong["event_id"], "intent": "out_of_scope"})
    assert saved.status_code == 201
    exported = trainer.post("/api/console/training/export").json()
    assert [a["text"] for a in exported["added"]] == [POEM], exported
    before = version(setup)

    trained = qingting("train", env=setup.env(), timeout=1200)
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-3000:]
    assert "已训练并安装新模型" in trained.stdout and "例句" in trained.stdout

    after = wait_for(lambda: (v := version(setup))["reloads"] > before["reloads"] and v, "the new model", 300)
    assert after["model_id"] != before["model_id"]
    again = Chat(setup.server, sender=f"roundtrip-{uuid.uuid4().hex[:10]}")
    again.say(POEM)
    [right] = customer_lines(setup, again.sender)
    assert right["intent"] == "out_of_scope" and not right["fallback"], right

    reused = qingting("train", env=setup.env())
    assert reused.returncode == 0 and "数据没有变化，沿用现有模型" in reused.stdout
