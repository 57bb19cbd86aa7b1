"""The remedy engine: which remedies the policy allows for this order and complaint.

Plain Python over knowledge_base/ data (policies.yml, remedies.yml, products.yml). Given the
order facts, the complaint type, the customer's wish, tier and severity, it returns the
allowed remedies ranked (the customer's wish first when allowed), each with its reason in
Chinese and, for compensation, an amount and whether a supervisor must approve it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from bot.knowledge import KnowledgeBase
from bot.knowledge.models import Product

PRODUCT_COMPLAINTS = {"quality", "delivery", "after_sales", "incident"}


@dataclass(frozen=True)
class OrderFacts:
    product: str
    price: Decimal
    purchased_on: date
    delivered_on: date | None = None
    channel: str = "online"  # online / store
    repairs_done: int = 0


@dataclass(frozen=True)
class RemedyOption:
    kind: str  # return / exchange / repair / compensation
    label: str
    reason: str
    basis: str  # law_refs key or "goodwill"
    amount: Decimal | None = None
    needs_approval: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> RemedyOption:
        amount = data.get("amount")
        return cls(
            kind=data["kind"],
            label=data["label"],
            reason=data["reason"],
            basis=data["basis"],
            amount=Decimal(str(amount)) if amount not in (None, "") else None,
            needs_approval=bool(data.get("needs_approval")),
        )

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "reason": self.reason,
            "basis": self.basis,
            "amount": None if self.amount is None else str(self.amount),
            "needs_approval": self.needs_approval,
        }


@dataclass(frozen=True)
class RemedyRequest:
    complaint_type: str
    order: OrderFacts | None
    wish: str | None = None
    tier: str = "normal"
    severity: int = 1
    claimed_amount: Decimal | None = None  # e.g. the overcharge the customer names
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class RemedyDecision:
    options: list[RemedyOption]
    valid: bool
    validity_note: str
    wish_allowed: bool

    def kinds(self) -> list[str]:
        return [option.kind for option in self.options]


def _yuan(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class RemedyEngine:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.policies = kb.policies

    # --- public -------------------------------------------------------------------------
    def decide(self, request: RemedyRequest) -> RemedyDecision:
        product = self.kb.product(request.order.product) if request.order else None
        options = self._legal_options(request, product) if request.order and product else []
        options = self._with_compensation(request, product, options)
        considered = set(self.kb.remedies.matrix[request.complaint_type])  # type: ignore[index]
        # The matrix says which kinds fit the complaint type; a legal right always stays.
        options = [o for o in options if o.kind in considered or o.basis != "goodwill"]
        options = self._dedupe(options)
        options = self._rank(options, request)
        valid, note = self._validity(request, product)
        wish_allowed = request.wish is None or any(o.kind == request.wish for o in options)
        return RemedyDecision(options, valid, note, wish_allowed)

    # --- legal windows ------------------------------------------------------------------
    @staticmethod
    def _days_since_sale(request: RemedyRequest) -> int:
        """三包 windows run from the sale (《部分商品修理更换退货责任规定》)."""
        assert request.order is not None
        return max(0, (request.today - request.order.purchased_on).days)

    @staticmethod
    def _days_since_receipt(request: RemedyRequest) -> int:
        """七日无理由 and the quality-defect return run from receipt of the goods."""
        order = request.order
        assert order is not None
        start = order.delivered_on or order.purchased_on
        return max(0, (request.today - start).days)

    @staticmethod
    def _in_warranty(request: RemedyRequest, product: Product) -> bool:
        assert request.order is not None
        if product.warranty_months == 0:
            return False
        return request.today <= request.order.purchased_on + relativedelta(months=product.warranty_months)

    def _legal_options(self, request: RemedyRequest, product: Product) -> list[RemedyOption]:
        order = request.order
        assert order is not None
        options: list[RemedyOption] = []
        if request.complaint_type in PRODUCT_COMPLAINTS:
            options += self._fault_options(request, product, order)
        options += self._no_reason_option(product, order, self._days_since_receipt(request))
        return options

    def _opt(self, kind: str, reason: str, basis: str, label: str | None = None) -> RemedyOption:
        return RemedyOption(kind, label or self.kb.remedy_label(kind), reason, basis)

    def _paid_repair(self) -> RemedyOption:
        label = self.kb.remedies.kinds["repair"].paid_label  # type: ignore[index]
        return self._opt("repair", "已过保修期，我们可以为您安排优惠维修", "goodwill", label=label)

    def _fault_options(self, request: RemedyRequest, product: Product, order: OrderFacts) -> list[RemedyOption]:
        sanbao = self.policies.sanbao
        in_warranty = self._in_warranty(request, product)
        if product.sanbao:
            days = self._days_since_sale(request)
            if days <= sanbao.return_days:
                why = f"购买{days}天内出现性能故障，可按三包规定任选退货、换货或维修"
                return [self._opt(k, why, "sanbao_9") for k in ("return", "exchange", "repair")]
            if days <= sanbao.exchange_days:
                why = f"购买{days}天，在{sanbao.exchange_days}天内出现性能故障，可按三包规定换货或维修"
                return [self._opt(k, why, "sanbao_10") for k in ("exchange", "repair")]
            if in_warranty:
                if order.repairs_done >= sanbao.repairs_before_exchange:
                    why = f"保修期内已维修{order.repairs_done}次仍有故障，可免费换同型号产品或退货"
                    return [self._opt(k, why, "sanbao_11") for k in ("exchange", "return")]
                why = f"在{product.warranty_months}个月保修期内，可享受免费维修"
                return [self._opt("repair", why, "sanbao_warranty")]
            return [self._paid_repair()]
        if product.food or product.category in ("food", "fresh"):
            return [self._opt("return", "食品质量问题，可为您办理退货退款", "cpl_24")]
        days = self._days_since_receipt(request)
        if days <= self.policies.quality_defect_return_days:
            why = f"收货{days}天内发现质量问题，可以退货，来回运费由我们承担"
            options = [self._opt("return", why, "cpl_24")]
            options.append(self._opt("exchange", "也可以为您换一件新的", "cpl_24"))
            if product.warranty_months:
                options.append(self._opt("repair", "或为您安排免费维修", "cpl_24"))
            return options
        if in_warranty:
            return [self._opt("repair", f"在{product.warranty_months}个月保修期内，可享受免费维修", "cpl_24")]
        return [self._paid_repair()]

    def _no_reason_option(self, product: Product, order: OrderFacts, days: int) -> list[RemedyOption]:
        rule = self.policies.no_reason_return
        eligible = (
            order.channel == "online"
            and product.no_reason_return
            and product.category not in rule.excluded_categories
            and days <= rule.days
        )
        if not eligible:
            return []
        why = (
            f"网购收货{days}天，在七日无理由退货期内，商品完好即可退货，"
            f"我们收到退货后{rule.refund_within_days}天内退款"
        )
        return [self._opt("return", why, "cpl_25")]

    # --- compensation -------------------------------------------------------------------
    def _with_compensation(
        self, request: RemedyRequest, product: Product | None, options: list[RemedyOption]
    ) -> list[RemedyOption]:
        cap = Decimal(self.kb.goodwill_cap(request.tier, request.severity))
        result = list(options)
        order = request.order
        if product is not None and order is not None and product.food and request.complaint_type in ("quality", "incident"):
            rule = self.policies.food_safety
            amount = max(order.price * rule.price_multiplier, Decimal(rule.minimum))
            why = f"食品安全问题经核实后，可按价款十倍赔偿，最低{rule.minimum}元"
            result.append(self._compensation(_yuan(amount), why, "food_148", cap))
        if request.complaint_type == "billing" and request.claimed_amount:
            why = "核实后为您退还多收的费用"
            result.append(self._compensation(_yuan(request.claimed_amount), why, "refund_difference", cap))
        if "compensation" in self.kb.remedies.matrix[request.complaint_type]:  # type: ignore[index]
            asked = request.claimed_amount if request.wish == "compensation" else None
            amount = _yuan(asked) if asked and request.complaint_type != "billing" else _yuan(cap)
            why = "给您带来不便，我们送上一份补偿表达歉意"
            result.append(self._compensation(amount, why, "goodwill", cap))
        return result

    def _compensation(self, amount: Decimal, reason: str, basis: str, cap: Decimal) -> RemedyOption:
        needs_approval = amount > cap
        if needs_approval:
            reason += f"（金额{amount}元，需主管审批，我们会尽快给您答复）"
        else:
            reason += f"（{amount}元）"
        return RemedyOption("compensation", self.kb.remedy_label("compensation"), reason, basis, amount, needs_approval)

    # --- ranking and validity -----------------------------------------------------------
    @staticmethod
    def _dedupe(options: list[RemedyOption]) -> list[RemedyOption]:
        """One option per kind: the legal basis wins over goodwill, the larger amount wins."""
        best: dict[str, RemedyOption] = {}
        for option in options:
            kept = best.get(option.kind)
            if kept is None or kept.basis == "goodwill" and option.basis != "goodwill" or option.kind == "compensation" and (option.amount or 0) > (kept.amount or 0) and option.basis != "goodwill":
                best[option.kind] = option
        order = list(dict.fromkeys(o.kind for o in options))
        return [best[kind] for kind in order]

    def _rank(self, options: list[RemedyOption], request: RemedyRequest) -> list[RemedyOption]:
        matrix = self.kb.remedies.matrix[request.complaint_type]  # type: ignore[index]

        def key(option: RemedyOption) -> tuple[int, int, int]:
            wished = 0 if option.kind == request.wish else 1
            legal = 0 if option.basis != "goodwill" else 1
            place = matrix.index(option.kind) if option.kind in matrix else len(matrix)
            return (wished, legal, place)

        return sorted(options, key=key)

    def _validity(self, request: RemedyRequest, product: Product | None) -> tuple[bool, str]:
        if request.order is None:
            return True, "暂未关联订单，已按您的描述记录，核实订单后为您跟进"
        if product is None:
            return True, "订单商品已记录，我们会人工核实适用的政策"
        if (
            request.complaint_type in ("quality", "after_sales")
            and product.warranty_months
            and not self._in_warranty(request, product)
        ):
            return True, f"订单已超出{product.warranty_months}个月保修期，我们依然为您提供优惠维修和补偿"
        return True, "订单信息核实无误，投诉成立"
