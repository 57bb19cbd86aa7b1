"""The customer's own wish, in their words ("只想要个道歉", "给个说法", "以后别让他送了",
"把钱退我就行"), read with the phrases of knowledge_base/wishes.yml."""

from __future__ import annotations

import re

from bot.knowledge import KnowledgeBase


def read_wishes(kb: KnowledgeBase, text: str) -> list[str]:
    """The wishes the message states, in the knowledge base's order."""
    plain = re.sub(r"\s+", "", text or "")
    return [key for key, wish in kb.wishes.wishes.items() if any(re.search(p, plain) for p in wish.phrases)]


def needs_no_order(kb: KnowledgeBase, wishes: list[str]) -> bool:
    """Every wish heard can be met without an order (an apology, an explanation)."""
    return bool(wishes) and all(kb.wishes.wishes[key].no_order for key in wishes)


def wish_labels(kb: KnowledgeBase, wishes: list[str]) -> str:
    """What agents read in the fact list."""
    return "；".join(kb.wishes.wishes[key].label for key in wishes)
