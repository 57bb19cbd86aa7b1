"""Load and validate knowledge_base/*.yml; a broken file names the file and the field."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge import models as m
from bot.settings import PROJECT_ROOT

Model = TypeVar("Model", bound=BaseModel)


class KnowledgeBaseError(Exception):
    """A knowledge-base file is missing, unreadable or breaks its schema."""


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _load_file(directory: Path, name: str, model: type[Model]) -> Model:
    path = directory / name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(f"{path}: file is missing") from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise KnowledgeBaseError(f"{path}{where}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{path}: expected a mapping at the top level")
    odd = next((key for key in raw if not isinstance(key, str)), None)
    if odd is not None:  # pydantic would raise a bare TypeError ("keywords must be strings")
        raise KnowledgeBaseError(f"{path}: field '{odd}': top-level keys must be names")
    try:
        return model.parse_obj(raw)
    except ValidationError as exc:
        problems = "; ".join(f"field '{_location(e['loc'])}': {e['msg']}" for e in exc.errors())
        raise KnowledgeBaseError(f"{path}: {problems}") from exc


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    products: m.ProductsFile
    policies: m.PoliciesFile
    remedies: m.RemediesFile
    complaint_types: m.ComplaintTypesFile
    language: m.LanguageFile
    lexicons: m.LexiconsFile
    faq: m.FaqFile
    agent_scripts: m.AgentScriptsFile
    service: m.ServiceFile
    demo_orders: m.DemoOrdersFile
    law: m.LawFile
    work_orders: m.WorkOrdersFile
    wishes: m.WishesFile

    # --- lookups -----------------------------------------------------------------------
    @functools.cached_property
    def product_by_word(self) -> dict[str, m.Product]:
        """Every name and alias → its product, for entity extraction."""
        index: dict[str, m.Product] = {}
        for product in self.products.products:
            for word in [product.name, *product.aliases]:
                index[word] = product
        return index

    def product(self, name: str | None) -> m.Product | None:
        return self.product_by_word.get(name or "")

    def bulky(self, product_name: str | None) -> bool:
        """Goods too big for a courier (work_orders.yml bulky_categories): technicians carry them."""
        product = self.product(product_name)
        return product is not None and product.category in self.work_orders.bulky_categories

    def empathy_lines(self, complaint_type: str) -> list[str]:
        return list(self.complaint_types.types[complaint_type].empathy)  # type: ignore[index]

    def goodwill_cap(self, tier: str, severity: int) -> int:
        return self.policies.goodwill_caps[tier][severity]  # type: ignore[index]

    def remedy_label(self, kind: str) -> str:
        return self.remedies.kinds[kind].label  # type: ignore[index]

    def citation(self, key: str) -> str:
        """《law》article for a law.yml article key, e.g. 《消费者权益保护法》第二十四条."""
        return self.law.articles[key].citation

    def sanbao_items(self, product_name: str) -> list[m.SanbaoItem]:
        """The 三包 catalogue items that list this product (law.yml sanbao.catalogue)."""
        return [item for item in self.law.sanbao.catalogue if product_name in item.products]

    def feedback_team(self, complaint_type: str | None) -> str:
        """Who receives the customer's feedback about this type of complaint (work_orders.yml
        `feedback`, the one table the apology and the feedback work order read)."""
        route = self.work_orders.feedback.get(complaint_type)  # type: ignore[call-overload]
        return route.team if route is not None else self.work_orders.kinds["apology_feedback"].team

    def type_label(self, complaint_type: str) -> str:
        return self.complaint_types.types[complaint_type].label  # type: ignore[index]

    def jieba_words(self) -> list[str]:
        """Words the Chinese tokenizer must keep whole: products and policy terms."""
        words = set(self.product_by_word)
        for entry in self.faq.faq:
            words.update(entry.keywords)
        for kind in self.remedies.kinds.values():
            words.add(kind.label)
        for phrases in self.marker_lists().values():
            words.update(phrases)
        return sorted(w for w in words if len(w) > 1 and not w.isascii())

    def marker_lists(self) -> dict[str, list[str]]:
        """Flattened lexicons: label → phrases, e.g. 'escalation:media' → [曝光, …]."""
        lex = self.lexicons
        flat: dict[str, list[str]] = {
            "request_human": lex.request_human,
            "insult": lex.insult,
            "ultimatum": lex.ultimatum,
            "anger": lex.anger,
        }
        for sub, phrases in lex.escalation.items():
            flat[f"escalation:{sub}"] = phrases
        for sub, phrases in lex.danger.items():
            flat[f"danger:{sub}"] = phrases
        return flat

    def customer_texts(self) -> Iterator[tuple[str, str, str]]:
        """Every text here a customer or an agent may read: (file key, field path, text)."""
        for key, info in self.complaint_types.types.items():
            for index, line in enumerate(info.empathy):
                yield "complaint_types", f"types.{key}.empathy.{index}", line
            yield "complaint_types", f"types.{key}.label", info.label
            yield "complaint_types", f"types.{key}.recorded", info.recorded
        for field in (
            "listening",
            "vent_followup",
            "fallback",
            "action_error",
            "empty_message",
            "long_message",
            "unsupported_media",
        ):
            for index, line in enumerate(getattr(self.language, field)):
                yield "language", f"{field}.{index}", line
        for key, wish in self.wishes.wishes.items():
            yield "wishes", f"wishes.{key}.ack", wish.ack
            yield "wishes", f"wishes.{key}.label", wish.label
        for hazard, advice in self.language.safety_advice.items():
            yield "language", f"safety_advice.{hazard}", advice
        for kind, ack in self.language.consequence_ack.items():
            yield "language", f"consequence_ack.{kind}", ack
        for index, banned in enumerate(self.language.banned):
            yield "language", f"banned.{index}.rewrite", banned.rewrite
        for index, entry in enumerate(self.faq.faq):
            yield "faq", f"faq.{index}.answer", entry.answer
        for kind, info in self.remedies.kinds.items():
            yield "remedies", f"kinds.{kind}", f"{info.label}：{info.description}"
            if info.pending_reason:
                yield "remedies", f"kinds.{kind}.pending_reason", info.pending_reason
        for index, form in enumerate(self.remedies.compensation_forms):
            yield "remedies", f"compensation_forms.{index}.label", form.label
        for index, step in enumerate(self.agent_scripts.six_steps):
            yield "agent_scripts", f"six_steps.{index}.template", step.template
        for index, reply in enumerate(self.agent_scripts.canned):
            yield "agent_scripts", f"canned.{index}.text", reply.text
        for index, offer in enumerate(self.service.followup_offers):
            yield "service", f"followup_offers.{index}.label", offer.label
        for ref_key, ref in self.policies.law_refs.items():
            yield "policies", f"law_refs.{ref_key}", ref
        for key, article in self.law.articles.items():
            yield "law", f"articles.{key}.gist", article.gist
        for kind, info in self.work_orders.kinds.items():
            yield "work_orders", f"kinds.{kind}.label", info.label
            for state, line in info.customer.items():
                yield "work_orders", f"kinds.{kind}.customer.{state}", line


FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "products": ("products.yml", m.ProductsFile),
    "policies": ("policies.yml", m.PoliciesFile),
    "remedies": ("remedies.yml", m.RemediesFile),
    "complaint_types": ("complaint_types.yml", m.ComplaintTypesFile),
    "language": ("language.yml", m.LanguageFile),
    "lexicons": ("lexicons.yml", m.LexiconsFile),
    "faq": ("faq.yml", m.FaqFile),
    "agent_scripts": ("agent_scripts.yml", m.AgentScriptsFile),
    "service": ("service.yml", m.ServiceFile),
    "demo_orders": ("demo_orders.yml", m.DemoOrdersFile),
    "law": ("law.yml", m.LawFile),
    "work_orders": ("work_orders.yml", m.WorkOrdersFile),
    "wishes": ("wishes.yml", m.WishesFile),
}


def _check_cross_references(kb: KnowledgeBase) -> None:
    customers = {c.id for c in kb.demo_orders.customers}
    path = kb.directory / "demo_orders.yml"
    for index, order in enumerate(kb.demo_orders.orders):
        if order.customer not in customers:
            raise KnowledgeBaseError(
                f"{path}: field 'orders.{index}.customer': unknown customer '{order.customer}'"
            )
        if kb.product(order.product) is None:
            raise KnowledgeBaseError(
                f"{path}: field 'orders.{index}.product': unknown product '{order.product}'"
            )
    _check_sanbao_catalogue(kb)
    banned = [b.phrase for b in kb.language.banned]
    for file_key, field_path, text in kb.customer_texts():
        hit = next((phrase for phrase in banned if phrase in text), None)
        if hit:
            raise KnowledgeBaseError(
                f"{kb.directory / FILES[file_key][0]}: field '{field_path}': "
                f"contains the banned phrase '{hit}'"
            )


def _check_sanbao_catalogue(kb: KnowledgeBase) -> None:
    """A product is marked 三包 exactly when the published catalogue (law.yml) lists it."""
    path = kb.directory / "products.yml"
    listed = {name for item in kb.law.sanbao.catalogue for name in item.products}
    for name in sorted(listed):
        if kb.product(name) is None:
            raise KnowledgeBaseError(
                f"{kb.directory / 'law.yml'}: field 'sanbao.catalogue': unknown product '{name}'"
            )
    for index, product in enumerate(kb.products.products):
        if product.sanbao != (product.name in listed):
            state = "outside" if product.sanbao else "in"
            raise KnowledgeBaseError(
                f"{path}: field 'products.{index}.sanbao': {product.name} is {state} the 三包 "
                f"catalogue of law.yml"
            )


def load_knowledge_base_uncached(directory: Path) -> KnowledgeBase:
    loaded = {key: _load_file(directory, name, model) for key, (name, model) in FILES.items()}
    kb = KnowledgeBase(directory=directory, **loaded)  # type: ignore[arg-type]
    _check_cross_references(kb)
    return kb


@functools.lru_cache(maxsize=4)
def _cached(directory: str) -> KnowledgeBase:
    return load_knowledge_base_uncached(Path(directory))


def load_knowledge_base(directory: Path | str | None = None) -> KnowledgeBase:
    """The validated knowledge base (cached per directory; the files are read once)."""
    import os

    chosen = directory or os.environ.get("QINGTING_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge_base"
    return _cached(str(Path(chosen).resolve()))
