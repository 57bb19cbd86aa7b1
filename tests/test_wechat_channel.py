"""The WeChat Official Account callback, with wechatpy as the independent peer.

Every inbound push is signed (and in safe mode encrypted) by wechatpy; the outbound WeChat API
is a local stand-in (tests/wechat_standin.py) that records what the bot sent.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests
import xmltodict
from sqlalchemy import create_engine, text
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from tests.conftest import SLOW_OPENID_PREFIX, WECHAT, Server
from tests.wechat_standin import WeChatApiStandIn

PATH = "/webhooks/wechat/webhook"


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
    reply = peer.reply_text(peer.push(text_xml(user, "我的投诉处理得怎么样了", int(time.time() * 1000) + 1)))
    assert "您可以直接回复：" in reply and "退货退款" in reply


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
