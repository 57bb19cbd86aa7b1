"""`qingting test`: data validation, NLU evaluation, story tests and the banned-phrase check,
written to reports/<timestamp>/ (summary.md, intent_table.md, intent_report.json,
confusion_matrix.png, failed_stories.yml, lint.json) with a short summary for the terminal.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import load_knowledge_base
from bot.training.data import Paths, nlu_files
from bot.training.lint import Finding, banned_phrases, lint


@dataclass
class TestOptions:
    model: Path
    heldout: Path
    cross_validation: int = 0  # folds; 0 = evaluate the trained model on the held-out split
    min_accuracy: float = 0.7
    skip_validate: bool = False


@dataclass
class Report:
    directory: Path
    validation_ok: bool = True
    validation_output: str = ""
    findings: list[Finding] = field(default_factory=list)
    banned: list[Finding] = field(default_factory=list)
    nlu: dict[str, Any] = field(default_factory=dict)
    stories_total: int = 0
    stories_failed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        accuracy = self.nlu.get("accuracy")
        return [
            f"数据校验：{'通过' if self.validation_ok else '未通过'}；数据检查：{self._lint_line()}",
            f"NLU（{self.nlu.get('mode', '-')}）：准确率 {accuracy:.3f}，加权 F1 {self.nlu.get('f1', 0):.3f}"
            if accuracy is not None else "NLU：未评估",
            f"测试故事：{self.stories_total - len(self.stories_failed)}/{self.stories_total} 通过"
            + (f"，失败：{', '.join(self.stories_failed[:5])}" if self.stories_failed else ""),
            f"禁用说法：{len(self.banned)} 处",
            f"报告：{self.directory}",
            "结果：" + ("全部通过" if not self.failures else "未通过 — " + "；".join(self.failures)),
        ]

    def _lint_line(self) -> str:
        errors = sum(1 for f in self.findings if f.severity == "error")
        return f"{errors} 个错误，{len(self.findings) - errors} 个提醒"


def run(paths: Paths, options: TestOptions, reports_dir: Path) -> Report:
    report = Report(reports_dir / datetime.now().strftime("%Y%m%d-%H%M%S"))
    report.directory.mkdir(parents=True, exist_ok=True)
    if not options.skip_validate:
        _validate(paths, report)
    kb = load_knowledge_base()
    report.findings = lint(paths, kb)
    report.banned = banned_phrases(paths, kb)
    if options.cross_validation > 1:
        _cross_validate(paths, options, report)
    else:
        asyncio.run(_evaluate(paths, options, report))
    _judge(report, options)
    _write(report)
    return report


def _validate(paths: Paths, report: Report) -> None:
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run([str(rasa), "data", "validate", "--data", "nlu", "stories", "--fail-on-warnings"],
                            cwd=paths.root, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    report.validation_ok = result.returncode == 0
    report.validation_output = (result.stdout + result.stderr)[-6000:]


async def _evaluate(paths: Paths, options: TestOptions, report: Report) -> None:
    from rasa.core.agent import Agent
    from rasa.nlu.test import run_evaluation

    agent = Agent.load(str(options.model))
    result = await run_evaluation(str(options.heldout), agent.processor,
                                  output_directory=str(report.directory / "rasa_nlu"), errors=True,
                                  disable_plotting=True, report_as_dict=True)
    intents = result.get("intent_evaluation") or {}
    pairs = [(p["intent"], p["predicted"] or "None") for p in intents.get("predictions") or []]
    report.nlu = {"mode": f"留出集 {paths.rel(options.heldout)}", "accuracy": intents.get("accuracy"),
                  "f1": intents.get("f1_score"), "report": intents.get("report") or {}, "pairs": pairs}
    stories = sorted(p for p in nlu_files(paths.test_stories) if p.name.startswith("test_"))
    if stories:
        await _test_stories(stories, agent, report)


async def _test_stories(files: list[Path], agent: Any, report: Report) -> None:
    from rasa.core.test import test as test_core

    out = report.directory / "rasa_core"
    folder = report.directory / "test_stories"
    out.mkdir(exist_ok=True)
    folder.mkdir(exist_ok=True)
    for file in files:
        shutil.copy(file, folder / file.name)
        report.stories_total += len((yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("stories") or [])
    await test_core(str(folder), agent, out_directory=str(out), disable_plotting=True, errors=True, warnings=False)
    failed = out / "failed_test_stories.yml"
    if failed.exists():
        data = yaml.safe_load(failed.read_text(encoding="utf-8")) or {}
        report.stories_failed = [s.get("story", "?") for s in data.get("stories") or []]
        shutil.copy(failed, report.directory / "failed_stories.yml")


def _cross_validate(paths: Paths, options: TestOptions, report: Report) -> None:
    from rasa.model_testing import perform_nlu_cross_validation
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_nlu_importer_from_config(
        str(paths.config), domain_path=str(paths.domain), training_data_paths=[str(paths.nlu)])
    out = report.directory / "rasa_cv"
    asyncio.run(perform_nlu_cross_validation(importer.get_config(), importer.get_nlu_data(), str(out),
                                             {"folds": options.cross_validation, "errors": True,
                                              "disable_plotting": True}))
    data = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    report.nlu = {"mode": f"{options.cross_validation} 折交叉验证", "accuracy": data.get("accuracy"),
                  "f1": (data.get("weighted avg") or {}).get("f1-score"), "report": data, "pairs": []}


def _judge(report: Report, options: TestOptions) -> None:
    if not report.validation_ok:
        report.failures.append("rasa data validate 未通过")
    if any(f.severity == "error" for f in report.findings):
        report.failures.append("数据检查有错误")
    if report.banned:
        report.failures.append("回复里有禁用说法")
    accuracy = report.nlu.get("accuracy")
    if accuracy is not None and accuracy < options.min_accuracy:
        report.failures.append(f"NLU 准确率低于 {options.min_accuracy}")
    if report.stories_failed:
        report.failures.append(f"{len(report.stories_failed)} 个测试故事失败")


def intent_rows(intent_report: dict[str, Any]) -> list[tuple[str, float, float, float, int]]:
    return sorted(((name, v["precision"], v["recall"], v["f1-score"], int(v["support"]))
                   for name, v in intent_report.items()
                   if isinstance(v, dict) and "support" in v and not name.endswith("avg")),
                  key=lambda row: row[3])


def _write(report: Report) -> None:
    folder = report.directory
    rows = intent_rows(report.nlu.get("report") or {})
    table = ["| 意图 | 精确率 | 召回率 | F1 | 样本数 |", "| --- | --- | --- | --- | --- |"]
    table += [f"| {n} | {p:.2f} | {r:.2f} | {f:.2f} | {s} |" for n, p, r, f, s in rows]
    (folder / "intent_table.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    (folder / "intent_report.json").write_text(json.dumps(report.nlu.get("report") or {}, ensure_ascii=False,
                                                          indent=1), encoding="utf-8")
    (folder / "lint.json").write_text(json.dumps([f.as_dict() for f in report.findings], ensure_ascii=False,
                                                 indent=1), encoding="utf-8")
    if report.nlu.get("pairs"):
        confusion_png(report.nlu["pairs"], folder / "confusion_matrix.png")
    failed = "\n".join(f"- {name}" for name in report.stories_failed) or "（无）"
    text = ["# 倾听模型测试报告", "", *[f"- {line}" for line in report.summary()], "", "## 意图表现", "",
            *table, "", "## 失败的测试故事", "", failed, "", "## 数据检查", "",
            *([f"- {f}" for f in report.findings + report.banned] or ["（无）"]), ""]
    if not report.validation_ok:
        text += ["## rasa data validate", "", "```", report.validation_output, "```", ""]
    (folder / "summary.md").write_text("\n".join(text), encoding="utf-8")


def confusion_png(pairs: list[tuple[str, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted({label for pair in pairs for label in pair})
    matrix = confusion_matrix([a for a, _ in pairs], [b for _, b in pairs], labels=labels)
    size = max(6.0, 0.45 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title("Intent confusion matrix (held-out)")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                axes.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                          color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
