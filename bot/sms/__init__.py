"""SMS for customers who chose it. One adapter per module:

- local.py: the default, a local outbox table that a shop's own gateway drains;
- aliyun.py: Alibaba Cloud SMS (dysmsapi SendSms), used when credentials.yml has `sms:`;
- signing.py: the Alibaba Cloud RPC signature (HMAC-SHA1, signature version 1.0);
- config.py: which adapter runs, from credentials.yml with environment fallbacks.

Every adapter's `send(phone, text)` returns True once the message is accepted; a failure is
`SmsFailure` (or False), which the follow-up scheduler records as a failed delivery.
"""

from __future__ import annotations

from bot.sms.base import SmsFailure, SmsRejected, SmsSender, SmsUnavailable
from bot.sms.local import MAX_SMS_CHARS, LocalSmsOutbox

__all__ = ["MAX_SMS_CHARS", "LocalSmsOutbox", "SmsFailure", "SmsRejected", "SmsSender", "SmsUnavailable"]
