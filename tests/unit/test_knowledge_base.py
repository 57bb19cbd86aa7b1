"""knowledge_base/ loads, and a broken copy fails with an error naming the file and the field."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeBaseError, load_knowledge_base
from bot.knowledge.loader import FILES, load_knowledge_base_uncached

KB_DIR = Path(__file__).resolve().parents[2] / "knowledge_base"


# --- the real knowledge base ------------------------------------------------------------------


def test_real_knowledge_base_loads() -> None:
    kb = load_knowledge_base_uncached(KB_DIR)
    assert kb.directory == KB_DIR
    assert kb.products.products


def test_cached_loader_returns_the_same_object() -> None:
    assert load_knowledge_base(KB_DIR) is load_knowledge_base(KB_DIR)


def test_real_knowledge_base_holds_the_policy_facts() -> None:
    policies = load_knowledge_base_uncached(KB_DIR).policies
    assert (policies.sanbao.return_days, policies.sanbao.exchange_days) == (7, 15)
    assert policies.sanbao.repairs_before_exchange == 2
    assert policies.no_reason_return.days == 7
    assert set(policies.no_reason_return.excluded_categories) == {"custom_made", "fresh", "software", "media"}
    assert (policies.fraud.multiplier, policies.fraud.minimum) == (3, 500)
    assert (policies.food_safety.price_multiplier, policies.food_safety.minimum) == (10, 1000)


def test_every_alias_finds_its_product() -> None:
    kb = load_knowledge_base_uncached(KB_DIR)
    for product in kb.products.products:
        for word in [product.name, *product.aliases]:
            assert kb.product(word) is product


def test_unknown_product_word_finds_nothing() -> None:
    kb = load_knowledge_base_uncached(KB_DIR)
    assert kb.product("扫地机器人") is None
    assert kb.product(None) is None


def test_no_customer_text_contains_a_banned_phrase() -> None:
    kb = load_knowledge_base_uncached(KB_DIR)
    banned = [b.phrase for b in kb.language.banned]
    offending = [(f, where, text) for f, where, text in kb.customer_texts() if any(p in text for p in banned)]
    assert offending == []


def test_an_unmodified_copy_loads(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    assert load_knowledge_base_uncached(copy).directory == copy


# --- broken copies ----------------------------------------------------------------------------


def edit_yaml(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    """Load `name`, apply `change` to the data, write it back."""

    def apply(directory: Path) -> None:
        path = directory / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return apply


def delete_file(name: str) -> Callable[[Path], None]:
    return lambda directory: (directory / name).unlink()


def product(data: dict, name: str) -> dict:
    return next(p for p in data["products"] if p["name"] == name)


BROKEN = [
    pytest.param(
        delete_file("policies.yml"), "policies.yml", "missing",
        id="missing-file",
    ),
    pytest.param(
        edit_yaml("products.yml", lambda d: product(d, "电水壶").update(warranty_months="abc")),
        "products.yml", "products.0.warranty_months",
        id="warranty-months-not-a-number",
    ),
    pytest.param(
        edit_yaml("products.yml", lambda d: product(d, "洗衣机").update(sanbao="sometimes")),
        "products.yml", "products.4.sanbao",
        id="sanbao-not-a-boolean",
    ),
    pytest.param(
        edit_yaml("products.yml", lambda d: product(d, "电视").update(category="toys")),
        "products.yml", "products.6.category",
        id="unknown-product-category",
    ),
    pytest.param(
        edit_yaml("products.yml", lambda d: product(d, "电饭煲")["aliases"].append("水壶")),
        "products.yml", "'products'",
        id="alias-shared-by-two-products",
    ),
    pytest.param(
        edit_yaml("remedies.yml", lambda d: d["matrix"].update(complaint_x=["return"])),
        "remedies.yml", "matrix",
        id="unknown-complaint-type-in-remedy-matrix",
    ),
    pytest.param(
        edit_yaml("remedies.yml", lambda d: d["matrix"].update(service=["refund"])),
        "remedies.yml", "matrix.service",
        id="unknown-remedy-kind-in-remedy-matrix",
    ),
    pytest.param(
        edit_yaml("remedies.yml", lambda d: d["matrix"].pop("billing")),
        "remedies.yml", "matrix",
        id="complaint-type-missing-from-remedy-matrix",
    ),
    pytest.param(
        edit_yaml("policies.yml", lambda d: d["goodwill_caps"].pop("gold")),
        "policies.yml", "goodwill_caps",
        id="missing-tier-in-goodwill-caps",
    ),
    pytest.param(
        edit_yaml("policies.yml", lambda d: d["goodwill_caps"]["vip"].pop(3)),
        "policies.yml", "goodwill_caps",
        id="missing-severity-in-goodwill-caps",
    ),
    pytest.param(
        edit_yaml("policies.yml", lambda d: d["sanbao"].update(return_days=0)),
        "policies.yml", "sanbao.return_days",
        id="zero-day-sanbao-window",
    ),
    pytest.param(
        edit_yaml("policies.yml", lambda d: d["no_reason_return"].update(excluded_categories=["perishable"])),
        "policies.yml", "no_reason_return.excluded_categories",
        id="unknown-excluded-category",
    ),
    pytest.param(
        edit_yaml("demo_orders.yml", lambda d: d["orders"][0].update(product="飞行汽车")),
        "demo_orders.yml", "orders.0.product",
        id="demo-order-with-unknown-product",
    ),
    pytest.param(
        edit_yaml("demo_orders.yml", lambda d: d["orders"][1].update(customer="c999")),
        "demo_orders.yml", "orders.1.customer",
        id="demo-order-with-unknown-customer",
    ),
    pytest.param(
        edit_yaml("demo_orders.yml", lambda d: d["customers"][0].update(phone="12345")),
        "demo_orders.yml", "customers.0.phone",
        id="demo-customer-with-malformed-phone",
    ),
    pytest.param(
        edit_yaml("complaint_types.yml",
                  lambda d: d["types"]["quality"]["empathy"].append("抱歉，这个问题我们不能处理。")),
        "complaint_types.yml", "types.quality.empathy",
        id="empathy-line-with-banned-phrase",
    ),
    pytest.param(
        edit_yaml("complaint_types.yml", lambda d: d["types"]["service"].update(empathy=["只有一句。"])),
        "complaint_types.yml", "types.service.empathy",
        id="fewer-than-two-empathy-lines",
    ),
    pytest.param(
        edit_yaml("faq.yml", lambda d: d["faq"][0].update(answer="这个我不知道。")),
        "faq.yml", "answer",
        id="faq-answer-with-banned-phrase",
    ),
    pytest.param(
        edit_yaml("service.yml", lambda d: d["quiet_hours"].update(start="9pm")),
        "service.yml", "quiet_hours.start",
        id="malformed-quiet-hours",
    ),
    pytest.param(
        edit_yaml("lexicons.yml", lambda d: d.update(swear_words=["x"])),
        "lexicons.yml", "swear_words",
        id="unknown-top-level-field",
    ),
]


@pytest.mark.parametrize(("breakage", "file_name", "field"), BROKEN)
def test_broken_copy_fails_naming_file_and_field(
    tmp_path: Path, breakage: Callable[[Path], None], file_name: str, field: str
) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    breakage(copy)
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base_uncached(copy)
    message = str(raised.value)
    assert file_name in message, message
    assert field in message, message


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    path = copy / "service.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, start=1) if line.startswith("timezone:"))
    lines[number - 1] = "timezone: Asia/Shanghai: Beijing"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base_uncached(copy)
    message = str(raised.value)
    assert "service.yml" in message
    assert re.search(rf"\bline {number}\b", message), message


def test_file_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    (copy / "faq.yml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"faq\.yml.*mapping"):
        load_knowledge_base_uncached(copy)


@pytest.mark.parametrize("name", sorted(file_name for file_name, _ in FILES.values()))
def test_every_file_is_required(tmp_path: Path, name: str) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    (copy / name).unlink()
    with pytest.raises(KnowledgeBaseError, match=re.escape(name)):
        load_knowledge_base_uncached(copy)
