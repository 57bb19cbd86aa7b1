"""The scope of a lexicon marker: is it negated, in the past and settled, asked about, or
only supposed?

A marker such as 转人工 or 12315 is evidence, not a verdict: "不用转人工", "上次打过12315，
后来解决了", "我是律师，想咨询一下" and "如果漏电会怎样" contain the words and ask for
nothing. These flags become features of the handoff classifier (bot/nlu/handoff_model.py),
which learns from its hard negatives how much each one weighs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.lexicon import Match

# Clause and sentence boundaries (after normalisation punctuation is half-width or CJK).
_CLAUSE_BREAK = re.compile(r"[，,。．.！!？?；;：:\n~～…]|但是|可是|不过|后来|结果")
_SENTENCE_BREAK = re.compile(r"[。．.！!？?；;\n]")

# A negation right before the marker, optionally joined by a verb: 不用转人工, 别找记者, 没有冒烟.
_NEGATED = re.compile(
    r"(不用|不需要|不要|不必|无需|用不着|别|没有|并没有|并没|没|不想|不会|不是|不至于|不算|谈不上|"
    r"唔使|唔洗|唔要|唔好|冇|不消|甭|免|no need|don't need|dont need|no|not)"
    r"(?:再|去|帮我|给我|给|帮|找|叫|让|转|打|联系|有|什么|出现|发生|真的|是){0,2}$"
)
# A negation or withdrawal right after it: 人工就算了, 人工先不用, 转人工的请求取消吧.
_NEGATED_AFTER = re.compile(
    r"^(?:的话|的请求|的事|这个|那个|啥的|啊|呀|了)?(?:就|先|也|都|还是|倒是)?"
    r"(?:算了|不用|不必|不需要|免了|取消|不要了|没必要|不急|不找了|不转了|唔使|是我手滑|点错了|是误会)"
)
# Withdrawn or someone else's: 是我气头上说的, 那是别家的事, 跟你们没关系.
_WITHDRAWN = re.compile(r"气头上|说说而已|开玩笑|别家的事|别人的事|跟你们没关系|与你们无关|不关你们|手滑|点错")
_PAST = re.compile(r"上次|上回|以前|之前|去年|前年|曾经|早就|早先|当时|那次|上个月|几年前")
_RESOLVED = re.compile(r"解决|处理好|处理完|搞定|修好|没事了|撤了|撤销|好了|妥善|满意|结案|赔过")
_ASKING = re.compile(
    r"咨询|请问|想问|问一下|问下|问问|了解一下|招聘|招人|招不招|应聘|岗位|面试|"
    r"是不是|是否|会不会|会怎样|会怎么样|吗|么|嘛|多久|怎么|如何|哪里|什么时候|有没有可能|还是|系咪|几多|点样"
)
_SELF = re.compile(
    r"(我是|本人是|本人系|我系|我在|我做|我当|我老公是|我老婆是|我爱人是|我朋友是|我家人是|我哥是|我姐是|"
    r"我爸是|我妈是|我儿子是|我女儿是)[^，,。！？!?]{0,8}$"
)
# A question about who the bot is: 你是真人吗, 你系咪真人, 你到底是不是人工.
_ABOUT_BOT = re.compile(r"(你是|你是不是|你系咪|你系唔系|你到底是|跟我聊天的是|对面是|请问是)[^，,。！？!?]{0,3}$")
_SUPPOSED = re.compile(r"如果|要是|万一|假如|假设|以防|担心|怕|预防|防止|会不会")

SCOPE_FLAGS = ("negated", "past", "resolved", "asking", "self", "about_bot", "supposed")


@dataclass(frozen=True)
class Scoped:
    match: Match
    flags: frozenset[str]

    @property
    def plain(self) -> bool:
        """A marker said as it is: not negated, settled, asked about or supposed."""
        return not (self.flags & {"negated", "resolved", "asking", "self", "about_bot", "supposed"})


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The text of the marker's clause before and after it."""
    before = _CLAUSE_BREAK.split(text[:start])[-1]
    after = _CLAUSE_BREAK.split(text[end:])[0]
    return before, after


def _sentence(text: str, start: int, end: int) -> str:
    return _SENTENCE_BREAK.split(text[:start])[-1] + text[start:end] + _SENTENCE_BREAK.split(text[end:])[0]


def scope_of(text: str, match: Match) -> Scoped:
    before, after = _clause(text, match.start, match.end)
    clause = before + match.text + after
    sentence = _sentence(text, match.start, match.end)
    flags: set[str] = set()
    if _NEGATED.search(before[-8:]) or _NEGATED_AFTER.search(after):
        flags.add("negated")
    if _PAST.search(sentence) or _PAST.search(before):
        flags.add("past")
        if _RESOLVED.search(text[match.start :]) or _RESOLVED.search(sentence) or _WITHDRAWN.search(text):
            flags.add("resolved")
    elif _WITHDRAWN.search(sentence):
        flags.add("resolved")
    if _ASKING.search(clause):
        flags.add("asking")
    if _SELF.search(before):
        flags.add("self")
    if _ABOUT_BOT.search(before):
        flags.add("about_bot")
    if _SUPPOSED.search(before):
        flags.add("supposed")
    return Scoped(match, frozenset(flags))


def scoped_markers(text: str, markers: list[Match]) -> list[Scoped]:
    return [scope_of(text, marker) for marker in markers]
