"""The facts the law needs, read from what the customer says (docs/REMEDY_LAW.md).

Two readers over the normalised text (simplified characters):

- `read_statement(text, food)`: the facts a free message states outright ("看病花了1200元",
  "是假货", "快递送来的时候屏幕就碎了"). Only what is clearly said; a negated word (没有受伤)
  does not count. Used on the customer's complaint messages before any question.
- `read_answer(question, text, food)`: the answer to one of the conversation's questions
  (QUESTIONS): yes/no words, amounts, "不知道" (settled as not stated), or unclear.

Facts use the names of bot.remedy.OrderFacts: loss_amount (Decimal, yuan beyond the price),
injured, property_damaged, food_standard_breach, label_only, counterfeit, refurbished_as_new,
damaged_in_transit, defect. `to_json`/`from_json` keep them on the complaint record.
Plain Python, no model: the questions are short and their answers are short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from bot.consequences import PROPERTY, SPOILED
from bot.nlu.entities import find_amounts
from bot.nlu.negation import stated as _said
from bot.nlu.numbers import NUMERAL, as_decimal, parse_number, plain

# The questions, in the order they are asked, and the facts each settles. A question is asked
# only while the remedy decision names one of its facts as missing, at most twice.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "food": ("food_standard_breach",),
    "harm": ("injured", "property_damaged"),
    "loss": ("loss_amount",),
}
MAX_ASKS = 2

BOOL_FACTS = ("injured", "property_damaged", "food_standard_breach", "label_only", "counterfeit",
              "refurbished_as_new", "damaged_in_transit", "defect")
MONEY_FACTS = ("loss_amount",)

_INJURY = re.compile(
    r"受伤|烫伤|烧伤|划伤|割伤|砸伤|扎伤|擦伤|摔伤|伤到|触电|被电|电到|过敏|中毒|拉肚子|腹泻|肚子疼|肚子痛|"
    r"胃疼|胃痛|呕吐|吐了|发烧|发炎|起疹子|不舒服|难受|住院|看病|就医|看医生|看了医生|去医院|去了医院|急诊|"
    r"医药费|医疗费|挂号|输液|打针"
)
_NO_INJURY = re.compile(r"没(?:有)?人受伤|没(?:有)?受伤|人没事|人没有事|人都没事|人都好|没伤到|人都没事")
_FOOD_BREACH = re.compile(
    # 压烂 / 摔烂 / 挤烂 (crushed, broken in handling) is damage, not rot: those 烂 do not count
    r"变质|发霉|霉变|霉了|长毛|过期|异物|虫子|有虫|头发|异味|发臭|臭了|馊|发酸|酸了|腐烂|(?<![压摔砸挤碰磕撞])烂了|坏了|不新鲜|"
    r"中毒|有毒|超标|塑料|玻璃碴|铁丝|本身"
)
_LABEL = re.compile(r"标签|标识|印错|印刷|印得|字印|说明书|日期印|错别字|包装上|包装印|包装盒上|只是包装|包装的问题|包装问题")
_COUNTERFEIT = re.compile(r"假货|假冒|是假的|冒牌|山寨|高仿|仿冒|仿品|盗版")
_NOT_GENUINE = re.compile(r"不是正品|非正品|不是原装|不是真的")
_REFURBISHED = re.compile(r"翻新|二手|别人用过|被人用过|有人用过|使用痕迹|返修机")
_TRANSIT = re.compile(
    r"运输|物流|快递|送货|配送|送来|送到|到货|到的时候|收到的时候|收到时|收到就|收到后|签收|拆开|开箱|外箱|路上|搬运|送上门"
)
_PHYSICAL_DAMAGE = re.compile(r"摔|碎|裂|破损|破了|压坏|压扁|压变形|压瘪|压烂|挤烂|砸烂|碰烂|变形|凹|磕|碰坏|砸坏|撞坏|划痕|刮花")
_NO_REASON = re.compile(r"不想要了|不喜欢|买错了|拍错了|买多了|不合适|不需要了|用不上|无理由")
_PROBLEM = re.compile(
    r"坏|故障|问题|毛病|漏|异响|不加热|不制冷|不工作|用不了|开不了|没反应|质量|破|裂|碎|变质|发霉|假|翻新|伤"
)
_LOSS_CUE = re.compile(
    r"医药费|医疗费|药费|看病|看医生|就医|治疗|住院|检查|挂号|急诊|误工|工资|收入|损失|修理费|维修费|修.{0,4}花|修了|"
    r"赔|花费|费用|额外"
)
_TOTAL_CUE = re.compile(r"(?:一共|总共|合计|加起来|总计|共)(?:是|花了|损失了?)?$")

_UNKNOWN = re.compile(
    r"不知道|不清楚|不记得|记不清|记不得|忘了|忘记了|不确定|说不好|说不清|说不准|不好说|还没算|没算过|没算|"
    r"没统计|算不清|搞不清|想不起|不太确定|不太清楚|找不到|找不着|没找到|"
    r"(?:等会儿?|等一会儿?|等下|待会儿?|晚点|稍后|回头).{0,4}?(?:发|给|告诉|补|算|说)"
)
_NO = re.compile(r"^(?:没有|没|无|不是|否|都没有|都没|没事|没什么|并没有|完全没有|一点也没|不用|不需要|零|0元?)")
_YES = re.compile(r"^(?:有|是|对|嗯|没错|确实|好像有|应该有)")
_FOOD_ITSELF = re.compile(r"本身|食品|食物|里面|吃的|喝的|东西")
_PUNCT = re.compile(r"[\s，。！？、,.!?;；：:…~～]+")


def _clean(text: str) -> str:
    return _PUNCT.sub(" ", text or "").strip()


def _loss_in_statement(text: str) -> Decimal | None:
    """Amounts a loss word stands next to (看病花了1200元, 1200元医药费), summed."""
    total = Decimal(0)
    found = False
    for span in find_amounts(text):
        before = text[max(0, span.start - 8) : span.start]
        after = text[span.end : span.end + 4]
        if _LOSS_CUE.search(before) or _LOSS_CUE.match(after):
            total += Decimal(span.value)
            found = True
    return Decimal(plain(total)) if found else None


_NOT_MONEY_AFTER = re.compile(r"[个件台只条斤克米张次天号年月日周部箱袋瓶包份位名岁小分]")


def _bare_numbers(text: str) -> list[tuple[int, Decimal]]:
    """Numbers answering "how much" without a unit (医药费800, 两百左右): 10 or more, not an
    order id or a phone number, not a count of something else (两次, 三天)."""
    found = []
    for match in NUMERAL.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group())
        if len(digits) > 9 or text[max(0, match.start() - 2) : match.start()].upper().endswith("QT"):
            continue
        if _NOT_MONEY_AFTER.match(text[match.end() : match.end() + 1]):
            continue
        number = parse_number(match.group())
        if number is not None and number.value >= 10:
            found.append((match.start(), number.value))
    return found


def _loss_in_answer(text: str) -> Decimal | None:
    """Any amount answers "how much": a total if one is named, else the amounts summed."""
    amounts = [(s.start, Decimal(s.value)) for s in find_amounts(text)] or _bare_numbers(text)
    if not amounts:
        return None
    for start, value in amounts:
        if _TOTAL_CUE.search(text[max(0, start - 6) : start]):
            return Decimal(plain(value))
    return Decimal(plain(sum((value for _, value in amounts), Decimal(0))))


def read_statement(text: str, food: bool = False) -> dict[str, object]:
    """The facts a free message states outright; nothing is presumed."""
    text = text or ""
    facts: dict[str, object] = {}
    if _said(text, _INJURY):
        facts["injured"] = True
    elif _NO_INJURY.search(text):
        facts["injured"] = False
    if _said(text, PROPERTY) or (not food and _said(text, SPOILED)):  # 消保法 §52: their belongings
        facts["property_damaged"] = True
    loss = _loss_in_statement(text)
    if loss is not None:
        facts["loss_amount"] = loss
    if food:
        if _said(text, _FOOD_BREACH):
            facts["food_standard_breach"] = True
        elif _said(text, _LABEL):
            facts["label_only"] = True
            facts["food_standard_breach"] = False
    if _said(text, _COUNTERFEIT) or _NOT_GENUINE.search(text):
        facts["counterfeit"] = True
    if _said(text, _REFURBISHED):
        facts["refurbished_as_new"] = True
    if _said(text, _PHYSICAL_DAMAGE) and _TRANSIT.search(text):
        facts["damaged_in_transit"] = True
    if _NO_REASON.search(text) and not _said(text, _PROBLEM):
        facts["defect"] = False
    return facts


@dataclass(frozen=True)
class Answer:
    status: str  # answered / unknown (settled, not stated) / unclear (ask again)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def settles(self) -> bool:
        return self.status != "unclear"


def read_answer(question: str, text: str, food: bool = False) -> Answer:
    """The answer to QUESTIONS[question]; anything else the message states comes along."""
    plain = _clean(text)
    # what else the answer states comes along; food facts only from the food question
    stated = read_statement(text, food and question == "food")
    if question == "food":
        if "food_standard_breach" in stated:
            return Answer("answered", stated)
        if _UNKNOWN.search(plain):
            return Answer("unknown", stated)
        if _said(plain, _LABEL) or "包装" in plain or "标签" in plain:
            return Answer("answered", {**stated, "label_only": True, "food_standard_breach": False})
        if _said(plain, _FOOD_ITSELF):
            return Answer("answered", {**stated, "food_standard_breach": True})
        return Answer("unclear", stated)
    if question == "harm":
        if stated.get("injured") or stated.get("property_damaged"):
            return Answer("answered", stated)
        if _UNKNOWN.search(plain):
            return Answer("unknown", stated)
        if _NO.match(plain) or stated.get("injured") is False:
            return Answer("answered", {**stated, "injured": False, "property_damaged": False})
        if _YES.match(plain):
            return Answer("answered", stated)  # harm, kind unsaid: the presumption stands
        return Answer("unclear", stated)
    if question == "loss":
        amount = _loss_in_answer(plain)
        if amount is not None:
            return Answer("answered", {**stated, "loss_amount": amount})
        if _UNKNOWN.search(plain):
            return Answer("unknown", stated)
        if _NO.match(plain):
            return Answer("answered", {**stated, "loss_amount": Decimal(0)})
        return Answer("unclear", stated)
    raise ValueError(f"unknown question {question!r}")


def next_question(missing: list[str], asked: dict[str, int], settled: list[str]) -> str | None:
    """The first question whose facts the decision still misses, not settled, asked < twice."""
    for key, facts in QUESTIONS.items():
        if key in settled or asked.get(key, 0) >= MAX_ASKS:
            continue
        if any(fact in missing for fact in facts):
            return key
    return None


# --- on the complaint record (JSON) -------------------------------------------------------
def to_json(facts: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in facts.items():
        if value is None:
            continue
        out[key] = str(value) if key in MONEY_FACTS else bool(value) if key in BOOL_FACTS else value
    return out


def from_json(data: dict | None) -> dict[str, object]:
    """Facts for OrderRecord.facts(**…): the known keys, typed."""
    out: dict[str, object] = {}
    for key, value in (data or {}).items():
        if key in MONEY_FACTS:
            amount = as_decimal(value)
            if amount is not None:
                out[key] = amount
        elif key in BOOL_FACTS and value is not None:
            out[key] = bool(value)
    return out
