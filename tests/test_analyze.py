"""`qingting analyze`: one JSON object per stdin line, the single-message handoff view."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import ROOT, VENV_BIN, ensure_model


def analyze(lines: list[str]) -> list[dict]:
    ensure_model()
    result = subprocess.run(
        [str(VENV_BIN / "qingting"), "analyze"], input="\n".join(lines) + "\n", capture_output=True,
        text=True, cwd=ROOT, timeout=300, check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_analyze_reports_intent_entities_severity_and_reasons() -> None:
    kettle, threat, blank, traditional = analyze(
        ["我上周买的电水壶用了三天就不加热了 订单QT202611150003", "再不解决我就去12315投诉还要发微博", "", "我買的洗衣機漏水了"]
    )
    assert set(kettle) == {"text", "intent", "confidence", "entities", "severity", "handoff", "reasons", "type",
                           "secondary_type"}
    assert kettle["type"] == "quality"
    assert kettle["intent"] == "complain_quality"
    assert {"entity": "order_id", "value": "QT202611150003"} in kettle["entities"]
    assert {"entity": "product", "value": "电水壶"} in kettle["entities"]
    assert kettle["handoff"] is False and kettle["severity"] == 1

    assert threat["handoff"] is True and threat["severity"] == 3
    assert {"escalation:regulator", "escalation:media", "ultimatum"} <= set(threat["reasons"])

    assert blank == {"text": "", "intent": None, "confidence": 0.0, "entities": [], "severity": 1,
                     "handoff": False, "reasons": [], "type": None, "secondary_type": None}
    assert traditional["text"] == "我買的洗衣機漏水了"  # the customer's own text is echoed
    assert {"entity": "product", "value": "洗衣机"} in traditional["entities"]
