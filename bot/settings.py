"""Runtime settings, read once from the environment.

Every path defaults to the project checkout so `qingting serve` works from a fresh clone;
`DATABASE_URL` switches the embedded SQLite file for PostgreSQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def _rate(name: str, default: str) -> str:
    """A rate limit "N/S" (bot/ratelimit.py); QINGTING_RATE_LIMITS=0 switches all of them off."""
    if os.environ.get("QINGTING_RATE_LIMITS", "1").strip().lower() in ("0", "off", "false"):
        return "off"
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    project_root: Path = PROJECT_ROOT
    var_dir: Path = field(default_factory=lambda: _path_env("QINGTING_VAR_DIR", PROJECT_ROOT / "var"))
    model_dir: Path = field(
        default_factory=lambda: _path_env("QINGTING_MODEL_DIR", PROJECT_ROOT / "models")
    )
    knowledge_dir: Path = field(
        default_factory=lambda: _path_env("QINGTING_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge_base")
    )
    database_url_env: str | None = field(default_factory=lambda: os.environ.get("DATABASE_URL"))
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    # Prefix of every Redis key and pub/sub channel, so two deployments can share one Redis
    # (pub/sub ignores Redis's database number).
    redis_namespace: str = field(default_factory=lambda: os.environ.get("QINGTING_REDIS_NAMESPACE", "qingting"))
    order_api_url: str | None = field(default_factory=lambda: os.environ.get("ORDER_API_URL") or None)
    host: str = field(default_factory=lambda: os.environ.get("QINGTING_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("QINGTING_PORT", "5005")))
    # Behind HTTPS (production) the console cookie must be Secure; plain-HTTP loopback is not.
    secure_cookies: bool = field(default_factory=lambda: os.environ.get("QINGTING_SECURE_COOKIES", "") == "1")
    # How often the follow-up/SLA scheduler looks for due work; 0 switches it off in this process.
    scheduler_interval_s: float = field(
        default_factory=lambda: float(os.environ.get("QINGTING_SCHEDULER_INTERVAL_S", "15"))
    )

    # Start-up applies pending schema migrations (additive ones, under a lock). A shop that
    # reviews them first sets 0 and runs `qingting migrate` itself; start-up then only checks.
    migrate_on_start: bool = field(default_factory=lambda: os.environ.get("QINGTING_MIGRATE_ON_START", "1") != "0")

    # Rate limits (bot/ratelimit.py), "N/S": customer messages and uploads per customer and per
    # client IP, failed console logins per IP. X-Forwarded-For is believed only from these proxies.
    rate_limit_customer: str = field(default_factory=lambda: _rate("QINGTING_RATE_LIMIT_CUSTOMER", "20/60"))
    rate_limit_ip: str = field(default_factory=lambda: _rate("QINGTING_RATE_LIMIT_IP", "120/60"))
    # Failed console logins: per address (generous: a shop's staff share one NAT), per account from
    # one address (tight: the guesser), and per account from anywhere (a spread-out attack).
    rate_limit_login_ip: str = field(default_factory=lambda: _rate("QINGTING_RATE_LIMIT_LOGIN_IP", "100/600"))
    rate_limit_login_account: str = field(
        default_factory=lambda: _rate("QINGTING_RATE_LIMIT_LOGIN_ACCOUNT", "5/900"))
    rate_limit_login_account_any: str = field(
        default_factory=lambda: _rate("QINGTING_RATE_LIMIT_LOGIN_ACCOUNT_ANY", "50/3600"))
    trusted_proxies: str = field(default_factory=lambda: os.environ.get("QINGTING_TRUSTED_PROXIES", ""))

    @property
    def database_url(self) -> str:
        if self.database_url_env:
            return self.database_url_env
        return f"sqlite:///{self.var_dir / 'qingting.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_dirs(self) -> None:
        """var/ holds the SQLite file, the key and the customers' photos: owner only."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir.chmod(0o700)
        if not self.database_url_env:  # the embedded SQLite file, created empty with owner-only rights (SQLite takes an empty file)
            database = self.var_dir / "qingting.db"
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
            database.chmod(0o600)
        self.model_dir.mkdir(parents=True, exist_ok=True)

    def secret_key(self) -> bytes:
        """The key that encrypts personal data at rest.

        Production sets QINGTING_SECRET_KEY (a Fernet key). The embedded default creates one
        under var/ with owner-only permissions so a fresh install is encrypted from the start.
        """
        from_env = os.environ.get("QINGTING_SECRET_KEY")
        if from_env:
            return from_env.encode()
        key_file = self.var_dir / "secret.key"
        if not key_file.exists():
            from cryptography.fernet import Fernet

            self.var_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_bytes(Fernet.generate_key())
            key_file.chmod(0o600)
        return key_file.read_bytes().strip()


def load_settings() -> Settings:
    return Settings()
