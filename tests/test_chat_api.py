"""The chat page's history and evidence photo uploads."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from tests.conftest import Server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def session() -> str:
    return f"h5{uuid.uuid4().hex[:16]}"


def upload(server: Server, session_id: str, data: bytes, name: str = "photo.png", field: str = "photo"):  # type: ignore[no-untyped-def]
    return server.post(f"/api/chat/upload?session_id={session_id}", files={field: (name, data, "image/png")})


def test_history_restores_what_was_said(server: Server) -> None:
    sid = session()
    server.post("/webhooks/rest/webhook", json={"sender": sid, "message": "我的电水壶坏了"})
    history = server.get(f"/api/chat/history?session_id={sid}").json()["messages"]
    assert history[0] == {"from": "user", "text": "我的电水壶坏了"}
    assert any(m["from"] == "bot" and "订单号" in m["text"] for m in history)


def test_history_of_a_bad_session_id_is_refused_politely(server: Server) -> None:
    response = server.get("/api/chat/history?session_id=../../etc")
    assert response.status_code == 400 and "刷新页面" in response.json()["message"]


def test_a_photo_is_kept_outside_the_web_root_and_linked_to_the_complaint(server: Server) -> None:
    sid = session()
    server.post("/webhooks/rest/webhook", json={"sender": sid, "message": "我的电水壶坏了"})
    response = upload(server, sid, PNG, name="../../../evil.php")
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
    response = upload(server, session(), b"<?php system($_GET['c']); ?>", name="photo.png")
    assert response.status_code == 415 and "只能接收照片" in response.json()["message"]


def test_a_huge_upload_is_refused_kindly(server: Server) -> None:
    response = upload(server, session(), JPEG + b"\x00" * (6 * 1024 * 1024))
    assert response.status_code == 413 and "5MB" in response.json()["message"]


def test_too_many_photos_are_refused_kindly(server: Server) -> None:
    sid = session()
    codes = [upload(server, sid, JPEG).status_code for _ in range(7)]
    assert codes[:6] == [200] * 6 and codes[6] == 409


def test_a_malformed_upload_is_refused_kindly(server: Server) -> None:
    response = server.post(f"/api/chat/upload?session_id={session()}", data=b"garbage",
                           headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 400
