"""Rasa graph components for Chinese complaints (referenced from config.yml).

Order in the pipeline: ChineseNormalizer → KnowledgeBaseJiebaTokenizer → featurizers →
DIET → FallbackClassifier → RegexEntityExtractor → KnowledgeBaseEntityExtractor →
EntitySynonymMapper → HandoffSignalAnnotator.
"""

from __future__ import annotations

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
from bot.nlu.entities import find_amounts, find_dates
from bot.nlu.lexicon import add_jieba_words, lexicon_matcher
from bot.nlu.normalize import DEFAULT_CHAR_LIMIT, normalize
from bot.severity import assess_message

NORMALIZATION = "normalization"
QINGTING = "qingting"


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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class HandoffSignalAnnotator(_StatelessComponent):
    """Adds the single-message handoff view (severity, handoff, reasons) to the parse data."""

    def process(self, messages: list[Message]) -> list[Message]:
        matcher = lexicon_matcher()
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            markers = matcher.markers(text, _tokens_of(message))
            assessment = assess_message(
                text, intent.get("name"), float(intent.get("confidence") or 0.0), markers
            )
            message.set(
                QINGTING,
                {
                    **assessment.as_dict(),
                    "markers": [{"label": m.label, "text": m.text} for m in markers],
                },
                add_to_output=True,
            )
        return messages
