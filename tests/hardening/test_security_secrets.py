"""Secrets come only from configuration: no literal in the code or the checked-in settings
looks like a password, token, key or credentialed URL (file:line on failure)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

NAMED = re.compile(
    r"""(?ix)\b\w*(password|passwd|secret|token|api_?key|private_?key|access_?key|app_?secret|aes_?key)\w*["']?
        \s*[:=]\s*[rbuf]?["']([^"'\s]{8,})["']""")
SHAPES = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "API token": re.compile(r"\b(?:sk|ghp|gho|xox[abp])[-_][A-Za-z0-9]{20,}"),
    "Fernet key": re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9])"),
    "URL with a password": re.compile(r"\b[a-z+]+://[^/\s:@'\"]+:[^/\s@'\"]+@"),
    "WeChat secret": re.compile(r"\bwx[0-9a-f]{16}\b.{0,80}\b[0-9a-f]{32}\b"),
}
# Placeholders that document a setting without being one.
PLACEHOLDER = re.compile(r"^(?:…|\.\.\.|x+|<[^>]+>|\$\{[^}]+\}|changeme|the .*)$", re.IGNORECASE)


def checked_files() -> list[Path]:
    code = sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "scripts").rglob("*"))
    settings = [ROOT / name for name in ("credentials.yml", "endpoints.yml", "config.yml", "pyproject.toml")]
    settings += sorted((ROOT / "knowledge_base").glob("*.yml"))
    return [p for p in code + settings if p.is_file() and "__pycache__" not in p.parts]


def secrets_in(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    name = path.relative_to(root)
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        for match in NAMED.finditer(line):
            if not PLACEHOLDER.match(match.group(2)):
                found.append(f"{name}:{number}: {match.group(1)} = {match.group(2)[:6]}…")
        found += [f"{name}:{number}: {kind}" for kind, shape in SHAPES.items() if shape.search(line)]
    return found


def test_no_literal_in_the_code_or_settings_looks_like_a_secret() -> None:
    files = checked_files()
    assert len(files) > 50
    found = [hit for path in files for hit in secrets_in(path)]
    assert not found, "hard-coded secrets:\n" + "\n".join(found)


def test_the_detector_catches_planted_secrets(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        'APP_SECRET = "9f8e7d6c5b4a39281716151413121110"\n'
        'db = "postgresql://qingting:hunter2hunter2@db.internal/qingting"\n'
        'KEY = b"Zx3mF0fQk4sY9c2nB7vL1pR8tW6uH5jE0aD3gK2iM1o="\n'
        'token: "placeholder-that-is-long"\n'
        'password = "…"\n', encoding="utf-8")
    hits = secrets_in(planted, tmp_path)
    assert [hit.split(":")[1] for hit in hits] == ["1", "2", "3", "4"], hits
