"""Rasa graph components for Chinese complaints (referenced from config.yml).

Order in the pipeline: ChineseNormalizer → KnowledgeBaseJiebaTokenizer → LinearIntentClassifier
→ FallbackClassifier → RegexEntityExtractor → KnowledgeBaseEntityExtractor →
EntitySynonymMapper → ComplaintTypeClassifier → HandoffClassifier (docs/NLU.md).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge import load_knowledge_base
from bot.nlu import code_files, corpus, sentence_vectors
from bot.nlu.complaint_type import ComplaintTypeModel, kb_cues
from bot.nlu.entities import find_amounts, find_dates
from bot.nlu.handoff_model import (
    HAZARDS,
    HandoffExample,
    HandoffModel,
    examples_from_intents,
    load_signal_file,
)
from bot.nlu.intent_model import SENTENCE_WEIGHT, IntentModel
from bot.nlu.lexicon import add_jieba_words, lexicon_matcher
from bot.nlu.normalize import DEFAULT_CHAR_LIMIT, normalize, normalize_text
from bot.severity import CONFIDENT, HANDOFF_INTENTS, Thresholds, decide
from bot.training.data import training_root

NORMALIZATION = "normalization"
QINGTING = "qingting"
COMPLAINT_TYPE = "complaint_type"
# The handoff classifier's labelled sets: every nlu/handoff_signals*.yml (top-level `handoff:`).
SIGNALS_FILE = "nlu/handoff_signals*.yml"
INTENT_RANKING = "intent_ranking"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseNormalizer(GraphComponent):
    """NFKC, traditional→simplified, whitespace, length cap — for training and inference alike."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"char_limit": DEFAULT_CHAR_LIMIT}

    def __init__(self, config: dict[str, Any]) -> None:
        self._limit = int(config["char_limit"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseNormalizer:
        return cls(config)

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        result = normalize(text, self._limit)
        message.set(TEXT, result.text)
        message.set(
            NORMALIZATION,
            {"original_length": result.original_length, "truncated": result.truncated},
            add_to_output=True,
        )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class KnowledgeBaseJiebaTokenizer(JiebaTokenizer):
    """jieba with the products and policy terms of knowledge_base/ as its user dictionary.

    The words come from the knowledge base at start-up rather than from a copied file, so a
    product added there is segmented whole without hand-editing a dictionary. Whitespace
    tokens (which jieba emits) are dropped.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseJiebaTokenizer:
        add_jieba_words(load_knowledge_base().jieba_words())
        return cls(config, model_storage, resource)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        kept = [token for token in tokens if token.text.strip()]
        if not kept and tokens:
            # Rasa needs at least one token per message; keep a placeholder for blanks.
            return tokens[:1]
        return kept


class _StatelessComponent(GraphComponent):
    """A rule component: nothing to configure, train or persist."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _StatelessComponent:
        return cls()


def _tokens_of(message: Message) -> list[tuple[str, int]] | None:
    tokens = message.get(TOKENS_NAMES[TEXT])
    if not tokens:
        return None
    return [(token.text, token.start) for token in tokens]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class KnowledgeBaseEntityExtractor(_StatelessComponent, EntityExtractorMixin):
    """Products (spaCy PhraseMatcher over the jieba tokens), amounts and dates."""

    def process(self, messages: list[Message]) -> list[Message]:
        matcher = lexicon_matcher()
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {"entity": "product", "value": m.key, "start": m.start, "end": m.end}
                for m in matcher.products(text, _tokens_of(message))
            ]
            for span in [*find_amounts(text), *find_dates(text)]:
                found.append(
                    {"entity": span.entity, "value": span.value, "start": span.start, "end": span.end}
                )
            if found:
                entities = message.get(ENTITIES, []) + self.add_extractor_name(found)
                message.set(ENTITIES, entities, add_to_output=True)
        return messages


def _project_file(relative: str) -> Path:
    return training_root() / relative


def _files_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.name).encode() + b"\0")
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _signal_files(config: dict[str, Any]) -> list[Path]:
    """The labelled handoff files named by the `signals_file` pattern, in a stable order.

    Rasa's training cache hands `fingerprint_addon` the node's config without the component's
    defaults (seen as a KeyError on a second training run), hence the fallback."""
    return sorted(training_root().glob(config.get("signals_file") or SIGNALS_FILE))


def _signal_examples(config: dict[str, Any]) -> list[HandoffExample]:
    return [example for path in _signal_files(config) for example in load_signal_file(path)]


def _signal_paths(config: dict[str, Any]) -> list[Path]:
    kb_dir = load_knowledge_base().directory
    return [*_signal_files(config), *corpus.label_files(_project_file("nlu")),
            kb_dir / "lexicons.yml", kb_dir / "complaint_types.yml"]


class _PickledModelComponent(GraphComponent):
    """A trainable component whose whole state is one pickled model object."""

    FILE = "model.pkl"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> _PickledModelComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # The labelled files are read by the component itself, not passed through the graph;
        # and the model's code is part of what the pickled model is made from.
        return _files_digest([*_signal_paths(config), *code_files()]) + sentence_vectors.version()

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> _PickledModelComponent:
        try:
            with model_storage.read_from(resource) as directory:
                model = pickle.loads((directory / cls.FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            model = None  # untrained (e.g. `rasa train core`): the component passes messages on
        return cls(config, model_storage, resource, model)

    def _persist(self) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            (directory / self.FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


def _intent_pairs(training_data: TrainingData) -> list[tuple[str, str]]:
    return [(m.get(TEXT) or "", m.get(INTENT) or "") for m in training_data.intent_examples]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ComplaintTypeClassifier(_PickledModelComponent):
    """Primary and secondary complaint type from what went wrong (bot/nlu/complaint_type.py)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"signals_file": SIGNALS_FILE}

    def train(self, training_data: TrainingData) -> Resource:
        pairs = [(text, intent[len("complain_"):]) for text, intent in _intent_pairs(training_data)
                 if intent.startswith("complain_")]
        pairs += [(normalize_text(line.text), line.type) for line in
                  corpus.training_lines(_project_file("nlu")) if line.type]
        hazards = {f"danger:{h}" for h in HAZARDS}
        pairs += [(e.text, "incident") for e in _signal_examples(self._config) if e.classes & hazards]
        self._model = ComplaintTypeModel.fit(pairs, kb_cues(load_knowledge_base()))
        return self._persist()

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if text.strip():
                message.set(COMPLAINT_TYPE, self._model.guess(text).as_dict(), add_to_output=True)
        return messages


# The handoff classes settle the intent family (DOMAIN.md): harm to people is an incident,
# whatever product or request the message also names; a threat is an escalation; and so on.
# First match wins, so danger comes before everything else. An intent in `keep` already says
# the same thing in other words and stays.
_SETTLED_BY_REASON: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("danger:", "complain_incident", frozenset()),
    ("child_at_risk", "complain_incident", frozenset()),
    ("vulnerable_at_risk", "complain_incident", frozenset()),
    ("escalation", "threaten_escalation", frozenset({"request_human"})),
    ("asked_for_person", "request_human", frozenset({"threaten_escalation", "insult"})),
    ("abuse", "insult", frozenset({"threaten_escalation", "request_human"})),
)


def _settled_intent(intent: str | None, reasons: list[str]) -> str | None:
    for prefix, settled, keep in _SETTLED_BY_REASON:
        if any(reason.startswith(prefix) for reason in reasons):
            return None if intent == settled or intent in keep else settled
    return None


def _reconcile_intent(message: Message, handoff: bool, reasons: list[str]) -> None:
    """Make the intent agree with the handoff decision.

    A handoff intent (request_human…) the handoff classifier does not confirm gives way to the
    best other intent: "你是真人吗" or "不用转人工" must not read as a demand for a person. A
    handoff the classifier is sure of names the intent: "水壶炸了，我要退货" is an incident."""
    intent = message.get(INTENT) or {}
    name = intent.get("name")
    if handoff:
        settled = _settled_intent(name, reasons)
        if settled is not None:
            confidence = next((c.get("confidence", 0.0) for c in message.get(INTENT_RANKING) or []
                               if c.get("name") == settled), 0.0)
            message.set(INTENT, {"name": settled, "confidence": max(float(confidence), CONFIDENT)},
                        add_to_output=True)
            message.set("intent_reconciled_from", name, add_to_output=True)
        return
    if name not in HANDOFF_INTENTS:
        return
    for candidate in message.get(INTENT_RANKING) or []:
        if candidate.get("name") not in HANDOFF_INTENTS:
            message.set(INTENT, {"name": candidate["name"], "confidence": candidate.get("confidence", 0.0)},
                        add_to_output=True)
            message.set("intent_reconciled_from", name, add_to_output=True)
            return


def _reconcile_type(message: Message, reasons: list[str]) -> None:
    """Harm to a person is an incident whatever else went wrong (DOMAIN.md); what the type
    model saw first stays as the secondary type ("the kettle burst" is incident + quality)."""
    guess = message.get(COMPLAINT_TYPE)
    if not guess or not any(r.startswith("danger:") or r in _AT_RISK_REASONS for r in reasons):
        return
    if guess.get("primary") == "incident":
        return
    message.set(COMPLAINT_TYPE, {**guess, "primary": "incident", "secondary": guess.get("primary"),
                                 "settled_by": "handoff"}, add_to_output=True)


_AT_RISK_REASONS = {"child_at_risk", "vulnerable_at_risk"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class HandoffClassifier(_PickledModelComponent):
    """The handoff decision for every message: severity, handoff, reasons, and the evidence
    (lexicon markers) the agent sees. Trained on nlu/handoff_signals.yml and the NLU data."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = Thresholds()
        return {"signals_file": SIGNALS_FILE, "threshold": defaults.handoff,
                "danger_threshold": defaults.danger, "any_threshold": defaults.any}

    def _thresholds(self) -> Thresholds:
        return Thresholds(float(self._config["threshold"]), float(self._config["danger_threshold"]),
                          float(self._config["any_threshold"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = _signal_examples(self._config)
        examples += examples_from_intents(_intent_pairs(training_data))
        self._model = HandoffModel.fit(examples, lexicon_matcher())
        return self._persist()

    def process(self, messages: list[Message]) -> list[Message]:
        matcher = lexicon_matcher()
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            markers = matcher.markers(text, _tokens_of(message))
            scores = self._model.scores(text, matcher) if self._model is not None and text.strip() else {}
            assessment = decide(text, intent.get("name"), float(intent.get("confidence") or 0.0),
                                markers, scores, self._thresholds())
            _reconcile_intent(message, assessment.handoff, assessment.reasons)
            _reconcile_type(message, assessment.reasons)
            message.set(
                QINGTING,
                {
                    **assessment.as_dict(),
                    "markers": [{"label": m.label, "text": m.text} for m in markers],
                    "scores": {k: round(v, 4) for k, v in scores.items() if v >= 0.05},
                },
                add_to_output=True,
            )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(_PickledModelComponent):
    """Intents from a one-vs-rest logistic regression over character n-grams and jieba words.

    Measured against DIET (without transformer) on the held-out sets written in other styles
    (docs/NLU.md): more accurate on unseen styles and trained in seconds instead of minutes.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"signals_file": SIGNALS_FILE, "C": 30.0, "ranking_length": 10,
                "sentence_weight": SENTENCE_WEIGHT}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # the training data reaches it through the graph; the code and the sentence encoder's
        # weights are what the pickled model is made from
        return _files_digest(code_files()) + sentence_vectors.version()

    def train(self, training_data: TrainingData) -> Resource:
        pairs = [(text, intent) for text, intent in _intent_pairs(training_data) if text and intent]
        self._model = IntentModel.fit(pairs, float(self._config["C"]),
                                      float(self._config.get("sentence_weight", SENTENCE_WEIGHT)))
        return self._persist()

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        for message in messages:
            ranking = self._model.rank(message.get(TEXT) or "")[: int(self._config["ranking_length"])]
            message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
            message.set(INTENT_RANKING, [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
        return messages
