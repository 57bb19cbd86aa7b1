"""Lexicon matching built from the knowledge base.

Products: a spaCy PhraseMatcher over the jieba tokens (there is no real Chinese spaCy model
on the package index, so `spacy.blank("zh")` supplies the vocabulary and the tokens come from
jieba); token matching keeps 水壶 from firing inside 电水壶. Markers (escalation, insult,
danger…): substring matching with explicit exceptions, see `LexiconMatcher.markers`.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import jieba
import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.knowledge import KnowledgeBase, load_knowledge_base

_JIEBA_LOCK = threading.Lock()
_JIEBA_WORDS_ADDED: set[str] = set()

jieba.setLogLevel(60)  # jieba prints its cache build to stderr otherwise


def add_jieba_words(words: list[str]) -> None:
    """Teach jieba the knowledge-base vocabulary (idempotent, process-wide)."""
    with _JIEBA_LOCK:
        for word in words:
            if word not in _JIEBA_WORDS_ADDED:
                jieba.add_word(word, freq=2_000_000)
                _JIEBA_WORDS_ADDED.add(word)


def segment(text: str) -> list[str]:
    """jieba tokens without whitespace tokens (jieba emits them; they carry nothing)."""
    return [token for token in jieba.cut(text) if token.strip()]


@dataclass(frozen=True)
class Match:
    label: str  # e.g. "product", "escalation:media"
    key: str  # canonical value, e.g. "电水壶" or the matched marker
    text: str
    start: int  # character offsets in the text
    end: int


class LexiconMatcher:
    """Finds products and markers in a text, over jieba tokens."""

    def __init__(self, kb: KnowledgeBase) -> None:
        add_jieba_words(kb.jieba_words())
        self._nlp = spacy.blank("zh")  # only its vocab is used; tokens come from jieba
        self._products = PhraseMatcher(self._nlp.vocab)
        self._canonical: dict[str, str] = {}
        for word, product in kb.product_by_word.items():
            key = f"product|{product.name}"
            self._products.add(key, [self._doc(segment(word))])
        self._marker_phrases = [
            (label, phrase.lower()) for label, phrases in kb.marker_lists().items() for phrase in phrases
        ]
        self._not_markers = [word.lower() for word in kb.lexicons.not_markers]

    def _doc(self, words: list[str]) -> Doc:
        return Doc(self._nlp.vocab, words=words, spaces=[False] * len(words))

    def doc_from_tokens(self, tokens: list[tuple[str, int]]) -> tuple[Doc, list[int]]:
        words = [text for text, _ in tokens]
        return self._doc(words), [start for _, start in tokens]

    def _matches(self, matcher: PhraseMatcher, text: str, tokens: list[tuple[str, int]] | None):
        if tokens is None:
            tokens = []
            for word, start, _ in jieba.tokenize(text):
                if word.strip():
                    tokens.append((word, start))
        if not tokens:
            return []
        doc, starts = self.doc_from_tokens(tokens)
        found = []
        for match_id, begin, end in matcher(doc):
            label = self._nlp.vocab.strings[match_id]
            char_start = starts[begin]
            char_end = starts[end - 1] + len(doc[end - 1].text)
            found.append((label, char_start, char_end))
        return found

    def products(self, text: str, tokens: list[tuple[str, int]] | None = None) -> list[Match]:
        spans = self._matches(self._products, text, tokens)
        # Longest match wins where aliases overlap (电水壶 over 水壶).
        spans.sort(key=lambda s: (s[1], -(s[2] - s[1])))
        result: list[Match] = []
        covered_until = -1
        for label, start, end in spans:
            if start < covered_until:
                continue
            result.append(Match("product", label.split("|", 1)[1], text[start:end], start, end))
            covered_until = end
        return result

    def markers(self, text: str, tokens: list[tuple[str, int]] | None = None) -> list[Match]:
        """Escalation, insult, danger, anger… markers found in the text.

        Markers are matched as substrings, not tokens: jieba keeps idioms such as 气死我了
        whole, and a missed "着火" costs far more than a rare false alarm. Words listed in
        `not_markers` (人工智能, 滚筒…) mask the markers they contain.
        """
        lowered = text.lower()
        masked = [False] * len(lowered)
        for word in self._not_markers:
            for hit in re.finditer(re.escape(word), lowered):
                for index in range(hit.start(), hit.end()):
                    masked[index] = True
        found: list[Match] = []
        for label, phrase in self._marker_phrases:
            for hit in re.finditer(_marker_pattern(phrase), lowered):
                if all(masked[hit.start() : hit.end()]):
                    continue
                found.append(Match(label, phrase, text[hit.start() : hit.end()], hit.start(), hit.end()))
        return found


@functools.lru_cache(maxsize=512)
def _marker_pattern(phrase: str) -> re.Pattern[str]:
    """A hotline number (12315, 12345) is a marker only on its own, never inside a phone
    number or an order id such as 13912345678."""
    pattern = re.escape(phrase)
    if phrase[:1].isdigit():
        pattern = r"(?<![0-9])" + pattern
    if phrase[-1:].isdigit():
        pattern += r"(?![0-9])"
    return re.compile(pattern)


@functools.lru_cache(maxsize=2)
def _matcher_for(kb_dir: str) -> LexiconMatcher:
    return LexiconMatcher(load_knowledge_base(kb_dir))


def lexicon_matcher(kb: KnowledgeBase | None = None) -> LexiconMatcher:
    kb = kb or load_knowledge_base()
    return _matcher_for(str(kb.directory))
