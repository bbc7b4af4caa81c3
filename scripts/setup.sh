#!/usr/bin/env bash
# Creates .venv (if missing) and installs Polku with the given extras; with "test", also Debian's
# Chromium for the browser tests when it is missing. Idempotent, and a no-op once pyproject.toml is
# installed as it stands (a stamp in .venv), so that commands running side by side (.ci/run's two
# suites) never install into one venv at the same time.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.polku-installed-${extras:-base}"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if [ "$extras" = test ] && [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null;
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
