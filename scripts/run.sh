#!/usr/bin/env bash
# One command: set up on a fresh machine, train if there is no model, start the server
# on the embedded SQLite database under var/, print the URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export RASA_TELEMETRY_ENABLED=false
exec .venv/bin/qingting serve "$@"
