"""A customer chatting with the real server over the REST channel, for readable tests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from bot.dialogue import texts
from tests.conftest import ROOT, Server


@lru_cache(maxsize=1)
def banned_phrases() -> list[str]:
    data = yaml.safe_load((ROOT / "knowledge_base" / "language.yml").read_text(encoding="utf-8"))
    return [entry["phrase"] for entry in data["banned"]]


@lru_cache(maxsize=8)
def kb_yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / "knowledge_base" / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def domain_responses() -> dict[str, list[str]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name: [v["text"] for v in variants] for name, variants in domain["responses"].items()}


@lru_cache(maxsize=1)
def demo_order_digits() -> dict[str, str]:
    """Each demo order's number → the last four digits of its customer's phone."""
    data = kb_yaml("demo_orders.yml")
    phones = {c["id"]: c["phone"] for c in data["customers"]}
    return {o["order_id"]: phones[o["customer"]][-4:] for o in data["orders"]}


ORDER_NUMBER = re.compile(r"QT\d{12}", re.IGNORECASE)


def asks_for_order_owner(line: str) -> bool:
    return line in (texts.ask_order_owner(True), texts.ask_order_owner(False))


def empathy_lines(complaint_type: str) -> list[str]:
    return yaml.safe_load((ROOT / "knowledge_base" / "complaint_types.yml").read_text(encoding="utf-8"))[
        "types"
    ][complaint_type]["empathy"]


def language_lines(key: str) -> list[str]:
    return yaml.safe_load((ROOT / "knowledge_base" / "language.yml").read_text(encoding="utf-8"))[key]


def fact_asked(line: str) -> str | None:
    """Which fact a bot line asks for: order_id, order_check (the last four digits of the phone
    on the order), product, followup_time or a law fact (food / harm / loss); None if it asks
    for none."""
    if asks_for_order_owner(line):
        return "order_check"
    if line in domain_responses()["utter_ask_order_id"] or line in (
        texts.ask_order_id_again(True), texts.ask_order_id_again(False)
    ):
        return "order_id"
    if line in domain_responses()["utter_ask_product"] or line.endswith(texts.ask_product_again(None)):
        return "product"
    if line.startswith("为了顺利安排") and "地址" in line or line.startswith("我们接着刚才的安排"):
        return "work_address"
    if "希望安排在哪个时间段" in line or line.startswith("再确认一下") and "的时间" in line:
        return "work_window"
    labels = [o["label"] for o in kb_yaml("service.yml")["followup_offers"]]
    if line in (texts.ask_followup(), texts.followup_unclear(labels)):
        return "followup_time"
    return texts.fact_question_key(line)


@dataclass
class Reply:
    messages: list[dict] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def button_titles(self) -> list[str]:
        return [b["title"] for b in self.buttons]

    @property
    def silent(self) -> bool:
        return not self.messages

    def says(self, *fragments: str) -> bool:
        return all(fragment in self.text for fragment in fragments)

    def opens_with_empathy_for(self, complaint_type: str) -> bool:
        lines = empathy_lines(complaint_type)
        return bool(self.texts) and any(self.texts[0].startswith(line) for line in lines)

    def is_one_of(self, response: str) -> bool:
        return any(t in domain_responses()[response] for t in self.texts)

    def asked_facts(self) -> list[str]:
        """The facts this reply asks for, one entry per question (see `fact_asked`)."""
        return [fact for fact in map(fact_asked, self.texts) if fact]

    def asks_for_order_id(self) -> bool:
        return "order_id" in self.asked_facts()

    def asks_for_product(self) -> bool:
        return "product" in self.asked_facts()

    def offers_remedies(self) -> bool:
        """The remedy menu, in full or (shown before) in its short form with the option buttons."""
        full = "我们可以为您提供以下方案" in self.text or "我们优先为您安排" in self.text
        return full or any(str(b.get("payload", "")).startswith("/request_") for b in self.buttons)

    def asks_for_work_address(self) -> bool:
        return "work_address" in self.asked_facts()

    def asks_for_work_window(self) -> bool:
        return "work_window" in self.asked_facts()

    def asks_for_followup_time(self) -> bool:
        return "followup_time" in self.asked_facts()

    def asks_for_order_owner(self) -> bool:
        """The question for the last four digits of the phone on the order quoted."""
        return any(map(asks_for_order_owner, self.texts))

    def hands_off(self) -> bool:
        return "资深同事" in self.text


class Chat:
    """One customer. `say` sends a message and returns what the bot answered.

    By default the customer owns the demo orders they quote: asked for the last four digits of
    the phone on the order (bot/ownership.py), they give them at once, and the answer to that
    comes with the reply (`proves_orders=False` for a customer who does not).
    """

    def __init__(self, server: Server, sender: str | None = None, proves_orders: bool = True) -> None:
        self.server = server
        self.sender = sender or f"test-{uuid.uuid4().hex[:10]}"
        self.proves_orders = proves_orders
        self.quoted_order: str | None = None
        self.metadata: dict | None = None  # sent with every message (e.g. a shop login token)
        self.cookies: dict[str, str] = {}
        self.last = Reply()
        self.transcript: list[str] = []  # every line the bot sent, in order

    def times_asked(self) -> dict[str, int]:
        """How many times each fact was asked in the whole conversation."""
        counts: dict[str, int] = {}
        for fact in filter(None, map(fact_asked, self.transcript)):
            counts[fact] = counts.get(fact, 0) + 1
        return counts

    def repeated_lines(self) -> list[str]:
        """Lines the bot sent more than once in this conversation."""
        return sorted({line for line in self.transcript if self.transcript.count(line) > 1})

    @classmethod
    def on_the_page(cls, server: Server) -> Chat:
        """A chat-page customer: the server issues its session in a signed cookie, which every
        message (the page's REST fallback) and history read presents."""
        response = server.post("/api/chat/session")
        assert response.status_code == 200, response.text
        chat = cls(server)
        chat.cookies = dict(response.cookies)
        chat.sender = chat.cookies["qingting_customer"].split(".")[0]
        return chat

    def history(self) -> list[dict]:
        response = self.server.get("/api/chat/history", cookies=self.cookies)
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    def say(self, message: str) -> Reply:
        quoted = ORDER_NUMBER.findall(str(message))
        if quoted:
            self.quoted_order = quoted[-1].upper()
        reply = self._say(message)
        digits = demo_order_digits().get(self.quoted_order or "")
        if self.proves_orders and digits and reply.asks_for_order_owner():
            # The customer answers the ownership question at once; what the test reads is the
            # conversation around it (the question itself stays in the transcript).
            before = [m for m in reply.messages if not asks_for_order_owner(str(m.get("text") or ""))]
            reply = Reply(before + self._say(digits).messages)
            self.last = reply
        return reply

    def _say(self, message: str) -> Reply:
        body: dict = {"sender": self.sender, "message": message}
        if self.metadata:
            body["metadata"] = self.metadata
        response = self.server.post("/webhooks/rest/webhook", json=body, cookies=self.cookies)
        assert response.status_code == 200, response.text
        self.last = Reply(response.json())
        self.transcript += self.last.texts
        for line in self.last.texts:
            hit = [p for p in banned_phrases() if p in line]
            assert not hit, f"bot used banned phrasing {hit}: {line}"
        return self.last

    def click(self, title: str) -> Reply:
        button = next(b for b in self.last.buttons if b["title"] == title)
        return self.say(button["payload"])

    def give_work_facts(self, address: str = "杭州市西湖区文三路90号5幢301室") -> Reply:
        """Answer the pickup / visit address and the time window when the bot asks for them
        (a remedy whose work orders need them); returns the reply after the last answer."""
        if self.last.asks_for_work_address():
            self.say(address)
        if self.last.asks_for_work_window():
            self.click(self.last.button_titles[0])
        return self.last

    def work_orders(self) -> list[dict]:
        return self._query(
            "SELECT w.* FROM work_orders w JOIN complaints c ON c.id = w.complaint_id "
            "JOIN conversations v ON v.id = c.conversation_id WHERE v.sender_id = :sender "
            "ORDER BY w.created_at, w.reference"
        )

    # --- the records behind the conversation -------------------------------------------
    def _query(self, sql: str) -> list[dict]:
        engine = create_engine(self.server.database_url)
        with engine.connect() as conn:
            rows = conn.execute(text(sql), {"sender": self.sender}).mappings().all()
        engine.dispose()
        return [dict(r) for r in rows]

    def complaints(self) -> list[dict]:
        return self._query(
            "SELECT c.* FROM complaints c JOIN conversations v ON v.id = c.conversation_id "
            "WHERE v.sender_id = :sender ORDER BY c.created_at"
        )

    def handoffs(self) -> list[dict]:
        return self._query(
            "SELECT h.* FROM handoffs h JOIN conversations v ON v.id = h.conversation_id "
            "WHERE v.sender_id = :sender ORDER BY h.created_at"
        )

    def follow_ups(self) -> list[dict]:
        return self._query(
            "SELECT f.* FROM follow_ups f JOIN conversations v ON v.id = f.conversation_id "
            "WHERE v.sender_id = :sender ORDER BY f.created_at"
        )


def read_json_column(value):  # type: ignore[no-untyped-def]
    import json

    return json.loads(value) if isinstance(value, str) else value


__all__ = ["Chat", "Reply", "Path", "read_json_column", "empathy_lines", "language_lines"]
