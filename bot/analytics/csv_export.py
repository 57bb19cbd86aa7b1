"""The complaints in view as CSV (UTF-8 with BOM so spreadsheet programs show the Chinese).

Personal data follows the console's rule (bot/console/desk.py): the full phone and name only
for people allowed to see personal data, the masked phone and a surname otherwise. Cells that
a spreadsheet would read as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from bot.analytics.queries import NO_PRODUCT, SEVERITY_LABELS, Drill, Scope, drilled, facts_of
from bot.complaints import STATUS_LABELS
from bot.knowledge import KnowledgeBase
from bot.severity import reason_label
from bot.storage import models as m
from bot.storage.crypto import mask_personal_data

BATCH = 1000
HEADER = ["投诉编号", "受理时间", "渠道", "投诉类型", "商品", "严重程度", "状态", "处理方案", "补偿金额", "审批",
          "转人工次数", "转人工原因", "服务时限", "满意度", "会员等级", "客户姓名", "客户电话", "客户陈述"]
CHANNELS = {"rest": "网页接口", "socketio": "网页客服插件", "h5": "H5聊天页", "wechat": "微信公众号"}
TIERS = {"normal": "普通会员", "silver": "白银会员", "gold": "黄金会员", "vip": "VIP会员"}
SLA = {"met": "按时接待", "breached": "超时", "pending": "等待中"}
APPROVAL = {"pending": "待审批", "approved": "已批准", "rejected": "未批准"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def customer_cells(customer: m.Customer | None, full: bool) -> tuple[str, str, str]:
    """(tier, name, phone) as this reader may see them."""
    if customer is None:
        return "", "", ""
    name = customer.name if full else (customer.name[:1] + "**" if customer.name else "")
    return TIERS.get(customer.tier, customer.tier), name or "", (customer.phone if full else customer.phone_masked) or ""


def row_cells(kb: KnowledgeBase, scope: Scope, complaint: m.Complaint, product: str | None,
              customer: m.Customer | None, facts: dict[str, Any], full: bool) -> list[str]:
    local = complaint.created_at + scope.period.offset()
    statements = (complaint.facts or {}).get("statements") or []
    statement = statements[0] if statements else ""
    remedy = complaint.remedy
    return [safe_cell(v) for v in [
        complaint.reference, local.strftime("%Y-%m-%d %H:%M"), CHANNELS.get(complaint.channel, complaint.channel),
        kb.type_label(complaint.type) if complaint.type in kb.complaint_types.types else complaint.type,
        product if product and product != NO_PRODUCT else "", SEVERITY_LABELS.get(complaint.severity, complaint.severity),
        STATUS_LABELS.get(complaint.status, complaint.status),
        kb.remedy_label(remedy) if remedy in kb.remedies.kinds else (remedy or ""),
        complaint.compensation_amount if complaint.compensation_amount is not None else "",
        APPROVAL.get(complaint.approval or "", ""), facts["handoffs"],
        "；".join(reason_label(r) for r in facts["reasons"]), SLA.get(facts["sla"] or "", ""),
        facts["csat"] if facts["csat"] is not None else "", *customer_cells(customer, full),
        statement if full else mask_personal_data(statement),
    ]]


def rows(db: Session, kb: KnowledgeBase, scope: Scope, drill: Drill, full: bool) -> Iterator[list[str]]:
    batch: list[tuple[m.Complaint, str | None, m.Customer | None]] = []
    for found in db.execute(drilled(scope, drill).execution_options(yield_per=BATCH)):
        batch.append(tuple(found))  # type: ignore[arg-type]
        if len(batch) == BATCH:
            yield from _flush(db, kb, scope, batch, full)
            batch = []
    yield from _flush(db, kb, scope, batch, full)


def _flush(db: Session, kb: KnowledgeBase, scope: Scope, batch: list, full: bool) -> Iterator[list[str]]:  # type: ignore[type-arg]
    facts = facts_of(db, [c.id for c, _p, _cu in batch], scope.now)
    for complaint, product, customer in batch:
        yield row_cells(kb, scope, complaint, product, customer, facts[complaint.id], full)


def export(db: Session, kb: KnowledgeBase, scope: Scope, drill: Drill, full: bool) -> tuple[bytes, int]:
    """The CSV document and its number of complaints."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for cells in rows(db, kb, scope, drill, full):
        writer.writerow(cells)
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count


def filename(scope: Scope) -> str:
    return f"complaints-{scope.period.start.isoformat()}-{scope.period.end.isoformat()}.csv"
