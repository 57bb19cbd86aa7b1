"""Runs inside bench/.venv-schemathesis (see tests/fuzzing/schemathesis_env.py).

stdin: {"base", "mode": "anon"|"admin", "examples", "cookie", "csrf", "exclude": [paths], "seed"}.
Every operation of base/api/openapi.json gets `examples` positive and `examples` negative
cases. stdout: one JSON line, per operation the requests sent, a status histogram and the
distinct failures. What counts as a failure:
- any 5xx, or a response that is not what the document describes (status, content type, schema);
- anonymous: anything but 401/403 (except reading the session), or an error body that is not
  {"error", "message"} with Chinese in the message.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CJK = re.compile(r"[\u4e00-\u9fff]")
OPEN_TO_ALL = {("GET", "/api/auth/session")}


def polite(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return f"error body is not JSON: {body[:80]!r}"
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str) or len(CJK.findall(message)) < 4:
        return f"error body without a Chinese message: {body[:80]!r}"
    return None


def judge(config: dict[str, Any], case: Any, response: requests.Response) -> list[str]:
    problems: list[str] = []
    key = (case.method.upper(), case.operation.path)
    if response.status_code >= 500:
        problems.append(f"{response.status_code} server error")
    if response.status_code >= 400 and (problem := polite(response.content)):
        problems.append(problem)
    if config["mode"] == "anon":
        if key not in OPEN_TO_ALL and response.status_code not in (401, 403):
            problems.append(f"anonymous request answered {response.status_code}")
        return problems
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        problems += [f"{type(f).__name__}: {f.title}" for f in group.exceptions]
    except Failure as failure:
        problems.append(f"{type(failure).__name__}: {failure.title}")
    return problems


def sender(config: dict[str, Any], operation: Any, session: requests.Session, mode: GenerationMode,
           statuses: Counter[str], failures: Counter[str]) -> Any:
    """A hypothesis test that sends `examples` cases of one operation in one generation mode."""
    headers = {"Cookie": config["cookie"], "X-CSRF-Token": config["csrf"]} if config["mode"] == "admin" else {}

    @seed(config["seed"])
    @settings(max_examples=config["examples"], database=None, deadline=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        if config["mode"] == "admin" and case.headers:
            case.headers.pop("X-CSRF-Token", None)  # ours, not a generated one, or nothing gets through
        try:
            response = case.call(base_url=config["base"], session=session, headers=headers, timeout=120)
        except requests.RequestException as exc:
            statuses["no answer"] += 1
            failures[f"no answer: {type(exc).__name__}"] += 1
            return
        statuses[str(response.status_code)] += 1
        for problem in judge(config, case, response):
            failures[f"{problem} [{mode.value}]"] += 1

    return send


def run_operation(config: dict[str, Any], operation: Any, session: requests.Session) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            sender(config, operation, session, mode, statuses, failures)()
        except Unsatisfiable:
            pass  # nothing to make invalid (no parameters, or only free-form strings)
        except Exception as exc:  # noqa: BLE001 — a generation error is reported, not fatal
            failures[f"generation: {type(exc).__name__}: {str(exc)[:200]}"] += 1
    return {"requests": sum(statuses.values()), "statuses": dict(statuses), "failures": dict(failures)}


def main() -> None:
    config = json.loads(sys.stdin.read())
    schema = schemathesis.openapi.from_url(config["base"] + "/api/openapi.json")
    session = requests.Session()
    session.trust_env = False
    report: dict[str, Any] = {"mode": config["mode"], "operations": {}}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in config["exclude"] or f"{operation.method.upper()} {operation.path}" in config["exclude"]:
            continue
        name = f"{operation.method.upper()} {operation.path}"
        report["operations"][name] = run_operation(config, operation, session)
    report["requests"] = sum(op["requests"] for op in report["operations"].values())
    report["failures"] = sum(sum(op["failures"].values()) for op in report["operations"].values())
    report["server_errors"] = sum(n for op in report["operations"].values() for s, n in op["statuses"].items()
                                  if s.isdigit() and int(s) >= 500)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
