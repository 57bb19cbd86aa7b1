"""The intent model: one-vs-rest logistic regression over character 1-3 grams and jieba words.

Chosen over DIET by measurement (docs/NLU.md): on text in styles the training data does not
have, a well-regularised linear model over sparse n-grams generalises at least as well, and it
trains in seconds.

A linear model normalised over 24 intents is confident about text it has never seen anything
like (a line of a Tang poem came out as a quality complaint at 0.6). So a message's confidence
is bounded by its familiarity: the share of its character pairs that occur anywhere in the
training data. Real customer text in new styles still shares most of its pairs with the
training data (the 1st percentile of the held-out sets is about 0.25); nonsense shares few,
drops below the fallback threshold and gets "please say it another way".

Beside the n-grams, each message's sentence vector (bot/nlu/sentence_vectors.py) enters as
dense features, scaled by `sentence_weight`: it carries meaning the n-grams of our own
training lines do not have (docs/NLU.md).
"""

from __future__ import annotations

import jieba
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.nlu import sentence_vectors
from bot.nlu.fastpath import CompiledMulticlass, CompiledTfidf

SENTENCE_WEIGHT = 0.5


def _words(text: str) -> list[str]:
    return [word for word in jieba.cut(text) if word.strip()]


def _pairs(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


class IntentModel:
    def __init__(self, chars: TfidfVectorizer, words: TfidfVectorizer, model: LogisticRegression,
                 known_pairs: frozenset[str] = frozenset(), sentence_weight: float = 0.0) -> None:
        self.chars = chars
        self.words = words
        self.model = model
        self.known_pairs = known_pairs
        self.sentence_weight = sentence_weight

    @classmethod
    def fit(cls, pairs: list[tuple[str, str]], c: float = 30.0,
            sentence_weight: float = SENTENCE_WEIGHT) -> IntentModel:
        texts = [text for text, _ in pairs]
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        words = TfidfVectorizer(tokenizer=_words, ngram_range=(1, 2), sublinear_tf=True, token_pattern=None)
        blocks = [chars.fit_transform(texts), words.fit_transform(texts)]
        if sentence_weight:
            blocks.append(csr_matrix(sentence_vectors.vectors(texts) * sentence_weight))
        model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=3000)
        model.fit(hstack(blocks).tocsr(), [intent for _, intent in pairs])
        known = frozenset(pair for text in texts for pair in _pairs(text))
        return cls(chars, words, model, known, sentence_weight)

    def familiarity(self, text: str) -> float:
        """The share of the text's character pairs seen in training (1.0 for one character)."""
        pairs = _pairs(text)
        known = getattr(self, "known_pairs", None)  # absent in models trained before it existed
        if not pairs or not known:
            return 1.0
        return len(pairs & known) / len(pairs)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def _fast(self) -> tuple[CompiledTfidf, CompiledTfidf, CompiledMulticlass]:
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = (CompiledTfidf(self.chars), CompiledTfidf(self.words), CompiledMulticlass(self.model))
            self._compiled = compiled
        return compiled

    def rank(self, text: str) -> list[tuple[str, float]]:
        chars, words, model = self._fast()
        blocks = [chars.transform([text]), words.transform([text])]
        weight = getattr(self, "sentence_weight", 0.0)  # absent in models trained before it
        if weight:
            blocks.append(csr_matrix(sentence_vectors.vectors([text]) * weight))
        matrix = hstack(blocks, format="csr")
        scores = model.probabilities(matrix)[0]
        order = scores.argsort()[::-1]
        bound = self.familiarity(text)
        return [(model.classes[i], min(float(scores[i]), bound)) for i in order]
