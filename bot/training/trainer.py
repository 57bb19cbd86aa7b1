"""`qingting train`: check the data, train into a staging directory, install atomically.

The running model is never touched until a new one is complete and loads its metadata:
training writes models/.staging-*/qingting.tar.gz, which is then moved over
models/qingting.tar.gz with os.replace (servers hot-load it, bot/model_watch.py). Broken
YAML stops before training with the file and line; a failure halfway leaves the old model.
A hash of the data beside the model lets an unchanged project reuse the model outright;
otherwise Rasa's cache still reuses every component whose inputs did not change.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu import code_files, corpus
from bot.training.data import Paths, nlu_files, scan
from bot.training.lint import Finding, data_files, yaml_errors

MODEL_FILE = "qingting.tar.gz"
DATA_HASH_FILE = "qingting.data.sha256"
STAGES = ["检查训练数据", "比对数据指纹", "训练模型", "校验并安装模型"]


class TrainingDataError(Exception):
    """The data cannot be trained on; `findings` say where (file and line)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(str(f) for f in findings))
        self.findings = findings


class TrainingFailed(Exception):
    """Training stopped; the previous model is unchanged."""


@dataclass
class TrainSummary:
    model: Path
    reused: bool
    seconds: float
    examples: int
    intents: int
    stories: int
    rules: int

    def lines(self) -> list[str]:
        how = "数据没有变化，沿用现有模型" if self.reused else "已训练并安装新模型"
        return [f"{how}：{self.model}",
                f"  例句 {self.examples} 条，意图 {self.intents} 个，故事 {self.stories} 个，规则 {self.rules} 条",
                f"  用时 {self.seconds:.1f} 秒"]


def check_data(paths: Paths) -> None:
    """YAML that parses, then Rasa's own reading of every file (schema, domain)."""
    broken = yaml_errors(paths, data_files(paths))
    if broken:
        raise TrainingDataError(broken)
    from rasa.shared.exceptions import RasaException
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        config_path=str(paths.config), domain_path=str(paths.domain),
        training_data_paths=[str(paths.nlu), str(paths.stories)])
    try:
        importer.get_config()
        importer.get_domain()
        importer.get_nlu_data()
        importer.get_stories()
    except (RasaException, ValueError) as exc:
        raise TrainingDataError([Finding("rasa", "error", "", 0, str(exc))]) from None


def data_hash(paths: Paths, knowledge_dir: Path) -> str:
    digest = hashlib.sha256()
    files = [paths.domain, paths.config, *nlu_files(paths.nlu), *nlu_files(paths.stories),
             *corpus.label_files(paths.nlu), *sorted(knowledge_dir.glob("*.yml"))]
    for path in files:
        if path.exists():
            digest.update(paths.rel(path).encode() + b"\0" + path.read_bytes() + b"\0")
    for path in code_files():  # the code that builds the trained NLU models
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def counts(paths: Paths) -> tuple[int, int, int, int]:
    blocks = [b for b in scan([paths.nlu]) if b.kind == "intent"]
    stories = rules = 0
    for path in nlu_files(paths.stories):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        stories += len(data.get("stories") or [])
        rules += len(data.get("rules") or [])
    return sum(len(b.examples) for b in blocks), len({b.name for b in blocks}), stories, rules


def install(staged: Path, target: Path) -> None:
    """Refuse a model whose metadata cannot be read, then move it into place atomically."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    try:
        LocalModelStorage.metadata_from_archive(staged)
    except Exception as exc:  # noqa: BLE001 - any unreadable archive is refused the same way
        raise TrainingFailed(f"新模型无法读取（{type(exc).__name__}），旧模型保持不变") from None
    staged.replace(target)


def train(paths: Paths, model_dir: Path, knowledge_dir: Path, force: bool = False,
          stage: Callable[[str], None] = lambda name: None) -> TrainSummary:
    started = time.monotonic()
    stage(STAGES[0])
    from bot.knowledge import load_knowledge_base

    load_knowledge_base(knowledge_dir)  # a broken knowledge base stops here, clearly
    check_data(paths)
    corpus.write_training_file(paths.nlu)  # labelled reviews, read from the installed package
    examples, intents, stories, rules = counts(paths)
    stage(STAGES[1])
    model_dir.mkdir(parents=True, exist_ok=True)
    target, hash_file = model_dir / MODEL_FILE, model_dir / DATA_HASH_FILE
    fingerprint = data_hash(paths, knowledge_dir)
    reused = (not force and target.exists() and hash_file.exists()
              and hash_file.read_text().strip() == fingerprint)
    stage(STAGES[2])
    if not reused:
        _train_into(paths, model_dir, force, stage)
        hash_file.write_text(fingerprint + "\n")
    return TrainSummary(target, reused, time.monotonic() - started, examples, intents, stories, rules)


def _train_into(paths: Paths, model_dir: Path, force: bool, stage: Callable[[str], None]) -> None:
    from rasa.api import train as rasa_train

    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    try:
        try:
            result = rasa_train(domain=str(paths.domain), config=str(paths.config),
                                training_files=[str(paths.nlu), str(paths.stories)], output=str(staging),
                                fixed_model_name="qingting", force_training=force)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - whatever broke, the old model keeps serving
            raise TrainingFailed(f"训练中途失败（{type(exc).__name__}: {str(exc)[:300]}），旧模型保持不变") from None
        staged = staging / MODEL_FILE
        if result.code != 0 or not staged.exists():
            raise TrainingFailed(f"训练失败（代码 {result.code}），旧模型保持不变")
        stage(STAGES[3])
        install(staged, model_dir / MODEL_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
