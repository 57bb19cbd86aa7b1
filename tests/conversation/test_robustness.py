"""Odd input is answered politely and nothing is lost."""

from __future__ import annotations

import pytest

from tests.conftest import FAULT_PREFIX, Server
from tests.conversation.chat import Chat, language_lines, read_json_column

pytestmark = pytest.mark.conversation


def test_a_crashing_action_gives_a_polite_line_and_the_conversation_goes_on(server: Server) -> None:
    customer = Chat(server, sender=f"{FAULT_PREFIX}customer")
    bot = customer.say("七天无理由退货怎么算")  # action_answer_policy crashes for this sender
    assert any(text in language_lines("action_error") for text in bot.texts)
    bot = customer.say("我上周买的电水壶用了三天就不加热了")
    assert bot.opens_with_empathy_for("quality")
    log = server.log_path.read_text(errors="replace")
    assert "action action_answer_policy failed: InjectedFault" in log


def test_traditional_characters_are_understood(customer: Chat) -> None:
    bot = customer.say("我買的電水壺用了三天就壞了，不能加熱")
    assert bot.opens_with_empathy_for("quality")
    facts = read_json_column(customer.complaints()[0]["facts"])
    assert facts["product"] == "电水壶"


def test_a_ten_thousand_character_rant_is_acknowledged_and_kept(customer: Chat) -> None:
    rant = "我买的洗衣机质量太差了，用了没几天就坏了。" * 500
    bot = customer.say(rant[:10000])
    assert any(text in language_lines("long_message") for text in bot.texts)
    assert bot.opens_with_empathy_for("quality") or any(t.startswith(tuple(language_lines("long_message"))) for t in bot.texts)


def test_an_empty_message_gets_a_kind_prompt(customer: Chat) -> None:
    bot = customer.say("   ")
    assert any(text in language_lines("empty_message") for text in bot.texts)


@pytest.mark.parametrize("message", ["😡😡😡", "？？？！！！", "my kettle坏了 please help", "。。。"])
def test_odd_messages_get_an_answer(customer: Chat, message: str) -> None:
    assert not customer.say(message).silent
