#!/usr/bin/env bash
# One command: set up, train the model once (Rasa reuses it when the data is unchanged),
# run the whole test suite. Exit status is pytest's; "no tests collected" counts as failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
export RASA_TELEMETRY_ENABLED=false

# Browser tests: Debian's chromium (+ a CJK font for readable screenshots) and the npm
# packages of tests/browser (playwright-core, the rasa-webchat widget). A fresh machine has
# neither; install them when missing.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto.*cjk"; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei) \
      >/dev/null || echo "warning: could not install chromium; browser tests will be skipped" >&2
  else
    echo "warning: chromium missing and not root; browser tests will be skipped" >&2
  fi
fi
if [ ! -d tests/browser/node_modules/playwright-core ] && command -v npm >/dev/null 2>&1; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || echo "warning: npm ci failed" >&2
fi

.venv/bin/qingting train || exit 1
.venv/bin/pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
