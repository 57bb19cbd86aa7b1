"""Pydantic schemas of the knowledge_base/ files (one model per file)."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, Field, confloat, conint, constr, validator

ComplaintType = Literal["quality", "service", "billing", "delivery", "after_sales", "incident"]
RemedyKind = Literal["return", "exchange", "repair", "compensation"]
Category = Literal[
    "small_appliance",
    "large_appliance",
    "digital",
    "furniture",
    "clothing",
    "food",
    "fresh",
    "custom_made",
    "media",
    "software",
]
Tier = Literal["normal", "silver", "gold", "vip"]
COMPLAINT_TYPES: tuple[str, ...] = ComplaintType.__args__  # type: ignore[attr-defined]
TIERS: tuple[str, ...] = Tier.__args__  # type: ignore[attr-defined]

Text = constr(strip_whitespace=True, min_length=1)


class Strict(BaseModel):
    class Config:
        extra = "forbid"


class Product(Strict):
    name: Text
    aliases: list[Text] = []
    category: Category
    sanbao: bool
    warranty_months: conint(ge=0)
    no_reason_return: bool
    food: bool = False


class ProductsFile(Strict):
    products: list[Product] = Field(..., min_items=1)

    @validator("products")
    def names_unique(cls, products: list[Product]) -> list[Product]:
        seen: dict[str, str] = {}
        for product in products:
            for word in [product.name, *product.aliases]:
                if word in seen and seen[word] != product.name:
                    raise ValueError(f"'{word}' names both {seen[word]} and {product.name}")
                seen[word] = product.name
        return products


class Sanbao(Strict):
    return_days: conint(gt=0)
    exchange_days: conint(gt=0)
    repairs_before_exchange: conint(gt=0)


class NoReasonReturn(Strict):
    days: conint(gt=0)
    excluded_categories: list[Category]
    refund_within_days: conint(gt=0)


class Fraud(Strict):
    multiplier: conint(gt=0)
    minimum: conint(ge=0)


class FoodSafety(Strict):
    price_multiplier: conint(gt=0)
    loss_multiplier: conint(gt=0)
    minimum: conint(ge=0)


class PoliciesFile(Strict):
    sanbao: Sanbao
    quality_defect_return_days: conint(gt=0)
    no_reason_return: NoReasonReturn
    fraud: Fraud
    food_safety: FoodSafety
    goodwill_caps: dict[Tier, dict[conint(ge=1, le=3), conint(ge=0)]]
    sla_minutes: dict[conint(ge=1, le=3), conint(gt=0)]
    law_refs: dict[str, Text] = {}

    @validator("goodwill_caps")
    def every_tier_and_level(cls, caps: dict) -> dict:
        for tier in TIERS:
            if tier not in caps:
                raise ValueError(f"missing tier '{tier}'")
            missing = {1, 2, 3} - set(caps[tier])
            if missing:
                raise ValueError(f"tier '{tier}' misses severity {sorted(missing)}")
        return caps

    @validator("sla_minutes")
    def every_level(cls, sla: dict) -> dict:
        if set(sla) != {1, 2, 3}:
            raise ValueError("needs exactly the severities 1, 2 and 3")
        return sla


class RemedyKindInfo(Strict):
    label: Text
    description: Text
    paid_label: Text | None = None  # e.g. repair after the warranty has passed
    prepaid_label: Text | None = None  # e.g. refund of a prepayment for goods never delivered
    # offered before the order is proven: what the customer gets once it is checked
    pending_reason: Text | None = None


class CompensationForm(Strict):
    id: Text
    label: Text


class RemediesFile(Strict):
    kinds: dict[RemedyKind, RemedyKindInfo]
    matrix: dict[ComplaintType, list[RemedyKind]]
    compensation_forms: list[CompensationForm] = []

    @validator("matrix")
    def every_type(cls, matrix: dict) -> dict:
        missing = set(COMPLAINT_TYPES) - set(matrix)
        if missing:
            raise ValueError(f"missing complaint types {sorted(missing)}")
        return matrix


class LawArticle(Strict):
    law: Text  # the law's name without 《》, e.g. 消费者权益保护法
    article: Text  # e.g. 第五十五条第一款
    gist: Text

    @property
    def citation(self) -> str:
        return f"《{self.law}》{self.article}"


class SanbaoRegulation(Strict):
    name: Text
    numbered: bool  # False: cite the rule by name only (its article numbers differ)
    note: str = ""


class SanbaoItem(Strict):
    item: Text
    regulation: Text
    products: list[Text] = []
    certain: bool = True


class LawSanbao(Strict):
    repair_overrun_days: conint(gt=0)
    spare_parts_overrun_days: conint(gt=0)
    regulations: dict[str, SanbaoRegulation]
    catalogue: list[SanbaoItem] = Field(..., min_items=1)

    @validator("catalogue")
    def known_regulations(cls, catalogue: list[SanbaoItem], values: dict) -> list[SanbaoItem]:
        regulations = values.get("regulations") or {}
        for entry in catalogue:
            if entry.regulation not in regulations:
                raise ValueError(f"item '{entry.item}': unknown regulation '{entry.regulation}'")
        return catalogue


class DefectNotice(Strict):
    years: conint(gt=0)


class DistanceSale(Strict):
    channels: list[Text] = Field(..., min_items=1)


class Prepayment(Strict):
    annual_interest_rate: confloat(ge=0, le=1)


class PunitiveInjury(Strict):
    loss_multiplier: conint(gt=0)


LAW_ARTICLE_KEYS = (
    "cpl_24", "cpl_25", "cpl_49", "cpl_52", "cpl_53", "cpl_55", "cpl_55_2", "civil_604",
    "civil_621", "food_148", "sanbao_8", "sanbao_9", "sanbao_10", "sanbao_11", "sanbao_12",
    "sanbao_13", "sanbao_14",
)


class LawFile(Strict):
    articles: dict[str, LawArticle]
    sanbao: LawSanbao
    defect_notice: DefectNotice
    distance_sale: DistanceSale
    prepayment: Prepayment
    punitive_injury: PunitiveInjury

    @validator("articles")
    def every_cited_article(cls, articles: dict) -> dict:
        missing = [key for key in LAW_ARTICLE_KEYS if key not in articles]
        if missing:
            raise ValueError(f"missing articles {missing}")
        return articles


class ComplaintTypeInfo(Strict):
    label: Text
    empathy: list[Text] = Field(..., min_items=2)
    recorded: Text
    # Words that say what went wrong; evidence for the complaint-type classifier.
    cues: list[Text] = []


class ComplaintTypesFile(Strict):
    types: dict[ComplaintType, ComplaintTypeInfo]

    @validator("types")
    def every_type(cls, types: dict) -> dict:
        missing = set(COMPLAINT_TYPES) - set(types)
        if missing:
            raise ValueError(f"missing complaint types {sorted(missing)}")
        return types


class BannedPhrase(Strict):
    phrase: Text
    rewrite: Text


class LanguageFile(Strict):
    banned: list[BannedPhrase] = Field(..., min_items=1)
    listening: list[Text] = Field(..., min_items=1)
    vent_followup: list[Text] = Field(..., min_items=1)
    fallback: list[Text] = Field(..., min_items=1)
    action_error: list[Text] = Field(..., min_items=1)
    empty_message: list[Text] = Field(..., min_items=1)
    long_message: list[Text] = Field(..., min_items=1)
    unsupported_media: list[Text] = Field(..., min_items=1)
    safety_advice: dict[str, Text]  # hazard → advice; "default" for a hazard without its own
    # the customer's own loss heard (bot/consequences.py KINDS): spoiled, property, time, cost
    consequence_ack: dict[Literal["spoiled", "property", "time", "cost"], Text]


class LexiconsFile(Strict):
    request_human: list[Text]
    escalation: dict[str, list[Text]]
    insult: list[Text]
    danger: dict[str, list[Text]]
    ultimatum: list[Text]
    anger: list[Text]
    # Words that contain a marker but mean something else (人工智能 holds 人工).
    not_markers: list[Text] = []


class FaqEntry(Strict):
    id: Text
    question: Text
    keywords: list[Text] = Field(..., min_items=1)
    answer: Text


class FaqFile(Strict):
    faq: list[FaqEntry] = Field(..., min_items=1)


class ScriptStep(Strict):
    step: Text
    template: Text


class CannedReply(Strict):
    id: Text
    title: Text
    text: Text


class AgentScriptsFile(Strict):
    six_steps: list[ScriptStep] = Field(..., min_items=6, max_items=6)
    canned: list[CannedReply] = Field(..., min_items=1)


class Hours(Strict):
    start: constr(regex=r"^\d{2}:\d{2}$")
    end: constr(regex=r"^\d{2}:\d{2}$")


class WorkingHours(Hours):
    days: list[conint(ge=1, le=7)]


class FollowupOffer(Strict):
    label: Text
    days: conint(ge=0)
    time: constr(regex=r"^\d{2}:\d{2}$")


class BotLimits(Strict):
    max_failures_before_handoff: conint(ge=1)
    message_char_limit: conint(ge=50)


class FollowupPolicy(Strict):
    reminder_after_hours: conint(ge=1)
    close_after_hours: conint(ge=1)
    max_attempts: conint(ge=1, le=20)
    retry_base_minutes: conint(ge=1)


class ServiceFile(Strict):
    working_hours: WorkingHours
    quiet_hours: Hours
    timezone: Text
    followup_offers: list[FollowupOffer] = Field(..., min_items=1)
    followup: FollowupPolicy
    bot: BotLimits
    high_value_order_yuan: conint(gt=0)
    handoff_wait_minutes_per_case: conint(gt=0)


class DemoCustomer(Strict):
    id: Text
    name: Text
    phone: constr(regex=r"^1[3-9]\d{9}$")
    tier: Tier
    wechat_openid: Text | None = None  # the OpenID the shop knows for this customer


class DemoOrder(Strict):
    order_id: constr(regex=r"^QT\d{12}$")
    customer: Text
    product: Text
    price: float = Field(..., gt=0)
    purchased_days_ago: conint(ge=0)
    delivered_days_ago: conint(ge=0)
    channel: Literal["online", "tv", "phone", "mail", "store"]  # tv/phone/mail: distance sales (§25)
    repairs_done: conint(ge=0) = 0
    note: str | None = None


class DemoOrdersFile(Strict):
    customers: list[DemoCustomer]
    orders: list[DemoOrder]


WorkOrderState = Literal["created", "accepted", "scheduled", "in_progress", "done"]
WorkOrderFact = Literal["order_id", "address", "time_slot", "amount"]


class WorkOrderKind(Strict):
    label: Text
    team: Text
    sla_hours: conint(gt=0)
    needs: list[WorkOrderFact] = []
    customer: dict[WorkOrderState, Text] = {}


class VisitWindow(Strict):
    days: conint(ge=0, le=14)  # days after today (shop time)
    period: Text  # 上午 / 下午 / 晚上
    hours: constr(regex=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")


class FeedbackRoute(Strict):
    team: Text
    with_remedy: bool = False


class WorkOrdersFile(Strict):
    kinds: dict[Text, WorkOrderKind]
    from_remedy: dict[RemedyKind, list[Text]]
    refund_bases: list[Text] = []
    mail_in_categories: list[Category] = []
    bulky_categories: list[Category] = []
    bulky_kinds: dict[Text, Text] = {}  # the courier kind → the technicians' kind for bulky goods
    feedback: dict[ComplaintType, FeedbackRoute]
    followup_after_done_hours: conint(ge=0)
    visit_windows: list[VisitWindow] = Field(..., min_items=1)

    @validator("feedback")
    def every_type(cls, value: dict[str, FeedbackRoute]) -> dict[str, FeedbackRoute]:
        missing = set(get_args(ComplaintType)) - set(value)
        if missing:
            raise ValueError(f"no feedback team for {sorted(missing)}")
        return value

    @validator("from_remedy")
    def known_kinds(cls, value: dict[str, list[str]], values: dict) -> dict[str, list[str]]:
        kinds = values.get("kinds") or {}
        for remedy, listed in value.items():
            unknown = [kind for kind in listed if kind not in kinds]
            if unknown:
                raise ValueError(f"{remedy}: unknown work order kind {unknown}")
        return value

    @validator("bulky_kinds")
    def known_bulky_kinds(cls, value: dict[str, str], values: dict) -> dict[str, str]:
        kinds = values.get("kinds") or {}
        unknown = sorted({k for pair in value.items() for k in pair if k not in kinds})
        if unknown:
            raise ValueError(f"unknown work order kind {unknown}")
        return value


class Wish(Strict):
    label: Text
    phrases: list[Text] = Field(..., min_items=1)
    ack: Text
    remedy: RemedyKind | None = None
    no_order: bool = False

    @validator("phrases", each_item=True)
    def compiles(cls, phrase: str) -> str:
        re.compile(phrase)
        return phrase


class WishesFile(Strict):
    wishes: dict[str, Wish]
