"""Hypothesis strategies for bad, odd and hostile input, one per kind of entry point.

Each strategy yields a small frozen case object that says exactly what is sent; how it is
sent and judged lives in tests/fuzzing/targets.py. Expensive shapes (10,000-character
texts, megabyte uploads) are drawn rarely so that 10,000 inputs finish in minutes.
"""

from __future__ import annotations

import base64
import json
import re
import string
import struct
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# --- customer text ---------------------------------------------------------------------------
SIMPLIFIED = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
TRADITIONAL = st.sampled_from(list("買電壺壞幾機貨換員號碼問題裡這麼說請謝還會費鐘頭們時應該讓與處理"))
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
CONTROL = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.sampled_from(["\x7f", "\u200b", "\u200d", "\u202e", "\ufeff", "\u2028", "\u2029", "\x85", "\ufffd"]),
)
PLAIN_LINES = [
    "我的电水壶坏了", "订单号QT202611150003", "我要投诉", "转人工", "我要退货退款", "快递三天还没到",
    "我買的洗衣機漏水了", "再不解决我就去12315投诉", "明天下午三点", "好的", "不用了", "谢谢", "？？？",
    "my kettle坏了 please help", "。。。", "😡😡😡",
]
HOSTILE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
    "' OR '1'='1", "'; DROP TABLE complaints; --", "1; SELECT * FROM console_users --", '" OR ""="',
    '{"sender": "admin", "message": "hi"}', '{"__proto__": {"admin": true}}', "[1, 2, {\"a\": null}]",
    "${jndi:ldap://127.0.0.1/a}", "{{7*7}}", "{% raw %}", "%s%s%s%n", "../../../../etc/passwd",
    "/restart", "/session_start", "/greet", '/inform{"order_id": "QT202611150003"}', "/nonexistent{bad json",
    "\\u0000", "null", "NaN", "undefined", "\x00\x00", "A" * 300, "🀄" * 50, "\ud7ff\ue000",
]
LONG_BASE = ["我买的洗衣机质量太差了，用了没几天就坏了。", "啊", "😡", "<b>", "x", "訂單"]


def text_piece() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(PLAIN_LINES),
        st.text(SIMPLIFIED, max_size=30),
        st.text(TRADITIONAL, max_size=12),
        st.text(EMOJI, max_size=8),
        st.text(CONTROL, max_size=6),
        st.sampled_from(HOSTILE),
        st.text(max_size=40),  # any Unicode outside surrogates
        st.sampled_from(list(string.whitespace)),
    )


@st.composite
def long_text(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(LONG_BASE))
    size = draw(st.sampled_from([9_999, 10_000, 10_001, 12_000]))
    return (base * (size // len(base) + 1))[:size]


@st.composite
def customer_text(draw: st.DrawFn) -> str:
    """What a customer (or someone pretending to be one) might type; about 1 in 100 is long."""
    roll = draw(st.integers(0, 99))
    if roll == 99:
        return draw(long_text())
    if roll >= 95:
        return draw(st.sampled_from(["", " ", "\n", "\t\t", "　", "\u200b"]))
    return "".join(draw(st.lists(text_piece(), min_size=1, max_size=5)))


HEX = "0123456789abcdef"
# A well-formed id: the upload target turns it into a real server-issued session cookie; anything
# else is presented as a forged cookie (which the chat page's API refuses).
SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
RESERVED_PREFIXES = ("fault-", "slow-")  # fault injection of the test server (tests/conftest.py)


def sender_id() -> st.SearchStrategy[str]:
    """A fresh, well-formed session id (so the conversation can be looked up afterwards)."""
    return st.text(HEX, min_size=16, max_size=24).map(lambda h: "fz-" + h)


def odd_sender() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=200).filter(lambda s: not any(p in s for p in RESERVED_PREFIXES)),
        st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(), st.just(""), st.just("   "),
        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
        st.just("x" * 5000), st.just("../../etc/passwd"), st.just("wechat:o123"),
    )


# --- JSON ------------------------------------------------------------------------------------
def json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False,
                     allow_infinity=False), customer_text())


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    return st.recursive(json_scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=max_leaves)


MALFORMED_JSON = [
    b"", b"{", b"}", b"[", b'{"sender": ', b'{"sender": "a", "message": }', b"{'sender': 'a'}", b"null", b"true",
    b"42", b'"just a string"', b"[]", b'{"sender": "a" "message": "b"}', b"\xef\xbb\xbf{}", b"\xff\xfe\x00{",
    b'{"sender": "fz-0000000000000000", "message": "\\ud800"}', b'{"sender": "fz-0000000000000001", "message": "\\udfff x"}',
    b'{"sender": "\\u0000", "message": "a"}', b'{"message": NaN, "sender": Infinity}', b"<xml>not json</xml>",
    b"sender=a&message=b", b'{"sender": "a", "sender": "b", "message": "dup"}', b"\x00" * 64,
]


@st.composite
def deep_json(draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([100, 1_000, 50_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return (opener * depth + "1" + closer * depth).encode()


@st.composite
def malformed_json(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.sampled_from(MALFORMED_JSON))
    if kind == 1:
        return draw(st.binary(max_size=200))
    if kind == 2:
        return draw(deep_json())
    if kind == 3:  # a valid document cut short
        doc = json.dumps(draw(json_values()), ensure_ascii=False).encode()
        return doc[: draw(st.integers(0, max(0, len(doc) - 1)))]
    if kind == 4:  # valid JSON in a legacy encoding
        doc = json.dumps({"sender": "fz-gbk0000000000", "message": "我的电水壶坏了"}, ensure_ascii=False)
        return doc.encode(draw(st.sampled_from(["gbk", "utf-16", "big5"])), "replace")
    return json.dumps(draw(json_values())).encode()


# --- the REST channel --------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpCase:
    body: bytes
    content_type: str | None = "application/json"
    chunked: bool = False  # sent without a Content-Length
    sender: str | None = None  # a well-formed message: who sent it …
    text: str | None = None  # … and what, for the lost-message check


@st.composite
def rest_case(draw: st.DrawFn) -> HttpCase:
    kind = draw(st.integers(0, 9))
    content_type = draw(st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                         None, "multipart/form-data", "application/x-www-form-urlencoded"]))
    if kind <= 4:  # the well-formed message, with odd text
        sender, text = draw(sender_id()), draw(customer_text())
        body: dict[str, Any] = {"sender": sender, "message": text}
        if draw(st.booleans()):
            body["metadata"] = draw(json_values(4))
        return HttpCase(json.dumps(body, ensure_ascii=draw(st.booleans())).encode(), content_type,
                        chunked=draw(st.integers(0, 9)) == 0, sender=sender, text=text)
    if kind <= 6:  # the right keys with the wrong kinds of values
        body = {"sender": draw(odd_sender()), "message": draw(json_values(4))}
        if draw(st.booleans()):
            body.pop(draw(st.sampled_from(["sender", "message"])))
        return HttpCase(json.dumps(body).encode(), content_type)
    if kind == 7:
        return HttpCase(json.dumps(draw(json_values())).encode(), content_type)
    if kind == 8:
        return HttpCase(draw(malformed_json()), content_type, chunked=draw(st.booleans()))
    size = draw(st.sampled_from([256 * 1024 + 1, 300_000, 1_000_000]))  # too large
    filler = json.dumps({"sender": "fz-big", "message": "啊" * (size // 3)}).encode()
    return HttpCase(filler, content_type, chunked=draw(st.booleans()))


# --- socket.io -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SocketCase:
    ask_session: bool  # send session_request first (the widget always does)
    session_request: Any  # its payload
    messages: tuple[Any, ...]  # payloads of user_uttered
    texts: tuple[str | None, ...] = field(default=())  # the text each payload carries, for the lost check


def _socket_payload() -> st.SearchStrategy[tuple[Any, str | None]]:
    well_formed = customer_text().map(lambda t: ({"message": t}, t))
    odd = json_values(4).map(lambda v: (v, v if isinstance(v, str) else (
        v.get("message") if isinstance(v, dict) and isinstance(v.get("message"), str) else None)))
    return st.one_of(well_formed, well_formed, odd)


@st.composite
def socket_case(draw: st.DrawFn) -> SocketCase:
    wanted = draw(st.one_of(sender_id(), st.none(), json_values(3)))
    request = draw(st.one_of(st.just({"session_id": wanted}), st.just({"session_id": wanted, "skip_outbox": True}),
                             json_values(3)))
    pairs = draw(st.lists(_socket_payload(), min_size=1, max_size=5))
    return SocketCase(draw(st.integers(0, 9)) > 0, request, tuple(p for p, _ in pairs), tuple(t for _, t in pairs))


# --- the WeChat callback ---------------------------------------------------------------------
@dataclass(frozen=True)
class WeChatCase:
    xml: str
    encoding: str = "utf-8"
    method: str = "POST"
    mode: str = "plain"  # plain | aes
    signature: str = "good"  # good | bad | missing
    timestamp: str = "fresh"  # fresh | stale | future | garbage | missing
    envelope: str = "good"  # aes only: good | bitflip | truncated | garbage | wrong_app | not_xml
    replay_of: int | None = None  # send the same message twice (WeChat's retry)
    openid: str | None = None  # for the lost-message check: a text message that should arrive
    text: str | None = None


def _openid() -> st.SearchStrategy[str]:
    return st.text(string.ascii_letters + string.digits + "_-", min_size=20, max_size=28).map(lambda s: "o" + s)


def _cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


def message_xml(openid: str, msg_type: str, fields: dict[str, str], create_time: str, msg_id: str | None) -> str:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    ident = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (f"<xml><ToUserName>{_cdata('gh_qingting')}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType>{_cdata(msg_type)}</MsgType>{inner}{ident}</xml>")


HOSTILE_XML = [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/">]><xml><Content>&xxe;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Content>&lol3;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]><xml/>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><xml/>',
    '<xml xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/></xml>',
    "<?xml version='1.0' encoding='utf-7'?><xml>+ADw-script+AD4-</xml>",
    "<xml><ToUserName>broken", "not xml at all", "", "<xml></xml>", "<xml/>", "<a><b></a></b>",
    "<xml><FromUserName>o1</FromUserName></xml>", "<xml><MsgType>text</MsgType><Content>hi</Content></xml>",
    "<" * 1000, "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>", "\ufeff<xml/>",
]


@st.composite
def wechat_xml(draw: st.DrawFn) -> tuple[str, str | None, str | None]:
    """(xml, openid, text): openid/text set for a well-formed text message. `{now}` and `{msgid}`
    are filled in at send time, so a case that waited in a queue is still fresh."""
    openid, now = draw(_openid()), "{now}"
    kind = draw(st.integers(0, 19))
    msg_id = "{msgid}"  # unique, filled in at send time (WeChat's ids are; a retry reuses its own)
    if kind <= 7:
        text = draw(customer_text()).replace("]]>", "]] >")
        return message_xml(openid, "text", {"Content": _cdata(text)}, now, msg_id), openid, text
    if kind <= 9:
        event = draw(st.sampled_from(["subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN", "LOCATION", "weird", ""]))
        key = draw(st.one_of(st.sampled_from(["COMPLAIN", "PROGRESS", "我要投诉", "查询进度"]), st.text(max_size=20)))
        return message_xml(openid, "event", {"Event": _cdata(event), "EventKey": _cdata(key.replace("]]>", ""))},
                           now, None), None, None
    if kind <= 11:
        msg_type = draw(st.sampled_from(["image", "voice", "video", "shortvideo", "location", "link", "file", "",
                                         "TEXT", "miniprogrampage"]))
        fields = {"MediaId": _cdata(draw(st.text(string.ascii_letters, max_size=30))),
                  "PicUrl": _cdata("http://127.0.0.1:1/x.png"), "Format": "amr",
                  "Location_X": draw(st.sampled_from(["23.1", "abc", "", "1e400"])), "Label": _cdata("某地")}
        if draw(st.booleans()):
            fields["Recognition"] = _cdata(draw(customer_text()).replace("]]>", ""))
        return message_xml(openid, msg_type, fields, now, msg_id), None, None
    if kind <= 13:  # well-formed outside, odd inside
        create_time = draw(st.sampled_from([now, "", "abc", "-1", "99999999999999999999", "1.5", "0"]))
        ident = draw(st.sampled_from([msg_id, "", "abc", "-5", "1" * 40, None]))
        sender = draw(st.one_of(_openid(), st.just(""), st.text(max_size=30).map(lambda s: s.replace("]]>", ""))))
        xml = message_xml(sender, "text", {}, create_time, ident)
        return xml.replace("</xml>", f"<Content>{_escape(draw(st.text(max_size=50)))}</Content></xml>"), None, None
    if kind <= 15:
        return draw(st.sampled_from(HOSTILE_XML)), None, None
    if kind <= 18:  # a well-formed message cut short or with garbage spliced in
        xml = message_xml(openid, "text", {"Content": _cdata("你好")}, now, msg_id)
        cut = draw(st.integers(0, len(xml)))
        return xml[:cut] + draw(st.text(max_size=10)) + xml[cut + draw(st.integers(0, 5)):], None, None
    filler = draw(st.sampled_from(["啊", "<a/>"])) * draw(st.sampled_from([30_000, 70_000]))
    return message_xml(openid, "text", {"Content": _cdata(filler)}, now, msg_id), None, None


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def wechat_case(draw: st.DrawFn) -> WeChatCase:
    xml, openid, text = draw(wechat_xml())
    if draw(st.integers(0, 19)) == 0:  # URL verification
        return WeChatCase("", "utf-8", "GET", signature=draw(st.sampled_from(["good", "bad", "missing"])),
                          timestamp=draw(st.sampled_from(["fresh", "garbage", "missing"])))
    mode = draw(st.sampled_from(["plain", "aes"]))
    honest = draw(st.integers(0, 2)) > 0  # two in three pushes are signed and on time
    signature = "good" if honest else draw(st.sampled_from(["good", "bad", "missing"]))
    timestamp = "fresh" if honest else draw(st.sampled_from(["fresh", "stale", "future", "garbage", "missing"]))
    envelope = "good" if honest or mode == "plain" else draw(
        st.sampled_from(["good", "bitflip", "truncated", "garbage", "wrong_app", "not_xml"]))
    valid = signature == "good" and timestamp == "fresh" and envelope == "good"
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["gbk", "utf-16"]))
    try:
        xml.encode(encoding)
    except UnicodeEncodeError:
        encoding = "utf-8"
    well_formed = valid and openid is not None and encoding == "utf-8"
    return WeChatCase(xml, encoding, "POST", mode, signature, timestamp, envelope,
                      replay_of=1 if draw(st.integers(0, 9)) == 0 else None,
                      openid=openid if well_formed else None, text=text if well_formed else None)


# --- uploads ---------------------------------------------------------------------------------
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8AARAxg8j8AG/ID/fPnS7EAAAAASUVORK5CYII=")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
WEBP = b"RIFF" + struct.pack("<I", 26) + b"WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
NOT_PHOTOS = [
    b"", b"hello", b"<html><script>alert(1)</script></html>", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"%PDF-1.4\n%\xe2\xe3", b"PK\x03\x04" + b"\x00" * 30, b"\x7fELF\x02\x01\x01" + b"\x00" * 9, b"MZ\x90\x00",
    b"<?php system($_GET['c']); ?>", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"\x89PNG", b"\xff\xd8", b"GIF8",
]
PATH_NAMES = [
    "photo.png", "../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "a/../../b.png",
    "照片.jpg", "x.php.png", "x.png\x00.php", ".htaccess", "con.png", "a" * 300 + ".png", "", " ", "%2e%2e%2fx.png",
    "evil\r\nContent-Type: text/html", "ｘ.png", "😀.gif",
]


@dataclass(frozen=True)
class UploadCase:
    session_id: str
    body: bytes
    content_type: str | None
    chunked: bool = False
    photo: bytes | None = None  # set when a real photo should be kept (for the lost check)


@st.composite
def photo_bytes(draw: st.DrawFn) -> tuple[bytes, bool]:
    """(data, is a photo we accept)."""
    kind = draw(st.integers(0, 7))
    tail = draw(st.binary(max_size=64))
    if kind <= 2:
        return draw(st.sampled_from([PNG, GIF, JPEG_HEAD, WEBP])) + tail, True
    if kind == 3:  # a polyglot: photo magic, then markup or script
        return GIF[:6] + b"/*<script>alert(1)</script>*/" + draw(st.sampled_from(NOT_PHOTOS)), True
    if kind == 4:
        return draw(st.sampled_from(NOT_PHOTOS)) + tail, False
    if kind == 5:  # a photo cut short
        data = draw(st.sampled_from([PNG, GIF, JPEG_HEAD, WEBP]))
        cut = draw(st.integers(0, len(data)))
        return data[:cut], data[:cut][:3] == b"\xff\xd8\xff" or data[:cut][:6] in (b"GIF87a", b"GIF89a") or (
            data[:cut][:8] == PNG[:8]) or (len(data[:cut]) >= 12 and data[:cut][8:12] == b"WEBP")
    if kind == 6:
        return draw(st.binary(max_size=300)), False
    size = draw(st.sampled_from([5 * 1024 * 1024 - 100, 5 * 1024 * 1024 + 1, 6 * 1024 * 1024]))
    return PNG + b"\x00" * (size - len(PNG)), size <= 5 * 1024 * 1024


def multipart(boundary: str, parts: list[tuple[str, str | None, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8", "surrogateescape")
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@st.composite
def upload_case(draw: st.DrawFn) -> UploadCase:
    session = draw(st.one_of(sender_id(), sender_id(), sender_id(), st.sampled_from(
        ["", "short", "../../etc", "a" * 65, "含中文的会话编号abcdef", "fz-00000000'--", "%00%00%00%00%00"])))
    data, is_photo = draw(photo_bytes())
    boundary = draw(st.sampled_from(["fz-boundary", "x" * 70, "----WebKitFormBoundary7MA4YWxkTrZu0gW"]))
    name = draw(st.sampled_from(["photo"] * 6 + ["file", "", "PHOTO", "photo[]"]))
    filename = draw(st.one_of(st.sampled_from(PATH_NAMES), st.text(max_size=40), st.none()))
    part_type = draw(st.sampled_from(["image/png", "image/jpeg", "text/html", "application/x-php", None,
                                      "image/svg+xml", "../../"]))
    shape = draw(st.integers(0, 9))
    body = multipart(boundary, [(name, filename, part_type, data)])
    content_type: str | None = f"multipart/form-data; boundary={boundary}"
    if shape == 7:  # cut short
        body = body[: draw(st.integers(0, len(body)))]
    elif shape == 8:
        content_type = draw(st.sampled_from(["multipart/form-data", "application/json", "image/png", None,
                                             "multipart/form-data; boundary=", "multipart/mixed; boundary=zzz"]))
    elif shape == 9:
        body = multipart(boundary, [("note", None, None, b"hi"), (name, filename, part_type, data)])
    plain_name = filename is None or not any(c in filename for c in '"\\\r\n\x00')
    keep = shape <= 6 and name == "photo" and is_photo and plain_name and SESSION.match(session) is not None
    return UploadCase(session, body, content_type, chunked=draw(st.integers(0, 9)) == 0,
                      photo=data if keep else None)


@st.composite
def history_query(draw: st.DrawFn) -> dict[str, str]:
    value = draw(st.one_of(sender_id(), st.text(max_size=80), st.sampled_from(["", "a" * 1000, "../x", "fz-%00"])))
    return {"session_id": value.replace("\x00", "")} if draw(st.integers(0, 9)) else {}


# --- the console API -------------------------------------------------------------------------
CONSOLE_FIELDS = ["text", "to", "decision", "note", "resolution", "username", "password", "role", "display_name",
                  "sender_id", "event_id", "intent", "entities", "name"]


@dataclass(frozen=True)
class ConsoleCase:
    method: str
    path: str
    auth: str  # anon | admin | admin_no_csrf | admin_bad_csrf
    body: bytes | None
    query: tuple[tuple[str, str], ...] = ()


def console_routes() -> list[tuple[str, str]]:
    """(method, path template) of every console route, from the OpenAPI document."""
    from bot.console.openapi import PATHS

    return sorted((method.upper(), path) for path, item in PATHS.items() for method in item
                  if method in ("get", "post"))


def path_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(HEX, min_size=32, max_size=32), st.text(max_size=40), st.sampled_from([
            "..", "../../etc/passwd", "%2e%2e%2f%2e%2e", "0", "-1", "' OR 1=1 --", "a" * 500, "null", "中文编号",
            "<script>", "fz-0000000000000000", "wechat:o123"]))


def console_body() -> st.SearchStrategy[bytes | None]:
    fields = st.dictionaries(st.sampled_from(CONSOLE_FIELDS), json_values(4), max_size=5)
    return st.one_of(fields.map(lambda d: json.dumps(d).encode()), malformed_json(), st.none(),
                     json_values().map(lambda v: json.dumps(v).encode()))


def quote_path(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


# Never sent with a valid admin session: it would end the fuzzer's session, or reload the model.
GUARDED = frozenset({("POST", "/api/auth/logout"), ("POST", "/api/console/training/reload")})
# Also guarded on a shared test server: they write files into the checkout or add accounts.
GUARDED_SHARED = GUARDED | {("POST", "/api/console/training/export"), ("POST", "/api/console/users")}
AUTHS = ("anon", "admin", "admin_no_csrf", "admin_bad_csrf")


@st.composite
def console_case(draw: st.DrawFn, guarded: frozenset[tuple[str, str]] = GUARDED) -> ConsoleCase:
    method, template = draw(st.sampled_from(console_routes()))
    auth = draw(st.sampled_from([a for a in AUTHS if a != "admin" or (method, template) not in guarded]))
    path = template
    for name in ("handoff_id", "evidence_id", "complaint_id", "sender_id", "work_order_id"):
        path = path.replace("{" + name + "}", quote_path(draw(path_value())))
    query = draw(st.lists(st.tuples(st.sampled_from(["from", "to", "channel", "type", "page", "per_page", "day",
                                                     "severity", "csat", "kinds", "limit", "threshold", "target",
                                                     "outcome", "x"]),
                                    st.one_of(st.text(max_size=20), st.sampled_from(["2026-01-01", "-1", "0", "99999999",
                                              "1e9", "nan", "2026-13-45", "fallback,bogus"]))), max_size=3))
    query = [(k, v.replace("\x00", "")) for k, v in query]
    body = draw(console_body()) if method == "POST" else None
    return ConsoleCase(method, path, auth, body, tuple(query))


# --- the knowledge base ----------------------------------------------------------------------
KB_FILES = ["products.yml", "policies.yml", "remedies.yml", "complaint_types.yml", "language.yml", "lexicons.yml",
            "faq.yml", "agent_scripts.yml", "service.yml", "demo_orders.yml"]


@dataclass(frozen=True)
class KbMutation:
    file: str
    kind: str  # structure | text | bytes
    seed: int  # drives the structural mutation (replayable)
    data: bytes = b""  # for text/bytes mutations: what to splice in
    position: float = 0.0  # where, as a fraction of the file


@st.composite
def kb_mutation(draw: st.DrawFn) -> KbMutation:
    kind = draw(st.sampled_from(["structure", "structure", "structure", "text", "bytes"]))
    data = b""
    if kind == "text":
        data = draw(st.sampled_from([":", "- ", "  ", "\t", "{", "[", "]", "&a", "*a", "!!python/object:os.system",
                                     "!!binary", "? ", "---", "...", "%YAML 1.1", "\"", "'", "#", "|", ">", "\n"])
                    ).encode() + draw(st.text(max_size=10)).encode("utf-8", "surrogatepass")
    elif kind == "bytes":
        data = draw(st.sampled_from([b"\xff\xfe", b"\x80\x81", b"\x00", b"\xef\xbb\xbf", b"\xc3", b""])) + draw(
            st.binary(max_size=8))
    return KbMutation(draw(st.sampled_from(KB_FILES)), kind, draw(st.integers(0, 2**32 - 1)), data,
                      draw(st.floats(0, 1)))


def yaml_value() -> st.SearchStrategy[Any]:
    return json_values(6)


# --- time phrases ----------------------------------------------------------------------------
TIME_WORDS = ["今天", "明天", "后天", "大后天", "明早", "明晚", "今晚", "周", "星期", "礼拜", "下周", "下个星期", "天后",
              "天以后", "月", "日", "号", "上午", "中午", "下午", "傍晚", "晚上", "早上", "点", "时", "半", "一刻", "分",
              "随时", "都行", "随便", "什么时候都", ":", "：", "十", "两", "零", "一", "二", "三", "九", "日", "天"]


@st.composite
def time_phrase(draw: st.DrawFn) -> str:
    pieces = st.one_of(st.sampled_from(TIME_WORDS), st.integers(-5, 120).map(str), st.text(max_size=4),
                       st.text("零一二两三四五六七八九十", min_size=1, max_size=3),
                       st.sampled_from(["99", "00", "24", "25", "60", "13", "32", "0", "１２", "٣"]))
    return "".join(draw(st.lists(pieces, max_size=8)))


# --- qingting analyze ------------------------------------------------------------------------
@st.composite
def analyze_line(draw: st.DrawFn) -> bytes:
    """One stdin line (without its newline), possibly not UTF-8 at all."""
    kind = draw(st.integers(0, 9))
    if kind <= 6:
        text = draw(customer_text())
        return text.replace("\n", " ").encode("utf-8")
    if kind == 7:
        return draw(st.binary(max_size=80)).replace(b"\n", b" ")
    if kind == 8:
        return (draw(customer_text()).replace("\n", " ") + "\r").encode("utf-8")
    return json.dumps(draw(json_values())).encode()
