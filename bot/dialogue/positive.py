"""The positive-language check the console runs on an agent's draft.

The knowledge base lists banned negative phrasings, each with a positive rewrite. A draft
is split into sentences; every sentence holding a banned phrase is replaced by its rewrite,
which gives the agent a ready alternative to accept or edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge import KnowledgeBase

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")


@dataclass(frozen=True)
class Finding:
    phrase: str
    rewrite: str


def findings(kb: KnowledgeBase, text: str) -> list[Finding]:
    found = [Finding(b.phrase, b.rewrite) for b in kb.language.banned if b.phrase in (text or "")]
    # A longer phrase ("不可以") also contains a shorter one ("不"…): report each once.
    return list({f.phrase: f for f in found}.values())


def rewrite(kb: KnowledgeBase, text: str) -> str:
    out = []
    for sentence in SENTENCE.findall(text or ""):
        hit = next((b for b in kb.language.banned if b.phrase in sentence), None)
        if hit is None:
            out.append(sentence)
        elif hit.rewrite not in out:
            out.append(hit.rewrite)
    return "".join(out).strip()
