"""No personal data in any server log of the test run (runs last: tests/conftest.py).

Every server a test starts writes its log under pytest's temporary directory (start_server:
<var_dir>/server.log; `qingting serve --workers` runs: a file named `log`). This test first
sends personal data through every channel and into a crashing action on the shared server,
so the scan is never vacuous, then reads every log of the run for mobile numbers, ID-card
numbers, street addresses, e-mail addresses and the demo customers' names and phones.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
import yaml

from bot.storage import masking
from tests.conftest import FAULT_PREFIX, ROOT, Server
from tests.test_wechat_channel import WeChatPeer, text_xml

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_CARD = re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ADDRESS = masking._ADDRESS  # the street-address shape the masking knows ("…路88号3栋")

# What the witness messages carry (made-up, in the shapes a customer really writes).
WITNESS_PHONE = "13712345678"
WITNESS_ID = "110105199003071239"  # a real ID card number has a valid check digit
WITNESS_ADDRESS = "北京市朝阳区建国路88号3栋502"
WITNESS_EMAIL = "zhang.wei@example.com"
WITNESS = f"我叫张晓明，电话{WITNESS_PHONE}，身份证{WITNESS_ID}，住{WITNESS_ADDRESS}，邮箱{WITNESS_EMAIL}，电水壶坏了"


def demo_people() -> list[str]:
    data = yaml.safe_load((ROOT / "knowledge_base" / "demo_orders.yml").read_text(encoding="utf-8"))
    return [value for c in data["customers"] for value in (str(c["name"]), str(c["phone"]))]


def server_logs(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file() and (p.suffix == ".log" or p.name == "log"))


def findings(path: Path, people: list[str]) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        hits = [m.group(0) for pattern in (PHONE, ID_CARD, EMAIL, ADDRESS) for m in pattern.finditer(line)]
        hits += [person for person in people if person in line]
        if hits:
            found.append(f"{path}:{number}: {sorted(set(hits))} in {line[:200]!r}")
    return found


def send_witnesses(server: Server) -> None:
    """Personal data through REST, the chat page, WeChat and an action that crashes."""
    for sender in (f"logscan-{uuid.uuid4().hex[:8]}", f"{FAULT_PREFIX}logscan-{uuid.uuid4().hex[:8]}"):
        assert server.post("/webhooks/rest/webhook", json={"sender": sender, "message": WITNESS}).status_code == 200
        server.post("/webhooks/rest/webhook", json={"sender": sender, "message": "订单号QT202611150003"})
    server.post("/webhooks/rest/webhook", json={"sender": WITNESS_PHONE, "message": WITNESS})  # as the id, too
    server.get("/api/chat/history", params={"session_id": f"{WITNESS_PHONE}x"})
    peer = WeChatPeer(server)
    peer.push(text_xml("o" + uuid.uuid4().hex[:20], WITNESS, int(time.time() * 1000)))
    server.post("/api/auth/login", json={"username": WITNESS_EMAIL, "password": WITNESS_PHONE})


def test_no_server_log_of_this_run_holds_personal_data(server: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    send_witnesses(server)
    time.sleep(1.0)  # the server's last lines reach its log file
    logs = server_logs(tmp_path_factory.getbasetemp())
    assert server.log_path in logs and server.log_path.stat().st_size > 0
    people = demo_people()
    leaks = [finding for path in logs for finding in findings(path, people)]
    assert not leaks, f"{len(leaks)} log lines hold personal data:\n" + "\n".join(leaks[:40])


def test_the_scan_itself_sees_personal_data(tmp_path: Path) -> None:
    """The patterns catch what they are meant to (so a clean scan means something)."""
    sample = tmp_path / "sample.txt"  # not a log: the scan above must not find it
    sample.write_text(f"INFO x: {WITNESS}\nINFO y: 电话138****5678，建国路***\n", encoding="utf-8")
    [line] = findings(sample, demo_people())
    for value in (WITNESS_PHONE, WITNESS_ID, WITNESS_EMAIL, "张晓明", "建国路88号3栋502"):
        assert value in line


def test_tracebacks_are_masked_as_well_as_messages() -> None:
    """An exception's text (a database error quoting its parameters) is part of the line too."""
    import logging
    import sys

    from bot.logs import MaskingFormatter, MaskPersonalData

    try:
        raise ValueError(f"[parameters: ('{WITNESS_PHONE}', '{WITNESS_ADDRESS}', '{WITNESS_ID}')]")
    except ValueError:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "saving %s failed", (WITNESS_PHONE,),
                                   sys.exc_info())
    MaskPersonalData().filter(record)
    line = MaskingFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert "Traceback" in line and "ValueError" in line
    assert not findings_in(line)


def findings_in(text: str) -> list[str]:
    return [m.group(0) for pattern in (PHONE, ID_CARD, EMAIL, ADDRESS) for m in pattern.finditer(text)]
