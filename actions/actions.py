"""The complaint flow's custom actions: listen, empathise, record, propose, follow up, hand off."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import work_facts
from actions.common import (
    as_amount,
    channel_of,
    entity,
    fresh_line,
    latest_intent,
    latest_text,
    said_so_far,
    signal,
    since_latest_message,
    svc,
    was_truncated,
)
from actions.form_facts import (
    MAX_ASKS,
    answered_already,
    asks_of,
    past_day,
    real_product,
    verified_order_id,
)
from actions.late_order import late_order_id, take_late_order
from actions.losses import hear_losses
from actions.wishes import apologise, hear_wishes, wish_facts, wishes_need_no_order
from bot import law_facts
from bot.dialogue import form_answers, texts
from bot.followups import answers
from bot.remedy import RemedyDecision, RemedyOption
from bot.schedule import local
from bot.severity import CONFIDENT
from bot.timeparse import describe, parse_followup_time, shop_now

WISH_TYPES = {"return": "quality", "exchange": "quality", "repair": "after_sales", "compensation": "service"}
REMEDY_INTENTS = {
    "request_return": "return",
    "request_exchange": "exchange",
    "request_repair": "repair",
    "request_compensation": "compensation",
}
CSAT_SLOTS = ("csat_solved", "csat_score", "csat_comment")
FLOW_RESET = ["order_id", "product", "incident_date", "amount", "wish", "remedy", "followup_time", "followup_at",
              "customer_wishes", "fact_asks", "work_address", "work_window", "order_check"]


def _type_guess(tracker: Tracker) -> dict[str, Any]:
    """The complaint-type classifier's view of the latest message (bot/nlu/complaint_type.py)."""
    return (tracker.latest_message or {}).get("complaint_type") or {}


def _complaint_type(tracker: Tracker) -> str:
    """The type follows what went wrong (the type classifier), not the product or the intent's
    wording; the intent decides only when the classifier has nothing to say."""
    intent = latest_intent(tracker) or ""
    guess = _type_guess(tracker).get("primary")
    if guess and (intent.startswith("complain_") or intent == "vent"):
        return str(guess)
    if intent.startswith("complain_"):
        return intent[len("complain_") :]
    if tracker.get_slot("complaint_type"):
        return str(tracker.get_slot("complaint_type"))
    wish = REMEDY_INTENTS.get(intent) or tracker.get_slot("wish")
    return WISH_TYPES.get(str(wish), "quality")


def _facts(tracker: Tracker) -> dict[str, Any]:
    facts = {
        "product": real_product(tracker.get_slot("product")),
        "order_id": verified_order_id(tracker),  # a quoted number counts once it is proven theirs
        "incident_date": past_day(tracker.get_slot("incident_date")),
        "amount": tracker.get_slot("amount"),
        "wish": tracker.get_slot("wish"),
    }
    secondary = _type_guess(tracker).get("secondary")
    if secondary and svc().kb.complaint_types.types.get(secondary):
        facts["secondary_type"] = svc().kb.type_label(secondary)  # a second problem in the same message
    return facts


def _in_flow(tracker: Tracker) -> bool:
    return tracker.get_slot("stage") in ("facts", "remedy", "followup")


async def open_complaint(
    dispatcher: CollectingDispatcher, tracker: Tracker, complaint_type: str
) -> list[EventType]:
    """Empathy fitted to the complaint type, and the complaint recorded — before any question."""
    s = svc()
    sig = signal(tracker)
    facts = _facts(tracker)
    phone = entity(tracker, "phone")
    if phone:
        facts["phone"] = await s.complaints.attach_customer_phone(tracker.sender_id, channel_of(tracker), phone)
    if was_truncated(tracker):
        dispatcher.utter_message(text=fresh_line(tracker, s.kb.language.long_message))
    complaint_id = tracker.get_slot("complaint_id")
    events: list[EventType] = [SlotSet("complaint_type", complaint_type)]
    if complaint_id and _in_flow(tracker):
        await s.complaints.add_facts(complaint_id, latest_text(tracker), facts, sig.get("severity"))
        dispatcher.utter_message(text=fresh_line(tracker, s.kb.empathy_lines(complaint_type)) + "这一点我也补充记录下来了。")
        await hear_losses(dispatcher, tracker, complaint_id)
        return events + await hear_wishes(dispatcher, tracker)
    ref = await s.complaints.open_complaint(
        tracker.sender_id, channel_of(tracker), complaint_type, latest_text(tracker),
        int(sig.get("severity") or 1), {**facts, **wish_facts(tracker)},
    )
    dispatcher.utter_message(text=fresh_line(tracker, s.kb.empathy_lines(complaint_type)))
    await hear_losses(dispatcher, tracker, ref.id)
    return events + await hear_wishes(dispatcher, tracker, ref.id) + [
        SlotSet("complaint_id", ref.id),
        SlotSet("stage", "facts"),
        SlotSet("remedy_rejections", 0),
        SlotSet("order_attempts", 0),
        SlotSet("fact_asks", None),  # a new complaint: its facts have not been asked yet
    ]


def _names_a_product(tracker: Tracker) -> bool:
    return entity(tracker, "product") is not None


class ActionAcknowledgeComplaint(Action):
    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await open_complaint(dispatcher, tracker, _complaint_type(tracker))


class ActionAcknowledgeVent(Action):
    """Let the customer vent: a short acknowledgement, no question, nothing lost."""

    def name(self) -> str:
        return "action_acknowledge_vent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        asked = tracker.get_slot("requested_slot")
        if (tracker.active_loop_name == "followup_form" and asked in work_facts.WORK_SLOTS
                and form_answers.read_gap(latest_text(tracker)) is not None):
            # "不知道 / 等会儿发" to the address or time question is an answer, not a vent
            dispatcher.utter_message(text=work_facts.later_line(asked))
            return [SlotSet(asked, work_facts.LATER)]
        complaint_id = tracker.get_slot("complaint_id")
        wished = await hear_wishes(dispatcher, tracker)  # a wish heard is the acknowledgement
        if complaint_id and _in_flow(tracker):
            await s.complaints.add_facts(complaint_id, latest_text(tracker), {}, signal(tracker).get("severity"))
            if not wished:
                dispatcher.utter_message(text=fresh_line(tracker, s.kb.language.listening))
            return wished
        previous_vents = sum(
            1 for e in tracker.events if e.get("event") == "user" and (e.get("parse_data") or {}).get("intent", {}).get("name") == "vent"
        )
        lines = s.kb.language.listening if previous_vents <= 1 else s.kb.language.vent_followup
        if not wished:
            dispatcher.utter_message(text=fresh_line(tracker, lines))
        return wished + ([] if _in_flow(tracker) else [SlotSet("stage", "listening")])


# --- the facts the law needs (bot/law_facts.py), kept on the complaint record ------------------
# facts["law_facts"]      what the customer stated (their messages and answers), for the engine
#                         and the agent
# facts["law_answers"]    the answers to the questions alone (they win over a message's wording)
# facts["law_questions"]  {"asked": {key: n}, "settled": [key], "missing": [fact]}


class LawFacts:
    """The law facts of one complaint, as read from its record."""

    def __init__(self, record: dict, food: bool) -> None:
        self.record = record
        self.food = food
        self.answers = law_facts.from_json(record.get("law_answers"))
        state = record.get("law_questions") or {}
        self.asked: dict[str, int] = dict(state.get("asked") or {})
        self.settled: list[str] = list(state.get("settled") or [])
        self.missing: list[str] = list(state.get("missing") or [])

    def stated(self, extra_text: str | None = None) -> dict[str, object]:
        """What the customer's messages state, the answers on top."""
        facts: dict[str, object] = {}
        for statement in [*self.record.get("statements", []), *([extra_text] if extra_text else [])]:
            facts.update(law_facts.read_statement(statement, self.food))
        return {**facts, **self.answers}

    def next_question(self) -> str | None:
        return law_facts.next_question(self.missing, self.asked, self.settled)

    def as_record(self, stated: dict[str, object]) -> dict[str, Any]:
        return {
            "law_facts": law_facts.to_json(stated),
            "law_answers": law_facts.to_json(self.answers),
            "law_questions": {"asked": self.asked, "settled": self.settled, "missing": self.missing},
        }


async def load_law_facts(tracker: Tracker) -> LawFacts | None:
    complaint_id = tracker.get_slot("complaint_id")
    if not complaint_id:
        return None
    s = svc()
    product = s.kb.product(str(tracker.get_slot("product") or ""))
    record = await s.complaints.complaint_facts(complaint_id)
    return LawFacts(record, bool(product and product.food))


async def assess_with_facts(tracker: Tracker, stated: dict[str, object]) -> RemedyDecision:
    s = svc()
    order = await s.complaints.find_order(verified_order_id(tracker))
    decision, _severity, _signals = await s.complaints.assess(
        tracker.get_slot("complaint_id"), tracker.get_slot("complaint_type") or "quality", order,
        tracker.get_slot("wish"), int(signal(tracker).get("severity") or 1),
        as_amount(tracker.get_slot("amount")), stated=stated,
    )
    return decision


def offer_events(decision: RemedyDecision) -> list[EventType]:
    return [
        SlotSet("remedy_options", [o.as_dict() for o in decision.options]),
        SlotSet("wish_allowed", decision.wish_allowed),
    ]


# Questions of the customer's own that are answered first (the fact question then comes again).
OWN_QUESTIONS = {"ask_policy", "ask_progress", "bot_challenge"}


def pending_fact_question(tracker: Tracker) -> str | None:
    """The fact question the latest customer message answers: the bot's last message before it
    (None once something else has answered that message, e.g. a policy question's rule)."""
    if answered_already(tracker):
        return None
    events = list(tracker.events)
    last_user = max(i for i, e in enumerate(events) if e.get("event") == "user")
    for event in reversed(events[:last_user]):
        if event.get("event") == "bot":
            return texts.fact_question_key(event.get("text"))
        if event.get("event") == "user":
            return None
    return None


def option_named(options: list[dict], text: str) -> dict | None:
    """The option whose label the customer typed ("换货并赔偿"), the longest label first."""
    plain = "".join(text.split()).strip("。！!，,.")
    named = [o for o in options if o.get("label") and o["label"] in plain]
    return max(named, key=lambda o: len(o["label"])) if named else None


def option_for(options: list[dict], kind: str | None) -> dict | None:
    """The offered option of this kind; compensation is also found inside a package."""
    found = next((o for o in options if o["kind"] == kind), None)
    if found is None and kind == "compensation":
        found = next((o for o in options if "compensation" in (o.get("includes") or ())), None)
    return found


class ActionAssessComplaint(Action):
    """Say what was recorded and whether it stands; prepare the remedies the law and the policy
    allow, with the facts the customer already stated (the questions for the rest follow)."""

    def name(self) -> str:
        return "action_assess_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        order_id = verified_order_id(tracker)
        complaint_id = tracker.get_slot("complaint_id")
        complaint_type = tracker.get_slot("complaint_type") or "quality"
        if complaint_id:
            await s.complaints.add_facts(complaint_id, None, _facts(tracker))
        if wishes_need_no_order(tracker):
            return await apologise(dispatcher, tracker, complaint_type)
        law = await load_law_facts(tracker)
        stated = law.stated() if law else {}
        decision = await assess_with_facts(tracker, stated)
        if law and complaint_id:
            law.missing = list(decision.missing_facts)
            await s.complaints.add_facts(complaint_id, None, law.as_record(stated))
        dispatcher.utter_message(
            text=texts.recorded_summary(
                s.kb, complaint_type, order_id, real_product(tracker.get_slot("product")),
                tracker.get_slot("incident_date"), decision.validity_note,
            )
        )
        return [*offer_events(decision), SlotSet("stage", "remedy")]


def _option_buttons(options: list[dict]) -> list[dict[str, str]]:
    intent_of = {v: k for k, v in REMEDY_INTENTS.items()}
    return [{"title": o["label"], "payload": f"/{intent_of[o['kind']]}"} for o in options]


class ActionAskRemedy(Action):
    """Ask the remedy form's one question: first the facts the law still needs, one at a time
    (each at most twice), then the remedies to choose from."""

    def name(self) -> str:
        return "action_ask_remedy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        law = await load_law_facts(tracker)
        decision: RemedyDecision | None = None
        if law is not None:
            stated = law.stated()
            if law_facts.to_json(stated) != (law.record.get("law_facts") or {}):
                # the customer said more since the last assessment (a vent, another detail)
                decision = await assess_with_facts(tracker, stated)
                law.missing = list(decision.missing_facts)
                await s.complaints.add_facts(tracker.get_slot("complaint_id"), None, law.as_record(stated))
            key = law.next_question()
            if key:
                law.asked[key] = law.asked.get(key, 0) + 1
                await s.complaints.add_facts(tracker.get_slot("complaint_id"), None, law.as_record(stated))
                dispatcher.utter_message(
                    text=texts.fact_question(key, law.asked[key]),
                    buttons=[{"title": title, "payload": title} for title in texts.FACT_BUTTONS[key]],
                )
                return offer_events(decision) if decision else []
        if decision is not None:
            options, wish_allowed = [o.as_dict() for o in decision.options], decision.wish_allowed
        else:
            options, wish_allowed = tracker.get_slot("remedy_options") or [], tracker.get_slot("wish_allowed")
        wish = tracker.get_slot("wish")
        wish_label = s.kb.remedy_label(wish) if wish in s.kb.remedies.kinds else None
        menu = texts.remedy_menu(options, wish_label, bool(wish_allowed))
        said = said_so_far(tracker)
        if menu in said:  # shown in full already: the short form, no line twice
            menu = texts.remedy_menu_again(options, said)
        dispatcher.utter_message(text=menu, buttons=_option_buttons(options))
        return offer_events(decision) if decision else []


class ValidateRemedyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_remedy_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A message right after a fact question is its answer, whatever the intent reads
        (没有 is not a rejected remedy, 有 not the first option); a remedy named outright is
        still a choice."""
        key = pending_fact_question(tracker) if tracker.get_slot("complaint_id") else None
        if key is None:
            named = None
            if tracker.get_slot("requested_slot") == "remedy" and not answered_already(tracker):
                named = option_named(tracker.get_slot("remedy_options") or [], latest_text(tracker))
            if named is not None:  # the label typed out reads better than any intent
                return [SlotSet("remedy", named["kind"])]
            added = await self._added_facts(dispatcher, tracker)
            return added if added is not None else await super().run(dispatcher, tracker, domain)
        law = await load_law_facts(tracker)
        if law is None:
            return await super().run(dispatcher, tracker, domain)
        s = svc()
        complaint_id = tracker.get_slot("complaint_id")
        text = latest_text(tracker)
        answer = law_facts.read_answer(key, text, law.food)
        if not answer.settles:
            intent = latest_intent(tracker)
            chosen = REMEDY_INTENTS.get(intent or "")
            if chosen and option_for(tracker.get_slot("remedy_options") or [], chosen):
                law.settled.append(key)  # the customer chose a remedy: the question is dropped
                await s.complaints.add_facts(complaint_id, text, law.as_record(law.stated()))
                return await super().run(dispatcher, tracker, domain)
            if intent in OWN_QUESTIONS:
                return await super().run(dispatcher, tracker, domain)  # answered by its rule first
        law.answers.update(answer.facts)
        gave_up = not answer.settles and law.asked.get(key, 0) >= law_facts.MAX_ASKS
        if answer.settles or gave_up:
            law.settled.append(key)
        stated = law.stated(text)
        decision = await assess_with_facts(tracker, stated)
        law.missing = list(decision.missing_facts)
        await s.complaints.add_facts(complaint_id, text, law.as_record(stated))
        if answer.settles or gave_up:
            dispatcher.utter_message(text=texts.fact_noted(answer.status == "unknown" or gave_up, said_so_far(tracker)))
        return [SlotSet("remedy", None), *offer_events(decision)]

    async def _added_facts(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        """A message at the menu that states a fact the law needs ("对了，修天花板花了两千块") adds
        it: the options are made again and shown, rather than reading 修 as 'repair'."""
        text = latest_text(tracker)
        if answered_already(tracker) or not text or text.startswith("/"):
            return None
        law = await load_law_facts(tracker)
        if law is None:
            return None
        stated = law.stated(text)
        if law_facts.to_json(stated) == (law.record.get("law_facts") or {}):
            return None
        decision = await assess_with_facts(tracker, stated)
        law.missing = list(decision.missing_facts)
        await svc().complaints.add_facts(tracker.get_slot("complaint_id"), text, law.as_record(stated))
        dispatcher.utter_message(text=texts.fact_noted(False, said_so_far(tracker)))
        return [SlotSet("remedy", None), *offer_events(decision)]

    async def validate_remedy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        options = tracker.get_slot("remedy_options") or []
        kinds = [o["kind"] for o in options]
        if value in ("first", "rejected") and menu_made_this_turn(tracker):
            return {"remedy": None}  # a yes or no to the question before the menu ("没有", "好的")
        if value == "first" and kinds:
            return {"remedy": kinds[0]}
        if value in kinds:
            return {"remedy": value}
        chosen = option_for(options, value)
        if chosen is not None:  # compensation, offered inside a package
            return {"remedy": chosen["kind"]}
        if value == "rejected":
            rejections = int(tracker.get_slot("remedy_rejections") or 0) + 1
            if rejections >= svc().kb.service.bot.max_failures_before_handoff:
                return {"remedy": "rejected", "remedy_rejections": rejections}
            dispatcher.utter_message(text=texts.remedy_reconsider(rejections))
            return {"remedy": None, "remedy_rejections": rejections}
        if value in svc().kb.remedies.kinds:
            dispatcher.utter_message(text=texts.remedy_unavailable(svc().kb.remedy_label(value), options))
        return {"remedy": None}


def menu_made_this_turn(tracker: Tracker) -> bool:
    """The remedies were offered after the latest customer message: it cannot be about them."""
    after = since_latest_message(tracker)
    events = list(tracker.events) if after is None else after
    return any(e.get("event") == "slot" and e.get("name") == "remedy_options" for e in events)


async def confirm_remedy(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str | None) -> bool:
    """Record the chosen remedy and tell the customer what happens next; False if not offered."""
    s = svc()
    option = option_for(tracker.get_slot("remedy_options") or [], kind)
    if option is None:
        return False
    complaint_id = tracker.get_slot("complaint_id")
    if complaint_id:
        chosen = RemedyOption.from_dict(option)
        await s.complaints.record_remedy(complaint_id, chosen)
        if chosen.needs_approval:
            # A supervisor approves it from the console queue; the bot carries on meanwhile.
            now = shop_now(s.kb.service.timezone)
            queued = await s.complaints.request_approval(tracker.sender_id, channel_of(tracker), complaint_id, now)
            if queued:
                await s.live.queue_changed("new", queued, 2)
    bulky = s.kb.bulky(real_product(tracker.get_slot("product")))
    text = texts.remedy_confirmed(option, s.kb.policies.sla_minutes[2], bulky)
    if text in said_so_far(tracker):  # back to a remedy confirmed before: not the same words again
        text = texts.remedy_confirmed_again(option["label"])
    dispatcher.utter_message(text=text)
    return True


class ActionConfirmRemedy(Action):
    def name(self) -> str:
        return "action_confirm_remedy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        remedy = tracker.get_slot("remedy")
        if remedy == "rejected":
            return await hand_off(dispatcher, tracker, ["remedies_rejected"])
        await confirm_remedy(dispatcher, tracker, remedy)
        return [SlotSet("stage", "followup")]


class ActionChangeRemedy(Action):
    """The customer changes their mind about the remedy after confirming it."""

    def name(self) -> str:
        return "action_change_remedy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        wanted = REMEDY_INTENTS.get(latest_intent(tracker) or "") or tracker.get_slot("wish")
        option = option_for(tracker.get_slot("remedy_options") or [], wanted)
        if option is not None and await confirm_remedy(dispatcher, tracker, option["kind"]):
            return [SlotSet("remedy", option["kind"])]
        kb = svc().kb
        label = kb.remedy_label(wanted) if wanted in kb.remedies.kinds else "调整方案"
        dispatcher.utter_message(text=texts.remedy_unavailable(label, tracker.get_slot("remedy_options") or []))
        return []


class ActionAskFollowupTime(Action):
    def name(self) -> str:
        return "action_ask_followup_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        labels = [o.label for o in svc().kb.service.followup_offers]
        asks = asks_of(tracker)
        asks["followup_time"] = asks.get("followup_time", 0) + 1
        question = texts.ask_followup() if asks["followup_time"] == 1 else texts.followup_unclear(labels)
        dispatcher.utter_message(text=question, buttons=[{"title": label, "payload": label} for label in
                                                         [*labels, "随时都行"]])
        return [SlotSet("fact_asks", asks)]


class ValidateFollowupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_followup_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        """The address and time window come first, only when the remedy's work orders need them
        (work_facts.py); the domain lists them for Rasa's slot-mapping checks."""
        rest = [slot for slot in domain_slots if slot not in work_facts.WORK_SLOTS]
        return [*await work_facts.still_to_ask(tracker), *rest]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """"不知道 / 等会儿再说" is an answer whatever its intent (asked again, with the options);
        back from an interruption after the second question, the first offer is booked."""
        requested = tracker.get_slot("requested_slot")
        if requested in work_facts.WORK_SLOTS and tracker.get_slot(requested) is None:
            gap = not answered_already(tracker) and form_answers.read_gap(latest_text(tracker)) is not None
            if gap:
                tracker.add_slots([SlotSet(requested, latest_text(tracker))])
            elif answered_already(tracker) and work_facts.unanswered_after_interruptions(tracker, requested):
                dispatcher.utter_message(text=work_facts.later_line(requested))  # asked twice: a colleague calls
                tracker.add_slots([SlotSet(requested, work_facts.LATER)])
        if tracker.get_slot("requested_slot") == "followup_time" and tracker.get_slot("followup_time") is None:
            first = svc().kb.service.followup_offers[0].label
            if answered_already(tracker) and asks_of(tracker).get("followup_time", 0) >= MAX_ASKS:
                dispatcher.utter_message(text=texts.followup_default(first))
                tracker.add_slots([SlotSet("followup_time", first)])
            elif not answered_already(tracker) and form_answers.read_gap(latest_text(tracker)) in (
                form_answers.GAP_UNKNOWN, form_answers.GAP_LATER
            ):
                tracker.add_slots([SlotSet("followup_time", latest_text(tracker))])
        return await super().run(dispatcher, tracker, domain)

    async def validate_work_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await work_facts.validate_address(value, dispatcher, tracker)

    async def validate_work_window(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await work_facts.validate_window(value, dispatcher, tracker)

    async def validate_followup_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        s = svc()
        gap = form_answers.read_gap(latest_text(tracker))  # 不知道 / 等会儿说 is no refusal
        if latest_intent(tracker) == "deny" and gap in (None, form_answers.GAP_NONE):
            return {"followup_time": "declined", "followup_at": None}
        service = s.kb.service
        now = shop_now(service.timezone)
        first = service.followup_offers[0]
        parsed = parse_followup_time(
            str(value or ""), now, service.quiet_hours.start, service.quiet_hours.end, (first.days, first.time)
        )
        if parsed is None and asks_of(tracker).get("followup_time", 0) >= MAX_ASKS:
            # asked twice: the first offer is booked, and it can still be changed
            parsed = parse_followup_time(first.label, now, service.quiet_hours.start, service.quiet_hours.end,
                                         (first.days, first.time))
            dispatcher.utter_message(text=texts.followup_default(first.label))
        if parsed is None:
            return {"followup_time": None}  # action_ask_followup_time asks again, with the options
        if parsed.moved_out_of_quiet_hours:
            dispatcher.utter_message(text=texts.followup_moved(describe(parsed.when, now)))
        return {"followup_time": str(value), "followup_at": parsed.when.isoformat()}


class ActionScheduleFollowup(Action):
    def name(self) -> str:
        return "action_schedule_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        complaint_id = tracker.get_slot("complaint_id")
        progress = await s.complaints.progress(tracker.sender_id)
        reference = progress.reference if progress else None
        at = tracker.get_slot("followup_at")
        if tracker.get_slot("followup_time") == "declined" or not at:
            dispatcher.utter_message(text=texts.followup_declined(reference))
        else:
            when = datetime.fromisoformat(at)
            if complaint_id:
                await s.complaints.schedule_followup(complaint_id, tracker.sender_id, channel_of(tracker), when)
            now = shop_now(s.kb.service.timezone)
            dispatcher.utter_message(
                text=texts.followup_booked(describe(local(s.kb.service, when), now), channel_of(tracker), reference)
            )
        dispatcher.utter_message(response="utter_thank_close")
        return [SlotSet("stage", "closed")] + [SlotSet(name, None) for name in FLOW_RESET]


class ActionAnswerPolicy(Action):
    def name(self) -> str:
        return "action_answer_policy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = svc().kb
        text = latest_text(tracker)
        best, best_score = None, 0
        for entry in kb.faq.faq:
            score = sum(len(k) for k in entry.keywords if k in text)
            if score > best_score:
                best, best_score = entry, score
        topics = ["七天无理由退货", "三包政策", "退款时效", "运费", "保修和维修"]
        dispatcher.utter_message(text=texts.policy_answer(best.answer if best else None, topics))
        return []


class ActionReportProgress(Action):
    def name(self) -> str:
        return "action_report_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        progress = await s.complaints.progress(tracker.sender_id)
        dispatcher.utter_message(text=texts.progress_text(progress, shop_now(s.kb.service.timezone)))
        return []


class ActionNoteInform(Action):
    def name(self) -> str:
        return "action_note_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = svc()
        complaint_id = tracker.get_slot("complaint_id")
        phone = entity(tracker, "phone")
        facts = _facts(tracker)
        if phone:
            facts["phone"] = await s.complaints.attach_customer_phone(tracker.sender_id, channel_of(tracker), phone)
        open_case = bool(complaint_id) and tracker.get_slot("stage") != "closed"
        order_id = late_order_id(tracker)
        late = await take_late_order(dispatcher, tracker, order_id) if order_id else None
        if late is not None:
            return late
        if not _in_flow(tracker) and _names_a_product(tracker):
            # "我的电水壶坏了" read as a bare fact: it is a complaint about that product.
            return await open_complaint(dispatcher, tracker, "quality") + [FollowupAction("complaint_form")]
        if open_case:
            await s.complaints.add_facts(complaint_id, latest_text(tracker), facts)
            if await hear_losses(dispatcher, tracker, complaint_id):
                return await hear_wishes(dispatcher, tracker)
        wished = await hear_wishes(dispatcher, tracker)
        if not (wished and open_case):
            dispatcher.utter_message(text=texts.noted(open_case, said_so_far(tracker)))
        return wished


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not _in_flow(tracker) and _names_a_product(tracker) and not tracker.active_loop_name:
            # Unsure of the intent, sure of the product: treat it as a complaint about it.
            return await open_complaint(dispatcher, tracker, "quality") + [FollowupAction("complaint_form")]
        if tracker.active_loop_name == "followup_form" and tracker.get_slot("requested_slot") in work_facts.WORK_SLOTS:
            return []  # an address or a time the NLU did not place: the form reads it next
        dispatcher.utter_message(text=fresh_line(tracker, svc().kb.language.fallback))
        return []


async def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, extra_reasons: list[str]) -> list[EventType]:
    """Tell the customer a senior colleague takes over, record the handoff, pause the bot."""
    s = svc()
    sig = signal(tracker)
    reasons = list(dict.fromkeys([*(sig.get("reasons") or []), *extra_reasons]))
    if not reasons:
        reasons = ["bot_failed_twice"]
    now = shop_now(s.kb.service.timezone)
    ticket = await s.complaints.record_handoff(
        tracker.sender_id, channel_of(tracker), tracker.get_slot("complaint_id"), reasons, now
    )
    await s.live.queue_changed("new", ticket.id, 3)
    when_text = describe(local(s.kb.service, ticket.callback_at), now) if ticket.callback_at else None
    phone = entity(tracker, "phone")
    masked = await s.complaints.attach_customer_phone(tracker.sender_id, channel_of(tracker), phone) if phone else None
    dispatcher.utter_message(text=texts.handoff_text(ticket, reasons, when_text, masked, s.kb.language.safety_advice))
    return [
        SlotSet("stage", "handed_off"),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ConversationPaused(),
    ]


class ActionResumeAfterAgent(Action):
    """Run by the console when a person hands the conversation back: continue at the stage."""

    NEXT = {"remedy": "remedy_form", "followup": "followup_form", "facts": "complaint_form"}

    def name(self) -> str:
        return "action_resume_after_agent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        stage = str(tracker.get_slot("stage") or "listening")
        dispatcher.utter_message(text=texts.resume_line(stage))
        follow = self.NEXT.get(stage)
        if follow is None:
            return [SlotSet("stage", "closed" if stage == "closed" else "listening")]
        events: list[EventType] = [SlotSet("requested_slot", None)]
        if stage == "followup":
            events += [SlotSet("followup_time", None), SlotSet("followup_at", None)]
        if stage == "remedy":
            events += [SlotSet("remedy", None)]
        return events + [FollowupAction(follow)]


class ActionFollowupCheck(Action):
    """Run by the scheduler when a follow-up (回访) is due: ask whether it was solved."""

    def name(self) -> str:
        return "action_followup_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference, remedy_label = await svc().complaints.followup_context(tracker.get_slot("complaint_id"))
        dispatcher.utter_message(text=texts.followup_check(reference, remedy_label))
        return [SlotSet("stage", "csat"), SlotSet("requested_slot", None)] + [
            SlotSet(name, None) for name in CSAT_SLOTS
        ] + [FollowupAction("csat_form")]


class ValidateCsatForm(FormValidationAction):
    """Unclear answers are simply asked again (with the buttons)."""

    def name(self) -> str:
        return "validate_csat_form"

    def validate_csat_solved(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        answer = answers.solved(str(value or ""))
        return {"csat_solved": None if answer is None else ("yes" if answer else "no")}

    def validate_csat_score(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        rating = answers.score(str(value or ""))
        return {"csat_score": str(rating) if rating else None}

    def validate_csat_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if value is None:  # the form validates the slots it was started with, all empty
            return {"csat_comment": None}
        return {"csat_comment": answers.comment(str(value)) or "none"}


class ActionCsatSubmit(Action):
    """Solved and rated 4-5: close with thanks. Otherwise reopen, apologise, hand to a person."""

    def name(self) -> str:
        return "action_csat_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        solved = tracker.get_slot("csat_solved") == "yes"
        rating = int(tracker.get_slot("csat_score") or 1)
        comment = tracker.get_slot("csat_comment")
        reference = await svc().complaints.record_csat(
            tracker.get_slot("complaint_id"), tracker.get_slot("followup_id"), solved, rating,
            None if comment in (None, "none") else str(comment),
        )
        reset = [SlotSet(name, None) for name in (*CSAT_SLOTS, "followup_id")]
        if solved and rating >= 4:
            dispatcher.utter_message(text=texts.csat_thanks())
            return reset + [SlotSet("stage", "closed")]
        dispatcher.utter_message(text=texts.csat_reopened(reference, solved))
        return reset + await hand_off(dispatcher, tracker, ["low_csat" if solved else "followup_unsolved"])


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        sig = signal(tracker)
        extra = [] if sig.get("handoff") else ["bot_failed_twice"]
        intent = (tracker.latest_message or {}).get("intent") or {}
        if intent.get("name") == "request_human" and float(intent.get("confidence") or 0) >= CONFIDENT:
            extra.append("asked_for_person")
        return await hand_off(dispatcher, tracker, extra)
