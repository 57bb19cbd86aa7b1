"""Generated input for the pure entry points: the time-phrase parser and the knowledge-base
loader (bench/fuzz.py runs 10,000 of each; these are the suite's sample)."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzzing import strategies as S
from tests.fuzzing import targets as T
from tests.fuzzing.runner import SUITE


@settings(SUITE, max_examples=400)
@given(phrase=S.time_phrase(), seconds=st.integers(0, 400 * 86400))
def test_a_time_phrase_is_understood_or_politely_not(phrase: str, seconds: int) -> None:
    """Never raises; an understood time is in the future and outside quiet hours."""
    outcome = T.time_parse(phrase, seconds)
    assert outcome.status in ("parsed", "not understood"), outcome.problems
    assert not outcome.problems


def test_malformed_chinese_numbers_are_not_understood() -> None:
    """Found by the fuzzer: '三三天后' and '十十点' used to raise KeyError in cn_number."""
    for phrase in ["三三天后", "十十点", "十二十点", "三月三三日"]:
        assert T.time_parse(phrase, 0).status in ("parsed", "not understood")


@settings(SUITE, max_examples=60)
@given(mutation=S.kb_mutation())
def test_a_mutated_knowledge_base_loads_or_names_the_file_and_field(mutation: S.KbMutation,
                                                                    tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    workdir = Path(tmp_path_factory.getbasetemp()) / "fuzz-kb"
    if not workdir.exists():
        shutil.copytree(T.KB_SOURCE, workdir)
    outcome = T.kb_load(mutation, workdir)
    assert outcome.status in ("loaded", "refused") and not outcome.problems, outcome.problems


def test_a_file_that_is_not_utf8_is_refused_with_its_name(tmp_path: Path) -> None:
    """Found by the fuzzer: invalid UTF-8 used to escape as UnicodeDecodeError."""
    shutil.copytree(T.KB_SOURCE, tmp_path / "kb")
    outcome = T.kb_load(S.KbMutation("faq.yml", "bytes", 0, b"\xff\xfe\x80", 0.5), tmp_path / "kb")
    assert outcome.status == "refused" and not outcome.problems


def test_a_top_level_key_that_is_not_a_name_is_refused_with_its_name(tmp_path: Path) -> None:
    """Found by the fuzzer: `1: x` at the top of a file escaped pydantic as a bare TypeError."""
    shutil.copytree(T.KB_SOURCE, tmp_path / "kb")
    (tmp_path / "kb" / "service.yml").write_text((T.KB_SOURCE / "service.yml").read_text(encoding="utf-8")
                                                 + "\n1: odd\n", encoding="utf-8")
    from bot.knowledge.loader import KnowledgeBaseError, load_knowledge_base_uncached

    try:
        load_knowledge_base_uncached(tmp_path / "kb")
    except KnowledgeBaseError as refusal:
        assert "service.yml" in str(refusal) and "field '1'" in str(refusal)
    else:
        raise AssertionError("loaded a file with a numeric top-level key")
