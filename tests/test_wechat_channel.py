"""The WeChat Official Account callback, with wechatpy as the independent peer.

Every inbound push is signed (and in safe mode encrypted) by wechatpy; the outbound WeChat API
is a local stand-in (tests/wechat_standin.py) that records what the bot sent and serves the
media a test registered.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import xmltodict
from sqlalchemy import create_engine, text
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot import evidence
from bot.channels import wechat
from bot.channels.wechat_api import WeChatApi
from bot.knowledge import load_knowledge_base
from tests.conftest import SLOW_OPENID_PREFIX, WECHAT, Server
from tests.wechat_standin import WeChatApiStandIn

PATH = "/webhooks/wechat/webhook"
# A real 2×2 RGB PNG (74 bytes).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8AARAxg8j8AG/ID/fPnS7EAAAAASUVORK5CYII=")


def signature(timestamp: str, nonce: str, token: str = WECHAT["token"]) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


def text_xml(openid: str, content: str, msg_id: int, create_time: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_qingting]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str = "", create_time: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_qingting]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def image_xml(openid: str, media_id: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_qingting]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/{media_id}]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


class WeChatPeer:
    """What WeChat's servers do: sign, optionally encrypt, push, read the passive reply."""

    def __init__(self, server: Server, safe: bool = False, app_id: str = WECHAT["app_id"]) -> None:
        self.server = server
        self.safe = safe
        self.crypto = WeChatCrypto(WECHAT["token"], WECHAT["encoding_aes_key"], app_id)

    def push(self, xml: str, timestamp: str | None = None, sign: bool = True) -> requests.Response:
        timestamp = timestamp or str(int(time.time()))
        nonce = uuid.uuid4().hex[:10]
        params = {"timestamp": timestamp, "nonce": nonce, "openid": "x",
                  "signature": signature(timestamp, nonce) if sign else "0" * 40}
        body = xml
        if self.safe:
            envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
            body = f"<xml><ToUserName><![CDATA[gh_qingting]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        return requests.post(self.server.url + PATH, params=params, data=body.encode(), timeout=30)

    def reply_text(self, response: requests.Response) -> str:
        assert response.status_code == 200, response.text
        if response.text == "success":
            return ""
        xml = response.text
        if self.safe:
            envelope = xmltodict.parse(xml)["xml"]
            xml = self.crypto.decrypt_message(xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        return xmltodict.parse(xml)["xml"]["Content"]


def openid() -> str:
    return "o" + uuid.uuid4().hex[:20]


def test_url_verification_echoes_only_when_signed(server: Server) -> None:
    ts, nonce = str(int(time.time())), "abc"
    ok = requests.get(server.url + PATH, params={"signature": signature(ts, nonce), "timestamp": ts,
                                                  "nonce": nonce, "echostr": "hello123"}, timeout=10)
    assert ok.status_code == 200 and ok.text == "hello123"
    bad = requests.get(server.url + PATH, params={"signature": "0" * 40, "timestamp": ts, "nonce": nonce,
                                                   "echostr": "hello123"}, timeout=10)
    assert bad.status_code == 403 and "hello123" not in bad.text


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
def test_a_complaint_gets_a_passive_reply(server: Server, safe: bool) -> None:
    peer = WeChatPeer(server, safe=safe)
    reply = peer.reply_text(peer.push(text_xml(openid(), "我的电水壶坏了", int(time.time() * 1000))))
    assert "订单号" in reply


def test_buttons_become_options_to_type(server: Server) -> None:
    peer, user = WeChatPeer(server), openid()
    peer.push(text_xml(user, "我的热水壶坏了 订单QT202611150003 烧水烧到一半就自己断电", int(time.time() * 1000)))
    peer.push(text_xml(user, "0003", int(time.time() * 1000) + 1))  # the phone on the order ends 0003
    reply = peer.reply_text(peer.push(text_xml(user, "我的投诉处理得怎么样了", int(time.time() * 1000) + 2)))
    assert "您可以直接回复：" in reply and "退货退款" in reply


def test_the_openid_on_the_order_proves_it_and_no_other_does(server: Server) -> None:
    """刘志强 (knowledge_base/demo_orders.yml) follows the account as oDemoCustomer0005: his
    order is his without a question; another follower quoting it is asked for the digits."""
    peer, message = WeChatPeer(server), "我的洗衣机不脱水了 订单QT202611150005"
    owner = peer.reply_text(peer.push(text_xml("oDemoCustomer0005", message, int(time.time() * 1000))))
    assert "QT202611150005" in owner and "后四位" not in owner
    other = peer.reply_text(peer.push(text_xml(openid(), message, int(time.time() * 1000) + 1)))
    assert "后四位" in other and "QT202611150005" not in other


def test_a_retried_push_runs_the_bot_once(server: Server) -> None:
    peer, user, msg_id = WeChatPeer(server), openid(), int(time.time() * 1000) + 7
    first = peer.reply_text(peer.push(text_xml(user, "我的电水壶坏了", msg_id)))
    again = peer.reply_text(peer.push(text_xml(user, "我的电水壶坏了", msg_id)))
    assert again in ("", first)
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM complaints c JOIN conversations v ON v.id = c.conversation_id "
                                  "WHERE v.sender_id = :s"), {"s": f"wechat:{user}"}).scalar_one()
    engine.dispose()
    assert count == 1


def test_events_are_deduplicated_by_sender_and_time(server: Server) -> None:
    peer, user, created = WeChatPeer(server), openid(), int(time.time())
    welcome = peer.reply_text(peer.push(event_xml(user, "subscribe", create_time=created)))
    assert "感谢关注" in welcome
    assert peer.reply_text(peer.push(event_xml(user, "subscribe", create_time=created))) in ("", welcome)


def test_menu_click_asks_for_progress(server: Server) -> None:
    peer = WeChatPeer(server)
    reply = peer.reply_text(peer.push(event_xml(openid(), "CLICK", key="PROGRESS")))
    assert "查询" in reply


def test_voice_without_recognition_gets_a_kind_hint(server: Server) -> None:
    peer, now = WeChatPeer(server), int(time.time())
    xml = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid()}</FromUserName><CreateTime>{now}</CreateTime>"
           f"<MsgType>voice</MsgType><MediaId>m1</MediaId><Format>amr</Format><MsgId>{now * 1000 + 3}</MsgId></xml>")
    assert peer.reply_text(peer.push(xml))


def test_bad_signature_wrong_app_id_and_stale_pushes_are_refused(server: Server) -> None:
    xml = text_xml(openid(), "你好", int(time.time() * 1000) + 11)
    assert WeChatPeer(server).push(xml, sign=False).status_code == 403
    assert WeChatPeer(server, safe=True, app_id="wxOTHERAPP000000").push(xml).status_code == 403
    old = str(int(time.time()) - 3600)
    assert WeChatPeer(server).push(xml, timestamp=old).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>broken",
        "not xml at all",
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<xml><Content>&lol2;</Content></xml>",
    ],
    ids=["truncated", "garbage", "xxe", "entity-expansion"],
)
def test_malformed_and_hostile_xml_is_refused(server: Server, body: str) -> None:
    response = WeChatPeer(server).push(body)
    assert response.status_code == 400
    assert "root:" not in response.text


def test_a_slow_turn_is_acknowledged_in_time_and_sent_through_the_api(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    peer, user = WeChatPeer(server), SLOW_OPENID_PREFIX + openid()
    started = time.monotonic()
    response = peer.push(text_xml(user, "我的电水壶坏了", int(time.time() * 1000) + 13))
    assert time.monotonic() - started < 5.0
    assert response.text == "success"
    [sent, *_] = wechat_api.sent_to(user)
    assert sent["msgtype"] == "text" and "订单号" in sent["text"]["content"]


# --- image messages become evidence ------------------------------------------------------------
def evidence_rows(server: Server, user: str) -> list[Any]:
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.media_type, e.size, e.sha256, e.path, e.complaint_id, "
            "(SELECT c.id FROM complaints c WHERE c.conversation_id = v.id) AS complaint "
            "FROM evidence e JOIN conversations v ON v.id = e.conversation_id WHERE v.sender_id = :s"
        ), {"s": f"wechat:{user}"}).all()
    engine.dispose()
    return list(rows)


def msg_id() -> int:
    return int(time.time() * 1000) + uuid.uuid4().int % 100_000


def test_an_image_becomes_evidence_once_on_the_open_complaint(server: Server, wechat_api: WeChatApiStandIn) -> None:
    peer, user, media_id = WeChatPeer(server), openid(), "media-" + uuid.uuid4().hex
    peer.push(text_xml(user, "我的电水壶坏了", msg_id()))
    wechat_api.add_media(media_id, PNG)
    image = image_xml(user, media_id, msg_id())
    first = peer.reply_text(peer.push(image))
    assert first == wechat.IMAGE_RECEIVED
    assert peer.reply_text(peer.push(image)) in ("", first)  # WeChat's retry of the same MsgId
    [row] = evidence_rows(server, user)
    assert row.media_type == "image/png" and row.size == len(PNG)
    assert row.sha256 == hashlib.sha256(PNG).hexdigest()
    assert row.complaint_id is not None and row.complaint_id == row.complaint
    assert (server.var_dir / "uploads" / row.path).read_bytes() == PNG
    assert wechat_api.media_requests.count(media_id) == 1


def test_media_that_is_not_a_picture_is_refused_kindly(server: Server, wechat_api: WeChatApiStandIn) -> None:
    peer, user, media_id = WeChatPeer(server), openid(), "media-" + uuid.uuid4().hex
    wechat_api.add_media(media_id, b"<html>not a picture</html>", "image/jpeg")  # the declared type is ignored
    assert peer.reply_text(peer.push(image_xml(user, media_id, msg_id()))) == evidence.REFUSED_TYPE
    assert evidence_rows(server, user) == []


def test_an_unknown_media_id_gets_a_kind_reply(server: Server, wechat_api: WeChatApiStandIn) -> None:
    peer, user = WeChatPeer(server), openid()
    assert peer.reply_text(peer.push(image_xml(user, "media-unknown", msg_id()))) == wechat.IMAGE_RETRY
    assert evidence_rows(server, user) == []


def test_too_large_and_too_many_pictures_are_refused_kindly(server: Server, wechat_api: WeChatApiStandIn) -> None:
    peer, user, big = WeChatPeer(server), openid(), "media-" + uuid.uuid4().hex
    wechat_api.add_media(big, PNG + b"\0" * evidence.MAX_BYTES)
    assert peer.reply_text(peer.push(image_xml(user, big, msg_id()))) == evidence.REFUSED_SIZE
    replies = []
    for _ in range(evidence.MAX_PER_CONVERSATION + 1):
        media_id = "media-" + uuid.uuid4().hex
        wechat_api.add_media(media_id, PNG)
        replies.append(peer.reply_text(peer.push(image_xml(user, media_id, msg_id()))))
    assert replies == [wechat.IMAGE_RECEIVED] * evidence.MAX_PER_CONVERSATION + [evidence.REFUSED_COUNT]
    assert len(evidence_rows(server, user)) == evidence.MAX_PER_CONVERSATION


def test_a_slow_download_is_acknowledged_in_time_and_confirmed_through_the_api(
    server: Server, wechat_api: WeChatApiStandIn
) -> None:
    peer, user, media_id = WeChatPeer(server), openid(), "media-" + uuid.uuid4().hex
    wechat_api.add_media(media_id, PNG, delay=6.0)
    started = time.monotonic()
    response = peer.push(image_xml(user, media_id, msg_id()))
    assert time.monotonic() - started < 5.0
    assert response.text == "success"
    [sent] = wechat_api.sent_to(user)
    assert sent["msgtype"] == "text" and sent["text"]["content"] == wechat.IMAGE_RECEIVED
    assert len(evidence_rows(server, user)) == 1


def test_a_stale_token_is_refreshed_once_for_a_download(wechat_api: WeChatApiStandIn) -> None:
    media_id = "media-" + uuid.uuid4().hex
    wechat_api.add_media(media_id, PNG)

    async def download() -> bytes:
        api = WeChatApi(WECHAT["app_id"], WECHAT["app_secret"], wechat_api.url)
        api._token, api._expires_at = "stale", time.monotonic() + 3600  # WeChat revoked it early
        result = await api.download_media(media_id, evidence.MAX_BYTES)
        assert result.ok and api._token.startswith("token-")
        return result.data

    tokens_before = wechat_api.token_requests
    assert asyncio.run(download()) == PNG
    assert wechat_api.token_requests == tokens_before + 1


def test_new_wechat_texts_are_positive() -> None:
    banned = [b.phrase for b in load_knowledge_base().language.banned]
    for where, sentence in [("IMAGE_RETRY", wechat.IMAGE_RETRY), ("FOLLOWUP_REMARK", wechat.FOLLOWUP_REMARK)]:
        assert not [p for p in banned if p in sentence], where


# --- follow-ups outside the 48-hour window: template messages ---------------------------------
def deliver(server: Server, wechat_api: WeChatApiStandIn, user: str, replies: list[dict[str, Any]],
            template_id: str | None = "tpl-followup") -> bool:
    config = {**WECHAT, "api_base": wechat_api.url, "followup_template_id": template_id}
    channel = wechat.WeChatChannel(config, database_url=server.database_url)
    return asyncio.run(channel.deliver(f"wechat:{user}", replies))


def age_inbox(server: Server, user: str, hours: int) -> None:
    old = (datetime.now(timezone.utc) - timedelta(hours=hours)).replace(tzinfo=None)
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE wechat_inbox SET received_at = :t WHERE openid = :o"),
                     {"t": old.isoformat(sep=" "), "o": user})
    engine.dispose()


def test_deliver_uses_the_customer_service_api_inside_the_window(server: Server, wechat_api: WeChatApiStandIn) -> None:
    peer, user = WeChatPeer(server), openid()
    peer.push(event_xml(user, "subscribe"))
    assert deliver(server, wechat_api, user, [{"text": "您好，这里是倾听客服回访。"}])
    [sent] = wechat_api.sent_to(user)
    assert sent["text"]["content"] == "您好，这里是倾听客服回访。"
    assert wechat_api.templates_to(user) == []


def test_deliver_outside_the_window_sends_one_template_message(server: Server, wechat_api: WeChatApiStandIn) -> None:
    peer, user = WeChatPeer(server), openid()
    peer.push(event_xml(user, "subscribe"))
    age_inbox(server, user, hours=49)
    first = "您好，您的投诉已经处理完毕。" + "谢" * 300
    assert not deliver(server, wechat_api, user, [{"text": first}], template_id=None)
    assert deliver(server, wechat_api, user, [{"text": first}, {"text": "第二条"}])
    [template] = wechat_api.templates_to(user)
    assert template["template_id"] == "tpl-followup" and "url" not in template
    assert template["data"]["first"]["value"] == first[: wechat.TEMPLATE_FIRST_LIMIT]
    assert template["data"]["remark"]["value"] == wechat.FOLLOWUP_REMARK
    assert [m for m in wechat_api.sent if m.get("touser") == user] == []
