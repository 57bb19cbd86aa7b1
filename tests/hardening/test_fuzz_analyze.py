"""`qingting analyze` on generated stdin: one JSON line out per line in, whatever the line
(odd Unicode, control characters, bytes that are not UTF-8), and the process never dies."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings

from tests.conftest import ROOT, VENV_BIN, ensure_model
from tests.fuzzing import strategies as S
from tests.fuzzing import targets as T
from tests.fuzzing.runner import SUITE


def generated_lines(count: int) -> list[bytes]:
    lines: list[bytes] = []

    @settings(SUITE, max_examples=count)
    @given(line=S.analyze_line())
    def collect(line: bytes) -> None:
        assert b"\n" not in line
        lines.append(line)

    collect()
    return lines


def test_analyze_answers_every_generated_line() -> None:
    ensure_model()
    # Found by the fuzzer: bytes that are not UTF-8 ended the run; a lone \r split a line in two.
    lines = [*generated_lines(150), b"\xff\xfe bad bytes", "前半句\r后半句".encode(), b"", "😡".encode() * 300]
    done = subprocess.run([str(VENV_BIN / "qingting"), "analyze"], input=b"\n".join(lines) + b"\n",
                          capture_output=True, cwd=ROOT, timeout=600)
    assert not T.analyze_problems(lines, done.stdout, done.stderr, done.returncode)

