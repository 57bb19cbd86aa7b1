"""Personal data however it is written stays masked in every place text reaches: the console
queue preview and transcript, the trainer page, the supervisor's CSV export, the stored
complaint facts and the server log (a query string included)."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from bot.logs import MaskingFormatter, MaskPersonalData
from tests.conftest import Server
from tests.console.conftest import ConsoleClient, Staff, handed_off_customer, staff  # noqa: F401


@dataclass(frozen=True)
class Writing:
    name: str
    written: str  # as the customer types it
    digits: str  # what must never appear in clear (checked without separators)


WRITINGS = [
    Writing("mobile +86 with spaces", "+86 139 1234 5678", "13912345678"),
    Writing("mobile in groups", "139 1234 5678", "13912345678"),
    Writing("mobile with hyphens", "137-1234-5678", "13712345678"),
    Writing("mobile full-width", "１３６１２３４５６７８", "13612345678"),
    Writing("landline", "010-62345678", "62345678"),
    Writing("ID card with its check digit", "11010119900307451X".replace("X", "4"), "199003074"),
    Writing("bank card (Luhn)", "6222 0212 3456 7890 128", "0212345678"),
    Writing("e-mail", "zhangsan.home@example.com", "zhangsan.home"),
]


def in_clear(value: str, writing: Writing) -> bool:
    plain = "".join(ch for ch in value.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
                    if ch.isalnum() or ch in ".@")
    return writing.digits in plain


# --- every place, through the real server ----------------------------------------------------------
@pytest.fixture(scope="module")
def cases(server: Server) -> list[tuple[Writing, str]]:
    """One handed-off page customer per writing: (writing, handoff id)."""
    found = []
    for writing in WRITINGS:
        _, handoff_id = handed_off_customer(
            server, f"我的电水壶坏了，订单号QT202611150003，联系方式{writing.written}",
            f"再不解决我就去12315投诉，联系方式{writing.written}",
        )
        found.append((writing, handoff_id))
    return found


def login(server: Server, username: str) -> ConsoleClient:
    client = ConsoleClient(server)
    assert client.login(username).status_code == 200
    return client


def places(server: Server, staff: Staff, handoff_id: str) -> dict[str, str]:  # noqa: F811
    agent, trainer, supervisor = login(server, staff.agent), login(server, staff.trainer), login(server, staff.supervisor)
    [queued] = [i for i in agent.get("/api/console/queue").json()["items"] if i["id"] == handoff_id]
    case = agent.get(f"/api/console/handoffs/{handoff_id}").json()
    trainer_view = trainer.get(f"/api/console/training/conversations/{queued['sender_id']}").json()
    export = supervisor.get("/api/console/analytics/export.csv")
    assert export.status_code == 200
    reference = case["complaint"]["reference"]
    # Supervisors may see the phone the customer gave for the record (its own column, by role);
    # the customer's own words in the export are what must stay masked.
    table = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    said = [row["客户陈述"] for row in table if row["投诉编号"] == reference]
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        facts = conn.execute(text("SELECT facts FROM complaints WHERE reference = :r"), {"r": reference}).scalar_one()
    engine.dispose()
    return {
        "queue preview": queued["preview"],
        "transcript": " ".join(line.get("text") or "" for line in case["transcript"]),
        "case facts": str(case["complaint"]["facts"]),
        "trainer page": " ".join(line["text"] for line in trainer_view["lines"]),
        "CSV export (supervisor), the customer's words": " ".join(said),
        "stored facts": str(facts),
    }


def test_every_place_shows_every_writing_masked(server: Server, staff: Staff, cases) -> None:  # noqa: F811
    leaks = []
    for writing, handoff_id in cases:
        for place, shown in places(server, staff, handoff_id).items():
            assert shown, (writing.name, place)  # the place did show the customer's words
            if in_clear(shown, writing):
                leaks.append(f"{writing.name} in {place}: {shown[:160]}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("writing", WRITINGS, ids=lambda w: w.name)
def test_a_log_line_masks_every_writing_also_percent_encoded_in_a_query_string(writing: Writing) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter("%(message)s"))
    handler.addFilter(MaskPersonalData())
    logger = logging.getLogger(f"tests.masking.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning('127.0.0.1 "GET /api/chat/history?contact=%s HTTP/1.1" 200', quote(writing.written))
    logger.warning("customer said %s", f"联系方式{writing.written}")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and not any(in_clear(line, writing) for line in lines), lines
