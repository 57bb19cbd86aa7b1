"""The handoff decision: severity 1-3 and handoff yes/no, with reasons.

`decide` is the decision the pipeline makes for every message: the handoff classes come
from the trained handoff classifier (bot/nlu/handoff_model.py), which weighs the lexicon
markers in their scope; surface signals (repeated exclamation marks with angry words) and the
serious-but-not-extreme reasons come from rules. `assess_message` is the lexicon-only view,
kept for tools that run without a model. The conversation view (`failures_in_a_row`, in the
handoff policy) adds what only history shows: the bot failing twice in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.nlu.lexicon import Match

CONFIDENT = 0.6

# Intents that on their own mean "a person now" (DOMAIN.md, handing off to a person).
HANDOFF_INTENTS = {
    "request_human": "asked_for_person",
    "threaten_escalation": "escalation",
    "insult": "abuse",
}

DANGER_KINDS = {
    "fire", "gas", "explosion", "electric", "burn", "cut", "choking", "fall", "injury", "food",
}

# Handoff classifier classes → the reason codes agents and the dashboard see.
CLASS_REASONS = {
    "person": "asked_for_person",
    "abuse": "abuse",
    "ultimatum": "ultimatum",
    "danger:child": "child_at_risk",
    "danger:vulnerable": "vulnerable_at_risk",
}
AT_RISK_CLASSES = {"danger:child", "danger:vulnerable"}

# What an agent reads next to each reason in the console.
REASON_LABELS = {
    "asked_for_person": "客户要求人工/经理",
    "escalation": "投诉升级威胁",
    "escalation:regulator": "提到12315/消协/监管部门",
    "escalation:media": "提到媒体曝光",
    "escalation:legal": "提到律师/起诉",
    "escalation:dismissal": "要求处分员工",
    "abuse": "辱骂或极端情绪",
    "extreme_anger": "情绪极度激动",
    "ultimatum": "最后通牒",
    "danger:fire": "起火/冒烟等安全隐患",
    "danger:gas": "燃气泄漏",
    "danger:explosion": "爆炸/炸裂",
    "danger:electric": "漏电/触电",
    "danger:burn": "烫伤/烧伤",
    "danger:cut": "割伤/划伤",
    "danger:choking": "误吞/窒息",
    "danger:fall": "摔倒/砸伤",
    "danger:injury": "人身受伤",
    "danger:food": "食品安全/身体不适",
    "child_at_risk": "涉及儿童安全",
    "vulnerable_at_risk": "涉及老人或孕妇安全",
    "bot_failed_twice": "机器人连续两次未能解决",
    "remedies_rejected": "客户拒绝了全部方案",
    "strong_anger": "情绪强烈",
    "incident": "消费意外",
    "high_value_order": "高价值订单",
    "repeat_complaint": "重复投诉",
    "above_cap": "补偿超出机器人权限",
    "sla_breach": "超出服务时限",
    "followup_unsolved": "回访时问题仍未解决",
    "workorder_failed": "工单执行受阻",
    "workorder_overdue": "工单超出时限",
    "low_csat": "回访满意度偏低",
}

_REPEATED_BANG = re.compile(r"[!！]{3,}")
_REPEATED_QUESTION = re.compile(r"[?？]{3,}")


@dataclass(frozen=True)
class Assessment:
    severity: int
    handoff: bool
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"severity": self.severity, "handoff": self.handoff, "reasons": list(self.reasons)}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def assess_message(
    text: str, intent: str | None, confidence: float, markers: list[Match]
) -> Assessment:
    handoff_reasons: list[str] = []
    serious_reasons: list[str] = []
    labels = {m.label for m in markers}

    if intent in HANDOFF_INTENTS and confidence >= CONFIDENT:
        handoff_reasons.append(HANDOFF_INTENTS[intent])
    if "request_human" in labels:
        handoff_reasons.append("asked_for_person")
    for label in sorted(labels):
        if label.startswith("escalation:"):
            handoff_reasons.append(label)
    if "insult" in labels:
        handoff_reasons.append("abuse")

    dangers = sorted(label for label in labels if label.split(":", 1)[-1] in DANGER_KINDS)
    handoff_reasons.extend(dangers)
    if dangers and "danger:child" in labels:
        handoff_reasons.append("child_at_risk")
    if "ultimatum" in labels:
        handoff_reasons.append("ultimatum")

    shouting = bool(_REPEATED_BANG.search(text) or _REPEATED_QUESTION.search(text))
    angry_words = "anger" in labels
    if shouting and angry_words:
        handoff_reasons.append("extreme_anger")
    elif shouting or angry_words:
        serious_reasons.append("strong_anger")
    if intent == "complain_incident" and confidence >= CONFIDENT and not dangers:
        serious_reasons.append("incident")

    # "escalation" from the intent alone is kept only when no marker names the kind.
    reasons = _unique(handoff_reasons)
    if "escalation" in reasons and any(r.startswith("escalation:") for r in reasons):
        reasons.remove("escalation")
    if reasons:
        return Assessment(3, True, reasons)
    if serious_reasons:
        return Assessment(2, False, _unique(serious_reasons))
    return Assessment(1, False, [])


def reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code)


@dataclass(frozen=True)
class Thresholds:
    """Probability at or above which a class counts (danger is tuned towards recall)."""

    handoff: float = 0.5
    danger: float = 0.4
    any: float = 0.5


def model_reasons(scores: dict[str, float], thresholds: Thresholds) -> list[str]:
    """The handoff reasons the classifier's scores give, as reason codes."""
    def counts(label: str) -> bool:
        limit = thresholds.danger if label.startswith("danger:") else thresholds.handoff
        return scores.get(label, 0.0) >= limit

    found = [label for label in scores if label != "any" and counts(label)]
    hazards = [label for label in found if label.startswith("danger:") and label not in AT_RISK_CLASSES]
    if not hazards:
        found = [label for label in found if label not in AT_RISK_CLASSES]
    if not found and scores.get("any", 0.0) >= thresholds.any:
        # Certain there is a handoff, unsure of its kind: name the likeliest kind.
        candidates = [label for label in scores if label != "any" and label not in AT_RISK_CLASSES]
        if candidates:
            found = [max(candidates, key=lambda label: scores[label])]
    return [CLASS_REASONS.get(label, label) for label in found]


def decide(
    text: str,
    intent: str | None,
    confidence: float,
    markers: list[Match],
    scores: dict[str, float],
    thresholds: Thresholds | None = None,
) -> Assessment:
    """The decision for one message: the classifier's classes plus the surface rules."""
    thresholds = thresholds or Thresholds()
    labels = {m.label for m in markers}
    reasons = model_reasons(scores, thresholds)
    serious: list[str] = []
    shouting = bool(_REPEATED_BANG.search(text) or _REPEATED_QUESTION.search(text))
    if shouting and "anger" in labels:
        reasons.append("extreme_anger")
    elif shouting or "anger" in labels:
        serious.append("strong_anger")
    dangers = [r for r in reasons if r.startswith("danger:")]
    if intent == "complain_incident" and confidence >= CONFIDENT and not dangers:
        serious.append("incident")
    if reasons:
        return Assessment(3, True, _unique(reasons))
    if serious:
        return Assessment(2, False, _unique(serious))
    return Assessment(1, False, [])
