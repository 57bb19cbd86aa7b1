"""Channel credentials from credentials.yml (path overridable with QINGTING_CREDENTIALS)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT


def load_credentials(section: str) -> dict[str, Any] | None:
    path = Path(os.environ.get("QINGTING_CREDENTIALS") or PROJECT_ROOT / "credentials.yml")
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    value = data.get(section)
    return value if isinstance(value, dict) else None
