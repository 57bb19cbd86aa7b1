"""Remedies the law gives, as the customer hears them (issue 21; docs/REMEDY_LAW.md).

The facts the law needs are taken from what the customer already said or asked for, one short
question at a time; what the law grants together is offered as one package citing its article;
legal damages above the cap go to a supervisor, never cut; each confirmation says truly what
happens next.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conversation.chat import Chat, read_json_column

pytestmark = pytest.mark.conversation

LOSS_QUESTION = "您额外花了多少钱或者有多少损失"
HARM_QUESTION = "有没有让人受伤或身体不适"
FOOD_QUESTION = "是食品本身有问题"


def law_facts(customer: Chat) -> dict:
    [complaint] = customer.complaints()
    return read_json_column(complaint["facts"]).get("law_facts") or {}


def test_food_that_made_the_customer_ill_gets_refund_and_damages_as_one_package(customer: Chat) -> None:
    customer.say("奶粉变质了，我喝了以后不舒服看了医生，医药费1200元，人已经没事了")
    bot = customer.say("QT202611150016")  # 奶粉 368 yuan, a vip customer
    # everything the law needs was in the first message: no question, the options at once
    assert not bot.says(LOSS_QUESTION) and not bot.says(FOOD_QUESTION)
    assert bot.offers_remedies()
    assert bot.says("根据《食品安全法》第一百四十八条", "十倍", "1200元")
    assert bot.button_titles == ["退货退款并赔偿"]  # refund and damages together, not alternatives

    bot = customer.click("退货退款并赔偿")
    assert bot.says("已为您确认：退货退款并赔偿", "上门取件", "需要主管审批", "全额")
    [complaint] = customer.complaints()
    assert complaint["remedy"] == "return"
    assert complaint["approval"] == "pending"
    assert Decimal(str(complaint["compensation_amount"])) >= Decimal("3680") + Decimal("1200")
    assert complaint["severity"] >= 2
    assert law_facts(customer) == {"food_standard_breach": True, "injured": True, "loss_amount": "1200"}
    # the approval waits in the console queue for a supervisor; the bot keeps the conversation
    [queued] = customer.handoffs()
    assert queued["status"] == "queued" and read_json_column(queued["reasons"]) == ["above_cap"]
    assert queued["severity"] == 2
    customer.give_work_facts()
    assert customer.say("明天下午三点可以").says("明天")  # the follow-up is still booked by the bot


def test_a_counterfeit_is_refunded_with_three_times_the_price(customer: Chat) -> None:
    customer.say("我买的手机是假货，跟正品完全不一样")
    bot = customer.say("QT202611150002")  # 手机 4599 yuan
    assert bot.says("《消费者权益保护法》第五十五条", "三倍", "13797元")
    assert bot.button_titles == ["退货退款并赔偿"]
    bot = customer.click("退货退款并赔偿")
    assert bot.says("主管")
    [complaint] = customer.complaints()
    assert complaint["approval"] == "pending"
    assert Decimal(str(complaint["compensation_amount"])) >= Decimal("13797")  # never cut to the cap
    assert law_facts(customer)["counterfeit"] is True


def test_goods_damaged_in_transit_go_back_or_are_replaced_at_our_cost(customer: Chat) -> None:
    customer.say("沙发送来的时候腿就断了，是运输途中摔的")
    bot = customer.say("QT202611150020")
    assert bot.says("《民法典》第六百零四条", "来回运费由我们承担")
    assert {"退货退款", "换货"} <= set(bot.button_titles)
    bot = customer.click("换货")
    assert bot.says("已为您确认：换货", "送上门安装")  # a sofa comes with technicians, not a courier
    assert law_facts(customer)["damaged_in_transit"] is True


def test_a_paid_repair_past_the_warranty_is_confirmed_with_a_quote(customer: Chat) -> None:
    customer.say("吸尘器坏了，已经过保修期了，想修一下")
    bot = customer.say("QT202611150013")  # 450 days, 12-month warranty
    assert "优惠维修" in bot.button_titles
    bot = customer.click("优惠维修")
    assert bot.says("已为您确认：优惠维修", "报价")
    assert not bot.says("维修费用由我们承担")
    assert not bot.says("免费")


def test_a_property_loss_is_asked_and_the_answer_sets_the_amount(customer: Chat) -> None:
    customer.say("洗衣机漏水把楼下邻居家天花板都泡了")
    bot = customer.say("QT202611150005")
    assert bot.says(LOSS_QUESTION)  # the damage is said, its cost is not
    assert not bot.offers_remedies()
    bot = customer.say("有")  # not yet an amount: asked once more, shorter
    assert bot.says("大概是多少钱呢")
    bot = customer.say("修天花板花了两千块")
    assert bot.says("好的，记下了", "《消费者权益保护法》第五十二条", "2000元")
    assert {"免费维修并赔偿", "换货并赔偿"} == set(bot.button_titles)
    bot = customer.click("换货并赔偿")
    assert bot.says("已为您确认：换货并赔偿", "主管")
    [complaint] = customer.complaints()
    assert complaint["remedy"] == "exchange" and complaint["approval"] == "pending"
    assert Decimal(str(complaint["compensation_amount"])) >= Decimal("2000")
    facts = read_json_column(complaint["facts"])
    assert facts["law_facts"] == {"property_damaged": True, "loss_amount": "2000"}
    assert "修天花板花了两千块" in facts["statements"]


def test_a_customer_who_does_not_know_the_loss_still_gets_the_options(customer: Chat) -> None:
    customer.say("洗衣机漏水把楼下邻居家天花板都泡了")
    bot = customer.say("QT202611150005")
    assert bot.says(LOSS_QUESTION)
    bot = customer.say("不知道")
    assert bot.says("没关系")
    assert bot.offers_remedies()
    assert bot.says("核实票据后确定")
    bot = customer.click("免费维修并赔偿")
    assert bot.says("已为您确认：免费维修并赔偿", "票据", "主管")
    [complaint] = customer.complaints()
    assert complaint["approval"] == "pending" and complaint["compensation_amount"] is None


def test_a_loss_remembered_at_the_menu_is_added_not_read_as_a_choice(customer: Chat) -> None:
    customer.say("洗衣机漏水把楼下邻居家天花板都泡了")
    customer.say("QT202611150005")
    customer.say("记不清了")
    bot = customer.say("对了，修天花板花了两千块")  # 修 is no request for a repair here
    assert not bot.says("已为您确认")
    assert bot.says("好的，记下了", "2000元")
    assert bot.offers_remedies()
    customer.click("换货并赔偿")
    [complaint] = customer.complaints()
    assert complaint["remedy"] == "exchange"
    assert Decimal(str(complaint["compensation_amount"])) >= Decimal("2000")


def test_no_extra_cost_is_taken_at_its_word_and_not_as_a_rejection(customer: Chat) -> None:
    customer.say("洗衣机漏水把楼下邻居家天花板都泡了")
    customer.say("QT202611150005")
    bot = customer.say("没有")
    assert not bot.says("理解您的想法")  # 没有 answered the question, it rejected nothing
    assert bot.offers_remedies()
    assert "补偿" in bot.button_titles and not [t for t in bot.button_titles if "并赔偿" in t]
    assert law_facts(customer)["loss_amount"] == "0"


def test_harm_is_asked_when_an_incident_does_not_say_it(customer: Chat) -> None:
    customer.say("热水器漏水了，水流了一地")
    bot = customer.say("QT202611150010")
    assert bot.says(HARM_QUESTION)
    assert {"有人受伤或不适", "家里东西受损", "都没有"} == set(bot.button_titles)
    bot = customer.click("都没有")
    assert bot.says("好的，记下了")
    assert not bot.says(LOSS_QUESTION)  # no harm: no loss to ask about
    assert bot.offers_remedies()
    assert not [t for t in bot.button_titles if "并赔偿" in t]
    assert law_facts(customer)["injured"] is False


def test_a_food_label_flaw_gets_the_plain_quality_remedies(customer: Chat) -> None:
    customer.say("买的坚果礼包有问题")
    bot = customer.say("QT202611150017")
    assert bot.says(FOOD_QUESTION)
    bot = customer.click("只是包装或标签问题")
    assert bot.offers_remedies()
    assert bot.says("《消费者权益保护法》第二十四条")
    assert not bot.says("十倍")
    assert law_facts(customer) == {"label_only": True, "food_standard_breach": False}


def test_unclear_answers_are_asked_at_most_twice_then_the_bot_carries_on(customer: Chat) -> None:
    customer.say("买的坚果礼包有问题")
    customer.say("QT202611150017")
    bot = customer.say("嗯")
    assert bot.says("再跟您确认一下")
    bot = customer.say("嗯嗯")
    assert bot.offers_remedies()
    assert bot.says("经核实属于不符合食品安全标准的食品后")  # still to verify, offered all the same
    assert not customer.handoffs()


def test_a_phone_order_keeps_the_seven_day_no_reason_return(customer: Chat) -> None:
    customer.say("电话订的羽绒服不想要了，我要退货")
    bot = customer.say("QT202611150025")
    assert bot.says("《消费者权益保护法》第二十五条", "电话购买的商品", "七日无理由退货期内")
    bot = customer.click("退货退款")
    assert bot.says("已为您确认：退货退款", "按上面说的约定承担")
