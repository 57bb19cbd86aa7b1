#!/usr/bin/env bash
# One command: set up, train the model once (Rasa reuses it when the data is unchanged),
# run the whole test suite. Exit status is pytest's; "no tests collected" counts as failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
export RASA_TELEMETRY_ENABLED=false
.venv/bin/qingting train || exit 1
.venv/bin/pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
