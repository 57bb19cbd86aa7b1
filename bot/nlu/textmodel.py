"""Small linear text models shared by the handoff and complaint-type classifiers.

Character n-grams (robust to typos, homophones and missing word boundaries) plus named
features from the lexicons, fed to logistic regression: fast to train (seconds), fast to run
(well under a millisecond a message) and easy to inspect. Long messages are scored sentence
by sentence as well as whole, so a danger sentence buried in a rant is not diluted by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.fastpath import CompiledTfidf

_SENTENCE = re.compile(r"(?<=[。！!？?；;\n])")
_CLAUSE = re.compile(r"(?<=[，,])")
SHORT = 40  # characters: shorter messages are scored whole only
LONG_SENTENCE = 80


def segments(text: str) -> list[str]:
    """The whole text, and for long texts its sentences (long sentences split at commas)."""
    text = text.strip()
    if len(text) <= SHORT:
        return [text]
    parts: list[str] = []
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) > LONG_SENTENCE:
            parts.extend(p.strip() for p in _CLAUSE.split(sentence) if p.strip())
        else:
            parts.append(sentence)
    return [text, *parts] if len(parts) > 1 else [text]


class Featurizer:
    """Character 1-3 grams (TF-IDF) beside named binary features."""

    def __init__(self, max_features: int = 80_000) -> None:
        self.chars = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, max_features=max_features
        )
        self.named = DictVectorizer()

    def fit(self, texts: list[str], named: list[dict[str, float]]) -> Featurizer:
        self.chars.fit(texts)
        self.named.fit(named or [{}])
        return self

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def transform(self, texts: Iterable[str], named: Iterable[dict[str, float]]) -> csr_matrix:
        texts, named = list(texts), list(named)
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self._compiled = CompiledTfidf(self.chars)
        return hstack([compiled.transform(texts), self._named(named)], format="csr")

    def _named(self, named: list[dict[str, float]]) -> csr_matrix:
        """DictVectorizer.transform for binary named features, without its per-call checks."""
        vocabulary = self.named.vocabulary_
        indptr, indices, data = [0], [], []
        for features in named:
            for key, value in features.items():
                column = vocabulary.get(key)
                if column is not None:
                    indices.append(column)
                    data.append(value)
            indptr.append(len(indices))
        return csr_matrix((data, indices, indptr), shape=(len(named), len(vocabulary)), dtype=np.float64)
