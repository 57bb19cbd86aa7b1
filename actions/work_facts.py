"""The facts a work order needs from the customer (knowledge_base/work_orders.yml `needs`):
the pickup or visit address and a time window, asked inside the follow-up form right after the
remedy is confirmed, only when the remedy's work orders need them, once each (a second time
only after the customer interrupted with something else).

The slots never hold the address: it goes straight to the work orders (encrypted, masked for
staff) and the slot keeps "given" or "later" (the customer could not give it now; a colleague
confirms it by phone). The window slot keeps the chosen window as the customer reads it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import said_so_far, svc
from actions.form_facts import asks_of
from bot.dialogue import form_answers, positive, texts
from bot.knowledge import KnowledgeBase
from bot.timeparse import shop_now

ADDRESS_SLOT = "work_address"
WINDOW_SLOT = "work_window"
WORK_SLOTS = {ADDRESS_SLOT: "address", WINDOW_SLOT: "time_slot"}
GIVEN, LATER = "given", "later"
MAX_WORK_ASKS = 2  # the second time only after an interruption
DAY_WORDS = {0: "今天", 1: "明天", 2: "后天"}
# Something that reads as a place: a number with a road / building word, or an administrative area.
_ADDRESS = re.compile(r"(省|市|区|县|镇|乡|村|路|街|道|巷|弄|胡同|小区|大厦|花园|苑|号|栋|幢|楼|单元|室)")
_PLACE = re.compile(r"(路|街|巷|弄|胡同|小区|大厦|栋|幢|单元|室)")  # an address given as the time
_TIME = re.compile(r"(今天|明天|后天|周|星期|礼拜|月|号|日|上午|下午|中午|晚上|早上|点|:|：|工作日|周末)")


def windows(kb: KnowledgeBase, now: datetime) -> list[tuple[str, str]]:
    """(button title, the window as stored on the work order) for each offered window."""
    found = []
    for w in kb.work_orders.visit_windows:
        day = (now + timedelta(days=w.days)).date()
        word = DAY_WORDS.get(w.days, f"{day.month}月{day.day}日")
        found.append((f"{word}{w.period} {w.hours}", f"{day.month}月{day.day}日{w.period}{w.hours}"))
    return found


def read_address(text: str) -> str | None:
    """The address in the answer, or None when it holds none (不知道, 等会儿发, a stray word)."""
    text = text.strip()
    if form_answers.read_gap(text) is not None or not 5 <= len(text) <= 200 or not _ADDRESS.search(text):
        return None
    return text


def read_window(kb: KnowledgeBase, text: str, now: datetime) -> str | None:
    """The chosen window: one of the offers (its title, or its day and period named), else the
    customer's own time as said; None when the answer names no time."""
    plain = re.sub(r"\s+", "", text)
    if not plain or form_answers.read_gap(text) is not None:
        return None
    offers = windows(kb, now)
    for title, stored in offers:
        if plain in (title.replace(" ", ""), stored):
            return stored
    for w, (_title, stored) in zip(kb.work_orders.visit_windows, offers, strict=True):
        word = DAY_WORDS.get(w.days)
        if word and plain == word + w.period:
            return stored
    if len(plain) <= 40 and _TIME.search(plain) and not _PLACE.search(plain):
        return plain
    return None


async def missing_facts(tracker: Tracker) -> dict[str, str]:
    complaint_id = tracker.get_slot("complaint_id")
    if not complaint_id:
        return {}
    return await svc().complaints.work_facts_missing(complaint_id)


async def still_to_ask(tracker: Tracker) -> list[str]:
    """The work-fact slots the follow-up form asks before the follow-up time, in order."""
    missing = await missing_facts(tracker)
    return [slot for slot, fact in WORK_SLOTS.items() if tracker.get_slot(slot) is not None or fact in missing]


def later_line(slot: str) -> str:
    return texts.work_address_later() if slot == ADDRESS_SLOT else texts.work_window_later()


def _count(tracker: Tracker, slot: str) -> dict[str, int]:
    asks = asks_of(tracker)
    asks[slot] = asks.get(slot, 0) + 1
    return asks


def _question(tracker: Tracker, asked: int, first: str, again: str) -> str:
    """The first wording the first time; the other one when asked before, also for an earlier
    remedy (after a remedy change the count starts anew, the words must not repeat)."""
    return first if asked == 1 and first not in said_so_far(tracker) else again


class ActionAskWorkAddress(Action):
    def name(self) -> str:
        return "action_ask_work_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        label = (await missing_facts(tracker)).get("address", "上门服务")
        asks = _count(tracker, ADDRESS_SLOT)
        question = _question(tracker, asks[ADDRESS_SLOT], texts.ask_work_address(label),
                             texts.ask_work_address_again(label))
        dispatcher.utter_message(text=question)
        return [SlotSet("fact_asks", asks)]


class ActionAskWorkWindow(Action):
    def name(self) -> str:
        return "action_ask_work_window"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        label = (await missing_facts(tracker)).get("time_slot", "上门服务")
        asks = _count(tracker, WINDOW_SLOT)
        question = _question(tracker, asks[WINDOW_SLOT], texts.ask_work_window(label),
                             texts.ask_work_window_again(label))
        offers = windows(s.kb, shop_now(s.kb.service.timezone))
        dispatcher.utter_message(text=question, buttons=[{"title": t, "payload": t} for t, _ in offers])
        return [SlotSet("fact_asks", asks)]


async def validate_address(value: object, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, object]:
    if value in (GIVEN, LATER):
        return {ADDRESS_SLOT: value}
    address = read_address(str(value or ""))
    complaint_id = tracker.get_slot("complaint_id")
    if address is None:
        dispatcher.utter_message(text=texts.work_address_later())
        return {ADDRESS_SLOT: LATER}
    if complaint_id:
        await svc().complaints.add_work_facts(complaint_id, address=address)
    dispatcher.utter_message(text=texts.work_address_noted())
    return {ADDRESS_SLOT: GIVEN}


async def validate_window(value: object, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, object]:
    if value == LATER:
        return {WINDOW_SLOT: value}
    s = svc()
    window = read_window(s.kb, str(value or ""), shop_now(s.kb.service.timezone))
    if window is None:
        dispatcher.utter_message(text=texts.work_window_later())
        return {WINDOW_SLOT: LATER}
    complaint_id = tracker.get_slot("complaint_id")
    if complaint_id:
        await s.complaints.add_work_facts(complaint_id, time_slot=window)
    # the customer's own words are read back only when they hold no phrase the bot never says
    said = window if not positive.findings(s.kb, window) else None
    dispatcher.utter_message(text=texts.work_window_noted(said))
    return {WINDOW_SLOT: window}


def unanswered_after_interruptions(tracker: Tracker, slot: str) -> bool:
    """Asked as often as we ask and the form is back without an answer: move on."""
    return asks_of(tracker).get(slot, 0) >= MAX_WORK_ASKS
