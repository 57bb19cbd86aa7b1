"""The outbox keeps messages for a customer who is away: each taken once, in order; a message
with a stable id put again (a retry after a crash) is stored once, and the id never reaches
the customer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.outbox import ONCE_KEY, Outbox
from bot.storage.db import migrate


def outbox(tmp_path: Path) -> Outbox:
    url = f"sqlite:///{tmp_path / 'qingting.db'}"
    migrate(url)
    return Outbox(url)


def test_messages_are_taken_once_in_order(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    asyncio.run(box.put("c1", "rest", [{"text": "一"}, {"text": "二"}]))
    assert asyncio.run(box.take("c1")) == [{"text": "一"}, {"text": "二"}]
    assert asyncio.run(box.take("c1")) == []


def test_a_message_put_again_with_its_id_is_stored_once_and_the_id_stays_inside(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    words = [{"text": "您好，回访一下", ONCE_KEY: "followup:f1:0"}, {"text": "解决了吗", ONCE_KEY: "followup:f1:1"}]
    asyncio.run(box.put("c1", "rest", words))
    asyncio.run(box.put("c1", "rest", words))  # the retry after a crash
    assert asyncio.run(box.take("c1")) == [{"text": "您好，回访一下"}, {"text": "解决了吗"}]
    asyncio.run(box.put("c1", "rest", words))  # also after the customer read them
    assert asyncio.run(box.take("c1")) == []
    asyncio.run(box.put("c1", "rest", [{"text": "普通消息"}, {"text": "普通消息"}]))  # no id: kept as sent
    assert asyncio.run(box.take("c1")) == [{"text": "普通消息"}, {"text": "普通消息"}]
