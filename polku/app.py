"""The web app as the composition root builds it: the Flask factory given this project's runtime
and process catalogs. `polku serve`, the WSGI entry (`polku.wsgi:app`) and the tests all start here."""
from __future__ import annotations

import gc

from flask import Flask

from polku.web import create_app

from .schema import head_revision
from .wiring import build_runtime, database_url, process_catalog_dir


def build_app(config: dict | None = None) -> Flask:
    """Configuration comes from the environment (POLKU_DATABASE_URL, POLKU_SECRET_KEY, POLKU_ENV),
    then from `config`. SCHEMA_HEAD is the migration this code expects (/healthz compares)."""
    settings = {"DATABASE_URL": database_url(), "PROCESS_CATALOG_DIR": str(process_catalog_dir()),
                "SCHEMA_HEAD": head_revision()}
    settings.update(config or {})
    return create_app(settings, runtime=build_runtime())


def serving(app: Flask) -> Flask:
    """`app`, with everything made so far (modules, templates, the process catalogs, the database
    metadata: what lives as long as the process) moved out of the garbage collector's sight
    (``gc.freeze``), as a long-running server process starts. A full collection otherwise walks all
    of it again, and one landing in a request was most of the slowest responses: the dashboard's
    p95 at 100,000 cases was 290 ms against a median of 225, frozen 225 (`bench/queries.py`). For
    the serving processes only (`polku serve`, `polku.wsgi`, the benches that measure them), not the
    tests' many short-lived apps, whose frozen objects would never be freed."""
    gc.freeze()
    return app
