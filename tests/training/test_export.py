"""Export without a server: duplicates and conflicts refused with the reason, only appended
lines in the diff, and two trainers exporting at once from two processes both land intact."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import yaml

from bot.storage import models as m
from bot.storage.db import migrate, session_scope
from bot.training.data import Paths, scan
from bot.training.export import Exporter
from tests.conftest import ROOT, VENV_BIN
from tests.training.conftest import home_file, project_copy


def database(var_dir: Path) -> str:
    var_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{var_dir / 'qingting.db'}"
    migrate(url)
    return url


def annotate(url: str, *items: tuple[str, str], entities: list | None = None) -> None:
    with session_scope(url) as session:
        for index, (text, intent) in enumerate(items):
            session.add(m.TrainingAnnotation(sender_id=f"s-{index}-{text[:8]}", event_id=index, text=text,
                                             intent=intent, entities=entities or [], author="qian"))


def existing(paths: Paths, intent: str) -> tuple[str, str, int]:
    block = next(b for b in scan([paths.nlu]) if b.kind == "intent" and b.name == intent)
    return block.examples[0].text, paths.rel(block.file), block.examples[0].line


def test_duplicates_and_conflicts_are_refused_with_the_reason(tmp_path: Path) -> None:
    paths = Paths(project_copy(tmp_path / "project"))
    url = database(tmp_path / "var")
    greeting, file, line = existing(paths, "greet")
    annotate(url, (greeting, "greet"), (greeting + " ", "thank"), ("新的一句话：快递盒子被压扁了", "complain_delivery"),
             ("新的一句话：快递盒子被压扁了", "complain_quality"))
    result = Exporter(url, paths).export().as_dict()
    reasons = [r["reason"] for r in result["refused"]]
    assert reasons[0].startswith("重复") and f"{file} 第{line}行" in reasons[0]
    assert reasons[1].startswith("冲突") and "greet" in reasons[1]
    assert reasons[2].startswith("冲突") and "complain_delivery" in reasons[2]  # conflicts inside one export too
    assert [a["text"] for a in result["added"]] == ["新的一句话：快递盒子被压扁了"]
    with session_scope(url) as session:
        statuses = sorted(a.status for a in session.query(m.TrainingAnnotation))
    assert statuses == ["exported", "refused", "refused", "refused"]


def test_a_conflict_with_the_held_out_test_data_is_refused(tmp_path: Path) -> None:
    paths = Paths(project_copy(tmp_path / "project"))
    url = database(tmp_path / "var")
    heldout = next(b for b in scan([paths.test_data]) if b.name == "complain_quality").examples[0].text
    annotate(url, (heldout, "vent"))
    [refused] = Exporter(url, paths).export().refused
    assert "tests/data/nlu_heldout.yml" in refused["reason"]


def test_the_diff_has_only_appended_lines_in_the_files_own_style(tmp_path: Path) -> None:
    paths = Paths(project_copy(tmp_path / "project"))
    url = database(tmp_path / "var")
    before = {p.name: p.read_text(encoding="utf-8") for p in paths.nlu.glob("*.yml")}
    annotate(url, ("导出测试：空调遥控器失灵了", "complain_quality"), ("导出测试：我想换一台新的", "request_exchange"))
    annotate(url, ("导出测试：订单QT202600000000还没到", "complain_delivery"),
             entities=[{"start": 7, "end": 21, "entity": "order_id", "value": "QT202600000000"}])
    result = Exporter(url, paths).export().as_dict()
    assert len(result["added"]) == 3 and not result["refused"]
    changed = 0
    for path in paths.nlu.glob("*.yml"):
        after = path.read_text(encoding="utf-8")
        diff = [d for d in difflib.ndiff(before[path.name].splitlines(), after.splitlines()) if d[:1] in "+-"]
        assert all(d.startswith("+ ") for d in diff), diff
        changed += len(diff)
        yaml.safe_load(after)
    assert changed == 3
    entity_file = (paths.nlu / "entity_examples.yml").read_text(encoding="utf-8")
    assert "      - 导出测试：订单[QT202600000000](order_id)还没到\n" in entity_file  # that file's indentation
    home = paths.root / home_file(paths.root, "complain_quality")
    assert "    - 导出测试：空调遥控器失灵了\n" in home.read_text(encoding="utf-8")
    again = Exporter(url, paths).export().as_dict()
    assert again == {"added": [], "stories": [], "refused": [], "files": []}  # each correction once


def test_two_trainers_exporting_at_once_from_two_processes_both_land(tmp_path: Path) -> None:
    paths = Paths(project_copy(tmp_path / "project"))
    env_base = {"QINGTING_TRAINING_ROOT": str(paths.root), "RASA_TELEMETRY_ENABLED": "false"}
    processes = []
    for who in ("a", "b"):
        url = database(tmp_path / f"var-{who}")
        annotate(url, *[(f"并发导出{who}{i}：洗衣机漏水了", "complain_quality") for i in range(15)])
        script = ("from bot.training.export import Exporter; from bot.training.data import Paths, training_root; "
                  f"r = Exporter({url!r}, Paths(training_root())).export(); print(len(r.added), len(r.refused))")
        processes.append(subprocess.Popen([str(VENV_BIN / "python"), "-c", script], cwd=ROOT, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          env={**env_base, "PATH": "/usr/bin:/bin"}))
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [o[1][-2000:] for o in outputs]
    assert [o[0].split() for o in outputs] == [["15", "0"], ["15", "0"]]
    text = (paths.root / home_file(paths.root, "complain_quality")).read_text(encoding="utf-8")
    yaml.safe_load(text)
    for who in ("a", "b"):
        for i in range(15):
            assert text.count(f"    - 并发导出{who}{i}：洗衣机漏水了\n") == 1
    assert not list(paths.nlu.glob(".*.tmp"))
