"""Which SMS adapter runs: Alibaba Cloud when configured, otherwise the local outbox.

Each setting comes from credentials.yml's `sms:` section, or else from its environment
variable (QINGTING_SMS_<NAME>, e.g. QINGTING_SMS_ACCESS_KEY_SECRET). With no provider named,
an access key id means Alibaba Cloud and its absence the local outbox. A provider named with
settings missing is an error at start-up, never a silent fall back to the outbox (which
would count every SMS as delivered).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from bot.sms.aliyun import DEFAULT_ENDPOINT, AliyunSms, AliyunSmsConfig
from bot.sms.base import SmsSender
from bot.sms.local import LocalSmsOutbox

log = logging.getLogger(__name__)

REQUIRED = ("access_key_id", "access_key_secret", "sign_name", "template_code")
OPTIONAL = {"endpoint": str, "region_id": str, "template_param": str, "timeout_s": float, "attempts": int,
            "retry_wait_s": float}
PROVIDERS = ("aliyun", "local")


class SmsConfigError(ValueError):
    pass


def _setting(section: dict[str, Any], name: str) -> str | None:
    value = section.get(name)
    if value in (None, ""):
        value = os.environ.get(f"QINGTING_SMS_{name.upper()}")
    return None if value in (None, "") else str(value)


def aliyun_config(section: dict[str, Any]) -> AliyunSmsConfig:
    missing = [name for name in REQUIRED if not _setting(section, name)]
    if missing:
        raise SmsConfigError(f"sms provider aliyun needs {', '.join(missing)} (credentials.yml `sms:` "
                             "or QINGTING_SMS_<NAME>)")
    found: dict[str, Any] = {name: _setting(section, name) for name in REQUIRED}
    for name, kind in OPTIONAL.items():
        if (value := _setting(section, name)) is not None:
            found[name] = kind(value)
    found.setdefault("endpoint", DEFAULT_ENDPOINT)
    return AliyunSmsConfig(**found)


def sms_sender(database_url: str, section: dict[str, Any] | None = None) -> SmsSender:
    """The adapter for this deployment; `section` defaults to credentials.yml's `sms:`."""
    if section is None:
        from bot.credentials import load_credentials

        section = load_credentials("sms") or {}
    provider = (_setting(section, "provider") or ("aliyun" if _setting(section, "access_key_id") else "local")).lower()
    if provider not in PROVIDERS:
        raise SmsConfigError(f"unknown sms provider {provider!r} (known: {', '.join(PROVIDERS)})")
    if provider == "local":
        return LocalSmsOutbox(database_url)
    config = aliyun_config(section)
    log.info("SMS through Alibaba Cloud at %s, template %s", config.endpoint, config.template_code)
    return AliyunSms(config)
