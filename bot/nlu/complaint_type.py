"""The complaint type from what went wrong: a primary type and, when a message has several
problems, a secondary one.

A multinomial logistic regression over character n-grams and the cue words of
knowledge_base/complaint_types.yml (态度 → service, 上门/没来 → after_sales, 多扣 → billing…).
The training labels follow the decision table in docs/COMPLAINT_TYPES.md: the intent of every
complain_* example, the labelled corpus reviews, and the danger examples of the handoff set
(incident). The secondary type is the best other type of any sentence of a long message, or
a close second for the whole message. Each text's sentence vector (bot/nlu/sentence_vectors.py)
enters beside the n-grams and cues, scaled by `sentence_weight`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression

from bot.knowledge import KnowledgeBase
from bot.nlu import sentence_vectors
from bot.nlu.fastpath import CompiledMulticlass
from bot.nlu.textmodel import Featurizer, segments

TYPES = ("quality", "service", "billing", "delivery", "after_sales", "incident")
SECONDARY_WHOLE = 0.25  # a close second for the whole message
SECONDARY_SENTENCE = 0.6  # a sentence that is clearly about another type
SENTENCE_WEIGHT = 0.5


@dataclass(frozen=True)
class TypeGuess:
    primary: str
    confidence: float
    secondary: str | None
    scores: dict[str, float]

    def as_dict(self) -> dict:
        return {"primary": self.primary, "confidence": round(self.confidence, 4),
                "secondary": self.secondary,
                "scores": {k: round(v, 4) for k, v in self.scores.items()}}


def cue_features(text: str, cues: dict[str, list[str]]) -> dict[str, float]:
    return {f"cue={kind}:{word}": 1.0 for kind, words in cues.items() for word in words if word in text} | {
        f"cue={kind}": 1.0 for kind, words in cues.items() if any(word in text for word in words)
    }


def kb_cues(kb: KnowledgeBase) -> dict[str, list[str]]:
    return {name: list(info.cues) for name, info in kb.complaint_types.types.items()}


class ComplaintTypeModel:
    def __init__(self, featurizer: Featurizer, model: LogisticRegression, cues: dict[str, list[str]],
                 sentence_weight: float = 0.0) -> None:
        self.featurizer = featurizer
        self.model = model
        self.cues = cues
        self.sentence_weight = sentence_weight

    @classmethod
    def fit(cls, pairs: list[tuple[str, str]], cues: dict[str, list[str]], c: float = 8.0,
            sentence_weight: float = SENTENCE_WEIGHT) -> ComplaintTypeModel:
        texts = [text for text, _ in pairs]
        named = [cue_features(t, cues) for t in texts]
        featurizer = Featurizer().fit(texts, named)
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        guesser = cls(featurizer, model, cues, sentence_weight)
        model.fit(guesser._features(texts), [label for _, label in pairs])
        return guesser

    def _features(self, texts: list[str]) -> csr_matrix:
        matrix = self.featurizer.transform(texts, [cue_features(t, self.cues) for t in texts])
        weight = getattr(self, "sentence_weight", 0.0)  # absent in models trained before it
        if not weight:
            return matrix
        return hstack([matrix, csr_matrix(sentence_vectors.vectors(texts) * weight)], format="csr")

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def guess(self, text: str) -> TypeGuess:
        parts = segments(text)
        matrix = self._features(parts)
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self._compiled = CompiledMulticlass(self.model)
        probabilities = compiled.probabilities(matrix)
        labels = compiled.classes
        whole = dict(zip(labels, (float(p) for p in probabilities[0]), strict=True))
        primary = max(whole, key=whole.__getitem__)
        secondary = None
        others = {label: p for label, p in whole.items() if label != primary}
        if others:
            best = max(others, key=others.__getitem__)
            if others[best] >= SECONDARY_WHOLE:
                secondary = best
        for row in probabilities[1:]:
            sentence = dict(zip(labels, (float(p) for p in row), strict=True))
            top = max(sentence, key=sentence.__getitem__)
            if top != primary and sentence[top] >= SECONDARY_SENTENCE and secondary is None:
                secondary = top
        return TypeGuess(primary, whole[primary], secondary, whole)
