"""Server-side console sessions for aiohttp-session, kept in the product's database.

The cookie carries only a random key; the row holds the data, so logging out or an admin
disabling an account ends the session everywhere and several processes share sessions.

Only a logged-in session gets a row. Before login the session holds nothing but the CSRF token
the login form sends back; it lives in the cookie itself, signed (`a.<data>.<mac>`), so calls
from anyone who never logs in leave nothing in the database.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta

from aiohttp import web
from aiohttp_session import AbstractStorage, Session
from sqlalchemy import delete

from bot.storage import models as m
from bot.storage.db import session_scope

COOKIE_NAME = "qingting_console"
IDLE_SECONDS = 8 * 3600
ANONYMOUS = "a."  # the cookie of a session before login: its data, signed
MAX_ANONYMOUS_COOKIE = 1024


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class DatabaseSessionStorage(AbstractStorage):
    def __init__(self, database_url: str, *, secure: bool = False, max_age: int = IDLE_SECONDS,
                 signing_key: bytes | None = None) -> None:
        super().__init__(
            cookie_name=COOKIE_NAME, max_age=max_age, httponly=True, samesite="Strict", secure=secure or None,
            encoder=json.dumps, decoder=json.loads,
        )
        self.url = database_url
        # every process of a deployment shares the secret key, so any of them reads the cookie
        self._anonymous_key = hashlib.sha256(b"qingting-console-anonymous:" + (signing_key or secrets.token_bytes(32))).digest()

    async def load_session(self, request: web.Request) -> Session:
        key = self.load_cookie(request)
        if key and key.startswith(ANONYMOUS):
            anonymous = self._read_anonymous(key)
            if anonymous is None:
                return Session(None, data=None, new=True, max_age=self.max_age)
            return Session(None, data=anonymous, new=False, max_age=self.max_age)
        data = await asyncio.to_thread(self._read, key) if key and len(key) <= 128 else None
        if data is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(key, data=data, new=False, max_age=self.max_age)

    async def save_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        key = session.identity
        if session.empty:
            if key:
                await asyncio.to_thread(self._delete, str(key))
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None and "user_id" not in session:  # nobody logged in: nothing kept here
            self.save_cookie(response, self._sign_anonymous(self._get_session_data(session)), max_age=session.max_age)
            return
        if key is None:
            key = secrets.token_urlsafe(32)
        await asyncio.to_thread(self._write, str(key), self._get_session_data(session))
        self.save_cookie(response, str(key), max_age=session.max_age)

    def _sign_anonymous(self, data: dict) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{ANONYMOUS}{body}.{self._anonymous_mac(body)}"

    def _read_anonymous(self, cookie: str) -> dict | None:
        body, _, mac = cookie[len(ANONYMOUS):].partition(".")
        if len(cookie) > MAX_ANONYMOUS_COOKIE or not hmac.compare_digest(mac.encode(), self._anonymous_mac(body).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError):
            return None
        created = data.get("created") if isinstance(data, dict) else None
        if not isinstance(created, int) or not isinstance(data.get("session"), dict):
            return None
        if "user_id" in data["session"] or created + (self.max_age or IDLE_SECONDS) < time.time():
            return None  # a login is only ever a database row
        return data

    def _anonymous_mac(self, body: str) -> str:
        return hmac.new(self._anonymous_key, body.encode(), hashlib.sha256).hexdigest()

    async def forget(self, key: str | None) -> None:
        """Drop a session row (used when a login replaces a session: no fixation)."""
        if key:
            await asyncio.to_thread(self._delete, key)

    def _read(self, key: str) -> dict | None:
        with session_scope(self.url) as db:
            row = db.get(m.ConsoleSession, _key_hash(key))
            if row is None or row.expires_at < m.utcnow():
                return None
            return dict(row.data)

    def _write(self, key: str, data: dict) -> None:
        expires = m.utcnow() + timedelta(seconds=self.max_age or IDLE_SECONDS)
        with session_scope(self.url) as db:
            row = db.get(m.ConsoleSession, _key_hash(key))
            if row is None:
                db.add(m.ConsoleSession(key_hash=_key_hash(key), data=data, expires_at=expires))
            else:
                row.data = data
                row.expires_at = expires
            db.execute(delete(m.ConsoleSession).where(m.ConsoleSession.expires_at < m.utcnow()))

    def _delete(self, key: str) -> None:
        with session_scope(self.url) as db:
            db.execute(delete(m.ConsoleSession).where(m.ConsoleSession.key_hash == _key_hash(key)))
