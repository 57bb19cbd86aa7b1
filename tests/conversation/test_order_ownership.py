"""An order is attached only after the customer proves it is theirs (issue 20).

Quoting an order number proves nothing: anyone can read one off a parcel. Until the customer
proves the order is theirs - the last four digits of the phone on the order, a logged-in shop
account vouched for by the shop's site, or the WeChat OpenID on the order
(tests/test_wechat_channel.py) - nothing about the order is said back and the complaint is not
linked to it, so the console and the supervisor's export show nothing of its customer.
"""

from __future__ import annotations

import csv
import io
import time

import pytest

from bot.channels.shop_login import ShopLogin
from bot.dialogue import texts
from tests.conftest import SHOP_LOGIN_SECRET, Server
from tests.console.conftest import ConsoleClient, Staff, staff  # noqa: F401
from tests.conversation.chat import Chat, read_json_column

pytestmark = pytest.mark.conversation

TV_ORDER = "QT202611150001"  # 张晓明's television, 3,299 yuan, bought 3 days ago; phone ends 8001
KETTLE_ORDER = "QT202611150003"  # 王建国's kettle (shop account c003); phone ends 0003
NO_SUCH_ORDER = "QT209912319999"
RANT = f"我家电视开机就黑屏了，订单号{TV_ORDER}，气死了"
# what the bot would say once the order is the customer's: its price, its customer, its age
ABOUT_THE_TV = ("3299", "张晓明", "8001", "核实无误", "天内", "天前")


def exported_row(server: Server, supervisor: str, reference: str) -> dict[str, str]:
    """The complaint's row in the supervisor's CSV export (supervisors see personal data in full)."""
    client = ConsoleClient(server)
    assert client.login(supervisor).status_code == 200
    response = client.get("/api/console/analytics/export.csv")  # the last 30 days in the shop's time zone
    assert response.status_code == 200, response.text
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    [row] = [dict(zip(header, r, strict=True)) for r in rows if r[0] == reference]
    return row


def stranger(server: Server) -> Chat:
    return Chat(server, proves_orders=False)


def logged_in(server: Server, account: str, secret: str = SHOP_LOGIN_SECRET) -> Chat:
    chat = Chat(server)
    chat.metadata = {"shop_token": ShopLogin(secret).token_for(account, int(time.time()) + 600)}
    return chat


def test_a_quoted_order_is_not_read_back_until_it_is_proven(server: Server) -> None:
    customer = stranger(server)
    bot = customer.say(RANT)
    assert bot.asks_for_order_owner()
    assert not any(word in bot.text for word in ABOUT_THE_TV), bot.text
    [complaint] = customer.complaints()
    assert complaint["order_id"] is None and complaint["customer_id"] is None


def test_someone_elses_order_stays_unlinked_after_two_wrong_answers(server: Server) -> None:
    customer = stranger(server)
    customer.say(RANT)
    bot = customer.say("1234")
    assert bot.texts == [texts.ask_order_owner(first=False)]
    bot = customer.say("4321")
    assert bot.says(texts.order_left_unverified(), "暂未关联订单")  # the complaint goes on without it
    assert not any(word in text for text in customer.transcript for word in ABOUT_THE_TV), customer.transcript

    [complaint] = customer.complaints()
    assert complaint["order_id"] is None  # not linked: the export joins nothing of the order
    assert complaint["customer_id"] is None  # so no name or phone of its customer anywhere
    facts = read_json_column(complaint["facts"])
    assert facts["order_claimed"] == TV_ORDER and facts["order_verified"] is False
    assert facts.get("order_id") is None


def test_a_wrong_answer_reads_the_same_whether_the_order_exists_or_not(server: Server) -> None:
    real, made_up = stranger(server), stranger(server)
    first_real = real.say(RANT)
    first_made_up = made_up.say(RANT.replace(TV_ORDER, NO_SUCH_ORDER))
    assert first_real.asks_for_order_owner() and first_made_up.asks_for_order_owner()
    assert first_real.texts[1:] == first_made_up.texts[1:]  # only the empathy line may differ
    for answer in ("1234", "5678"):
        assert real.say(answer).texts == made_up.say(answer).texts


def test_the_last_four_digits_of_the_phone_on_the_order_prove_it(server: Server) -> None:
    customer = stranger(server)
    customer.say(RANT)
    bot = customer.say("尾号8001")
    assert bot.says(texts.order_owner_confirmed(), "我已经把情况记录下来了", TV_ORDER, "电视")
    [complaint] = customer.complaints()
    assert complaint["order_id"] == TV_ORDER and complaint["customer_id"] is not None
    facts = read_json_column(complaint["facts"])
    assert facts["order_verified"] is True and facts["order_verified_by"] == "phone_digits"


def test_i_forgot_goes_on_without_the_order_at_once(server: Server) -> None:
    customer = stranger(server)
    customer.say(RANT)
    bot = customer.say("忘了")
    assert bot.says(texts.order_left_unverified())
    assert customer.complaints()[0]["order_id"] is None


def test_a_logged_in_shop_account_proves_its_own_orders(server: Server) -> None:
    customer = logged_in(server, "c003")
    bot = customer.say(f"我的热水壶坏了 订单{KETTLE_ORDER} 烧水烧到一半就断电")
    assert not bot.asks_for_order_owner()
    assert bot.says("我已经把情况记录下来了", KETTLE_ORDER)
    [complaint] = customer.complaints()
    assert complaint["order_id"] == KETTLE_ORDER
    assert read_json_column(complaint["facts"])["order_verified_by"] == "shop_account"


@pytest.mark.parametrize("how", ["another account", "a forged token", "an account named by the client"])
def test_any_other_login_proves_nothing(server: Server, how: str) -> None:
    if how == "another account":
        customer = logged_in(server, "c001")
    elif how == "a forged token":
        customer = logged_in(server, "c003", secret="guessed-secret")
    else:
        customer = Chat(server)
        customer.metadata = {"shop_account": "c003"}
    customer.proves_orders = False
    bot = customer.say(f"我的热水壶坏了 订单{KETTLE_ORDER} 烧水烧到一半就断电")
    assert bot.asks_for_order_owner()
    assert customer.complaints()[0]["order_id"] is None


def test_a_token_copied_into_another_conversation_proves_nothing(server: Server) -> None:
    owner = logged_in(server, "c003")
    owner.say(f"我的热水壶坏了 订单{KETTLE_ORDER} 烧水烧到一半就断电")
    assert owner.complaints()[0]["order_id"] == KETTLE_ORDER
    thief = stranger(server)
    thief.metadata = dict(owner.metadata)  # the same token, read off the owner's page
    bot = thief.say(f"我的热水壶坏了 订单{KETTLE_ORDER} 烧水烧到一半就断电")
    assert bot.asks_for_order_owner()
    assert thief.complaints()[0]["order_id"] is None


NO_ORDER_RANT = "我家电视开机就黑屏了，气死了"


PENDING = "订单核实后"  # how a remedy offered before the order is checked reads


def offered_without_an_order(customer: Chat) -> None:
    customer.say(NO_ORDER_RANT)
    bot = customer.say("没有")
    assert bot.says(PENDING) and "理解您的想法" not in bot.text  # "没有" answered the order question only


def test_an_order_number_found_while_the_remedies_are_on_offer_is_proven_then_assessed(server: Server) -> None:
    customer = stranger(server)
    offered_without_an_order(customer)
    bot = customer.say(f"找到了，订单号{TV_ORDER}")
    assert bot.texts == [texts.ask_order_owner(first=True)]  # nothing about the order yet
    assert customer.complaints()[0]["order_id"] is None
    bot = customer.say("8001")
    assert bot.says(texts.order_owner_confirmed(), "我已经把情况记录下来了", TV_ORDER)
    assert "退货退款" in bot.button_titles and PENDING not in bot.text  # bought 3 days ago: the law decides now
    [complaint] = customer.complaints()
    assert complaint["order_id"] == TV_ORDER and complaint["customer_id"] is not None
    assert read_json_column(complaint["facts"])["order_verified_by"] == "phone_digits"


def test_someone_elses_order_found_late_stays_unlinked_and_unread(server: Server) -> None:
    customer = stranger(server)
    offered_without_an_order(customer)
    customer.say(f"订单号是{TV_ORDER}")
    customer.say("1234")
    bot = customer.say("4321")
    assert bot.says(texts.order_left_unverified()) and "三包" not in bot.text  # still subject to checking
    assert not any(word in text for text in customer.transcript for word in ABOUT_THE_TV), customer.transcript
    [complaint] = customer.complaints()
    assert complaint["order_id"] is None and complaint["customer_id"] is None
    assert read_json_column(complaint["facts"])["order_claimed"] == TV_ORDER


def test_an_order_that_failed_its_check_gets_no_more_guesses_when_quoted_again(server: Server) -> None:
    customer = stranger(server)
    offered_without_an_order(customer)
    customer.say(f"订单号是{TV_ORDER}")
    customer.say("1234")
    customer.say("4321")  # two wrong answers: left unverified
    bot = customer.say(f"订单号就是{TV_ORDER}啊")
    assert not bot.asks_for_order_owner() and bot.texts[0] == texts.late_order_kept()  # then the menu again
    assert customer.complaints()[0]["order_id"] is None


def test_a_logged_in_customers_late_order_is_linked_without_a_question(server: Server) -> None:
    customer = logged_in(server, "c003")
    customer.proves_orders = False
    customer.say("我的热水壶烧水烧到一半就断电，太气人了")
    if customer.last.asks_for_product():
        customer.say("热水壶")
    customer.say("没有")
    bot = customer.say(f"订单号{KETTLE_ORDER}")
    assert not bot.asks_for_order_owner()
    assert bot.says("我已经把情况记录下来了", KETTLE_ORDER)
    assert customer.complaints()[0]["order_id"] == KETTLE_ORDER


def test_an_order_number_after_the_remedy_is_chosen_is_kept_for_a_colleague_to_verify(server: Server) -> None:
    customer = stranger(server)
    offered_without_an_order(customer)
    customer.click("补偿")
    customer.say("明天下午3点")
    bot = customer.say(f"对了订单号是{TV_ORDER}")
    assert bot.texts == [texts.late_order_kept()]
    [complaint] = customer.complaints()
    assert complaint["order_id"] is None and complaint["remedy"] == "compensation"
    facts = read_json_column(complaint["facts"])
    assert facts["order_claimed"] == TV_ORDER and facts["order_verified"] is False


def test_the_export_shows_the_orders_customer_only_once_the_order_is_proven(server: Server, staff: Staff) -> None:  # noqa: F811
    someone_else, owner = stranger(server), stranger(server)
    for customer, answers in ((someone_else, ("1234", "4321")), (owner, ("8001",))):
        customer.say(RANT)
        for answer in answers:
            customer.say(answer)
    unproven = exported_row(server, staff.supervisor, someone_else.complaints()[0]["reference"])
    assert unproven["客户姓名"] == "" and unproven["客户电话"] == ""
    assert "3299" not in "".join(unproven.values())
    proven = exported_row(server, staff.supervisor, owner.complaints()[0]["reference"])
    assert proven["客户姓名"] == "张晓明" and proven["客户电话"].endswith("8001")
