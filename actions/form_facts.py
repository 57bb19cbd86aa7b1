"""The complaint form's facts (order number, product): asked only while missing, each at most
twice, then the bot carries on with what it has (bot/dialogue/form_answers.py reads the answers).

The slot `fact_asks` counts the questions asked per fact ({"order_id": 2}); the ask actions
word the second question differently (and say why when the first answer did not fit), and
the validation drops a fact from the form once it was asked twice.

An order number is a claim, not a proof (bot/ownership.py). Unless a logged-in shop account
or the WeChat OpenID already shows the order is the customer's, the form asks for the last
four digits of the phone on the order (requested slot `order_check`, state in the slot of that
name) before the order is read back, used for the remedy or linked to the complaint. The
question and the answer to a wrong reply are the same whether the order exists or not; after
two wrong replies (or "忘了 / 跳过") the complaint goes on without the order, recorded as
`order_verified: false` with the number as claimed.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    channel_of,
    entity,
    latest_intent,
    latest_text,
    signal,
    since_latest_message,
    svc,
)
from actions.wishes import hear_wishes, wishes_need_no_order
from bot import ownership
from bot.channels.shop_login import ACCOUNT_FIELD
from bot.dialogue import form_answers, texts
from bot.orders import clean_order_id
from bot.timeparse import shop_now

MAX_ASKS = 2
FORM_FACTS = ("order_id", "product")
NOT_GIVEN = "none"  # the slot value of a fact the customer could not give
# Intents whose message is something else than a product's name.
NOT_A_PRODUCT = {"ask_policy", "ask_progress", "bot_challenge", "request_human", "threaten_escalation", "insult",
                 "greet", "goodbye", "thank", "affirm", "deny", "vent", "request_return", "request_exchange",
                 "request_repair", "request_compensation"}


def asks_of(tracker: Tracker) -> dict[str, int]:
    return dict(tracker.get_slot("fact_asks") or {})


def answered_already(tracker: Tracker) -> bool:
    """Something has already replied to the latest customer message (a rule before the form)."""
    after = since_latest_message(tracker)
    return after is None or any(e.get("event") == "bot" for e in after)


def real_product(value: Any) -> str | None:
    return None if value in (None, "", NOT_GIVEN) else str(value)


def past_day(value: Any) -> Any:
    """The incident date as given, unless it lies ahead of today (then it is not kept)."""
    if value is None or form_answers.future_day(value, shop_now(svc().kb.service.timezone).date()):
        return None
    return value


ORDER_CHECK = "order_check"
PENDING, VERIFIED, UNVERIFIED = "pending", "verified", "unverified"
SKIP = ("跳过", "算了", "不用了")
DECLINED_TRANSFER = re.compile(r"(?:不要|不用|不需要|别|不找|不必)[转接给我]{0,3}(?:人工|真人|客服|转接)")


def order_check(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.get_slot(ORDER_CHECK) or {})


def verified_order_id(tracker: Tracker) -> str | None:
    """The order number proven to be the customer's (None while unproven): the only one that
    is read back, assessed or linked."""
    check = order_check(tracker)
    order_id = tracker.get_slot("order_id")
    if check.get("state") == VERIFIED and order_id and check.get("order_id") == order_id:
        return str(order_id)
    return None


def shop_account(tracker: Tracker) -> str | None:
    """The shop account the gateway found proven by a signed token on a message of this
    conversation (bot/channels/shop_login.py), the latest first."""
    for event in reversed(list(tracker.events)):
        if event.get("event") == "user":
            account = (event.get("metadata") or {}).get(ACCOUNT_FIELD)
            if account:
                return str(account)
    return None


def _unmatched_order_id(tracker: Tracker) -> str | None:
    return clean_order_id(entity(tracker, "order_id") or latest_text(tracker))


class ActionAskFormFact(Action):
    """Ask for one fact: the first time in the domain's words, the second time anew."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def second_question(self, tracker: Tracker) -> str:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        asks = asks_of(tracker)
        asks[self.slot] = asks.get(self.slot, 0) + 1
        if asks[self.slot] == 1:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        else:
            dispatcher.utter_message(text=self.second_question(tracker))
        return [SlotSet("fact_asks", asks)]


class ActionAskOrderId(ActionAskFormFact):
    slot = "order_id"

    def second_question(self, tracker: Tracker) -> str:
        return texts.ask_order_id_again(not_matched=_unmatched_order_id(tracker) is not None)


class ActionAskProduct(ActionAskFormFact):
    slot = "product"

    def second_question(self, tracker: Tracker) -> str:
        return texts.ask_product_again(form_answers.implausible_product(latest_text(tracker)))


class ActionAskOrderCheck(Action):
    """Ask for the last four digits of the phone on the order; the second time, kindly anew
    (the same words whether the order exists or the digits did not match)."""

    def name(self) -> str:
        return f"action_ask_{ORDER_CHECK}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=texts.ask_order_owner(first=not order_check(tracker).get("fails")))
        return []


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """The answer first (a gap like 忘了 is an answer, whatever the intent), then the next
        fact still missing and asked fewer than twice — or none, and the form is done."""
        wished = [] if answered_already(tracker) else await hear_wishes(dispatcher, tracker)
        tracker.add_slots(wished)
        events = await self._owner_answer(dispatcher, tracker)
        if events is None:
            events = await self._gap(dispatcher, tracker)
        if events is None:
            events = self._free_product(tracker)
        if events is None:
            events = [e for e in await super().run(dispatcher, tracker, domain) if e.get("name") != "requested_slot"]
        events += await self._future_date(dispatcher, tracker)
        tracker.add_slots(events)
        return [*wished, *events, SlotSet("requested_slot", self._next_fact(dispatcher, tracker))]

    async def _owner_answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        """The answer to "the last four digits of the phone on the order": the order is linked
        when they match; otherwise asked once more, then the complaint goes on without it."""
        check = order_check(tracker)
        if tracker.get_slot("requested_slot") != ORDER_CHECK or check.get("state") != PENDING:
            return None
        if answered_already(tracker) or entity(tracker, "order_id"):
            return None  # a rule answered already, or another order number (validated as one)
        text = latest_text(tracker)
        order = await svc().complaints.find_order(check.get("order_id"))
        if ownership.phone_digits_prove(order, text):
            assert order is not None
            await self._link(tracker, order, "phone_digits")
            dispatcher.utter_message(text=texts.order_owner_confirmed())
            proven = {**check, "order_id": order.order_id, "state": VERIFIED, "by": "phone_digits"}
            return [SlotSet(ORDER_CHECK, proven), SlotSet("order_id", order.order_id),
                    *([] if real_product(tracker.get_slot("product")) else [SlotSet("product", order.product)])]
        check["fails"] = int(check.get("fails") or 0) + 1
        gave_up = form_answers.read_gap(text) is not None or any(word in text for word in SKIP)
        if gave_up or check["fails"] >= MAX_ASKS:
            return await self._unverified(dispatcher, tracker, check)
        return [SlotSet(ORDER_CHECK, check)]  # asked again by action_ask_order_check

    async def _unverified(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                          check: dict[str, Any]) -> list[EventType]:
        complaint_id = tracker.get_slot("complaint_id")
        if complaint_id:
            await svc().complaints.add_facts(
                complaint_id, None, {"order_claimed": check.get("order_id"), "order_verified": False})
        dispatcher.utter_message(text=texts.order_left_unverified())
        return [SlotSet(ORDER_CHECK, {**check, "state": UNVERIFIED}), SlotSet("order_id", NOT_GIVEN)]

    @staticmethod
    async def _link(tracker: Tracker, order: Any, proof: str) -> None:
        await svc().complaints.link_order(tracker.sender_id, tracker.get_slot("complaint_id"), order)
        complaint_id = tracker.get_slot("complaint_id")
        if complaint_id:
            await svc().complaints.add_facts(complaint_id, None, {"order_verified": True, "order_verified_by": proof})

    async def _gap(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        """"没有 / 找不到 / 忘了 / 等会儿发" in answer to the fact just asked: noted, not asked again."""
        slot = tracker.get_slot("requested_slot")
        if slot not in FORM_FACTS or answered_already(tracker) or _unmatched_order_id(tracker):
            return None
        gap = form_answers.read_gap(latest_text(tracker))
        if gap is None:
            return None
        await self._record_gap(tracker, slot, gap)
        dispatcher.utter_message(text=texts.fact_gap_noted(slot, gap))
        return [SlotSet(slot, NOT_GIVEN)]

    @staticmethod
    def _free_product(tracker: Tracker) -> list[EventType] | None:
        """A short answer to "which product?" that the NLU did not read as a fact (an unknown
        product name reads like anything) is the product's name; it is validated as one."""
        if tracker.get_slot("requested_slot") != "product" or answered_already(tracker):
            return None
        if tracker.get_slot("product") is not None or latest_intent(tracker) in NOT_A_PRODUCT:
            return None
        text = latest_text(tracker).strip()
        if not 2 <= len(text) <= 15 or text.startswith("/") or "?" in text or "？" in text:
            return None  # a question or a sigh is no product name
        if signal(tracker).get("handoff"):
            return None
        tracker.add_slots([SlotSet("product", text)])  # validated with the rest by super().run
        return None

    @staticmethod
    async def _record_gap(tracker: Tracker, slot: str, gap: str) -> None:
        complaint_id = tracker.get_slot("complaint_id")
        if complaint_id:
            record = await svc().complaints.complaint_facts(complaint_id)
            gaps = {**(record.get("fact_gaps") or {}), slot: gap}
            await svc().complaints.add_facts(complaint_id, None, {"fact_gaps": gaps})

    async def _future_date(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """A purchase date ahead of today is kindly questioned and not kept."""
        value = entity(tracker, "date")
        if value is None:
            return []
        day = form_answers.future_day(value, shop_now(svc().kb.service.timezone).date())
        if day is None:
            return []
        dispatcher.utter_message(text=texts.future_date_reask(day))
        return [SlotSet("incident_date", None)]

    def _next_fact(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
        if wishes_need_no_order(tracker):
            return None  # an apology or an explanation is owed without any order number
        if order_check(tracker).get("state") == PENDING:
            return ORDER_CHECK  # the order is the customer's own before anything else
        asks = asks_of(tracker)
        for slot in FORM_FACTS:
            if tracker.get_slot(slot) is not None:
                continue
            if asks.get(slot, 0) < MAX_ASKS:
                return slot
            if tracker.get_slot("requested_slot") == slot:  # asked twice: carry on without it
                dispatcher.utter_message(text=texts.fact_given_up(slot))
        return None

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NOT_GIVEN and DECLINED_TRANSFER.search(latest_text(tracker)):
            # "我不要人工，你直接给我办" says no to a person, not to the order number: asked again
            dispatcher.utter_message(text=texts.TRANSFER_DECLINED)
            return {"order_id": None}
        if value == NOT_GIVEN:
            return {"order_id": NOT_GIVEN}
        order_id = clean_order_id(entity(tracker, "order_id") or str(value))
        if order_id is None:
            return {"order_id": None}  # not an order number: asked again
        check = order_check(tracker)
        if check.get("order_id") == order_id and check.get("state") in (VERIFIED, UNVERIFIED):
            return {"order_id": order_id if check["state"] == VERIFIED else NOT_GIVEN}  # settled already
        order = await svc().complaints.find_order(order_id)
        proof = ownership.proven_without_asking(order, shop_account=shop_account(tracker),
                                                channel=channel_of(tracker), sender_id=tracker.sender_id)
        if order is not None and proof:
            await self._link(tracker, order, proof)
            return {"order_id": order.order_id, "product": order.product,
                    ORDER_CHECK: {"order_id": order.order_id, "state": VERIFIED, "by": proof}}
        # Unproven, existing or not: nothing about it is said, the digits are asked for.
        return {"order_id": None, ORDER_CHECK: {"order_id": order_id, "state": PENDING, "fails": 0}}

    async def validate_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A catalogue product by its name; anything else that can be a product kept as said,
        marked unverified on the complaint; a phone number or an order number is not a product."""
        if value == NOT_GIVEN:
            return {"product": NOT_GIVEN}
        known = svc().kb.product(str(value))
        if known:
            return {"product": known.name}
        text = str(value or "").strip()[:30]
        refused = form_answers.implausible_product(text)
        if refused == "phone":
            phone = entity(tracker, "phone")
            if phone:
                await svc().complaints.attach_customer_phone(tracker.sender_id, channel_of(tracker), phone)
        if refused or not text:
            return {"product": None}
        complaint_id = tracker.get_slot("complaint_id")
        if complaint_id:
            await svc().complaints.add_facts(complaint_id, None, {"product": text, "product_verified": False})
        return {"product": text}
