"""What every SMS adapter promises, and how a send fails."""

from __future__ import annotations

from typing import Protocol


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> bool:
        """True once the provider accepted the message; False or SmsFailure when it did not."""


class SmsFailure(Exception):
    """A message that did not go out. `code` is the provider's (never personal data); `final`
    says another attempt cannot succeed for this number and text (e.g. an illegal number)."""

    final = False

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"sms {code}" + (f": {detail}" if detail else ""))
        self.code = code

    @property
    def reason(self) -> str:
        return f"sms {self.code}"


class SmsRejected(SmsFailure):
    """The provider answered and said no (bad number, template, signature, account)."""

    def __init__(self, code: str, detail: str = "", final: bool = False) -> None:
        super().__init__(code, detail)
        self.final = final


class SmsUnavailable(SmsFailure):
    """Transient trouble (5xx, timeout, throttling) that outlasted the retries of this send."""
