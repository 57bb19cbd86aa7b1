"""The handoff classifier: which handoff classes a message belongs to, learned from examples.

Classes: danger by hazard (fire, gas, explosion, electric, burn, cut, choking, fall, food) and
who is at risk (child, vulnerable), escalation by kind (regulator, media, legal, dismissal),
person requested, abuse, ultimatum; "none" is the absence of all. One logistic regression per
class plus one for "any handoff", over character n-grams and the lexicon markers with their
scope (bot/nlu/scope.py) as named features. The lexicons are evidence, not a veto: "不用转人工"
and "上次打12315已经解决了" contain the words and are learned as negatives from the hard
negatives of nlu/handoff_signals.yml.

Training data: nlu/handoff_signals.yml (labelled, hard negatives included) plus the NLU
examples whose intent settles the class (request_human → person, insult → abuse, the flow
and ordinary complaint intents → none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression

from bot.nlu.fastpath import StackedBinary
from bot.nlu.lexicon import LexiconMatcher
from bot.nlu.normalize import normalize_text
from bot.nlu.scope import scoped_markers
from bot.nlu.textmodel import Featurizer, segments

HAZARDS = ("fire", "gas", "explosion", "electric", "burn", "cut", "choking", "fall", "food")
AT_RISK = ("danger:child", "danger:vulnerable")
ESCALATIONS = ("escalation:regulator", "escalation:media", "escalation:legal", "escalation:dismissal")
CLASSES = (*(f"danger:{h}" for h in HAZARDS), *AT_RISK, *ESCALATIONS, "person", "abuse", "ultimatum")
ANY = "any"
MIN_POSITIVES = 5
# Handoff class family → the lexicon family (knowledge_base/lexicons.yml) that is its evidence.
_FAMILY_MARKERS = {"danger": "danger", "escalation": "escalation", "person": "request_human", "abuse": "insult",
                   "ultimatum": "ultimatum"}
_FAMILIES = tuple(_FAMILY_MARKERS.values())

# NLU intents whose examples settle the handoff classes without a label of their own.
INTENT_CLASSES: dict[str, frozenset[str]] = {
    "request_human": frozenset({"person"}),
    "insult": frozenset({"abuse"}),
}
# Intents that may or may not be a handoff: their NLU examples are not used here.
UNSETTLED_INTENTS = {"complain_incident", "threaten_escalation"}


@dataclass(frozen=True)
class HandoffExample:
    text: str
    classes: frozenset[str]


def load_signal_file(path: Path) -> list[HandoffExample]:
    """The labelled set (top-level key `handoff:`, so Rasa's importer skips the file)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for item in data.get("handoff") or []:
        text = normalize_text(str(item.get("text") or ""))
        classes = frozenset(c for c in (item.get("classes") or []) if c in CLASSES)
        if text:
            examples.append(HandoffExample(text, classes))
    return examples


def examples_from_intents(pairs: Iterable[tuple[str, str]]) -> list[HandoffExample]:
    """(text, intent) pairs from the NLU data, where the intent settles the classes."""
    examples = []
    for text, intent in pairs:
        if not text or intent in UNSETTLED_INTENTS:
            continue
        examples.append(HandoffExample(text, INTENT_CLASSES.get(intent, frozenset())))
    return examples


MASK = "□"


def prepare(text: str, matcher: LexiconMatcher) -> tuple[str, dict[str, float]]:
    """The text with every out-of-scope marker masked, and the marker features.

    Features: each marker label, plain or with each scope flag it carries
    (m=danger:gas|negated). A marker that is negated, settled, asked about or supposed is
    masked in the text, so its characters cannot argue for a handoff through the n-grams;
    only its scoped feature speaks for it.
    """
    features: dict[str, float] = {}
    masked = list(text)
    for scoped in scoped_markers(text, matcher.markers(text)):
        label = scoped.match.label
        kind = label.split(":", 1)[0]
        if scoped.plain:
            features[f"m={label}"] = 1.0
            features[f"k={kind}"] = 1.0
        else:
            masked[scoped.match.start : scoped.match.end] = [MASK] * (scoped.match.end - scoped.match.start)
        for flag in scoped.flags:
            features[f"m={label}|{flag}"] = 1.0
            features[f"k={kind}|{flag}"] = 1.0
    return "".join(masked), features


class HandoffModel:
    """Per-class probabilities for a message (the maximum over its segments)."""

    def __init__(self, featurizer: Featurizer, models: dict[str, LogisticRegression]) -> None:
        self.featurizer = featurizer
        self.models = models

    @classmethod
    def fit(cls, examples: list[HandoffExample], matcher: LexiconMatcher, c: float = 8.0,
            balanced: bool = True) -> HandoffModel:
        texts, named = zip(*(prepare(e.text, matcher) for e in examples), strict=True)
        texts, named = list(texts), list(named)
        featurizer = Featurizer().fit(texts, named)
        matrix = featurizer.transform(texts, named)
        models: dict[str, LogisticRegression] = {}
        for label in (*CLASSES, ANY):
            y = [int(bool(e.classes) if label == ANY else label in e.classes) for e in examples]
            if sum(y) < MIN_POSITIVES:
                continue
            model = LogisticRegression(C=c, class_weight="balanced" if balanced else None,
                                       solver="liblinear", max_iter=1000)
            models[label] = model.fit(matrix, y)
        return cls(featurizer, models)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def scores(self, text: str, matcher: LexiconMatcher) -> dict[str, float]:
        prepared = [prepare(part, matcher) for part in segments(text)]
        matrix = self.featurizer.transform([p[0] for p in prepared], [p[1] for p in prepared])
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self._compiled = StackedBinary(list(self.models.values()))
        probabilities = compiled.probabilities(matrix)
        for row, (_, named) in enumerate(prepared[1:], start=1):
            probabilities[row] *= self._evidence_mask(named)
        best = probabilities.max(axis=0)  # each class: the whole message or its best sentence
        return {label: float(p) for label, p in zip(self.models, best, strict=True)}

    def _evidence_mask(self, named: dict[str, float]) -> np.ndarray:
        """Which classes one sentence of a long message may raise on its own: those with an
        in-scope lexicon marker of their family in that sentence. The whole message is scored
        without this condition; measured on the held-out set, no true handoff depended on a
        sentence alone while 50 false ones did (hotel and book reviews whose one sentence
        resembled a threat or a hazard)."""
        present = {key[2:] for key in named if key.startswith("k=") and "|" not in key}
        mask = [bool(present & set(_FAMILIES)) if label == ANY else _FAMILY_MARKERS[label.split(":")[0]] in present
                for label in self.models]
        return np.asarray(mask, dtype=np.float64)
