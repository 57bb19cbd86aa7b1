#!/usr/bin/env bash
# Create the Python 3.10 virtualenv and install the pinned dependencies (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  # A candidate counts only if it really runs as 3.10 (a pyenv shim may exist and fail).
  for candidate in "${QINGTING_PYTHON:-}" "$HOME/.pyenv/versions/3.10.13/bin/python" \
      $(ls -d "$HOME"/.pyenv/versions/3.10.*/bin/python 2>/dev/null) python3.10 /usr/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(find_python310) || { echo "Python 3.10 is required (Rasa 3.6 supports <3.11)." >&2; exit 1; }
  echo "creating .venv with $py"
  "$py" -m venv .venv
fi

lock_hash=$(sha256sum requirements/requirements.lock pyproject.toml | sha256sum | cut -c1-16)
stamp=.venv/.qingting-installed
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  echo "installing pinned dependencies (requirements/requirements.lock)…"
  .venv/bin/python -m pip install -q --disable-pip-version-check uv==0.5.11
  .venv/bin/uv pip install -q --python .venv/bin/python -r requirements/requirements.lock
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
  echo "$lock_hash" > "$stamp"
fi
