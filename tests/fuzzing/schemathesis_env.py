"""schemathesis in its own virtualenv (requirements/schemathesis.in says why), and a run of it.

The runner (tests/fuzzing/schemathesis_run.py) executes inside that venv and prints one JSON
report; the caller reads it. Created once, reused while the lock file is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "bench" / ".venv-schemathesis"
LOCK = ROOT / "requirements" / "schemathesis.lock"
RUNNER = Path(__file__).resolve().parent / "schemathesis_run.py"
UV = Path(sys.executable).parent / "uv"


def ensure_venv() -> Path:
    """The venv's python, (re)built when the lock changed."""
    stamp = VENV / ".lock-sha256"
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    python = VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(VENV)], check=True)
    subprocess.run([str(UV), "pip", "sync", "--quiet", "--python", str(python), str(LOCK)], check=True)
    stamp.write_text(digest)
    return python


def run(base: str, mode: str, examples: int, cookie: str = "", csrf: str = "", exclude: list[str] | None = None,
        seed: int = 1, timeout: float = 1800) -> dict[str, Any]:
    """Every operation of base/api/openapi.json, `examples` cases each; mode anon | admin."""
    python = ensure_venv()
    config = {"base": base, "mode": mode, "examples": examples, "cookie": cookie, "csrf": csrf,
              "exclude": exclude or [], "seed": seed}
    result = subprocess.run([str(python), str(RUNNER)], input=json.dumps(config), capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"schemathesis runner failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
