#!/usr/bin/env bash
# Installs Polku, prepares the embedded SQLite database with demo data, and serves the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/polku demo
exec .venv/bin/polku serve "$@"
