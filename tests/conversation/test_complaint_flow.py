"""The five stages end to end: listen, empathise, record, propose, follow up — and thank."""

from __future__ import annotations

import pytest

from tests.conversation.chat import Chat, language_lines, read_json_column

pytestmark = pytest.mark.conversation


def test_broken_kettle_is_heard_recorded_remedied_and_followed_up(customer: Chat) -> None:
    customer.say("你好")
    bot = customer.say("我上周买的电水壶用了三天就不加热了，气死我了")
    assert bot.opens_with_empathy_for("quality")
    assert bot.asks_for_order_id()

    bot = customer.say("QT202611150003")
    assert bot.says("我已经把情况记录下来了", "QT202611150003", "电水壶")
    assert bot.offers_remedies()
    assert "退货退款" in bot.button_titles

    bot = customer.click("退货退款")
    assert bot.says("已为您确认：退货退款")
    assert bot.asks_for_work_address()  # the pickup needs it (work_orders.yml: needs)
    assert not bot.asks_for_followup_time()

    bot = customer.say("杭州市西湖区文三路90号5幢301室")
    assert bot.says("地址已经记好了")
    assert bot.asks_for_work_window()
    window = bot.button_titles[1]  # 明天下午 14:00-18:00
    bot = customer.click(window)
    assert bot.says("已为您记下", "下午14:00-18:00")
    assert bot.asks_for_followup_time()

    bot = customer.say("明天下午三点")
    assert bot.says("已为您预约", "15:00", "投诉编号")
    assert bot.says("感谢")
    assert customer.times_asked()["work_address"] == 1 and customer.times_asked()["work_window"] == 1

    pickup, refund = customer.work_orders()
    assert pickup["kind"] == "return_pickup" and refund["kind"] == "refund"
    assert "文三路" not in str(pickup["address"])  # encrypted at rest, like the phone
    assert pickup["address_masked"] == "杭州市西湖区****"
    assert read_json_column(pickup["facts"])["time_slot"].endswith("下午14:00-18:00")
    assert refund["address"] is None and "time_slot" not in read_json_column(refund["facts"])

    [complaint] = customer.complaints()
    assert complaint["type"] == "quality"
    assert complaint["order_id"] == "QT202611150003"
    assert complaint["remedy"] == "return"
    assert complaint["status"] == "in_progress"
    assert complaint["valid"] in (1, True)
    facts = read_json_column(complaint["facts"])
    assert facts["product"] == "电水壶"
    assert any("不加热" in s for s in facts["statements"])
    [follow_up] = customer.follow_ups()
    assert follow_up["status"] == "awaiting_work"  # due once the return's work orders are done


def test_facts_already_in_the_rant_are_not_asked_again(customer: Chat) -> None:
    bot = customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    assert bot.opens_with_empathy_for("quality")
    assert not bot.asks_for_order_id()
    assert not bot.asks_for_product()
    assert bot.says("我已经把情况记录下来了", "QT202611150003")
    assert bot.offers_remedies()


def test_venting_is_listened_to_without_a_question(customer: Chat) -> None:
    bot = customer.say("气死我了 真的无语")
    assert any(text in language_lines("listening") + language_lines("vent_followup") for text in bot.texts)
    assert not bot.asks_for_order_id()
    bot = customer.say("快递送了一个星期还没到，太慢了")
    assert bot.opens_with_empathy_for("delivery")
    assert bot.asks_for_order_id()


@pytest.mark.parametrize(
    ("complaint_type", "message"),
    [
        ("quality", "我的空调不制冷了，开了一晚上还是热的"),
        ("service", "你们客服态度太差了，问个问题爱答不理的"),
        ("billing", "你们多收了我500块钱，账单明显不对"),
        ("delivery", "快递送了一个星期还没到，太慢了"),
        ("after_sales", "师傅说好今天上门安装结果根本没来"),
        ("incident", "洗衣机漏水把楼下邻居家天花板都泡了"),
    ],
)
def test_empathy_fits_the_complaint_type(customer: Chat, complaint_type: str, message: str) -> None:
    bot = customer.say(message)
    assert bot.opens_with_empathy_for(complaint_type), bot.texts
    [complaint] = customer.complaints()
    assert complaint["type"] == complaint_type


def test_exchange_within_fifteen_days_of_a_sanbao_washing_machine(customer: Chat) -> None:
    customer.say("洗衣机甩干的时候声音特别响，还一直报错")
    bot = customer.say("QT202611150005")
    assert bot.offers_remedies()
    assert "换货" in bot.button_titles
    assert "退货退款" not in bot.button_titles  # day 12 in store: §10 exchange or repair
    bot = customer.click("换货")
    assert bot.says("已为您确认：换货")
    customer.say("后天上午10点")
    assert customer.complaints()[0]["remedy"] == "exchange"


def test_repair_in_warranty_for_an_air_conditioner(customer: Chat) -> None:
    customer.say("我的空调不制冷了，开了一晚上还是热的")
    bot = customer.say("QT202611150008")
    assert "免费维修" in bot.button_titles
    bot = customer.say("我要维修")
    assert bot.says("已为您确认：免费维修", "48小时")
    assert customer.complaints()[0]["remedy"] == "repair"


def test_service_complaint_gets_goodwill_compensation_within_the_cap(customer: Chat) -> None:
    customer.say("你们客服态度太差了，问个问题爱答不理的")
    bot = customer.say("QT202611150012")
    assert "补偿" in bot.button_titles
    bot = customer.click("补偿")
    assert bot.says("已为您确认：补偿")
    assert not bot.says("主管审批")
    [complaint] = customer.complaints()
    assert complaint["remedy"] == "compensation"
    assert complaint["approval"] is None


def test_overcharge_above_the_cap_is_pending_approval_and_said_positively(customer: Chat) -> None:
    customer.say("你们多收了我500块钱，账单明显不对")
    bot = customer.say("QT202611150012")
    assert bot.says("500")
    bot = customer.click("补偿")
    assert bot.says("需要主管审批", "第一时间通知您")
    [complaint] = customer.complaints()
    assert complaint["approval"] == "pending"
    assert float(complaint["compensation_amount"]) == 500.0


def test_a_wish_the_policy_does_not_cover_gets_the_alternatives_first(customer: Chat) -> None:
    customer.say("我的空调不制冷了，我要退货")
    bot = customer.say("QT202611150008")  # day 60: warranty repair, no return
    assert bot.says("您希望退货退款", "我们优先为您安排")
    assert "退货退款" not in bot.button_titles


def test_no_order_number_is_fine_and_the_complaint_is_still_recorded(customer: Chat) -> None:
    bot = customer.say("买的吸尘器吸力越来越小")
    assert bot.asks_for_order_id()
    bot = customer.say("没有")
    assert bot.says("暂未关联订单")
    # the remedies a quality complaint can have, each once the order is checked, not only a token
    assert bot.button_titles == ["退货退款", "换货", "免费维修", "补偿"] and bot.says("订单核实后")
    [complaint] = customer.complaints()
    assert complaint["order_id"] is None
    bot = customer.click("换货")
    assert bot.says("已为您确认：换货", "同事会先核实您的订单")
    assert customer.complaints()[0]["remedy"] == "exchange"


def test_an_unknown_order_number_reads_like_anyone_elses_then_is_recorded_without(customer: Chat) -> None:
    """Whether an order exists is not told to whoever quotes it (tests/conversation/test_order_ownership.py)."""
    customer.say("电饭煲煮饭一直夹生")
    bot = customer.say("QT999999999999")
    assert bot.asks_for_order_owner() and "还没匹配上" not in bot.text
    assert customer.say("1234").asks_for_order_owner()
    bot = customer.say("5678")
    assert bot.says("按描述记录好了", "暂未关联订单")
    assert bot.offers_remedies()


def test_rejecting_the_remedies_once_reoffers_them(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    bot = customer.say("都不要")
    assert bot.says("理解您的想法")
    bot = customer.click("换货")
    assert bot.says("已为您确认：换货")


def test_unclear_follow_up_time_is_asked_again_with_options(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.click("退货退款")
    customer.give_work_facts()
    bot = customer.say("看情况吧")
    assert bot.says("我想确认一下具体时间")
    bot = customer.say("周五上午")
    assert bot.says("已为您预约", "周五")


def test_a_follow_up_in_quiet_hours_moves_to_the_next_morning(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.click("退货退款")
    customer.give_work_facts()
    bot = customer.say("晚上十一点")
    assert bot.says("不打扰您休息", "09:00")


def test_declining_the_follow_up_is_respected(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.click("退货退款")
    customer.give_work_facts()
    bot = customer.say("不用回访了")
    assert bot.says("尊重您的安排")
    assert customer.follow_ups() == []


def test_a_returning_customer_gets_the_status_of_their_complaint(customer: Chat) -> None:
    customer.say("我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电")
    customer.click("退货退款")
    customer.give_work_facts()
    customer.say("明天上午10点")
    reference = customer.complaints()[0]["reference"]

    bot = customer.say("我的投诉处理得怎么样了")
    assert bot.says(reference, "退货退款", "回访")


def test_progress_question_without_any_complaint_is_answered_kindly(customer: Chat) -> None:
    bot = customer.say("我的投诉处理得怎么样了")
    assert bot.says("马上为您查询")


def test_food_safety_compensation_needs_approval(customer: Chat) -> None:
    customer.say("买的坚果礼包里面有好多坏的 发霉了")
    bot = customer.say("QT202611150017")
    assert bot.says("十倍")
    assert "退货退款并赔偿" in bot.button_titles  # the refund and the §148 damages, one option
    bot = customer.click("退货退款并赔偿")
    assert bot.says("需要主管审批")


def test_greeting_thanks_and_goodbye(customer: Chat) -> None:
    assert customer.say("你好").is_one_of("utter_greet")
    assert customer.say("谢谢").is_one_of("utter_youre_welcome")
    assert customer.say("再见").is_one_of("utter_goodbye")


@pytest.mark.parametrize("message", ["我的电水壶坏了", "手机坏了", "电水壶"])
def test_a_bare_product_problem_starts_the_complaint(customer: Chat, message: str) -> None:
    bot = customer.say(message)
    assert bot.opens_with_empathy_for("quality")
    assert bot.asks_for_order_id()


def test_an_address_not_at_hand_is_accepted_once_and_the_window_still_offered(customer: Chat) -> None:
    customer.say("我的空调不制冷了，开了一晚上还是热的")
    bot = customer.say("QT202611150008")
    repair = next(title for title in bot.button_titles if "维修" in title)
    assert customer.click(repair).asks_for_work_address()  # a technician's visit
    bot = customer.say("不知道")
    assert bot.says("同事会先和您电话确认地址")
    assert not any(line in bot.texts for line in language_lines("listening"))
    assert bot.asks_for_work_window() and not bot.asks_for_work_address()
    bot = customer.say("周六下午")
    assert bot.says("已为您记下周六下午")
    assert bot.asks_for_followup_time()
    assert customer.times_asked()["work_address"] == 1
    [visit] = customer.work_orders()
    assert visit["kind"] == "repair_visit" and visit["address"] is None
    assert read_json_column(visit["facts"])["time_slot"] == "周六下午"


def test_a_television_is_collected_by_technicians_not_handed_to_a_courier(customer: Chat) -> None:
    customer.say("新买的电视屏幕上有一条竖线")
    customer.say("QT202611150001")  # bought three days ago: the return is the customer's right
    bot = customer.click("退货退款")
    assert bot.says("已为您确认：退货退款", "师傅上门拆卸取回") and "快递" not in bot.text
    assert bot.asks_for_work_address() and bot.says("大件上门取回")
    customer.give_work_facts()
    assert sorted(w["kind"] for w in customer.work_orders()) == ["bulky_return_pickup", "refund"]
