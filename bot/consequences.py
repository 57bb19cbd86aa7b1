"""The customer's own loss beyond the goods (issue 17): food that spoiled in a broken fridge, a
scratched floor, a day off work spent waiting, money spent to make do.

Read from what the customer says, clause by clause, so the complaint keeps their own words
(`facts.consequences`), agents see them, and the reply says they were taken into account.
Spoiled belongings and damaged property are also a fact the law reads (bot/law_facts.py:
`property_damaged`, 消保法 §52), so the remedies include their compensation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.negation import stated

KINDS = ("spoiled", "property", "time", "cost")

# Food and the like kept in the goods (a fridge, a freezer); "东西" alone is often the goods
# themselves ("买的东西坏了"), so it counts only with words that never describe a broken device.
_STORED = r"(?:肉|菜|食物|食材|海鲜|冻品|速冻|水果|饺子|汤圆|冰淇淋|雪糕|牛奶|母乳|存货)"
SPOILED = re.compile(
    rf"{_STORED}[^，。！？,.!?]{{0,10}}?(?:臭了|坏了|化了|化掉|变质|馊|发臭|扔了|全扔|不能吃|报废|浪费)|"
    r"东西[^，。！？,.!?]{0,6}?(?:臭了|化了|化掉|变质|馊|发臭|扔了|全扔|不能吃)"
)
_HOME_THINGS = (
    r"(?:财物|财产|家具|家电|地板|木地板|瓷砖|天花板|墙面|墙|门框|桌子|柜子|沙发|床垫|地毯|窗帘|楼下|邻居|"
    r"其他东西|别的东西|家里的东西|家里东西|衣服)"
)
PROPERTY = re.compile(
    rf"把[^，。！？,.!?]{{1,12}}?(?:泡|淹|烧|烫|熏|染|弄脏|弄坏|损坏|毁|砸|刮花|划|洗坏)|"
    rf"{_HOME_THINGS}[^，。！？,.!?]{{0,8}}?(?:泡|淹|烧|烫|熏|染|弄脏|坏|损|毁|砸|裂|湿|发霉|划|刮|磕|撞)"
)
TIME = re.compile(r"请了[^，。！？,.!?]{0,3}假|请假|调休|白等|干等|等了[一整]{0,2}[天上下午]|耽误[^，。！？,.!?]{0,4}(?:上班|工作|时间|事)|"
                  r"误工|扣[了我]?工资|没去上班|没法上班")
COST = re.compile(r"打车|另外买|又买了|只好买|自己花钱|多花了|额外花|自费|垫付")
_PATTERNS = {"spoiled": SPOILED, "property": PROPERTY, "time": TIME, "cost": COST}
_CLAUSE = re.compile(r"[，。！？,.!?；;\n]+")
MAX_SAID = 60


@dataclass(frozen=True)
class Consequence:
    kind: str
    said: str  # the customer's clause, as said

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "said": self.said}


def read(text: str, food_goods: bool = False) -> list[Consequence]:
    """Each kind of loss the message states, once, with the clause that states it. When the
    goods are food, food gone bad is the complaint itself, not a loss beyond it."""
    found: dict[str, Consequence] = {}
    for clause in _CLAUSE.split(text or ""):
        for kind, pattern in _PATTERNS.items():
            if kind == "spoiled" and food_goods:
                continue
            if kind in found or not stated(clause, pattern):
                continue
            found[kind] = Consequence(kind, clause.strip()[:MAX_SAID])
    return [found[kind] for kind in KINDS if kind in found]


def merged(known: list[dict] | None, new: list[Consequence]) -> list[dict]:
    """The consequences on record with the new ones added (one per kind, the first words kept)."""
    kept = list(known or [])
    kinds = {c.get("kind") for c in kept}
    return kept + [c.as_dict() for c in new if c.kind not in kinds]
