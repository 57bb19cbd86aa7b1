"""`qingting test`: data validation, held-out NLU evaluation, story tests and the banned-phrase
check, with a report in the output folder and a short summary on the terminal."""

from __future__ import annotations

from pathlib import Path

from tests.training.conftest import project_copy, qingting

STORIES = '''version: "3.1"
stories:
  - story: "greeting is answered"
    steps:
    - user: |
        你好
      intent: greet
    - action: utter_greet
  - story: "a wrong expectation (fails on purpose)"
    steps:
    - user: |
        谢谢
      intent: thank
    - action: utter_greet
'''


def test_the_report_has_the_intent_table_confusion_matrix_and_failed_stories(tmp_path: Path) -> None:
    root = project_copy(tmp_path / "project")
    (root / "tests" / "stories").mkdir(parents=True)
    (root / "tests" / "stories" / "test_reviewed_stories.yml").write_text(STORIES, encoding="utf-8")
    out = tmp_path / "reports"
    result = qingting("test", "--out", str(out), env={"QINGTING_TRAINING_ROOT": str(root),
                                                      "QINGTING_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-3000:]  # one story fails on purpose
    assert "数据校验：通过" in result.stdout and "测试故事：1/2 通过" in result.stdout
    assert "a wrong expectation" in result.stdout and "准确率" in result.stdout
    [report] = list(out.iterdir())
    png = (report / "confusion_matrix.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    table = (report / "intent_table.md").read_text(encoding="utf-8")
    assert "| complain_quality |" in table
    assert "a wrong expectation" in (report / "failed_stories.yml").read_text(encoding="utf-8")
    assert "禁用说法：0 处" in (report / "summary.md").read_text(encoding="utf-8")
