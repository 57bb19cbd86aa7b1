"""The journey corpus's figures from a QINGTING_JOURNEY_REPORT file:

    QINGTING_JOURNEY_REPORT=/tmp/j.jsonl .venv/bin/pytest -q tests/conversation/test_journeys.py
    .venv/bin/python -m tests.conversation.journeys.figures /tmp/j.jsonl

journeys passing; known issues (and any journey whose outcome does not match its note); facts asked more than twice; repeated identical lines per conversation;
messages from the first one to a confirmed remedy (median and max).
"""

from __future__ import annotations

import json
import statistics
import sys


def figures(path: str) -> dict[str, object]:
    with open(path, encoding="utf-8") as rows_file:
        rows = [json.loads(line) for line in rows_file if line.strip()]
    turns = [r["turns_to_remedy"] for r in rows if r["turns_to_remedy"]]
    return {
        "journeys": len(rows),
        "passing": sum(r["passed"] for r in rows),
        "known_issues": sum(bool(r.get("known_issue")) for r in rows),
        # failing with no known issue, or passing although one is noted (strict xfail fails both)
        "unexpected": [r["name"] for r in rows if r["passed"] == bool(r.get("known_issue"))],
        "facts_asked_more_than_twice": sum(n > 2 for r in rows for n in r["asked"].values()),
        "journeys_with_a_fact_asked_more_than_twice": sum(any(n > 2 for n in r["asked"].values()) for r in rows),
        "repeated_lines": sum(r["repeated"] for r in rows),
        "repeated_lines_per_conversation": round(sum(r["repeated"] for r in rows) / max(1, len(rows)), 2),
        "journeys_with_a_repeated_line": sum(bool(r["repeated"]) for r in rows),
        "confirmed_remedies": len(turns),
        "turns_to_remedy_median": statistics.median(turns) if turns else None,
        "turns_to_remedy_max": max(turns) if turns else None,
        "failing": {r["name"]: r["problems"] for r in rows if not r["passed"]},
    }


if __name__ == "__main__":
    print(json.dumps(figures(sys.argv[1]), ensure_ascii=False, indent=2))
