"""What proves an order is the customer's own (bot/ownership.py) and the shop login token
that vouches for a logged-in shop account (bot/channels/shop_login.py, docs/SHOP_LOGIN.md)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import ownership
from bot.channels.shop_login import ShopLogin
from bot.channels.shop_token_uses import ShopTokenUses
from bot.nlu.normalize import normalize_text
from bot.orders import OrderRecord
from bot.storage import models as m
from bot.storage.crypto import lookup_hash
from bot.storage.db import migrate, session_scope

NOW = 1_800_000_000
ORDER = OrderRecord(order_id="QT202611150001", product="电视", price=Decimal("3299"), purchased_on=date(2026, 11, 1),
                    delivered_on=None, channel="online", repairs_done=0, customer_id="x", tier="normal",
                    owner_phone_last4="8001", owner_account="c001", owner_openid_hash=lookup_hash("oOwner"))


@pytest.mark.parametrize("answer", ["8001", "尾号是8001", "８００１", "13800138001", "后四位 8001 。"])
def test_the_last_four_digits_prove_the_order(answer: str) -> None:
    assert ownership.phone_digits_prove(ORDER, normalize_text(answer))  # the NLU's text, half-width


@pytest.mark.parametrize("answer", ["1234", "80011", "8001 和 1234", "", "八零零一", "138001"])
def test_other_answers_prove_nothing(answer: str) -> None:
    assert not ownership.phone_digits_prove(ORDER, answer)


def test_an_order_that_does_not_exist_is_never_proven() -> None:
    assert not ownership.phone_digits_prove(None, "8001")
    assert ownership.proven_without_asking(None, shop_account="c001", channel="wechat", sender_id="wechat:oOwner") is None


def test_the_account_or_the_openid_on_the_order_proves_it_without_asking() -> None:
    assert ownership.proven_without_asking(ORDER, shop_account="c001", channel="socketio", sender_id="web_x") == "shop_account"
    assert ownership.proven_without_asking(ORDER, shop_account=None, channel="wechat", sender_id="wechat:oOwner") == "wechat"
    assert ownership.proven_without_asking(ORDER, shop_account="c002", channel="wechat", sender_id="wechat:oOther") is None
    # a REST caller naming the WeChat sender is not WeChat
    assert ownership.proven_without_asking(ORDER, shop_account=None, channel="rest", sender_id="wechat:oOwner") is None


def test_a_shop_token_proves_its_account_until_it_expires() -> None:
    login = ShopLogin("secret")
    token = login.token_for("c001", NOW + 600)
    assert login.account_of(token, now=NOW) == "c001"
    assert login.account_of(token, now=NOW + 601) is None  # expired
    assert ShopLogin("other").account_of(token, now=NOW) is None  # another secret
    assert ShopLogin(None).account_of(token, now=NOW) is None  # no secret: nothing is accepted
    assert login.account_of(login.token_for("c001", NOW + 2 * 86400), now=NOW) is None  # lives too long
    head, account, expiry, mac = token.split(".")
    assert login.account_of(".".join([head, account, str(NOW + 900), mac]), now=NOW) is None  # altered


async def test_the_dialogue_sees_only_the_account_a_token_proves() -> None:
    login = ShopLogin("secret")
    assert await login.vouch({"shop_account": "c003", "lang": "zh"}, "web_a") == {"lang": "zh"}
    vouched = await login.vouch({"shop_token": login.token_for("账户-7", int(time.time()) + 600)}, "web_a")
    assert vouched == {"shop_account": "账户-7"}


async def test_a_token_proves_its_account_only_to_the_conversation_that_presented_it_first(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(url)
    login, uses = ShopLogin("secret", ShopTokenUses(url)), ShopTokenUses(url)  # a second process
    token = login.token_for("c003", int(time.time()) + 600)
    assert await login.vouch({"shop_token": token}, "web_owner") == {"shop_account": "c003"}
    assert await login.vouch({"shop_token": token}, "web_owner") == {"shop_account": "c003"}  # every message
    assert await login.vouch({"shop_token": token}, "web_thief") == {}  # a copied token proves nothing
    assert await uses.belongs_to(token, "web_thief", int(time.time()) + 600) is False  # nor in another process
    assert await uses.belongs_to(token, "web_owner", int(time.time()) + 600) is True
    fresh = login.token_for("c003", int(time.time()) + 601)  # the shop's next page load: a new token
    assert await login.vouch({"shop_token": fresh}, "web_other_tab") == {"shop_account": "c003"}
    with session_scope(url) as db:
        stored = {row.token_digest for row in db.execute(select(m.ShopTokenUse)).scalars()}
    assert len(stored) == 2 and token not in stored and fresh not in stored  # digests, never the tokens


async def test_an_expired_binding_is_cleared_when_the_next_token_is_bound(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(url)
    uses = ShopTokenUses(url)
    assert await uses.belongs_to("v1.old.1.x", "web_a", int(time.time()) - 60)  # already past its expiry
    assert await uses.belongs_to("v1.new.2.y", "web_b", int(time.time()) + 600)
    with session_scope(url) as db:
        assert [row.sender_id for row in db.execute(select(m.ShopTokenUse)).scalars()] == ["web_b"]
