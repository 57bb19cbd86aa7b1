"""Logging set-up: personal data is masked in every log record, whoever wrote it."""

from __future__ import annotations

import logging
import os
from urllib.parse import unquote

from bot.storage.crypto import mask_personal_data


def mask_line(line: str) -> str:
    """A log line masked; a percent-encoded one (a URL, its query string) decoded first, so
    ?phone=%2B86%20139… is found like +86 139…"""
    return mask_personal_data(unquote(line) if "%" in line else line)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken format string must not drop the record
            return True
        masked = mask_line(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole line as written: the message and any traceback or stack it carries (an
    exception's text, such as a database error's parameters, may hold a customer's words)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_line(super().format(record))


def configure_logging(level: str | None = None) -> None:
    level = level or os.environ.get("QINGTING_LOG_LEVEL", "INFO")
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPersonalData())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Rasa's structlog events print parse data (customer text) at debug level to stdout
    # unless configured; keep them at warning and above.
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(max(logging.WARNING, logging.getLevelName(level) if isinstance(level, str) else level))
    for noisy in ("tensorflow", "absl", "matplotlib", "urllib3", "asyncio", "jieba", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
