"""Domain responses without repeats: a variant the customer already read in this conversation
is passed over while another is left (bot.dialogue.variety), e.g. "好的，我们继续。" twice."""

from __future__ import annotations

import copy
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.variety import fresh


class FreshResponses(TemplatedNaturalLanguageGenerator):
    """Rasa's templated responses, choosing among the variants not yet said to this customer."""

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        filled_slots = tracker.current_slot_values()
        if utter_action not in self.responses:
            return None
        variants = ResponseVariationFilter(self.responses).responses_for_utter_action(
            utter_action, output_channel, filled_slots
        )
        texts = [v.get("text") for v in variants]
        if not variants or not all(texts):
            return self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
        said = [e.text for e in tracker.events if isinstance(e, BotUttered) and e.text]
        chosen = variants[texts.index(fresh(texts, said))]
        return self._fill_response(copy.deepcopy(chosen), filled_slots, **kwargs)
