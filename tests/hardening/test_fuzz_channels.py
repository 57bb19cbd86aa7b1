"""Generated bad input on every customer channel of the shared test server: REST, socket.io,
the WeChat callback (XML, signatures, safe-mode envelopes) and the chat page's API.

Per channel: no 5xx, every refusal a polite Chinese JSON message (the WeChat callback answers
WeChat's servers in their plain protocol instead), no forged push accepted, no exception in the
server log, and every message the server took is in the conversation's tracker afterwards.
bench/fuzz.py runs the same strategies with 10,000 inputs each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings

from tests.conftest import Server
from tests.fuzzing import records
from tests.fuzzing import strategies as S
from tests.fuzzing import targets as T
from tests.fuzzing.runner import SUITE, Fuzzer, log_alarms_since, log_offset


@pytest.fixture(scope="module")
def fuzz(server: Server) -> Iterator[Fuzzer]:
    fuzzer = Fuzzer(server)
    yield fuzzer
    fuzzer.close()


def assert_nothing_lost(server: Server, delivered: list[tuple[str, str]]) -> None:
    assert delivered, "no generated message reached the bot: the strategy is broken"
    checked, lost = records.lost_messages(server.database_url, server.var_dir, delivered, sample=len(delivered))
    assert checked == len(delivered) and not lost, lost


def test_rest_channel(server: Server, fuzz: Fuzzer) -> None:
    delivered: list[tuple[str, str]] = []
    offset = log_offset(server)

    @settings(SUITE, max_examples=120)
    @given(case=S.rest_case())
    def send(case: S.HttpCase) -> None:
        outcome = fuzz.send(T.rest, case)
        assert not outcome.problems, outcome.problems
        delivered.extend(outcome.delivered)

    send()
    assert not log_alarms_since(server, offset)
    assert_nothing_lost(server, delivered)


def test_socketio_channel(server: Server, fuzz: Fuzzer) -> None:
    delivered: list[tuple[str, str]] = []
    offset = log_offset(server)

    @settings(SUITE, max_examples=40)
    @given(case=S.socket_case())
    def chat(case: S.SocketCase) -> None:
        outcome = fuzz.send(T.socket_chat, case)
        assert not outcome.problems, outcome.problems
        delivered.extend(outcome.delivered)

    chat()
    assert not log_alarms_since(server, offset)
    assert_nothing_lost(server, delivered)


def test_socketio_event_without_payload_gets_an_answer(server: Server, fuzz: Fuzzer) -> None:
    """Found by the fuzzer: user_uttered with no data raised TypeError and was never answered."""
    offset = log_offset(server)
    outcome = fuzz.send(T.socket_chat, S.SocketCase(False, None, (None, None), (None, None)))
    assert not outcome.problems
    assert not log_alarms_since(server, offset)


def test_wechat_callback(server: Server, fuzz: Fuzzer) -> None:
    delivered: list[tuple[str, str]] = []
    offset = log_offset(server)

    @settings(SUITE, max_examples=150)
    @given(case=S.wechat_case())
    def push(case: S.WeChatCase) -> None:
        outcome = fuzz.send(T.wechat, case)
        assert not outcome.problems, outcome.problems
        delivered.extend(outcome.delivered)

    push()
    assert not log_alarms_since(server, offset)
    assert_nothing_lost(server, delivered)


def test_chat_page_uploads_and_history(server: Server, fuzz: Fuzzer) -> None:
    photos: list[str] = []
    offset = log_offset(server)

    @settings(SUITE, max_examples=80)
    @given(case=S.upload_case())
    def upload(case: S.UploadCase) -> None:
        outcome = fuzz.send(T.upload, case)
        assert not outcome.problems, outcome.problems
        photos.extend(outcome.photos)

    @settings(SUITE, max_examples=60)
    @given(query=S.history_query())
    def history(query: dict[str, str]) -> None:
        outcome = fuzz.send(T.history, query)
        assert not outcome.problems, outcome.problems

    upload()
    history()
    assert not log_alarms_since(server, offset)
    assert photos and not records.missing_photos(server.database_url, photos)


def test_a_json_nesting_bomb_is_refused_politely(server: Server, fuzz: Fuzzer) -> None:
    """Found by the fuzzer: 50,000 nested arrays raised RecursionError in json.loads (503)."""
    offset = log_offset(server)
    outcome = fuzz.send(T.rest, S.HttpCase(b"[" * 50_000 + b"1" + b"]" * 50_000))
    assert outcome.status == 400 and not outcome.problems
    assert not log_alarms_since(server, offset)


def test_a_multipart_header_with_a_nul_byte_is_refused_politely(server: Server, fuzz: Fuzzer) -> None:
    """Found by the fuzzer: aiohttp's InvalidHeader escaped the upload handler (503)."""
    offset = log_offset(server)
    body = S.multipart("fz", [("photo", "x.png\x00.php", "image/png", S.PNG)])
    case = S.UploadCase("fz-" + "0" * 20, body, "multipart/form-data; boundary=fz")
    outcome = fuzz.send(T.upload, case)
    assert outcome.status == 400 and not outcome.problems
    assert not log_alarms_since(server, offset)


@pytest.mark.parametrize("body", [b'{"sender": "fz-surrogate-text-1", "message": "\\udfff \\u6211\\u7684\\u7535\\u6c34\\u58f6"}',
                                  b'{"sender": "fz-\\ud800", "message": "hi"}'], ids=["text", "sender"])
def test_a_lone_surrogate_is_answered_like_any_message(server: Server, fuzz: Fuzzer, body: bytes) -> None:
    """Found by the fuzzer: JSON's "\\udfff" reached the tokenizer and crashed the turn (503)."""
    offset = log_offset(server)
    outcome = fuzz.send(T.rest, S.HttpCase(body))
    assert outcome.status == 200 and not outcome.problems
    assert not log_alarms_since(server, offset)
