"""The compiled inference (bot/nlu/fastpath.py) gives the numbers scikit-learn gives, for the
settings the project's models use, on ordinary, empty and never-seen text."""

from __future__ import annotations

import jieba
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.nlu.fastpath import CompiledMulticlass, CompiledTfidf, StackedBinary

TRAIN = [
    ("冰箱不制冷了", "quality"), ("洗衣机漏水", "quality"), ("耳机没声音", "quality"),
    ("快递三天还没到", "delivery"), ("包裹压坏了", "delivery"), ("物流一直不更新", "delivery"),
    ("多扣了我五十块", "billing"), ("优惠券没用上", "billing"), ("价格不对", "billing"),
    ("客服态度很差", "service"), ("快递员骂人", "service"), ("店员爱答不理", "service"),
]
PROBES = ["冰箱漏水还没到", "", "   ", "鹅鹅鹅曲项向天歌", "客服客服客服态度态度", "😀😀", "a" * 500]


def words(text: str) -> list[str]:
    return [w for w in jieba.cut(text) if w.strip()]


def vectorizers() -> list[TfidfVectorizer]:
    texts = [t for t, _ in TRAIN]
    return [TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(texts),
            TfidfVectorizer(tokenizer=words, ngram_range=(1, 2), sublinear_tf=True, token_pattern=None).fit(texts),
            TfidfVectorizer(analyzer="char", ngram_range=(1, 2)).fit(texts)]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_tfidf_transform_matches(index: int) -> None:
    vectorizer = vectorizers()[index]
    expected = vectorizer.transform(PROBES).toarray()
    assert np.allclose(CompiledTfidf(vectorizer).transform(PROBES).toarray(), expected)


@pytest.mark.parametrize("solver", ["liblinear", "lbfgs"])
def test_multiclass_probabilities_match(solver: str) -> None:
    vectorizer = vectorizers()[0]
    matrix = vectorizer.transform([t for t, _ in TRAIN])
    model = LogisticRegression(C=10, solver=solver, class_weight="balanced", max_iter=2000)
    model.fit(matrix, [label for _, label in TRAIN])
    probes = vectorizer.transform(PROBES)
    compiled = CompiledMulticlass(model)
    assert compiled.classes == [str(c) for c in model.classes_]
    assert np.allclose(compiled.probabilities(probes), model.predict_proba(probes))


def test_stacked_binary_models_match_each_model() -> None:
    vectorizer = vectorizers()[0]
    matrix = vectorizer.transform([t for t, _ in TRAIN])
    models = [LogisticRegression(C=8, solver="liblinear", class_weight="balanced").fit(
        matrix, [int(label == kind) for _, label in TRAIN]) for kind in ("quality", "delivery", "service")]
    probes = vectorizer.transform(PROBES)
    stacked = StackedBinary(models).probabilities(probes)
    for column, model in enumerate(models):
        assert np.allclose(stacked[:, column], model.predict_proba(probes)[:, 1])
