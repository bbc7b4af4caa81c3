#!/usr/bin/env bash
# Installs everything the tests need, then runs the whole suite. Extra arguments go to pytest.
# SQLite by default; set POLKU_TEST_DATABASE_URL to run the same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null;
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
exec .venv/bin/python -m pytest "$@"
