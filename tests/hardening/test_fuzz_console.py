"""Generated requests to every console API route: anonymous, as an admin with and without a
valid CSRF token. No 5xx, every refusal a polite Chinese JSON message, nothing done for an
anonymous caller, no state change without the CSRF token. Routes that would end the fuzzer's
session, reload the model, write into the checkout or add accounts are sent without a valid
session only (bench/fuzz.py, on its own server, sends most of them as an admin too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings

from tests.conftest import Server
from tests.fuzzing import strategies as S
from tests.fuzzing import targets as T
from tests.fuzzing.runner import SUITE, Fuzzer, admin_account, log_alarms_since, log_offset


@pytest.fixture(scope="module")
def fuzz(server: Server) -> Iterator[Fuzzer]:
    fuzzer = Fuzzer(server, admin_account(server))
    yield fuzzer
    fuzzer.close()


def test_console_api(server: Server, fuzz: Fuzzer) -> None:
    offset = log_offset(server)
    seen: set[str] = set()

    @settings(SUITE, max_examples=200)
    @given(case=S.console_case(guarded=S.GUARDED_SHARED))
    def call(case: S.ConsoleCase) -> None:
        outcome = fuzz.send(T.console, case)
        assert not outcome.problems, (case, outcome.problems)
        seen.add(case.auth)

    call()
    assert seen == set(S.AUTHS)
    assert not log_alarms_since(server, offset)


def test_an_oversized_console_body_is_refused_politely(server: Server, fuzz: Fuzzer) -> None:
    """Found by the fuzzer: a body over 64 KB raised TypeError building the 413 (503 + traceback)."""
    offset = log_offset(server)
    body = ('{"a":' * 30_000 + "1" + "}" * 30_000).encode()
    outcome = fuzz.send(T.console, S.ConsoleCase("POST", "/api/console/language/check", "admin", body))
    assert outcome.status == 413 and not outcome.problems
    assert not log_alarms_since(server, offset)


def test_a_lone_surrogate_in_a_console_body_is_refused_politely(server: Server, fuzz: Fuzzer) -> None:
    offset = log_offset(server)
    outcome = fuzz.send(T.console, S.ConsoleCase("POST", "/api/console/language/check", "admin",
                                                 b'{"text": "\\ud800"}'))
    assert outcome.status == 400 and not outcome.problems
    assert not log_alarms_since(server, offset)
