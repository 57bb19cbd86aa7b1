"""The customer's own wish first: heard in any message, acknowledged at once, kept on the
complaint for agents; an apology-only complaint gets its apology without an order number."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text, svc
from bot.dialogue import texts
from bot.dialogue.wishes import needs_no_order, read_wishes, wish_labels


def heard_wishes(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("customer_wishes") or [])


async def hear_wishes(
    dispatcher: CollectingDispatcher, tracker: Tracker, complaint_id: str | None = None
) -> list[EventType]:
    """Wishes the latest message states that were not heard before: each acknowledged in this
    reply, all recorded on the complaint (if there is one yet; otherwise when it opens)."""
    kb = svc().kb
    heard = heard_wishes(tracker)
    new = [key for key in read_wishes(kb, latest_text(tracker)) if key not in heard]
    if not new:
        return []
    for key in new:
        dispatcher.utter_message(text=kb.wishes.wishes[key].ack)
    heard += new
    await record_wishes(complaint_id or tracker.get_slot("complaint_id"), heard)
    events: list[EventType] = [SlotSet("customer_wishes", heard)]
    remedy = next((kb.wishes.wishes[key].remedy for key in heard if kb.wishes.wishes[key].remedy), None)
    if remedy and not tracker.get_slot("wish"):
        events.append(SlotSet("wish", remedy))
    return events


def wish_facts(tracker: Tracker) -> dict[str, str]:
    """The wishes heard so far, as the complaint records them."""
    heard = heard_wishes(tracker)
    return {"customer_wish": wish_labels(svc().kb, heard)} if heard else {}


async def record_wishes(complaint_id: str | None, wishes: list[str]) -> None:
    if complaint_id and wishes:
        await svc().complaints.add_facts(complaint_id, None, {"customer_wish": wish_labels(svc().kb, wishes)})


def wishes_need_no_order(tracker: Tracker) -> bool:
    return needs_no_order(svc().kb, heard_wishes(tracker))


async def apologise(dispatcher: CollectingDispatcher, tracker: Tracker, complaint_type: str) -> list[EventType]:
    """The apology-only complaint: a sincere apology, the feedback passed to the team concerned
    and recorded, then straight on to the follow-up (no order number, no remedy menu)."""
    kb = svc().kb
    team = kb.feedback_team(complaint_type)
    explain = "explanation" in heard_wishes(tracker)
    dispatcher.utter_message(text=texts.sincere_apology(kb.type_label(complaint_type), team, explain))
    complaint_id = tracker.get_slot("complaint_id")
    if complaint_id:
        await svc().complaints.record_apology(complaint_id, team)
    return [SlotSet("stage", "followup"), FollowupAction("followup_form")]
