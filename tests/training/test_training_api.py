"""The trainer page's API on a real server: roles, filters, predictions with jieba tokens,
annotating, marking a story, exporting (duplicates and conflicts refused), lint."""

from __future__ import annotations

import uuid

import jsonschema
import yaml

from bot.console.openapi import document
from bot.training.data import Paths, scan
from tests.conversation.chat import Chat
from tests.training.conftest import TrainerSetup, home_file

GIBBERISH = "鹅鹅鹅曲项向天歌"  # nothing like any training example: the bot falls back


def conforms(payload: object, schema_name: str) -> None:
    doc = document()
    jsonschema.validate(payload, {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]})


def fallback_conversation(setup: TrainerSetup) -> str:
    customer = Chat(setup.server, sender=f"train-{uuid.uuid4().hex[:10]}", proves_orders=False)
    customer.say(GIBBERISH)
    customer.say("我的电水壶坏了，订单号QT202611150003，电话13912345678")
    return customer.sender


def test_agents_are_refused_and_trainers_let_in(trainer_setup: TrainerSetup) -> None:
    agent, trainer = trainer_setup.login(trainer_setup.agent), trainer_setup.login(trainer_setup.trainer)
    for path in ("/api/console/training/conversations", "/api/console/training/schema",
                 "/api/console/training/lint", "/api/console/training/pending"):
        assert agent.get(path).status_code == 403, path
        assert trainer.get(path).status_code == 200, path
    assert agent.post("/api/console/training/export").status_code == 403
    assert agent.post("/api/console/training/reload").status_code == 403
    assert trainer.post("/api/console/training/export", csrf=False).status_code == 403  # CSRF still required
    assert trainer_setup.server.get("/api/console/training/conversations").status_code == 401
    page = trainer_setup.server.get("/console/trainer")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_fallback_conversation_is_listed_with_predictions_tokens_and_masked_data(
        trainer_setup: TrainerSetup) -> None:
    sender = fallback_conversation(trainer_setup)
    trainer = trainer_setup.login(trainer_setup.trainer)
    listed = trainer.get("/api/console/training/conversations", params={"kinds": "fallback"}).json()
    conforms(listed, "TrainingConversations")
    [item] = [i for i in listed["items"] if i["sender_id"] == sender]
    assert "fallback" in item["flags"] and item["fallbacks"] >= 1 and item["channel"] == "rest"
    assert "13912345678" not in item["preview"]
    elsewhere = trainer.get("/api/console/training/conversations", params={"kinds": "fallback", "channel": "wechat"})
    assert sender not in {i["sender_id"] for i in elsewhere.json()["items"]}
    future = trainer.get("/api/console/training/conversations", params={"from": "2099-01-01"}).json()
    assert sender not in {i["sender_id"] for i in future["items"]}
    assert trainer.get("/api/console/training/conversations", params={"kinds": "nonsense"}).status_code == 400

    detail = trainer.get(f"/api/console/training/conversations/{sender}").json()
    conforms(detail, "TrainingConversation")
    first, second = [line for line in detail["lines"] if line["from"] == "customer"]
    assert first["fallback"] and first["intent"] == "nlu_fallback" and first["best_intent"]
    assert "".join(t["text"] for t in first["tokens"]) == GIBBERISH
    # personal data is replaced by placeholders (what an export would write), entities follow
    assert "13912345678" not in second["text"] and "13800138000" in second["text"]
    assert "QT202600000000" in second["text"]
    order = [e for e in second["entities"] if e["entity"] == "order_id"]
    assert order and second["text"][order[0]["start"]:order[0]["end"]] == "QT202600000000"
    assert any(t["text"] == "电水壶" for t in second["tokens"])  # the knowledge-base word, whole
    for token in second["tokens"]:
        assert second["text"][token["start"]:token["end"]] == token["text"]


def test_annotate_mark_and_export_writes_clean_yaml_and_refuses_conflicts(trainer_setup: TrainerSetup) -> None:
    sender = fallback_conversation(trainer_setup)
    trainer = trainer_setup.login(trainer_setup.trainer)
    detail = trainer.get(f"/api/console/training/conversations/{sender}").json()
    first, second = [line for line in detail["lines"] if line["from"] == "customer"]
    bad = trainer.post("/api/console/training/annotations",
                       json={"sender_id": sender, "event_id": first["event_id"], "intent": "no_such_intent"})
    assert bad.status_code == 400 and "domain.yml" in bad.json()["message"]
    saved = trainer.post("/api/console/training/annotations",
                         json={"sender_id": sender, "event_id": first["event_id"], "intent": "out_of_scope"})
    assert saved.status_code == 201, saved.text
    conforms(saved.json(), "Annotation")
    start = second["text"].index("电水壶")
    with_entity = trainer.post("/api/console/training/annotations", json={
        "sender_id": sender, "event_id": second["event_id"], "intent": "complain_quality",
        "entities": [{"start": start, "end": start + 3, "entity": "product"}]})
    assert with_entity.status_code == 201
    marked = trainer.post("/api/console/training/stories", json={"sender_id": sender, "name": "兜底后说清楚问题"})
    assert marked.status_code == 201
    conforms(marked.json(), "StoryMark")
    home = home_file(trainer_setup.root, "out_of_scope")  # where out_of_scope's examples live
    before = (trainer_setup.root / home).read_text(encoding="utf-8")

    result = trainer.post("/api/console/training/export").json()
    conforms(result, "ExportResult")
    files = {a["text"]: a["file"] for a in result["added"]}
    assert files[GIBBERISH] == home, result
    assert files[second["text"]] == "nlu/entity_examples.yml"  # annotated examples live there
    after = (trainer_setup.root / home).read_text(encoding="utf-8")
    removed = set(before.splitlines()) - set(after.splitlines())
    assert not removed and len(after.splitlines()) == len(before.splitlines()) + 1
    blocks = [b for b in scan([trainer_setup.root / "nlu"]) if b.name == "out_of_scope"
              and Paths(trainer_setup.root).rel(b.file) == home]
    assert blocks[-1].examples[-1].text == GIBBERISH  # appended after the block's last example
    assert any("[电水壶](product)" in e.text for b in scan([trainer_setup.root / "nlu"]) for e in b.examples)
    story_file = Paths(trainer_setup.root).reviewed_stories
    stories = yaml.safe_load(story_file.read_text(encoding="utf-8"))["stories"]
    [story] = [s for s in stories if s["story"] == "兜底后说清楚问题"]
    assert story["steps"][0] == {"user": GIBBERISH + "\n", "intent": "out_of_scope"}

    # the same sentence again from another conversation: a duplicate, refused with the reason
    again = fallback_conversation(trainer_setup)
    event = [line for line in trainer.get(f"/api/console/training/conversations/{again}").json()["lines"]
             if line["from"] == "customer"][0]["event_id"]
    trainer.post("/api/console/training/annotations", json={"sender_id": again, "event_id": event, "intent": "vent"})
    refused = trainer.post("/api/console/training/export").json()
    assert not refused["added"] and "冲突" in refused["refused"][0]["reason"] and "out_of_scope" in \
        refused["refused"][0]["reason"]
    trainer.post("/api/console/training/annotations",
                 json={"sender_id": again, "event_id": event, "intent": "out_of_scope"})
    duplicate = trainer.post("/api/console/training/export").json()
    assert "重复" in duplicate["refused"][0]["reason"]
    pending = trainer.get("/api/console/training/pending").json()
    conforms(pending, "Pending")
    assert {a["status"] for a in pending["annotations"] if a["sender_id"] == again} == {"refused"}


def test_lint_and_model_info_answer_in_their_documented_shape(trainer_setup: TrainerSetup) -> None:
    trainer = trainer_setup.login(trainer_setup.trainer)
    conforms(trainer.get("/api/console/training/lint").json(), "LintResult")
    schema = trainer.get("/api/console/training/schema").json()
    conforms(schema, "TrainingSchema")
    assert "complain_quality" in schema["intents"] and "order_id" in schema["entities"]
    info = trainer.get("/version").json()
    assert info["model_id"] and info["poll_s"] == 1.0
