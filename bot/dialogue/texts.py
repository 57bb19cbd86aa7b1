"""Every sentence the custom actions build, as pure functions of their inputs.

Keeping them here (not inside actions) lets tests/test_positive_language.py render each
one with sample inputs and check it against the banned phrases of the knowledge base.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.complaints import HandoffTicket, Progress
from bot.knowledge import KnowledgeBase
from bot.remedy import NEXT_STEPS, confirmation_next_step

CHANNEL_NAMES = {
    "rest": "本聊天窗口",
    "socketio": "网页聊天窗口",
    "h5": "聊天页面",
    "wechat": "微信公众号消息",
    "sms": "短信",
}


def _day_text(value: str) -> str:
    """The date entity's ISO day as the customer reads it (2026年11月5日); other text as is."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def recorded_summary(
    kb: KnowledgeBase,
    complaint_type: str,
    order_id: str | None,
    product: str | None,
    incident_date: str | None,
    validity_note: str,
) -> str:
    parts = []
    if order_id:
        parts.append(f"订单{order_id}")
    if product:
        parts.append(product)
    parts.append(kb.complaint_types.types[complaint_type].recorded)  # type: ignore[index]
    if incident_date:
        parts.append(f"时间：{_day_text(incident_date)}")
    return f"我已经把情况记录下来了：{'，'.join(parts)}。{validity_note}。"


def shared_basis(reasons: list[str]) -> str:
    """The leading clauses ("根据……第二十四条，收货3天内发现质量问题") that two or more of the
    reasons open with, to be said once above the options; "" when there are none."""
    split = [reason.split("，") for reason in reasons]
    best: list[str] = []
    for first in split:
        others = [parts for parts in split if parts is not first and parts[0] == first[0]]
        if not others:
            continue
        common = first[:-1]  # at least the last clause stays with each option
        for parts in others:
            n = 0
            while n < min(len(common), len(parts) - 1) and common[n] == parts[n]:
                n += 1
            common = common[:n]
        if len(common) > len(best):
            best = common
    return "，".join(best)


def remedy_menu(options: list[dict], wish_label: str | None, wish_allowed: bool) -> str:
    """The options, each with its reason; a basis several reasons share is written once."""
    lines = []
    if wish_label and not wish_allowed:
        lines.append(f"您希望{wish_label}，结合订单情况，下面这些方式能最快帮您解决，我们优先为您安排：")
    else:
        lines.append("根据您的情况，我们可以为您提供以下方案：")
    basis = shared_basis([str(o.get("reason") or "") for o in options])
    if basis:
        lines.append(f"（{basis}）")
    for index, option in enumerate(options, start=1):
        reason = str(option.get("reason") or "")
        if basis and reason.startswith(basis + "，"):
            reason = reason[len(basis) + 1 :]
        lines.append(f"{index}. {option['label']}：{reason}")
    lines.append("您看选哪一种？直接点选或回复都可以。")
    return "\n".join(lines)


def remedy_menu_again(options: list[dict], said: tuple[str, ...] | list[str] = ()) -> str:
    """The menu once more, short (it was shown in full already); the next wording each time."""
    names = "、".join(o["label"] for o in options) or "补偿"
    return _first_unsaid((
        f"可以为您办理的方案还是这些：{names}。您看选哪一种？直接点选就好。",
        f"方案都在下面的按钮里（{names}），您选好告诉我就行。",
        f"您慢慢考虑，{names}都可以为您办理，点选一下就好。",
    ), said)


def remedy_unavailable(wanted_label: str, options: list[dict]) -> str:
    names = "、".join(o["label"] for o in options) or "补偿"
    return f"理解您想要{wanted_label}。结合您的订单，我们现在可以马上为您办理的是：{names}，您看哪一种合适？"


def remedy_reconsider(attempt: int) -> str:
    if attempt <= 1:
        return "理解您的想法。您可以再看看下面的方案，或者直接告诉我您希望怎么处理，我来帮您协调。"
    return "明白了，我请资深同事来和您一起商量更合适的方案。"


def remedy_confirmed_again(label: str) -> str:
    """The customer came back to a remedy confirmed earlier in this conversation."""
    return f"好的，那就还是按{label}为您办理，之前说明的安排都照旧。"


def _approval(option: dict, approval_minutes: int, what: str) -> str:
    """A supervisor confirms the amount: said positively, the legal part never cut to a cap."""
    hours = max(1, approval_minutes // 60)
    if option.get("amount") in (None, ""):
        return (f"这笔{what}会按实际损失全额核算，请您保留好医疗票据、维修单据等凭证，由主管核实确认金额，"
                f"我们会在{hours}小时内联系您，结果第一时间通知您。")
    if option.get("legal"):
        return (f"这笔{what}金额需要主管审批，依法应付的部分全额支付，主管确认后"
                f"我们会在{hours}小时内给您答复，结果第一时间通知您。")
    return f"这笔{what}金额需要主管审批，我们会在{hours}小时内给您答复，结果第一时间通知您。"


def remedy_confirmed(option: dict, approval_minutes: int, bulky: bool = False) -> str:
    """What the customer chose and, truthfully for this option, what happens next: a paid
    repair is quoted first, a §53 refund returns the prepayment with interest, a package
    (退货退款并赔偿) starts on the goods at once while the damages follow."""
    text = f"好的，已为您确认：{option['label']}。{option['reason']}。"
    if option.get("kind") == "compensation":
        if option.get("needs_approval"):
            return text + _approval(option, approval_minutes, "补偿")
        return text + NEXT_STEPS["compensation"]
    text += confirmation_next_step(option, bulky)
    if "compensation" in (option.get("includes") or ()):
        if option.get("needs_approval"):
            text += _approval(option, approval_minutes, "赔偿")
        elif option.get("basis") != "cpl_53":  # the §53 step already returns the interest
            text += "赔偿款会在1至3个工作日内发放到您的账户。"
    return text


# --- the facts the law needs (bot/law_facts.py): one short question at a time --------------
FACT_QUESTIONS: dict[str, tuple[str, str]] = {
    "food": (
        "为了给您最合适的方案，想跟您确认一下：是食品本身有问题（比如变质、发霉、有异物），还是包装或标签上的问题呢？",
        "再跟您确认一下：问题出在食品本身，还是只在包装或标签上？回复「食品本身」或「包装标签」就可以。",
    ),
    "harm": (
        "想跟您确认一下：这件事有没有让人受伤或身体不适，或者让家里其他东西受损？",
        "再跟您确认一下：有人受伤或身体不适吗？家里其他东西有受损吗？都没有的话，回复「都没有」就好。",
    ),
    "loss": (
        "因为这件事，您额外花了多少钱或者有多少损失呢？比如医药费、误工收入、物品修理费或者另外购买的费用，"
        "告诉我大概金额就好；没有额外花费的话，回复「没有」就可以。",
        "大概是多少钱呢？说个大概的数字就好，比如「800元」；记不清也没关系，我们先按现在的情况为您安排。",
    ),
}
FACT_BUTTONS: dict[str, tuple[str, ...]] = {
    "food": ("食品本身有问题", "只是包装或标签问题", "说不准"),
    "harm": ("有人受伤或不适", "家里东西受损", "都没有"),
    "loss": ("没有额外花费", "记不清了"),
}


def fact_question(key: str, attempt: int) -> str:
    """The question for the facts `key`; attempt 2 is the shorter second wording."""
    first, second = FACT_QUESTIONS[key]
    return first if attempt <= 1 else second


def fact_question_key(text: str | None) -> str | None:
    """Which fact question this bot message is (None: it is none of them)."""
    for key, wordings in FACT_QUESTIONS.items():
        if text in wordings:
            return key
    return None


NOTED_LINES = ("好的，记下了。", "收到，这一点我也记上了。", "明白，已经补充到记录里了。")


def _first_unsaid(lines: tuple[str, ...], said: tuple[str, ...] | list[str]) -> str:
    return next((line for line in lines if line not in said), lines[0])


def fact_noted(settled_as_unknown: bool, said: tuple[str, ...] | list[str] = ()) -> str:
    """`said`: the lines already sent in this conversation (the next variant is used)."""
    if settled_as_unknown:
        return _first_unsaid(UNKNOWN_NOTED_LINES, said)
    return _first_unsaid(NOTED_LINES, said)


UNKNOWN_NOTED_LINES = (
    "没关系，我们先按现在了解的情况为您安排，之后找到票据或想起来了，随时补充给我就好。",
    "这一项可以先空着，之后想起来随时告诉我就好。",
    "好的，这一点先不着急，有了准确的情况再补充给我就行。",
)
TRANSFER_DECLINED = "好的，不转人工，我接着为您处理。"


# --- the facts a work order needs, asked once each (actions/work_facts.py) -------------------
def ask_work_address(label: str) -> str:
    return (f"为了顺利安排{label}，麻烦告诉我上门的详细地址（省市区、街道、门牌号），"
            "地址会加密保存，只用于这次服务。")


def ask_work_window(label: str) -> str:
    return f"{label}您希望安排在哪个时间段？可以点选下面的时间，也可以直接告诉我方便的时间。"


def ask_work_address_again(label: str) -> str:
    return f"我们接着刚才的安排：{label}需要一个上门地址，您直接发给我就好。"


def ask_work_window_again(label: str) -> str:
    return f"再确认一下{label}的时间：点选一个时间段，或者告诉我您方便的时间就好。"


def work_address_noted() -> str:
    return "好的，地址已经记好了。"


def work_address_later() -> str:
    return "没关系，安排之前同事会先和您电话确认地址，您也可以随时在这里告诉我。"


def work_window_noted(window: str | None) -> str:
    if not window:
        return "好的，时间已经记下了，同事会按您方便的时间为您安排。"
    return f"好的，已为您记下{window}，同事会按这个时间为您安排。"


def work_window_later() -> str:
    return "好的，同事安排时会先和您确认一个方便的时间。"


def ask_followup() -> str:
    return "为了确认问题真正解决，处理完成后我们想回访您一次。您看什么时间方便？可以点选，也可以直接告诉我，比如'周五上午'。"


def followup_unclear(labels: list[str]) -> str:
    return f"我想确认一下具体时间：您可以选择{'、'.join(labels)}，或者说'明天下午三点'、'三天后'这样的时间。"


def followup_default(label: str) -> str:
    return f"那我先为您预约{label}回访，时间不合适的话随时告诉我，我来调整。"


def followup_moved(when_text: str) -> str:
    return f"晚上的时间我们尽量不打扰您休息，回访就安排在{when_text}。"


def followup_booked(when_text: str, channel: str, reference: str | None) -> str:
    via = CHANNEL_NAMES.get(channel, "本聊天窗口")
    text = f"好的，已为您预约{when_text}回访，到时会通过{via}联系您，问问问题是否已经解决。"
    if reference:
        text += f"您的投诉编号是{reference}，随时可以凭它查询进度。"
    return text


def followup_declined(reference: str | None) -> str:
    text = "好的，尊重您的安排，我们就不另外回访了，处理完成后会通知您结果。"
    if reference:
        text += f"您的投诉编号是{reference}，随时可以找我查询进度。"
    return text


def order_not_matched() -> str:
    return "这个订单号我这边还没匹配上，麻烦您再核对一下，订单号一般是QT开头加12位数字。"


def order_recorded_without() -> str:
    return "没关系，我先按您的描述记录下来，稍后由同事人工核实订单，不影响为您处理。"


# --- an order is the customer's own before it is read back (bot/ownership.py) -------------
def ask_order_owner(first: bool) -> str:
    """The question for the last four digits of the phone on the order. The second time it is
    the same kind answer whether the order exists or the digits were wrong."""
    if first:
        return ("收到订单号啦。为了保护您的订单信息，麻烦告诉我下单时预留手机号的后四位，"
                "核对好后我马上为您调出订单。")
    return ("这次还没核对上，可能是下单时留了另一个号码。麻烦再看一下订单上预留的手机号，把后四位发给我；"
            "一时想不起来也没关系，回复「跳过」，我先按您的描述往下办。")


def order_owner_confirmed() -> str:
    return "核对好了，谢谢您的配合。"


def order_left_unverified() -> str:
    """After the digits were asked twice (or the customer could not give them): the complaint
    goes on without the order, a colleague checks it."""
    return "没关系，订单信息我请同事稍后帮您核实，您的情况我已经按描述记录好了，我们接着往下处理。"


def late_order_kept() -> str:
    """An order number given after a remedy was chosen: kept for a colleague to verify."""
    return "订单号已经记下了，同事核实订单信息后会按它为您跟进，已经为您安排的处理照常进行。"


def sincere_apology(type_label: str, team: str, explain: bool) -> str:
    """The apology an apology-only complaint is owed, and where the feedback went."""
    text = (f"我代表公司郑重地向您道歉：这次{type_label}方面的经历让您受委屈了，责任在我们。"
            f"您反映的情况已经原样记录，转给了{team}，他们会逐条核查、落实改进。")
    if explain:
        return text + "事情的经过和处理结果，会由他们在24小时内向您说明清楚。"
    return text + "谢谢您愿意告诉我们，这对我们改进非常重要。"


# --- the complaint form's facts: the second question is worded anew, a gap is an answer ------
def ask_order_id_again(not_matched: bool) -> str:
    if not_matched:
        return order_not_matched() + "一时找不到的话，回复「找不到」就好，我先按您的描述往下办。"
    return ("订单号在订单详情页可以看到，QT开头。方便的话发给我，核对起来会更快；"
            "一时找不到也没关系，回复「找不到」我就先按您的描述往下办。")


PRODUCT_REFUSALS = {
    "phone": "这串数字像是手机号码，我先把它记作您的联系方式。",
    "order_id": "这个像是订单编号，我先记下了。",
    "number": "收到这串数字了。",
    "date": "时间我记下了。",
}


def ask_product_again(refused: str | None) -> str:
    """The second product question; `refused` says why the first answer was not a product."""
    lead = PRODUCT_REFUSALS.get(refused or "", "")
    return lead + "想再跟您确认一下是哪件商品出了问题，说个大概的名字就行，比如「冰箱」「蓝牙耳机」。"


GAP_LINES = {
    ("order_id", "later"): "好的，不着急，订单号您找到后随时发给我就行，我先按您的描述接着处理。",
    ("order_id", "unknown"): "没关系，订单号一时找不到也不影响，我先按您的描述记录，同事会帮您核实订单。",
    ("order_id", "none"): "好的，没有订单号也没关系，我们按您的描述来处理。",
    ("product", "later"): "好的，商品信息您方便时再补充给我，我先按您说的情况接着处理。",
    ("product", "unknown"): "没关系，商品名称记不准也不要紧，我先按您说的情况记录，同事会帮您核实。",
    ("product", "none"): "好的，那我们就按您说的情况来处理。",
}


def fact_gap_noted(slot: str, gap: str) -> str:
    return GAP_LINES[(slot, gap)]


def fact_given_up(slot: str) -> str:
    """Said once when a fact was asked twice and the bot carries on with what it has."""
    if slot == "order_id":
        return order_recorded_without()
    return "好的，商品名称我们之后再一起确认，先按您说的情况往下处理。"


def future_date_reask(day: date) -> str:
    return (f"您提到的{day.year}年{day.month}月{day.day}日还在后面呢，可能是记混了日子。"
            "大概是哪天买的呢？说个大概就行，比如「上周」「10月初」。")


def progress_text(progress: Progress | None, now: datetime) -> str:
    if progress is None:
        return "我这边暂时还没找到您的投诉记录。方便的话告诉我订单号或者遇到的问题，我马上为您查询和处理。"
    text = f"您的投诉（编号{progress.reference}，{progress.type_label}）目前的进展：{progress.status_label}。"
    if progress.remedy_label:
        text += f"已确认的方案是{progress.remedy_label}"
        text += "，补偿金额正在等待主管审批。" if progress.approval == "pending" else "。"
    for line in progress.work_orders:
        text += line if line.endswith("。") else line + "。"
    if progress.handoff_status in ("queued", "claimed"):
        text += "资深同事正在跟进您的事情，很快会和您联系。"
    if progress.followup_at:
        from bot.timeparse import describe

        local = progress.followup_at.astimezone(now.tzinfo)
        text += f"我们约好在{describe(local, now)}回访您。"
    elif progress.followup_after_work:
        text += "等工单全部完成后，我们会按您选的时间回访您。"
    return text


def policy_answer(answer: str | None, topics: list[str]) -> str:
    if answer:
        return answer
    return f"这个问题我马上为您确认。我能直接解答的有：{'、'.join(topics)}，您也可以说得再具体一些。"


ADDED_LINES = ("好的，我已经补充记录下来了。", "这一点也记上了，谢谢您补充。", "收到，已经一并记录。")


def noted(has_complaint: bool, said: tuple[str, ...] | list[str] = ()) -> str:
    if has_complaint:
        return _first_unsaid(ADDED_LINES, said)
    return "好的，记下了。请问遇到了什么问题呢？您慢慢说，我来帮您处理。"


SAFETY_FIRST = "您和家人的安全最重要！如果有人受伤请先就医或拨打120，如有起火冒烟请先断电并拨打119。"
AT_RISK = {"child_at_risk": "child", "vulnerable_at_risk": "vulnerable"}


def safety_advice(reasons: list[str], advice: dict[str, str] | None) -> str | None:
    """The advice for each hazard the reasons name (danger:gas → advice["gas"]), each once, in
    the knowledge base's order; the general line for a hazard it has no advice for."""
    hazards = {r.split(":", 1)[1] for r in reasons if r.startswith("danger:")}
    hazards |= {AT_RISK[r] for r in reasons if r in AT_RISK}
    if not hazards:
        return None
    advice = advice or {}
    lines = [text for key, text in advice.items() if key in hazards]
    return "".join(lines) if lines else advice.get("default", SAFETY_FIRST)


def queue_line(ticket: HandoffTicket) -> str:
    """Where the customer is in the queue, as a person would say it."""
    ahead = ticket.position - 1
    place = "您是下一位" if ahead <= 0 else f"您前面还有{ahead}位"
    return f"我已经请资深同事来为您处理，{place}，预计{ticket.wait_minutes}分钟内会有同事和您联系。"


def handoff_text(ticket: HandoffTicket, reasons: list[str], when_text: str | None, phone_masked: str | None,
                 advice: dict[str, str] | None = None) -> str:
    parts = []
    safety = safety_advice(reasons, advice)
    if safety:
        parts.append(safety)
    elif "abuse" in reasons or "extreme_anger" in reasons:
        parts.append("非常抱歉让您这么生气，您的感受我完全理解。")
    else:
        parts.append("您的心情我完全理解，这件事我们一定认真对待。")
    if ticket.on_duty:
        parts.append(queue_line(ticket))
    else:
        contact = f"致电{phone_masked}或" if phone_masked else ""
        parts.append(
            f"现在是非工作时间，我们已为您优先登记，资深同事会在{when_text}{contact}在这里联系您。"
        )
        if not phone_masked:
            parts.append("方便的话留下手机号，同事会优先回电。")
    parts.append("您可以继续留言，每一条都会转给同事。")
    return "".join(parts)


# --- after a person took part ---------------------------------------------------------------
RESUME_LINES = {
    "remedy": "感谢您的耐心，同事已经和您沟通过了。接下来由我继续为您把处理方案确定下来。",
    "followup": "感谢您的耐心，处理方案已经确认。接下来由我帮您约一个回访时间，确保问题真正解决。",
    "facts": "感谢您的耐心，接下来由我继续为您登记，把需要的信息补充完整。",
    "closed": "感谢您的耐心，同事已经为您处理好了。还有其他需要帮忙的，随时告诉我。",
    "listening": "感谢您的耐心，接下来由我继续为您服务，有任何需要随时告诉我。",
}


def resume_line(stage: str) -> str:
    return RESUME_LINES.get(stage, RESUME_LINES["listening"])


def agent_joined(name: str) -> str:
    return f"您好，我是{name}，已经看过您反映的全部情况，接下来由我为您处理。"


def approval_outcome(approved: bool, amount: object, cap: int, reference: str, legal: bool = False) -> str:
    """What the customer hears when a supervisor decides; legal damages are never cut to the
    goodwill cap: a supervisor who does not approve the amount has it checked with the bills."""
    if approved:
        what = "赔偿" if legal else "补偿"
        return f"好消息：您投诉单{reference}的{amount}元{what}已经审批通过，我们会尽快为您安排到账。"
    if legal:
        return (
            f"关于投诉单{reference}的赔偿，主管已经认真复核，依法应付的部分会按实际损失全额支付。"
            "同事会马上和您联系，一起核对票据和金额，确认后第一时间为您安排。"
        )
    return (
        f"关于投诉单{reference}的补偿，主管已经认真复核。按照政策，我们可以为您安排{cap}元以内的补偿，"
        "或者优先为您办理退换货，同事会马上和您确认最合适的方案。"
    )


def case_closed(reference: str | None) -> str:
    ref = f"（投诉单{reference}）" if reference else ""
    return f"您的问题{ref}已经处理完毕，感谢您的耐心和信任。之后有任何情况，随时在这里找我们。"


# --- follow-up (回访) and satisfaction ----------------------------------------------------------
def followup_check(reference: str, remedy_label: str | None) -> str:
    about = f"（{remedy_label}）" if remedy_label else ""
    return f"您好，我是倾听客服小倾，按约定来回访您的投诉单{reference}{about}。想跟您确认一下处理结果。"


def followup_reminder(reference: str) -> str:
    return (f"您好，小倾再来问候一下：关于投诉单{reference}的回访，方便时回复「解决了」或「还没解决」就好，"
            "您的反馈对我们很重要。")


def csat_thanks() -> str:
    return "太好了，问题解决了我们也放心了！感谢您的评价和耐心，之后有任何需要，随时来找小倾。"


def csat_reopened(reference: str, solved: bool) -> str:
    if solved:
        return (f"感谢您的坦诚评价，让您不够满意，我们很抱歉。投诉单{reference}已经重新打开，"
                "我马上请一位资深同事带着之前的全部记录来跟进，把体验补回来。")
    return (f"非常抱歉，问题还没有真正解决，给您添麻烦了。投诉单{reference}已经重新打开，"
            "我马上请一位资深同事带着之前的全部记录来跟进。")


def wait_apology(reference: str | None) -> str:
    ref = f"（投诉单{reference}）" if reference else ""
    return (f"让您久等了，非常抱歉{ref}。您的问题已经提交主管优先安排，同事会尽快联系您，"
            "您也可以继续留言，每一条我们都会看到。")


# --- work orders (bot/workorders/) --------------------------------------------------------
WORKORDER_IN_HAND = "相关同事正在为您办理。"


def workorder_rescheduled(label: str, scheduled_line: str | None) -> str:
    """Staff moved the time of a scheduled work order (scheduled_line carries the new window)."""
    return f"{label}的时间已为您调整：{scheduled_line}如需再改，随时告诉我。"


def workorder_window_changed(label: str, slot: str) -> str:
    """Staff changed the time window before the work was scheduled."""
    return f"{label}的时间已为您调整为{slot}，同事会按这个时间安排。如需再改，随时告诉我。"


def workorder_failed(label: str) -> str:
    """A work order that could not be carried out as planned: a person takes it over."""
    return f"您的{label}在执行中遇到了一点情况，我们已经请资深同事优先为您跟进，很快会和您联系并给出新的安排。"

