"""No text the bot can send contains a banned negative phrasing (DOMAIN.md).

Covers every response variant in domain.yml, every sentence built by bot/dialogue/texts.py
(rendered with sample inputs for every branch), the remedy engine's reasons for every
product and complaint type, and every customer-facing text of the knowledge base.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.complaints import STATUS_LABELS, HandoffTicket, Progress
from bot.dialogue import texts
from bot.knowledge import load_knowledge_base
from bot.remedy import OrderFacts, RemedyEngine, RemedyRequest, packaged
from bot.severity import REASON_LABELS
from tests.conftest import ROOT

KB = load_knowledge_base()
BANNED = [b.phrase for b in KB.language.banned]
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def assert_positive(text: str, where: str) -> None:
    hits = [phrase for phrase in BANNED if phrase in text]
    assert not hits, f"{where}: banned {hits} in {text!r}"


def domain_texts() -> list[tuple[str, str]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [
        (f"domain.yml:{name}[{i}]", variant["text"])
        for name, variants in domain["responses"].items()
        for i, variant in enumerate(variants)
    ]


def remedy_texts() -> list[tuple[str, str]]:
    engine = RemedyEngine(KB)
    today = date(2026, 11, 23)
    found = []
    for product in KB.products.products:
        for complaint_type in KB.remedies.matrix:
            for age in (1, 10, 100, 400, 2000):
                for repairs in (0, 2):
                    for channel in ("online", "store"):
                        order = OrderFacts(product.name, Decimal("3999"), today - timedelta(days=age),
                                           today - timedelta(days=max(0, age - 2)), channel, repairs)
                        for wish in (None, "return", "compensation"):
                            decision = engine.decide(RemedyRequest(complaint_type, order, wish, "vip", 3,
                                                                   Decimal("800"), today))
                            options = [o.as_dict() for o in decision.options]
                            offered = [o.as_dict() for o in packaged(decision.options)]
                            where = f"remedy:{product.name}/{complaint_type}/{age}d/{channel}"
                            found.append((where, decision.validity_note))
                            found.append((where, texts.remedy_menu(options, "退货退款", decision.wish_allowed)))
                            found.append((where, texts.remedy_menu(offered, "退货退款", decision.wish_allowed)))
                            found += [(where, texts.remedy_confirmed(o, 240, bulky)) for o in options + offered
                                      for bulky in (False, True)]
    for complaint_type in KB.remedies.matrix:
        decision = engine.decide(RemedyRequest(complaint_type, None))
        found.append(("remedy:no-order", decision.validity_note))
        options = [o.as_dict() for o in decision.options]
        found.append((f"remedy:no-order/{complaint_type}", texts.remedy_menu(options, None, True)))
        found += [(f"remedy:no-order/{complaint_type}", texts.remedy_confirmed(o, 240)) for o in options]
    # the facts the law needs, stated: packages of refund + damages, known and unknown amounts
    stated = [{"counterfeit": True}, {"refurbished_as_new": True}, {"food_standard_breach": True},
              {"label_only": True}, {"injured": True}, {"property_damaged": True, "loss_amount": Decimal("0")},
              {"injured": True, "loss_amount": Decimal("1200")}, {"damaged_in_transit": True},
              {"delivered": False}, {"delivered": False, "loss_amount": Decimal("50")}, {"defect": False}]
    for product in KB.products.products:
        for facts in stated:
            order = OrderFacts(product.name, Decimal("368"), today - timedelta(days=5), today - timedelta(days=3),
                               "phone", **facts)
            for complaint_type in ("quality", "incident", "delivery"):
                decision = engine.decide(RemedyRequest(complaint_type, order, None, "normal", 1, None, today))
                offered = [o.as_dict() for o in packaged(decision.options)]
                where = f"remedy-facts:{product.name}/{complaint_type}/{sorted(facts)}"
                found.append((where, texts.remedy_menu(offered, None, True)))
                found += [(where, texts.remedy_confirmed(o, 240)) for o in offered]
    return found


def builder_texts() -> list[tuple[str, str]]:
    options = [{"kind": "return", "label": "退货退款", "reason": "七日内", "needs_approval": False},
               {"kind": "compensation", "label": "补偿", "reason": "补偿", "needs_approval": True, "amount": "500"}]
    found = [
        ("recorded_summary", texts.recorded_summary(KB, t, "QT202611150001", "电水壶", "上周", "投诉成立"))
        for t in KB.remedies.matrix
    ]
    found += [
        ("remedy_unavailable", texts.remedy_unavailable("退货退款", options)),
        ("remedy_reconsider", texts.remedy_reconsider(1)),
        ("remedy_reconsider", texts.remedy_reconsider(2)),
        ("ask_followup", texts.ask_followup()),
        ("followup_unclear", texts.followup_unclear(["明天上午10点"])),
        ("followup_moved", texts.followup_moved("明天上午09:00")),
        ("followup_declined", texts.followup_declined("TS20261123-0001")),
        ("order_not_matched", texts.order_not_matched()),
        ("order_recorded_without", texts.order_recorded_without()),
        ("policy_answer", texts.policy_answer(None, ["三包政策"])),
        ("noted", texts.noted(True)),
        ("noted", texts.noted(False)),
        ("progress", texts.progress_text(None, NOW)),
    ]
    found += [("ask_order_id_again", texts.ask_order_id_again(flag)) for flag in (True, False)]
    found += [("ask_order_owner", texts.ask_order_owner(flag)) for flag in (True, False)]
    found += [("order_owner_confirmed", texts.order_owner_confirmed()),
              ("order_left_unverified", texts.order_left_unverified())]
    found += [("ask_product_again", texts.ask_product_again(r)) for r in (None, *texts.PRODUCT_REFUSALS)]
    found += [("fact_gap_noted", texts.fact_gap_noted(*key)) for key in texts.GAP_LINES]
    found += [("fact_given_up", texts.fact_given_up(slot)) for slot in ("order_id", "product")]
    found.append(("future_date_reask", texts.future_date_reask(date(2031, 3, 1))))
    found.append(("followup_default", texts.followup_default("明天上午10点")))
    for label in (k.label for k in KB.work_orders.kinds.values()):
        found += [("ask_work_address", texts.ask_work_address(label)),
                  ("ask_work_address_again", texts.ask_work_address_again(label)),
                  ("ask_work_window", texts.ask_work_window(label)),
                  ("ask_work_window_again", texts.ask_work_window_again(label))]
    found += [("work_address_noted", texts.work_address_noted()), ("work_address_later", texts.work_address_later()),
              ("work_window_noted", texts.work_window_noted("12月9日上午9:00-12:00")),
              ("work_window_noted", texts.work_window_noted(None)),
              ("work_window_later", texts.work_window_later())]
    menus = [texts.remedy_menu_again(options, said) for said in ((), [texts.remedy_menu_again(options)])]
    found += [("remedy_menu_again", menu) for menu in menus]
    found += [("noted_lines", line) for line in (*texts.NOTED_LINES, *texts.ADDED_LINES)]
    found += [("sincere_apology", texts.sincere_apology("服务态度", "服务质量团队", e)) for e in (True, False)]
    for channel in [*texts.CHANNEL_NAMES, "unknown"]:
        found.append(("followup_booked", texts.followup_booked("明天上午10:00", channel, "TS20261123-0001")))
    for status in STATUS_LABELS:
        for approval in (None, "pending"):
            progress = Progress("TS20261123-0001", "产品质量", status, STATUS_LABELS[status], "补偿", approval,
                                NOW + timedelta(days=1), "queued")
            found.append(("progress", texts.progress_text(progress, NOW)))
    for on_duty in (True, False):
        for position in (1, 3):
            ticket = HandoffTicket("h1", position, 15, on_duty, None if on_duty else NOW + timedelta(hours=12))
            for reasons in [[r] for r in REASON_LABELS]:
                for phone in (None, "138****0000"):
                    found.append(("handoff", texts.handoff_text(ticket, reasons, "明天上午09:00", phone,
                                                                KB.language.safety_advice)))
    for stage in [*texts.RESUME_LINES, "unknown"]:
        found.append(("resume_line", texts.resume_line(stage)))
    found.append(("agent_joined", texts.agent_joined("李专员")))
    for approved in (True, False):
        for legal in (True, False):
            found.append(("approval_outcome",
                          texts.approval_outcome(approved, "800.00", 200, "TS20261123-0001", legal=legal)))
    found += [("case_closed", texts.case_closed(ref)) for ref in ("TS20261123-0001", None)]
    for remedy in (None, "退货退款"):
        found.append(("followup_check", texts.followup_check("TS20261123-0001", remedy)))
    found.append(("followup_reminder", texts.followup_reminder("TS20261123-0001")))
    for key in texts.FACT_QUESTIONS:
        found += [(f"fact_question:{key}", texts.fact_question(key, attempt)) for attempt in (1, 2)]
        found += [(f"fact_button:{key}", title) for title in texts.FACT_BUTTONS[key]]
    found += [("fact_noted", texts.fact_noted(unknown)) for unknown in (True, False)]
    found.append(("csat_thanks", texts.csat_thanks()))
    found += [("csat_reopened", texts.csat_reopened("TS20261123-0001", solved)) for solved in (True, False)]
    found += [("wait_apology", texts.wait_apology(ref)) for ref in ("TS20261123-0001", None)]
    found += [("workorder_failed", texts.workorder_failed(k.label)) for k in KB.work_orders.kinds.values()]
    found.append(("WORKORDER_IN_HAND", texts.WORKORDER_IN_HAND))
    found.append(("late_order_kept", texts.late_order_kept()))
    found += [("fact_noted", line) for line in texts.UNKNOWN_NOTED_LINES] + [("TRANSFER_DECLINED",
                                                                              texts.TRANSFER_DECLINED)]
    found += [("remedy_confirmed_again", texts.remedy_confirmed_again(k.label)) for k in KB.remedies.kinds.values()]
    for kind in KB.work_orders.kinds.values():
        scheduled = kind.customer.get("scheduled")
        if scheduled:
            found.append(("workorder_rescheduled", texts.workorder_rescheduled(kind.label, scheduled)))
        found.append(("workorder_window_changed", texts.workorder_window_changed(kind.label, "周六上午")))
    lines = tuple(f"{k.label}：{line}" for k in KB.work_orders.kinds.values() for line in k.customer.values())
    for after_work in (True, False):
        progress = Progress("TS20261123-0001", "产品质量", "in_progress", STATUS_LABELS["in_progress"], "退货退款",
                            None, None, None, lines, after_work)
        found.append(("progress:work_orders", texts.progress_text(progress, NOW)))
    return found


def console_texts() -> list[tuple[str, str]]:
    """What the console says to agents (they read it; customers may hear it repeated)."""
    from bot.console import auth, desk

    found = [(f"console.auth.{name}", getattr(auth, name))
             for name in ("NOT_LOGGED_IN", "NOT_ALLOWED", "BAD_CSRF", "BAD_LOGIN")]
    found += [(f"console.desk.{name}", getattr(desk, name).message) for name in ("NOT_FOUND", "NOT_OPEN")]
    from bot.console import password_policy

    found += [(f"console.password_policy.{name}", getattr(password_policy, name)) for name in ("TOO_SHORT", "TOO_SIMPLE")]
    found.append(("console.auth.read_json(bad_request)", auth.BAD_BODY.format(where="（display_name）")))
    from bot.console import reply_notice
    from bot.delivery import Outcome

    found += [(f"console.reply_notice({channel}, {outcome.value})", reply_notice.reply_notice(channel, outcome))
              for channel in [*texts.CHANNEL_NAMES, "unknown"] for outcome in Outcome]
    return found


def workorder_refusals() -> list[tuple[str, str]]:
    """What staff read when a work-order move is refused (bot/workorders/states.py, service.py)."""
    from bot.workorders import service, states, store

    found = [("workorders.NOT_FOUND", store.NOT_FOUND.message)]
    found += [(f"workorders.STATE_LABELS.{k}", v) for k, v in states.STATE_LABELS.items()]
    for current in states.STATES:
        for action in [*states.ACTIONS, "unknown"]:
            try:
                states.plan(current, action)
            except states.TransitionRefused as refused:
                found.append((f"workorders.plan.{current}.{action}", refused.message))
    samples = [("schedule", None, None), ("fail", None, None)]
    for action, slot, reason in samples:
        try:
            service.WorkOrderService._move_details(None, action, slot, reason)  # type: ignore[arg-type]
        except states.TransitionRefused as refused:
            found.append((f"workorders.{action}", refused.message))
    return found


def channel_texts() -> list[tuple[str, str]]:
    """What the channels themselves say (welcome, acknowledgements, kind refusals)."""
    from bot import app, evidence, gateway, ratelimit
    from bot.channels import chat_api, rest, socketio, wechat

    return [
        ("wechat.WELCOME", wechat.WELCOME),
        ("wechat.IMAGE_RECEIVED", wechat.IMAGE_RECEIVED),
        ("wechat.LOCATION_RECEIVED", wechat.LOCATION_RECEIVED),
        ("wechat.IMAGE_RETRY", wechat.IMAGE_RETRY),
        ("wechat.FOLLOWUP_REMARK", wechat.FOLLOWUP_REMARK),
        ("socketio.FLOOD_NOTICE", socketio.FLOOD_NOTICE),
        ("gateway.SYSTEM_RECOVERING", gateway.SYSTEM_RECOVERING),
        ("chat_api.NO_SESSION", chat_api.NO_SESSION),
        ("chat_api.BAD_UPLOAD", chat_api.BAD_UPLOAD),
        ("rest.NOT_AUTHORISED", rest.NOT_AUTHORISED),
        ("rest.RESERVED_SENDER", rest.RESERVED_SENDER),
        ("evidence.ACCEPTED", evidence.ACCEPTED),
        ("evidence.REFUSED_TYPE", evidence.REFUSED_TYPE),
        ("evidence.REFUSED_SIZE", evidence.REFUSED_SIZE),
        ("evidence.REFUSED_COUNT", evidence.REFUSED_COUNT),
        ("wechat.render", wechat.render([{"text": "好的", "buttons": [{"title": "退货退款", "payload": "/x"}]}])),
        ("ratelimit.SLOW_DOWN", ratelimit.SLOW_DOWN),
        ("ratelimit.LOGIN_SLOW_DOWN", ratelimit.LOGIN_SLOW_DOWN),
        *((f"app.ROUTING_ERRORS[{status}]", message) for status, (_, message) in app.ROUTING_ERRORS.items()),
    ]


def kb_texts() -> list[tuple[str, str]]:
    return [(f"{file_key}.yml:{path}", text) for file_key, path, text in KB.customer_texts()]


ALL_TEXTS = domain_texts() + builder_texts() + channel_texts() + console_texts() + kb_texts() + workorder_refusals()


@pytest.mark.parametrize(("where", "text"), ALL_TEXTS, ids=[w for w, _ in ALL_TEXTS])
def test_text_is_positive(where: str, text: str) -> None:
    assert_positive(text, where)


def test_every_remedy_text_is_positive() -> None:
    for where, text in remedy_texts():
        assert_positive(text, where)


def test_the_checker_catches_a_banned_phrase() -> None:
    with pytest.raises(AssertionError):
        assert_positive("这个我们做不到", "sample")
