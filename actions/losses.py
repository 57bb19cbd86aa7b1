"""The customer's own loss (bot/consequences.py): recorded on the complaint in their words and
acknowledged once per kind in the reply, after the empathy line."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, latest_text, svc
from bot import consequences


def _food_goods(tracker: Tracker) -> bool:
    product = svc().kb.product(str(tracker.get_slot("product") or entity(tracker, "product") or ""))
    return bool(product and product.food)


async def hear_losses(dispatcher: CollectingDispatcher, tracker: Tracker, complaint_id: str | None) -> bool:
    """Record the losses the latest message states (new kinds only) and say they were heard;
    True when something was said."""
    said = consequences.read(latest_text(tracker), _food_goods(tracker))
    if not said or not complaint_id:
        return False
    s = svc()
    known = (await s.complaints.complaint_facts(complaint_id)).get("consequences") or []
    kinds = {c.get("kind") for c in known}
    new = [c for c in said if c.kind not in kinds]
    if not new:
        return False
    await s.complaints.add_facts(complaint_id, None, {"consequences": consequences.merged(known, new)})
    dispatcher.utter_message(text="".join(s.kb.language.consequence_ack[c.kind] for c in new))
    return True
