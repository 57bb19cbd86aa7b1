"""HandoffPolicy: hand the conversation to a person the moment the rules say so.

The NLU pipeline marks each message with the single-message handoff view; this policy adds
the history (two failures in a row) and predicts `action_handoff` with full confidence and
a priority above RulePolicy, so "转人工" works in any state, including inside a form.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

FALLBACK_INTENT = "nlu_fallback"


def failures_in_a_row(tracker: DialogueStateTracker) -> int:
    """How many of the latest user messages in a row the bot could not understand. A reply to
    one of the bot's fact questions (记不清了, 标签印错了) is read by the remedy form whatever
    the intent model made of it, so it is no failure and ends the run."""
    from bot.dialogue.texts import fact_question_key

    count = 0
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered):
            if event.intent_name != FALLBACK_INTENT:
                break
            asked = next((e for e in reversed(events[:index]) if isinstance(e, (BotUttered, UserUttered))), None)
            if isinstance(asked, BotUttered) and fact_question_key(asked.text):
                break
            count += 1
    return count


def handoff_wanted(tracker: DialogueStateTracker, max_failures: int) -> bool:
    message = tracker.latest_message
    if message is None:
        return False
    signal = (message.parse_data or {}).get("qingting") or {}
    return bool(signal.get("handoff")) or failures_in_a_row(tracker) >= max_failures


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True
)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7, "handoff_action": "action_handoff", "max_failures": 2}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Nothing to learn: the decision comes from the NLU signals and the history.
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.config["handoff_action"]
        if (
            tracker.latest_action_name == ACTION_LISTEN_NAME
            and action in domain.action_names_or_texts
            and handoff_wanted(tracker, int(self.config["max_failures"]))
        ):
            probabilities[domain.index_for_action(action)] = 1.0
            # Mark it like a rule's loop prediction so it also outranks an active form.
            return self._prediction(probabilities, is_no_user_prediction=True)
        return self._prediction(probabilities)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HandoffPolicy:
        return cls(config, model_storage, resource, execution_context)
