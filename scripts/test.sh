#!/usr/bin/env bash
# Installs everything the tests need, then runs the whole suite. Extra arguments go to pytest.
# SQLite by default; set POLKU_TEST_DATABASE_URL to run the same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
