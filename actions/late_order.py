"""An order number the customer gives after the complaint form has finished (issue 20).

It is a claim like any other (bot/ownership.py). While the remedies are on offer and none is
chosen, the complaint form is opened again: it proves the order (a shop account or the WeChat
OpenID at once, else the last four digits of its phone), links it, and the complaint is assessed
again with the order, so the remedies the law gives for it are offered. Once a remedy is chosen
(also after the follow-up is booked, when the dialogue has let the complaint go but the records
have not), the number is kept on the complaint as claimed for a colleague to verify: the work
already agreed is not reopened by a message. So is a number whose proof already failed in this
conversation: saying it again buys no more guesses at its digits.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, svc
from actions.form_facts import ORDER_CHECK, UNVERIFIED, VERIFIED, order_check
from bot.dialogue import texts
from bot.orders import clean_order_id

REASSESS_STAGES = ("remedy",)  # remedies offered, none chosen yet


def late_order_id(tracker: Tracker) -> str | None:
    """The well-formed order number of the latest message, unless the complaint form is there
    to read it or it is the order already proven."""
    if tracker.active_loop_name == "complaint_form":
        return None
    order_id = clean_order_id(entity(tracker, "order_id"))
    check = order_check(tracker)
    if order_id is None or (check.get("order_id") == order_id and check.get("state") == VERIFIED):
        return None
    return order_id


async def take_late_order(dispatcher: CollectingDispatcher, tracker: Tracker,
                          order_id: str) -> list[EventType] | None:
    """The events that carry the late order on, or None when there is no complaint it can
    belong to (it is then the start of a new one)."""
    complaint_id = tracker.get_slot("complaint_id")
    check = order_check(tracker)
    settled = check.get("order_id") == order_id and check.get("state") == UNVERIFIED
    if complaint_id and tracker.get_slot("stage") in REASSESS_STAGES and not settled:
        # The form validates the number as on its first run (validate_order_id).
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(ORDER_CHECK, None),
                SlotSet("order_id", order_id), FollowupAction("complaint_form")]
    complaint_id = complaint_id or await svc().complaints.latest_open_complaint(tracker.sender_id)
    if complaint_id is None:
        return None
    await svc().complaints.add_facts(complaint_id, None, {"order_claimed": order_id, "order_verified": False})
    dispatcher.utter_message(text=texts.late_order_kept())
    return []
