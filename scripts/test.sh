#!/usr/bin/env bash
# Installs everything the tests need (scripts/setup.sh test: the venv, the test extras, Chromium),
# then runs the whole test suite. Extra arguments go to pytest.
# SQLite by default; set POLKU_TEST_DATABASE_URL to run the same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
