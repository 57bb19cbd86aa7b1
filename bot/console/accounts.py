"""Console accounts: Argon2 password hashes and roles. Repeated failures are slowed by the
login limits (bot/ratelimit.py `RateLimiter.login`), not by locking the account: a lock-out
that anyone can trigger locks the owner out too and tells that the account exists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from bot.console.password_policy import MIN_LENGTH
from bot.console.password_policy import problem as password_problem
from bot.storage import models as m
from bot.storage.db import session_scope

ROLES = ("agent", "supervisor", "trainer", "admin")
# What each role may do; admin holds every permission.
PERMISSIONS = {
    "agent": {"handle"},
    "supervisor": {"handle", "supervise", "approve", "see_personal_data"},
    "trainer": {"train"},
    "admin": {"handle", "supervise", "approve", "see_personal_data", "train", "manage_users"},
}
MIN_PASSWORD = MIN_LENGTH
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("qingting-timing-equaliser")


class AccountError(ValueError):
    """A refused account operation; the message is shown to the admin as is (Chinese)."""


@dataclass(frozen=True)
class ConsoleUser:
    id: str
    username: str
    display_name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "permissions": sorted(PERMISSIONS.get(self.role, set())),
        }


@dataclass(frozen=True)
class LoginResult:
    user: ConsoleUser | None


def _public(row: m.ConsoleUser) -> ConsoleUser:
    return ConsoleUser(row.id, row.username, row.display_name, row.role)


class Accounts:
    def __init__(self, database_url: str) -> None:
        self.url = database_url

    def create(self, username: str, password: str, role: str, display_name: str | None = None) -> ConsoleUser:
        if not USERNAME.match(username or ""):
            raise AccountError("用户名需为 3-32 位字母、数字、点、横线或下划线")
        if role not in ROLES:
            raise AccountError(f"角色需为 {'/'.join(ROLES)} 之一")
        refused = password_problem(password or "", username)
        if refused:
            raise AccountError(refused)
        with session_scope(self.url) as db:
            exists = db.execute(select(m.ConsoleUser).where(m.ConsoleUser.username == username)).scalar_one_or_none()
            if exists is not None:
                raise AccountError("这个用户名已经有人使用，换一个就可以")
            row = m.ConsoleUser(
                username=username, display_name=(display_name or username)[:64], role=role,
                password_hash=_hasher.hash(password), failed_logins=0, active=True,
            )
            db.add(row)
            db.flush()
            return _public(row)

    def authenticate(self, username: str, password: str) -> LoginResult:
        with session_scope(self.url) as db:
            row = db.execute(select(m.ConsoleUser).where(m.ConsoleUser.username == username)).scalar_one_or_none()
            if row is None or not row.active:
                _verify(_DUMMY_HASH, password)
                return LoginResult(None)
            now = m.utcnow()
            if not _verify(row.password_hash, password):
                row.failed_logins += 1  # failures since the last success, for an audit; the limits slow
                return LoginResult(None)
            row.failed_logins = 0
            row.locked_until = None  # a lock from before the limits replaced it
            row.last_login_at = now
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return LoginResult(_public(row))

    def get(self, user_id: str) -> ConsoleUser | None:
        with session_scope(self.url) as db:
            row = db.get(m.ConsoleUser, user_id)
            return _public(row) if row is not None and row.active else None

    def by_username(self, username: str) -> ConsoleUser | None:
        with session_scope(self.url) as db:
            row = db.execute(select(m.ConsoleUser).where(m.ConsoleUser.username == username)).scalar_one_or_none()
            return _public(row) if row is not None and row.active else None

    def list(self) -> list[ConsoleUser]:
        with session_scope(self.url) as db:
            rows = db.execute(
                select(m.ConsoleUser).where(m.ConsoleUser.active.is_(True)).order_by(m.ConsoleUser.username)
            ).scalars()
            return [_public(r) for r in rows]


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password or "")
    except (VerificationError, InvalidHashError):
        return False
