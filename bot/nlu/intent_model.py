"""The intent model: one-vs-rest logistic regression over character 1-3 grams and jieba words.

Chosen over DIET by measurement (docs/NLU.md): on text in styles the training data does not
have, a well-regularised linear model over sparse n-grams generalises at least as well, and it
trains in seconds.
"""

from __future__ import annotations

import jieba
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def _words(text: str) -> list[str]:
    return [word for word in jieba.cut(text) if word.strip()]


class IntentModel:
    def __init__(self, chars: TfidfVectorizer, words: TfidfVectorizer, model: LogisticRegression) -> None:
        self.chars = chars
        self.words = words
        self.model = model

    @classmethod
    def fit(cls, pairs: list[tuple[str, str]], c: float = 30.0) -> IntentModel:
        texts = [text for text, _ in pairs]
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        words = TfidfVectorizer(tokenizer=_words, ngram_range=(1, 2), sublinear_tf=True, token_pattern=None)
        matrix = hstack([chars.fit_transform(texts), words.fit_transform(texts)]).tocsr()
        model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=3000)
        model.fit(matrix, [intent for _, intent in pairs])
        return cls(chars, words, model)

    def rank(self, text: str) -> list[tuple[str, float]]:
        matrix = hstack([self.chars.transform([text]), self.words.transform([text])]).tocsr()
        scores = self.model.predict_proba(matrix)[0]
        scores = scores / scores.sum()
        order = scores.argsort()[::-1]
        return [(str(self.model.classes_[i]), float(scores[i])) for i in order]
