"""The remedy engine: which remedies the law and the policy give for this order and complaint.

Plain Python over knowledge_base/ data (law.yml, policies.yml, remedies.yml, products.yml).
Given the order facts, the complaint type, the customer's wish, tier and severity, it returns
the remedies ranked (the customer's wish first when allowed), each with its reason in Chinese
citing the article that gives it and, for compensation, an amount and whether a supervisor
must approve it. The law layer (bot/remedy_law.py) computes what the law gives; this module
puts goodwill on top (never below the legal amount), keeps one option per kind and ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.knowledge import KnowledgeBase
from bot.knowledge.models import Product
from bot.remedy_law import PRIORITY, Entitlement, LawFindings, LawLayer, RepairRecord, money

__all__ = [
    "OrderFacts",
    "RemedyDecision",
    "RemedyEngine",
    "RemedyOption",
    "RemedyRequest",
    "RepairRecord",
    "confirmation_next_step",
    "packaged",
]


PENDING_ORDER = "pending_order"  # the basis of a remedy offered before the order is checked


@dataclass(frozen=True)
class OrderFacts:
    product: str
    price: Decimal
    purchased_on: date
    delivered_on: date | None = None  # None (and `delivered` unset): not delivered yet
    channel: str = "online"  # online / tv / phone / mail (distance sales, 消保法 §25) / store
    repairs_done: int = 0
    # --- the facts the law needs (docs/REMEDY_LAW.md); None = not stated yet --------------
    delivered: bool | None = None  # overrides "delivered_on is set"
    damaged_in_transit: bool = False  # 民法典 §604
    same_model_in_stock: bool | None = None  # 三包 §13
    repair_history: tuple[RepairRecord, ...] = ()  # 三包 §8 (days added), §11 (count), §12 (overrun)
    exchanged_on: date | None = None  # 三包 §14: the 三包有效期 restarts
    counterfeit: bool = False  # 消保法 §55
    refurbished_as_new: bool = False  # 消保法 §55
    food_standard_breach: bool | None = None  # 食品安全法 §148 (None: presumed on a goods complaint)
    label_only: bool = False  # a label/packaging flaw that neither affects safety nor misleads
    loss_amount: Decimal | None = None  # the customer's loss in yuan beyond the price (bills)
    injured: bool | None = None  # 消保法 §49
    serious_injury: bool = False  # death or serious harm to health (§55 ¶2)
    known_defect: bool = False  # the seller knew of the defect (§55 ¶2)
    property_damaged: bool | None = None  # 消保法 §52
    defect: bool | None = None  # a quality defect (None: presumed from the complaint type)
    intact: bool | None = None  # 七日无理由 needs the goods intact (False: not intact)


@dataclass(frozen=True)
class RemedyOption:
    kind: str  # return / exchange / repair / compensation
    label: str
    reason: str
    basis: str  # law.yml article key, "refund_difference" or "goodwill"
    amount: Decimal | None = None
    needs_approval: bool = False
    article: str = ""  # the citation(s), e.g. 《消费者权益保护法》第五十五条第一款
    combines_with: tuple[str, ...] = ()  # kinds granted together with this one (refund + damages)
    legal: bool = False  # the law gives it (True) or the shop's goodwill/policy does
    # a package (see `packaged`): the other kinds granted with this one, e.g. ("compensation",)
    includes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> RemedyOption:
        amount = data.get("amount")
        basis = data["basis"]
        return cls(
            kind=data["kind"],
            label=data["label"],
            reason=data["reason"],
            basis=basis,
            amount=Decimal(str(amount)) if amount not in (None, "") else None,
            needs_approval=bool(data.get("needs_approval")),
            article=str(data.get("article") or ""),
            combines_with=tuple(data.get("combines_with") or ()),
            legal=bool(data["legal"]) if "legal" in data else basis not in ("goodwill", "refund_difference", PENDING_ORDER),
            includes=tuple(data.get("includes") or ()),
        )

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "reason": self.reason,
            "basis": self.basis,
            "amount": None if self.amount is None else str(self.amount),
            "needs_approval": self.needs_approval,
            "article": self.article,
            "combines_with": list(self.combines_with),
            "legal": self.legal,
            "includes": list(self.includes),
        }

    @property
    def paid(self) -> bool:
        """A repair the customer pays for (past every legal period)."""
        return self.kind == "repair" and not self.legal


@dataclass(frozen=True)
class RemedyRequest:
    complaint_type: str
    order: OrderFacts | None
    wish: str | None = None
    tier: str = "normal"
    severity: int = 1
    claimed_amount: Decimal | None = None  # e.g. the overcharge or the loss the customer names
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class RemedyDecision:
    options: list[RemedyOption]
    valid: bool
    validity_note: str
    wish_allowed: bool
    # facts the conversation could still ask for, because they would change the legal answer
    missing_facts: list[str] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [option.kind for option in self.options]


NEXT_STEPS = {
    "return": "我们会安排快递上门取件，收到退货后7天内原路退款。",
    "exchange": "我们会安排快递上门取回旧件，同时为您寄出新品。",
    "repair": "维修师傅会在48小时内联系您约上门时间，维修费用由我们承担。",
    "paid_repair": "维修师傅会在48小时内联系您约上门时间，先检测并报价，您确认后再维修。",
    "prepaid_return": "预付款和利息会在1至3个工作日内原路退回。",
    "no_reason_return": "可以为您预约快递上门取件，寄回运费按上面说的约定承担；我们收到退货、确认商品完好后，7天内原路退款。",
    "compensation": "补偿会在1至3个工作日内发放到您的账户。",
}


# Goods too big for a courier (work_orders.yml bulky_categories): technicians collect or deliver.
BULKY_STEPS = {
    "return": "我们会安排师傅上门拆卸取回，不用您打包搬运，收到退货后7天内原路退款。",
    "exchange": "我们会安排师傅把新商品送上门安装调试，旧商品同时带走。",
    "no_reason_return": "可以为您预约师傅上门取回，运费按上面说的约定承担；我们收到退货、确认商品完好后，7天内原路退款。",
}
PENDING_STEP = "同事会先核实您的订单，核实后1个工作日内联系您，安排取件、换新或维修的具体时间。"


def confirmation_next_step(option: dict, bulky: bool = False) -> str:
    """What happens next once this option (as_dict) is confirmed; a paid repair is not free,
    bulky goods go with technicians, not a courier. For a package, the step of its goods part
    (the compensation part is said separately)."""
    kind = option.get("kind", "")
    steps = {**NEXT_STEPS, **BULKY_STEPS} if bulky else NEXT_STEPS
    if option.get("basis") == PENDING_ORDER:
        return PENDING_STEP
    if kind == "repair" and option.get("legal") is False:
        return steps["paid_repair"]
    if kind == "return" and option.get("basis") == "cpl_53":
        return steps["prepaid_return"]
    if kind == "return" and option.get("basis") == "cpl_25":  # the buyer's freight unless agreed
        return steps["no_reason_return"]
    return steps.get(kind, "")


GOODS_KINDS = ("return", "exchange", "repair")


def _package_label(goods: RemedyOption, compensation: RemedyOption) -> str:
    joined = "并支付利息" if compensation.basis == "cpl_53" else "并赔偿"
    return goods.label + joined


def packaged(options: list[RemedyOption]) -> list[RemedyOption]:
    """What the customer is offered: options the law grants together (`combines_with`, e.g.
    a refund and the damages of 消保法 §55) become ONE option, "退货退款并赔偿", instead of two
    alternatives. Each remedy of the goods that the legal compensation combines with carries
    the compensation (its amount, approval and article); the compensation is then not offered
    on its own. Anything that combines with nothing is offered as it is, in the same order."""
    compensation = next(
        (o for o in options if o.kind == "compensation" and o.legal and o.combines_with), None
    )
    if compensation is None:
        return list(options)
    partners = [
        o for o in options
        if o.kind in GOODS_KINDS
        and (o.kind in compensation.combines_with or "compensation" in o.combines_with)
    ]
    if not partners:
        return list(options)
    result = []
    for option in options:
        if option is compensation:
            continue
        if option in partners:
            articles = "、".join(dict.fromkeys(
                part for o in (option, compensation) for part in o.article.split("、") if part
            ))
            option = replace(
                option,
                label=_package_label(option, compensation),
                reason=f"{option.reason}；赔偿部分：{compensation.reason}",
                amount=compensation.amount,
                needs_approval=compensation.needs_approval,
                article=articles,
                combines_with=(),
                includes=("compensation",),
            )
        result.append(option)
    return result


def _yuan(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class RemedyEngine:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.policies = kb.policies
        self.law = LawLayer(kb)

    # --- public -------------------------------------------------------------------------
    def decide(self, request: RemedyRequest) -> RemedyDecision:
        product = self.kb.product(request.order.product) if request.order else None
        findings = self.law.findings(request, product) if request.order and product else LawFindings()
        options = self._legal_options(findings) if request.order and product else self._pending(request)
        options = self._with_compensation(request, findings, options)
        considered = set(self.kb.remedies.matrix[request.complaint_type])  # type: ignore[index]
        # The matrix says which kinds fit the complaint type; a legal right always stays.
        options = [o for o in options if o.kind in considered or o.legal or o.basis != "goodwill"]
        offered = {o.kind for o in options}
        options = [
            replace(o, combines_with=tuple(k for k in o.combines_with if k in offered)) for o in options
        ]
        options = self._rank(options, request)
        valid, note = self._validity(request, product, findings)
        wish_allowed = request.wish is None or any(o.kind == request.wish for o in options)
        return RemedyDecision(options, valid, note, wish_allowed, list(findings.missing_facts))

    # --- the law layer's entitlements, one option per kind ---------------------------------
    def _label(self, kind: str, variant: str | None) -> str:
        info = self.kb.remedies.kinds[kind]  # type: ignore[index]
        if variant == "paid" and info.paid_label:
            return info.paid_label
        if variant == "prepaid" and info.prepaid_label:
            return info.prepaid_label
        return info.label

    def _option(self, entitlement: Entitlement) -> RemedyOption:
        article = entitlement.article
        return RemedyOption(
            kind=entitlement.kind,
            label=self._label(entitlement.kind, entitlement.label),
            reason=entitlement.reason,
            basis=entitlement.basis,
            article=article,
            combines_with=entitlement.combines_with,
            legal=entitlement.legal,
        )

    def _legal_options(self, findings: LawFindings) -> list[RemedyOption]:
        """The strongest entitlement per kind (compensation is assembled separately)."""
        best: dict[str, Entitlement] = {}
        for entitlement in findings.entitlements:
            if entitlement.kind == "compensation":
                continue
            kept = best.get(entitlement.kind)
            if kept is None or PRIORITY.get(entitlement.basis, 99) < PRIORITY.get(kept.basis, 99):
                best[entitlement.kind] = entitlement
        return [self._option(e) for e in best.values()]

    def _pending(self, request: RemedyRequest) -> list[RemedyOption]:
        """Without an order whose product the law can be read for: the goods remedies the
        complaint type allows, each granted once the order is checked (its date decides)."""
        kinds = self.kb.remedies.kinds
        return [
            RemedyOption(kind, kinds[kind].label, str(kinds[kind].pending_reason), PENDING_ORDER)  # type: ignore[index]
            for kind in self.kb.remedies.matrix[request.complaint_type]  # type: ignore[index]
            if kind in GOODS_KINDS and kinds[kind].pending_reason  # type: ignore[index]
        ]

    # --- compensation -------------------------------------------------------------------
    def _with_compensation(
        self, request: RemedyRequest, findings: LawFindings, options: list[RemedyOption]
    ) -> list[RemedyOption]:
        cap = Decimal(self.kb.goodwill_cap(request.tier, request.severity))
        result = list(options)
        components = [e for e in findings.entitlements if e.kind == "compensation"]
        offers_goodwill = "compensation" in self.kb.remedies.matrix[request.complaint_type]  # type: ignore[index]
        if components:
            result.append(self._legal_compensation(components, cap if offers_goodwill else Decimal(0), cap))
        elif request.complaint_type == "billing" and request.claimed_amount:
            why = "核实后为您退还多收的费用"
            result.append(self._compensation(_yuan(request.claimed_amount), why, "refund_difference", cap))
        elif offers_goodwill:
            asked = request.claimed_amount if request.wish == "compensation" else None
            amount = _yuan(asked) if asked and request.complaint_type != "billing" else _yuan(cap)
            why = "给您带来不便，我们送上一份补偿表达歉意"
            result.append(self._compensation(amount, why, "goodwill", cap))
        return result

    def _legal_compensation(self, components: list[Entitlement], goodwill: Decimal, cap: Decimal) -> RemedyOption:
        """Legal damages in full, goodwill on top; above the cap a supervisor approves."""
        parts = [c.reason for c in components]
        known = all(c.amount is not None for c in components)
        legal_total = sum((c.amount for c in components if c.amount is not None), Decimal(0))
        if goodwill:
            parts.append(f"另外送上{money(goodwill)}元心意补偿")
        reason = "；".join(parts)
        amount: Decimal | None = None
        if known:
            amount = _yuan(legal_total + goodwill)
            reason += f"，合计{money(amount)}元"
        elif legal_total:
            amount = _yuan(legal_total + goodwill)
            reason += f"，已确定的部分合计{money(amount)}元，实际损失核实票据后另行加上"
        else:
            reason += "，具体金额核实票据后确定"
        # legal damages above the cap (or not yet known) go to a supervisor; goodwill ≤ cap
        needs_approval = not known or legal_total > cap
        if needs_approval:
            reason += "（法定赔偿按实全额支付，金额需主管审批，我们会尽快给您答复）"
        bases = list(dict.fromkeys(c.basis for c in components))
        articles = "、".join(dict.fromkeys(c.article for c in components if c.article))
        combines = tuple(dict.fromkeys(k for c in components for k in c.combines_with))
        return RemedyOption(
            "compensation", self.kb.remedy_label("compensation"), reason, bases[0], amount,
            needs_approval, articles, combines, True,
        )

    def _compensation(self, amount: Decimal, reason: str, basis: str, cap: Decimal) -> RemedyOption:
        needs_approval = amount > cap
        if needs_approval:
            reason += f"（金额{amount}元，需主管审批，我们会尽快给您答复）"
        else:
            reason += f"（{amount}元）"
        return RemedyOption("compensation", self.kb.remedy_label("compensation"), reason, basis, amount, needs_approval)

    # --- ranking and validity -----------------------------------------------------------
    def _rank(self, options: list[RemedyOption], request: RemedyRequest) -> list[RemedyOption]:
        matrix = self.kb.remedies.matrix[request.complaint_type]  # type: ignore[index]

        def key(option: RemedyOption) -> tuple[int, int, int]:
            wished = 0 if option.kind == request.wish else 1
            legal = 0 if option.basis != "goodwill" else 1
            place = matrix.index(option.kind) if option.kind in matrix else len(matrix)
            return (wished, legal, place)

        return sorted(options, key=key)

    def _validity(
        self, request: RemedyRequest, product: Product | None, findings: LawFindings
    ) -> tuple[bool, str]:
        if request.order is None:
            return True, "暂未关联订单，已按您的描述记录，核实订单后为您跟进"
        if product is None:
            return True, "订单商品已记录，我们会人工核实适用的政策"
        if not findings.delivered:
            return True, "订单商品还没有送达，投诉成立；您可以选择退还预付款，也可以让我们尽快按约定发货"
        if findings.out_of_period and request.complaint_type in ("quality", "after_sales"):
            if product.warranty_months:
                return True, f"订单已超出{product.warranty_months}个月保修期，我们依然为您提供优惠维修和补偿"
            years = self.kb.law.defect_notice.years
            return True, f"订单收货已超过{years}年，我们依然为您提供优惠维修和补偿"
        return True, "订单信息核实无误，投诉成立"
