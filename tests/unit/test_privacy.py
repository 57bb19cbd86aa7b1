"""Personal data: masked in free text (logs), encrypted at rest (DOMAIN.md, 客户信息保护)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from bot.storage import crypto
from bot.storage.crypto import (
    EncryptedText,
    decrypt,
    encrypt,
    lookup_hash,
    mask_personal_data,
    mask_phone,
)
from bot.training.privacy import safe_text
from tests.hardening.test_personal_data_everywhere import WRITINGS, Writing, in_clear

PHONE = "13812340000"


@pytest.fixture
def secret_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh secret key created under tmp_path (never under the project's var/)."""
    monkeypatch.delenv("QINGTING_SECRET_KEY", raising=False)
    monkeypatch.setenv("QINGTING_VAR_DIR", str(tmp_path))
    monkeypatch.setattr(crypto, "_fernet", None)
    monkeypatch.setattr(crypto, "_hash_key", b"")
    return tmp_path


# --- masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param("我的手机号是13812340000", "我的手机号是138****0000", id="mobile-in-sentence"),
        pytest.param("13812340000", "138****0000", id="mobile-alone"),
        pytest.param("电话19987654321，谢谢", "电话199****4321，谢谢", id="mobile-199"),
        pytest.param("打13812340000或15900001111都行", "打138****0000或159****1111都行", id="two-mobiles"),
    ],
)
def test_mobile_numbers_are_masked(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param("身份证110101199003071233", "身份证110101********1233", id="digits"),
        pytest.param("身份证号11010519491231002X", "身份证号110105********002X", id="ending-in-X"),
        pytest.param("id: 11010519491231002x", "id: 110105********002x", id="ending-in-lower-x"),
    ],
)
def test_id_card_numbers_are_masked(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param("邮箱zhang.san@example.com", "邮箱z***@example.com", id="dotted-name"),
        pytest.param("mail: li_ting+shop@qq.com ok", "mail: l***@qq.com ok", id="plus-address"),
    ],
)
def test_emails_are_masked(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        pytest.param("请寄到北京市朝阳区建国路88号", "建国路88号", id="beijing-street"),
        pytest.param("地址：上海市浦东新区世纪大道100号3栋2单元501室", "世纪大道100号", id="shanghai-flat"),
        pytest.param("广东省深圳市南山区科技园路1号", "科技园路1号", id="province-city-district"),
    ],
)
def test_street_addresses_are_masked(raw: str, hidden: str) -> None:
    masked = mask_personal_data(raw)
    assert hidden not in masked
    assert "***" in masked


def test_address_keeps_the_city_or_district_for_context() -> None:
    masked = mask_personal_data("请寄到北京市朝阳区建国路88号")
    assert "朝阳区" in masked


def test_everything_masked_in_one_message() -> None:
    raw = "我叫张三，电话13812340000，身份证110101199003071233，邮箱zhang.san@example.com，住北京市朝阳区建国路88号"
    masked = mask_personal_data(raw)
    for secret in ("13812340000", "110101199003071233", "zhang.san", "建国路88号"):
        assert secret not in masked
    assert "138****0000" in masked


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("订单QT202611150001的洗衣机漏水", id="order-number"),
        pytest.param("多收了129元", id="amount"),
        pytest.param("电话138123400001", id="twelve-digits-is-no-mobile"),
        pytest.param("我要退货", id="plain-text"),
        # The masked text is what the agent reads as the customer's statement
        # (bot/complaints.py), so words ending in 市/区 must not swallow the complaint.
        pytest.param("在超市买的奶粉变质了", id="supermarket-is-no-address"),
        pytest.param("我们小区的快递总是丢", id="neighbourhood-is-no-address"),
    ],
)
def test_text_without_personal_data_is_unchanged(text: str) -> None:
    assert mask_personal_data(text) == text


def test_mask_phone() -> None:
    assert mask_phone(PHONE) == "138****0000"


# --- however it is written (issue 20): one table of writings, shared with the server-level test --
@pytest.mark.parametrize("writing", WRITINGS, ids=lambda w: w.name)
def test_masking_and_the_trainers_placeholders_find_every_writing(writing: Writing) -> None:
    said = f"我的联系方式是{writing.written}，电水壶坏了"
    assert not in_clear(mask_personal_data(said), writing)
    assert not in_clear(safe_text(said), writing)
    assert mask_personal_data(said).endswith("，电水壶坏了")


@pytest.mark.parametrize("kept", ["订单号QT202611150003", "打12315投诉", "花了1599元", "2026-11-15买的", "型号KX-2000"])
def test_what_is_no_personal_data_stays_readable(kept: str) -> None:
    assert mask_personal_data(kept) == kept


def test_an_id_number_with_a_wrong_check_digit_or_a_card_failing_luhn_is_no_personal_data() -> None:
    assert mask_personal_data("编号110101199003074515") == "编号110101199003074515"
    assert mask_personal_data("编号6222021234567890127") == "编号6222021234567890127"


def test_a_long_text_without_personal_data_is_masked_quickly_enough_to_stay_usable() -> None:
    # a plain behaviour check (no timing): the text comes back unchanged
    long = "长" * 2000 + "A" * 8000 + "1" * 5000
    assert mask_personal_data(long) == long


# --- encryption at rest --------------------------------------------------------------------------


def test_secret_key_is_created_under_the_var_dir(secret_in_tmp: Path) -> None:
    encrypt("x")
    assert (secret_in_tmp / "secret.key").exists()


def test_encrypt_and_decrypt_round_trip(secret_in_tmp: Path) -> None:
    token = encrypt(PHONE)
    assert PHONE not in token
    assert decrypt(token) == PHONE


def test_same_value_encrypts_differently_each_time(secret_in_tmp: Path) -> None:
    assert encrypt(PHONE) != encrypt(PHONE)


def test_tampered_token_decrypts_to_a_placeholder(secret_in_tmp: Path) -> None:
    assert decrypt("not-a-token") == "***"


def test_lookup_hash_is_stable_and_hides_the_phone(secret_in_tmp: Path) -> None:
    assert lookup_hash(PHONE) == lookup_hash(PHONE)
    assert lookup_hash(PHONE) != lookup_hash("13812340001")
    assert PHONE not in lookup_hash(PHONE)


@pytest.fixture
def customers(tmp_path: Path, secret_in_tmp: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'privacy.db'}")
    metadata = MetaData()
    table = Table(
        "customers", metadata,
        Column("id", Integer, primary_key=True),
        Column("phone", EncryptedText(), nullable=True),
    )
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def test_encrypted_column_round_trips_through_sqlite(customers) -> None:
    engine, table = customers
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, phone=PHONE))
    with engine.connect() as conn:
        assert conn.execute(select(table.c.phone).where(table.c.id == 1)).scalar_one() == PHONE


def test_raw_column_value_does_not_contain_the_phone(customers, tmp_path: Path) -> None:
    engine, table = customers
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, phone=PHONE))
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT phone FROM customers WHERE id = 1")).scalar_one()
    assert raw and PHONE not in raw
    assert PHONE.encode() not in (tmp_path / "privacy.db").read_bytes()


def test_null_stays_null(customers) -> None:
    engine, table = customers
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=2, phone=None))
    with engine.connect() as conn:
        assert conn.execute(select(table.c.phone).where(table.c.id == 2)).scalar_one() is None
        assert conn.execute(text("SELECT phone FROM customers WHERE id = 2")).scalar_one() is None
