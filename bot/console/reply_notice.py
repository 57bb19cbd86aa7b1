"""What the console tells an agent about a reply they sent: what the customer will really
see, on their channel (bot/delivery.py Outcome). Chinese, for the agent; positive wording
(tests/test_positive_language.py reads every line here)."""

from __future__ import annotations

from bot.delivery import Outcome

NOTICES: dict[tuple[str, Outcome], str] = {
    ("wechat", Outcome.PUSHED): "已通过公众号发给客户。",
    ("wechat", Outcome.QUEUED): "这条回复已为您保存好：客户下次在公众号里发来消息时，"
                                "它会随我们的回答一起送到，只送一次。",
    ("socketio", Outcome.PUSHED): "已发送：客户在线会马上看到，暂时离开的话，下次打开对话时就会收到。",
    ("rest", Outcome.QUEUED): "已发送，客户下次发消息时会先收到这条回复。",
}
DEFAULTS: dict[Outcome, str] = {
    Outcome.PUSHED: "已发送给客户。",
    Outcome.QUEUED: "已为您保存好，客户下次发消息时会先收到这条回复。",
    Outcome.HISTORY: "已发送，客户下次打开对话时就能看到。",
}


def reply_notice(channel: str, outcome: Outcome) -> str:
    return NOTICES.get((channel, outcome)) or DEFAULTS[outcome]
