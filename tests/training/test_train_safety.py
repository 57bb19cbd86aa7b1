"""`qingting train` never hurts the serving model: broken YAML stops before training with the
file and line (exit 2); a failure halfway through training (exit 1) leaves the old model."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.training.conftest import model_copy, project_copy, qingting


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def env_for(root: Path, models: Path, var: Path) -> dict[str, str]:
    return {"QINGTING_TRAINING_ROOT": str(root), "QINGTING_MODEL_DIR": str(models), "QINGTING_VAR_DIR": str(var)}


def test_broken_yaml_names_file_and_line_and_leaves_the_model(tmp_path: Path) -> None:
    root, models = project_copy(tmp_path / "project"), model_copy(tmp_path / "models")
    before = digest(models / "qingting.tar.gz")
    (root / "nlu" / "trainer_edit.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 您好呀\n  - intent: thank\n', encoding="utf-8")
    result = qingting("train", env=env_for(root, models, tmp_path / "var"))
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "nlu/trainer_edit.yml:6:" in result.stderr and "第6行" in result.stderr
    assert "模型保持不变" in result.stderr and "Traceback" not in result.stderr
    assert digest(models / "qingting.tar.gz") == before


def test_data_rasa_refuses_is_reported_before_training(tmp_path: Path) -> None:
    root, models = project_copy(tmp_path / "project"), model_copy(tmp_path / "models")
    before = digest(models / "qingting.tar.gz")
    (root / "nlu" / "trainer_edit.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: 42\n',
                                                   encoding="utf-8")
    result = qingting("train", env=env_for(root, models, tmp_path / "var"))
    assert result.returncode == 2 and "trainer_edit.yml" in result.stderr, result.stderr[-2000:]
    assert digest(models / "qingting.tar.gz") == before


def test_training_that_fails_halfway_keeps_the_old_model(tmp_path: Path) -> None:
    root, models = project_copy(tmp_path / "project"), model_copy(tmp_path / "models")
    before = digest(models / "qingting.tar.gz")
    config = (root / "config.yml").read_text(encoding="utf-8")
    # valid YAML and a valid schema; the intent model only refuses C when it is fitted, mid-training
    assert "    C: 30\n" in config
    config = config.replace("    C: 30\n", "    C: -1\n")
    (root / "config.yml").write_text(config, encoding="utf-8")
    result = qingting("train", "--force", env=env_for(root, models, tmp_path / "var"))
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "旧模型保持不变" in result.stderr
    assert digest(models / "qingting.tar.gz") == before
    assert not list(models.glob(".staging-*"))
