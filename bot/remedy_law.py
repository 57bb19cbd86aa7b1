"""The law layer: every remedy Chinese consumer law gives for the facts of one order.

Plain Python over knowledge_base/law.yml (articles, 三包 catalogue, figures) and policies.yml
(the 7/15-day windows, 七日无理由, fraud and food multipliers). Given the facts of an order
(bot.remedy.OrderFacts) it returns entitlements: the remedy kind, the article that gives it
(the law.yml key, cited in the Chinese reason as 《…》第…条) and, for compensation, the legal
amount. The remedy engine (bot/remedy.py) puts goodwill on top, ranks and dedupes.

The rules, their articles and the readings chosen where the law is open: docs/REMEDY_LAW.md.
Facts decide, not the complaint type: the type only supplies a default for a fact nobody has
stated yet (a quality complaint presumes a defect, an incident presumes harm).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from bot.knowledge import KnowledgeBase
from bot.knowledge.models import Product

if TYPE_CHECKING:
    from bot.remedy import OrderFacts, RemedyRequest

# Complaint types that, absent a stated fact, presume a defect of the goods.
DEFECT_TYPES = {"quality", "after_sales", "incident"}
# Categories where a repair makes no sense (consumed, read or installed, not mended).
UNREPAIRABLE = {"food", "fresh", "media", "software"}
CHANNEL_NAMES = {"online": "网上", "tv": "电视购物", "phone": "电话", "mail": "邮购", "store": "门店"}

# When two rules give the same kind, the stronger one is kept (lower = stronger): the one
# that gives the customer more (a refund plus damages before a plain refund; the seller
# paying freight before the customer paying it).
PRIORITY = {
    "cpl_55": 0,
    "food_148": 1,
    "cpl_53": 2,
    "civil_604": 3,
    "sanbao_12": 4,
    "sanbao_9": 5,
    "sanbao_11": 6,
    "sanbao_13": 7,
    "sanbao_10": 8,
    "sanbao_14": 9,
    "sanbao_8": 9,
    "cpl_24": 10,
    "cpl_25": 11,
    "cpl_49": 12,
    "cpl_52": 13,
    "cpl_55_2": 14,
}


def yuan(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """12.00 → "12", 12.50 → "12.50" (how the amounts read in a sentence)."""
    value = yuan(value)
    return str(value.quantize(Decimal("1"))) if value == value.to_integral_value() else str(value)


@dataclass(frozen=True)
class RepairRecord:
    """One repair of the unit: sent on, back on (None: still at the repairer)."""

    sent_on: date
    returned_on: date | None = None
    waiting_parts: bool = False  # the delay is the producer's missing spare parts (§12: 90 days)

    def days(self, today: date) -> int:
        return max(0, ((self.returned_on or today) - self.sent_on).days)

    @classmethod
    def from_dict(cls, data: dict) -> RepairRecord:
        back = data.get("returned_on")
        return cls(
            sent_on=date.fromisoformat(str(data["sent_on"])),
            returned_on=date.fromisoformat(str(back)) if back else None,
            waiting_parts=bool(data.get("waiting_parts")),
        )


@dataclass(frozen=True)
class Entitlement:
    """A remedy the law gives. For compensation: one component of the amount owed."""

    kind: str  # return / exchange / repair / compensation
    basis: str  # law.yml article key, or "goodwill" for a paid repair the law no longer owes
    reason: str
    amount: Decimal | None = None  # compensation: the legal amount; None = by the bills
    combines_with: tuple[str, ...] = ()
    label: str | None = None  # "paid" or "prepaid": the knowledge base's alternative label
    legal: bool = True
    article: str = ""  # the citation as the reason gives it (filled in by LawLayer.findings)


@dataclass
class LawFindings:
    entitlements: list[Entitlement] = field(default_factory=list)
    missing_facts: list[str] = field(default_factory=list)
    delivered: bool = True
    out_of_period: bool = False  # a defect past every legal period: a paid repair is what is left

    def need(self, fact: str) -> None:
        if fact not in self.missing_facts:
            self.missing_facts.append(fact)


class LawLayer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.law = kb.law
        self.policies = kb.policies

    # --- citations ------------------------------------------------------------------------
    def cite(self, key: str, product: Product | None = None) -> str:
        """《law》article; a 三包 article of a product governed by its own rule: the rule's name."""
        if key.startswith("sanbao_") and product is not None:
            regulation = self.sanbao_regulation(product)
            if not regulation.numbered:
                return f"《{regulation.name}》"
        return self.kb.citation(key)

    def sanbao_regulation(self, product: Product):  # -> SanbaoRegulation
        regulations = self.law.sanbao.regulations
        keys = [item.regulation for item in self.kb.sanbao_items(product.name)]
        specific = [key for key in keys if key != "general"]
        return regulations[specific[0] if specific else "general"]

    # --- facts ----------------------------------------------------------------------------
    @staticmethod
    def delivered(order: OrderFacts) -> bool:
        if order.delivered is not None:
            return order.delivered
        return order.delivered_on is not None

    @staticmethod
    def receipt_date(order: OrderFacts) -> date:
        return order.delivered_on or order.purchased_on

    @staticmethod
    def has_defect(request: RemedyRequest, order: OrderFacts) -> bool:
        if order.defect is not None:
            return order.defect
        return request.complaint_type in DEFECT_TYPES

    def harm(self, request: RemedyRequest, order: OrderFacts) -> tuple[bool, bool, bool]:
        """(injured, property damaged, presumed): an incident with no stated facts presumes harm."""
        injured = bool(order.injured) or order.serious_injury
        damaged = bool(order.property_damaged)
        unstated = order.injured is None and order.property_damaged is None and not order.serious_injury
        if unstated and request.complaint_type == "incident":
            return False, False, True
        return injured, damaged, False

    # --- entry point ----------------------------------------------------------------------
    def findings(self, request: RemedyRequest, product: Product) -> LawFindings:
        order = request.order
        assert order is not None
        found = LawFindings(delivered=self.delivered(order))
        if not found.delivered:
            self._prepayment(request, order, product, found)
            return self._cited(found, product)
        fraud = self._fraud(order, product, found)
        food = self._food(request, order, product, found)
        if order.damaged_in_transit:
            self._transit(product, found)
        # fraud and unsafe food are settled by a refund plus damages, not by mending the goods
        if self.has_defect(request, order) and not food and not fraud:
            if product.sanbao:
                self._sanbao(request, order, product, found)
            else:
                self._cpl_24(request, order, product, found)
        self._no_reason(request, order, product, found)
        self._damages(request, order, product, found)
        return self._cited(found, product)

    def _cited(self, found: LawFindings, product: Product) -> LawFindings:
        found.entitlements = [
            replace(e, article=self.cite(e.basis, product))
            if e.basis in self.law.articles and not e.article else e
            for e in found.entitlements
        ]
        return found

    # --- 消保法 §53: prepaid goods not delivered ---------------------------------------------
    def _prepayment(
        self, request: RemedyRequest, order: OrderFacts, product: Product, found: LawFindings
    ) -> None:
        cite = self.cite("cpl_53")
        found.entitlements.append(
            Entitlement(
                "return",
                "cpl_53",
                f"根据{cite}，商品还没有交付，可以为您退回预付款{money(order.price)}元，"
                "并承担预付款利息和您为此支付的合理费用；您也可以选择让我们按约定尽快发货",
                combines_with=("compensation",),
                label="prepaid",
            )
        )
        days = max(0, (request.today - order.purchased_on).days)
        rate = Decimal(str(self.law.prepayment.annual_interest_rate))
        interest = yuan(order.price * rate * days / Decimal(365))
        percent = money(rate * 100)
        reason = f"根据{cite}，预付款利息{money(interest)}元（按年利率{percent}%计{days}天）"
        amount = interest
        if order.loss_amount is None:
            found.need("loss_amount")
        elif order.loss_amount > 0:  # a stated zero: no costs to add
            reason += f"，加上您为此支付的合理费用{money(order.loss_amount)}元"
            amount += order.loss_amount
        found.entitlements.append(
            Entitlement("compensation", "cpl_53", reason, yuan(amount), combines_with=("return",))
        )

    # --- 消保法 §55 ¶1: fraud --------------------------------------------------------------
    def _fraud(self, order: OrderFacts, product: Product, found: LawFindings) -> bool:
        if not (order.counterfeit or order.refurbished_as_new):
            return False
        what = "假冒商品" if order.counterfeit else "以翻新商品冒充新品"
        cite = self.cite("cpl_55")
        found.entitlements.append(
            Entitlement(
                "return",
                "cpl_55",
                f"根据{cite}，经核实属于{what}的，为您退货退款{money(order.price)}元，"
                "同时按价款三倍增加赔偿，两项一起办理",
                combines_with=("compensation",),
            )
        )
        return True

    def fraud_amount(self, order: OrderFacts) -> Decimal:
        rule = self.policies.fraud
        return yuan(max(order.price * rule.multiplier, Decimal(rule.minimum)))

    # --- 食品安全法 §148 --------------------------------------------------------------------
    def food_breach(self, request: RemedyRequest, order: OrderFacts, product: Product) -> bool | None:
        """True: stated; None: presumed from a complaint about the goods (to verify); False: no."""
        if not product.food or order.label_only:
            return False
        if order.food_standard_breach is not None:
            return order.food_standard_breach
        # Goods crushed or broken in transit are the seller's risk (民法典 §604), not food below the
        # safety standard: a breach there is one the customer states (变质, 发臭), never presumed.
        return None if self.has_defect(request, order) and not order.damaged_in_transit else False

    def _food(
        self, request: RemedyRequest, order: OrderFacts, product: Product, found: LawFindings
    ) -> bool:
        breach = self.food_breach(request, order, product)
        if breach is False:
            return False
        if breach is None:
            found.need("food_standard_breach")
        verify = "经核实属于不符合食品安全标准的食品后，" if breach is None else ""
        cite = self.cite("food_148")
        found.entitlements.append(
            Entitlement(
                "return",
                "food_148",
                f"根据{cite}，{verify}可以为您退货退款{money(order.price)}元，"
                "并另外支付赔偿金，两项一起办理",
                combines_with=("compensation",),
            )
        )
        return True

    def food_amount(self, order: OrderFacts, loss: Decimal | None = None) -> Decimal:
        rule = self.policies.food_safety
        loss = loss if loss is not None else (order.loss_amount or Decimal(0))
        return yuan(max(order.price * rule.price_multiplier, loss * rule.loss_multiplier,
                        Decimal(rule.minimum)))

    # --- 民法典 §604: damaged in transit ------------------------------------------------------
    def _transit(self, product: Product, found: LawFindings) -> None:
        cite = self.cite("civil_604")
        why = f"根据{cite}，商品交付前的运输风险由我们承担，运输途中损坏的商品"
        found.entitlements.append(
            Entitlement("return", "civil_604", why + "可以为您退货退款，来回运费由我们承担")
        )
        found.entitlements.append(
            Entitlement("exchange", "civil_604", why + "也可以为您免费重新发一件新品，运费由我们承担")
        )

    # --- 三包 ---------------------------------------------------------------------------------
    def sanbao_validity(self, request: RemedyRequest, order: OrderFacts, product: Product) -> tuple[date, int, bool]:
        """(end of the 三包有效期, repair days added by §8, restarted by an exchange §14)."""
        restarted = order.exchanged_on is not None and order.exchanged_on >= order.purchased_on
        start = order.exchanged_on if restarted else order.purchased_on
        assert start is not None
        repair_days = sum(r.days(request.today) for r in self.current_repairs(order))
        end = start + relativedelta(months=product.warranty_months) + relativedelta(days=repair_days)
        return end, repair_days, restarted

    @staticmethod
    def current_repairs(order: OrderFacts) -> list[RepairRecord]:
        """Repairs of the unit the customer has now (those before an exchange were of the old one)."""
        repairs = list(order.repair_history)
        if order.exchanged_on is not None:
            repairs = [r for r in repairs if r.sent_on >= order.exchanged_on]
        return repairs

    def repair_count(self, order: OrderFacts) -> int:
        return max(order.repairs_done, len(self.current_repairs(order)))

    def _sanbao(
        self, request: RemedyRequest, order: OrderFacts, product: Product, found: LawFindings
    ) -> None:
        sanbao = self.policies.sanbao
        c = lambda key: self.cite(key, product)  # noqa: E731
        days = max(0, (request.today - order.purchased_on).days)
        end, repair_days, restarted = self.sanbao_validity(request, order, product)
        in_stock = order.same_model_in_stock is not False
        add = found.entitlements.append

        def exchange_or_return(why: str, basis: str) -> None:
            if in_stock:
                add(Entitlement("exchange", basis, why + "，可以免费为您换同型号同规格的新品"))
                return
            out = f"{why}；同型号同规格的产品暂时缺货，根据{c('sanbao_13')}，"
            add(Entitlement("return", "sanbao_13", out + "可以为您办理退货，按发票价格退款"))
            add(Entitlement("exchange", "sanbao_13", out + "也可以按您的意愿换成其他型号规格的产品"))

        if days <= sanbao.return_days and not restarted:
            why = f"根据{c('sanbao_9')}，商品售出{days}天内出现性能故障，您可以任选退货、换货或维修"
            add(Entitlement("return", "sanbao_9", why + "，退货按发票价格一次退清货款"))
            if in_stock:
                add(Entitlement("exchange", "sanbao_9", why + "，换货为您调换同型号同规格的新品"))
            else:
                exchange_or_return(why, "sanbao_9")
            add(Entitlement("repair", "sanbao_9", why + "，维修免费"))
            return
        if days <= sanbao.exchange_days and not restarted:
            why = f"根据{c('sanbao_10')}，商品售出{days}天，在{sanbao.exchange_days}天内出现性能故障，您可以选择换货或维修"
            exchange_or_return(why, "sanbao_10")
            add(Entitlement("repair", "sanbao_10", why + "，维修免费"))
            return
        if request.today > end:
            found.out_of_period = True
            self._paid_repair(found, f"三包有效期（{product.warranty_months}个月）已过")
            return
        period = f"三包有效期至{end.year}年{end.month}月{end.day}日"
        if repair_days:
            period += f"（已按{c('sanbao_8')}顺延维修占用的{repair_days}天）"
        if restarted:
            period += f"，换货后的三包有效期自换货之日起重新计算（{c('sanbao_14')}）"
        overrun = self._overrun(request, order)
        if overrun:
            limit, waited = overrun
            why = f"根据{c('sanbao_12')}，{period}，这次维修已{waited}天，超过{limit}天"
            exchange_or_return(why, "sanbao_12")
            return
        repairs = self.repair_count(order)
        if repairs >= sanbao.repairs_before_exchange:
            why = f"根据{c('sanbao_11')}，{period}，已维修{repairs}次仍有性能故障"
            if in_stock:
                add(Entitlement("exchange", "sanbao_11", why + "，可以免费为您换同型号同规格的产品"))
                add(Entitlement("return", "sanbao_11", why + "，也可以为您办理退货"))
            else:
                exchange_or_return(why, "sanbao_11")
            return
        basis = "sanbao_14" if restarted else "sanbao_8"
        period = period.replace(f"（已按{c('sanbao_8')}顺延", "（已顺延")
        why = f"根据{c('sanbao_8')}，{period}，可以为您免费维修（材料费和工时费都由我们承担）"
        add(Entitlement("repair", basis, why))

    def _overrun(self, request: RemedyRequest, order: OrderFacts) -> tuple[int, int] | None:
        """(limit, days) of a repair past §12's limit: 30 days, 90 waiting for spare parts."""
        rule = self.law.sanbao
        for repair in self.current_repairs(order):
            limit = rule.spare_parts_overrun_days if repair.waiting_parts else rule.repair_overrun_days
            if repair.days(request.today) > limit:
                return limit, repair.days(request.today)
        return None

    def _paid_repair(self, found: LawFindings, why: str) -> None:
        found.entitlements.append(
            Entitlement("repair", "goodwill", f"{why}，我们可以为您安排优惠维修，费用按优惠价收取",
                        label="paid", legal=False)
        )

    # --- 消保法 §24 (goods outside 三包) + 民法典 §621 ------------------------------------------
    def notice_end(self, order: OrderFacts, product: Product) -> date:
        """民法典 §621: the warranty (quality-guarantee) period if any, else two years from receipt."""
        received = self.receipt_date(order)
        if product.warranty_months:
            return order.purchased_on + relativedelta(months=product.warranty_months)
        return received + relativedelta(years=self.law.defect_notice.years)

    def _cpl_24(
        self, request: RemedyRequest, order: OrderFacts, product: Product, found: LawFindings
    ) -> None:
        cite = self.cite("cpl_24")
        days = max(0, (request.today - self.receipt_date(order)).days)
        repairable = product.category not in UNREPAIRABLE
        add = found.entitlements.append
        if days <= self.policies.quality_defect_return_days:
            why = f"根据{cite}，收货{days}天内发现质量问题"
            add(Entitlement("return", "cpl_24", why + "，可以退货退款，来回运费由我们承担"))
            add(Entitlement("exchange", "cpl_24", why + "，也可以为您换一件新的，运费由我们承担"))
            if repairable:
                add(Entitlement("repair", "cpl_24", why + "，或者为您免费维修"))
            return
        end = self.notice_end(order, product)
        if request.today > end:
            found.out_of_period = True
            if repairable:
                if product.warranty_months:
                    self._paid_repair(found, f"商品已超出{product.warranty_months}个月保修期")
                else:
                    self._paid_repair(found, f"商品收货已超过{self.law.defect_notice.years}年")
            return
        if product.warranty_months:
            period = f"在{product.warranty_months}个月质量保证期内"
        else:
            period = f"在收货{self.law.defect_notice.years}年的质量异议期内（{self.cite('civil_621')}）"
        why = f"根据{cite}，商品{period}出现质量问题，收货七日后"
        add(Entitlement("exchange", "cpl_24", why + "可以为您免费换货，运费由我们承担"))
        if repairable:
            add(Entitlement("repair", "cpl_24", why + "可以为您免费维修，运费由我们承担"))
        repairs = self.repair_count(order)
        if repairs >= self.policies.sanbao.repairs_before_exchange:
            add(Entitlement("return", "cpl_24",
                            why + f"已维修{repairs}次仍有故障，符合法定解除合同的条件，可以为您退货退款"))

    # --- 消保法 §25: 七日无理由 (distance sales) -----------------------------------------------
    def _no_reason(
        self, request: RemedyRequest, order: OrderFacts, product: Product, found: LawFindings
    ) -> None:
        rule = self.policies.no_reason_return
        days = max(0, (request.today - self.receipt_date(order)).days)
        eligible = (
            order.channel in self.law.distance_sale.channels
            and product.no_reason_return
            and product.category not in rule.excluded_categories
            and order.intact is not False
            and days <= rule.days
        )
        if not eligible:
            return
        via = CHANNEL_NAMES.get(order.channel, "")
        why = (
            f"根据{self.cite('cpl_25')}，{via}购买的商品收货{days}天，在七日无理由退货期内，"
            f"商品完好即可退货，我们收到退货后{rule.refund_within_days}天内退款；"
            "寄回运费按约定承担，没有约定的由买家承担"
        )
        found.entitlements.append(Entitlement("return", "cpl_25", why))

    # --- damages: §49 injury, §52 property, §55 fraud, §55 ¶2, 食品 §148 ------------------------
    def _damages(
        self,
        request: RemedyRequest,
        order: OrderFacts,
        product: Product,
        found: LawFindings,
    ) -> None:
        injured, damaged, presumed = self.harm(request, order)
        loss = order.loss_amount
        if loss is None and (injured or damaged or presumed) and request.claimed_amount:
            loss = request.claimed_amount  # the amount the customer names: their loss, to verify
        components: list[Entitlement] = []
        heads = []
        if injured:
            heads.append("cpl_49")
        if damaged:
            heads.append("cpl_52")
        if presumed:
            heads += ["cpl_49", "cpl_52"]
            found.need("injured")
            found.need("property_damaged")
        food = self.food_breach(request, order, product) is not False
        fraud = order.counterfeit or order.refurbished_as_new
        # the loss itself: once, whichever articles owe it (a stated zero loss owes nothing)
        owed = heads or (food and order.loss_amount is not None) or (fraud and order.loss_amount is not None)
        if owed and not (loss is not None and loss == 0):
            cites = "、".join(dict.fromkeys(self.cite(h) for h in heads)) or (
                self.cite("food_148") if food else self.cite("cpl_55"))
            what = []
            if injured or presumed:
                what.append("医疗费、护理费、交通费和误工减少的收入")
            if damaged or presumed:
                what.append("受损财物的修理、更换费用或损失")
            if not what:
                what.append("您因此受到的损失")
            text = f"根据{cites}，赔偿{'以及'.join(what)}"
            if loss is not None:
                text += f"，共{money(loss)}元（凭票据核实）"
            else:
                text += "，凭医疗票据、维修单据等据实赔偿"
                found.need("loss_amount")
            basis = heads[0] if heads else ("food_148" if food else "cpl_55")
            components.append(Entitlement("compensation", basis, text, None if loss is None else yuan(loss),
                                          article=cites))
        # punitive: one award, the largest head that applies
        options: list[tuple[Decimal | None, Entitlement]] = []
        if food:
            amount = self.food_amount(order, loss)
            rule = self.policies.food_safety
            verify = "经核实属于不符合食品安全标准的食品后，" if order.food_standard_breach is None else ""
            options.append((amount, Entitlement(
                "compensation", "food_148",
                f"根据{self.cite('food_148')}，{verify}另外支付价款十倍或损失三倍的赔偿金"
                f"（最低{rule.minimum}元），共{money(amount)}元",
                amount)))
        if fraud:
            amount = self.fraud_amount(order)
            options.append((amount, Entitlement(
                "compensation", "cpl_55",
                f"根据{self.cite('cpl_55')}，按价款三倍增加赔偿（不足{self.policies.fraud.minimum}元的按"
                f"{self.policies.fraud.minimum}元），共{money(amount)}元",
                amount)))
        if order.known_defect and order.serious_injury and not (loss is not None and loss == 0):
            times = self.law.punitive_injury.loss_multiplier
            amount = yuan(loss * times) if loss is not None else None
            text = (f"根据{self.cite('cpl_55_2')}，明知商品存在缺陷仍然提供、造成健康严重损害的，"
                    f"另有所受损失{times}倍以下的惩罚性赔偿")
            text += f"，按{times}倍计{money(amount)}元" if amount is not None else "，按核实的损失计算"
            options.append((amount, Entitlement("compensation", "cpl_55_2", text, amount)))
        if options:
            known = [o for o in options if o[0] is not None]
            best = max(known, key=lambda o: o[0])[1] if known else options[0][1]
            components.insert(0, best)
        combined = ("return", "exchange", "repair")
        found.entitlements += [
            replace(c, combines_with=combined) for c in components
        ]
