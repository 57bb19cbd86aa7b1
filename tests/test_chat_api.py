"""The chat page's identity, history and evidence photo uploads."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.conftest import Server
from tests.conversation.chat import Chat

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def session(server: Server) -> Chat:
    return Chat.on_the_page(server)


def complaining(server: Server) -> Chat:
    """A page customer who has told us something: their conversation exists, photos may follow."""
    customer = session(server)
    customer.say("我的电水壶坏了")
    return customer


def upload(customer: Chat, data: bytes, name: str = "photo.png", field: str = "photo"):  # type: ignore[no-untyped-def]
    return customer.server.post("/api/chat/upload", files={field: (name, data, "image/png")}, cookies=customer.cookies)


def test_history_restores_what_was_said(server: Server) -> None:
    customer = session(server)
    customer.say("我的电水壶坏了")
    history = customer.history()
    assert history[0] == {"from": "user", "text": "我的电水壶坏了"}
    assert any(m["from"] == "bot" and "订单号" in m["text"] for m in history)


def test_the_session_cookie_is_signed_http_only_and_kept_when_valid(server: Server) -> None:
    issued = server.post("/api/chat/session")
    assert "HttpOnly" in issued.headers["Set-Cookie"] and "SameSite=Strict" in issued.headers["Set-Cookie"]
    token = issued.cookies["qingting_customer"]
    again = server.post("/api/chat/session", cookies={"qingting_customer": token})
    assert again.status_code == 200 and "qingting_customer" not in again.cookies


def test_history_is_only_the_cookie_holders_own_conversation(server: Server) -> None:
    owner = session(server)
    owner.say("我的电话是13912345678，电水壶坏了")
    bare_id, signature = owner.cookies["qingting_customer"].split(".")
    for forged in (bare_id, f"{bare_id}.{'0' * len(signature)}", "../../etc", ""):
        response = server.get("/api/chat/history", params={"session_id": bare_id},
                              cookies={"qingting_customer": forged})
        assert response.status_code == 200 and response.json()["messages"] == []  # a fresh, empty session
        fresh = response.cookies["qingting_customer"]
        assert not fresh.startswith(bare_id)
    anonymous = server.get("/api/chat/history", params={"session_id": bare_id})
    assert anonymous.json()["messages"] == [] and "13912345678" not in anonymous.text


def test_rest_cannot_speak_as_a_page_customer(server: Server) -> None:
    owner = session(server)
    owner.say("我的电水壶坏了")
    response = server.post("/webhooks/rest/webhook", json={"sender": owner.sender, "message": "QT202611150003"})
    assert response.status_code == 403 and "sender" in response.json()["message"]
    assert [m["text"] for m in owner.history() if m["from"] == "user"] == ["我的电水壶坏了"]


def test_an_upload_without_the_session_cookie_is_refused_and_stores_nothing(server: Server) -> None:
    owner = session(server)
    owner.say("我的电水壶坏了")
    response = server.post("/api/chat/upload", params={"session_id": owner.sender},
                           files={"photo": ("a.png", PNG, "image/png")})
    assert response.status_code == 403 and "刷新页面" in response.json()["message"]
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM evidence e JOIN conversations c ON c.id = e.conversation_id "
                                   "WHERE c.sender_id = :s"), {"s": owner.sender}).scalar_one()
    engine.dispose()
    assert stored == 0


def test_a_photo_is_kept_outside_the_web_root_and_linked_to_the_complaint(server: Server) -> None:
    customer = session(server)
    customer.say("我的电水壶坏了")
    response = upload(customer, PNG, name="../../../evil.php")
    assert response.status_code == 200 and "照片已经收到" in response.json()["message"]
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM evidence WHERE id = :i"), {"i": response.json()["evidence_id"]}).mappings().one()
    engine.dispose()
    assert row["media_type"] == "image/png" and row["complaint_id"] is not None
    stored = server.var_dir / "uploads" / row["path"]
    assert stored.read_bytes() == PNG and "evil" not in row["path"]
    assert server.get(f"/static/../uploads/{row['path']}").status_code == 404


def test_anything_but_a_photo_is_refused_kindly(server: Server) -> None:
    response = upload(complaining(server), b"<?php system($_GET['c']); ?>", name="photo.png")
    assert response.status_code == 415 and "只能接收照片" in response.json()["message"]


def test_a_huge_upload_is_refused_kindly(server: Server) -> None:
    response = upload(session(server), JPEG + b"\x00" * (6 * 1024 * 1024))
    assert response.status_code == 413 and "5MB" in response.json()["message"]


def test_too_many_photos_are_refused_kindly(server: Server) -> None:
    customer = complaining(server)
    codes = [upload(customer, JPEG).status_code for _ in range(7)]
    assert codes[:6] == [200] * 6 and codes[6] == 409


def test_a_malformed_upload_is_refused_kindly(server: Server) -> None:
    response = server.post("/api/chat/upload", data=b"garbage", cookies=complaining(server).cookies,
                           headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 400


def conversations_of(server: Server, sender: str) -> int:
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM conversations WHERE sender_id = :s"), {"s": sender}).scalar_one()
    engine.dispose()
    return count


def test_a_photo_before_anything_was_said_creates_nothing_and_is_answered_kindly(server: Server) -> None:
    """A cookie is free to get: 5 MB from a fresh session must not become a conversation and a file."""
    fresh = session(server)
    files_before = sorted((server.var_dir / "uploads").rglob("*"))
    response = upload(fresh, JPEG + b"\x00" * (5 * 1024 * 1024 - len(JPEG) - 1024))
    assert response.status_code == 409 and "先跟我说说" in response.json()["message"]
    assert conversations_of(server, fresh.sender) == 0
    assert sorted((server.var_dir / "uploads").rglob("*")) == files_before
