"""Each data lint fires on a crafted bad project (with file and line) and not on the real one."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge import load_knowledge_base
from bot.training.data import Paths, scan
from bot.training.lint import lint
from tests.conftest import ROOT
from tests.training.conftest import project_copy, qingting

KB = load_knowledge_base()


def bad_project(tmp_path: Path) -> Paths:
    paths = Paths(project_copy(tmp_path))
    [ret] = [b for b in scan([paths.nlu]) if b.kind == "intent" and b.name == "request_return"
             and b.file.name == "requests.yml"]
    taken = ret.examples[0].text
    domain = paths.domain.read_text(encoding="utf-8").replace("  - out_of_scope\n", "  - out_of_scope\n  - ask_invoice\n")
    banned = KB.language.banned[0].phrase
    domain = domain.replace("responses:\n", f"responses:\n  utter_lint_bad:\n    - text: \"这个{banned}办理\"\n", 1)
    paths.domain.write_text(domain, encoding="utf-8")
    (paths.nlu / "bad.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: ask_invoice\n  examples: |\n    - 开发票\n    - 要发票\n'
        f"- intent: greet\n  examples: |\n    - {taken}\n"
        "- lookup: remedy\n  examples: |\n    - 上门退运费补贴卡\n"
        "- synonym: exchange\n  examples: |\n    - 换个新的\n", encoding="utf-8")
    return paths


def test_every_lint_fires_with_file_and_line(tmp_path: Path) -> None:
    paths = bad_project(tmp_path)
    found = {(f.kind, f.file, f.line): f for f in lint(paths, KB)}
    assert ("few_examples", "nlu/bad.yml", 3) in found
    assert "ask_invoice" in found[("few_examples", "nlu/bad.yml", 3)].message
    duplicate = found[("near_duplicate", "nlu/bad.yml", 9)] if ("near_duplicate", "nlu/bad.yml", 9) in found else \
        next(f for f in found.values() if f.kind == "near_duplicate" and "greet" in f.message)
    assert duplicate.severity == "error" and "request_return" in duplicate.message
    [banned] = [f for f in found.values() if f.kind == "banned_phrase"]
    lines = paths.domain.read_text(encoding="utf-8").splitlines()
    assert banned.file == "domain.yml" and KB.language.banned[0].phrase in lines[banned.line - 1]
    assert ("never_matches", "nlu/bad.yml", 12) in found  # the lookup entry no example contains
    assert ("never_matches", "nlu/bad.yml", 15) in found  # the synonym nothing extracts


def test_broken_yaml_is_reported_with_file_and_line(tmp_path: Path) -> None:
    paths = Paths(project_copy(tmp_path))
    (paths.nlu / "broken.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 你好\n'
                                          "   bad: [unclosed\n", encoding="utf-8")
    [finding] = lint(paths, KB)
    assert finding.kind == "yaml" and finding.file == "nlu/broken.yml" and finding.line in (6, 7)


def test_the_real_data_is_clean_and_the_command_says_so() -> None:
    assert [str(f) for f in lint(Paths(ROOT), KB)] == []
    result = qingting("lint", env={"QINGTING_TRAINING_ROOT": str(ROOT)})
    assert result.returncode == 0 and "0 个错误" in result.stdout


def test_the_lint_command_exits_non_zero_on_errors(tmp_path: Path) -> None:
    paths = bad_project(tmp_path)
    result = qingting("lint", env={"QINGTING_TRAINING_ROOT": str(paths.root)})
    assert result.returncode == 1
    assert "nlu/bad.yml:3:" in result.stdout and "banned_phrase" in result.stdout
