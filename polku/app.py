"""The web app as the composition root builds it: the Flask factory given this project's runtime
and process catalogs. `polku serve`, the WSGI entry (`polku.wsgi:app`) and the tests all start here."""
from __future__ import annotations

import gc

from flask import Flask

from polku.web import create_app

from .schema import head_revision
from .wiring import build_runtime, database_url, process_catalog_dir

YOUNG_OBJECTS = 20_000  # new objects between two collections of the youngest generation (Python's default: 700)


def build_app(config: dict | None = None) -> Flask:
    """Configuration comes from the environment (POLKU_DATABASE_URL, POLKU_SECRET_KEY, POLKU_ENV),
    then from `config`. SCHEMA_HEAD is the migration this code expects (/healthz compares)."""
    settings = {"DATABASE_URL": database_url(), "PROCESS_CATALOG_DIR": str(process_catalog_dir()),
                "SCHEMA_HEAD": head_revision()}
    settings.update(config or {})
    return create_app(settings, runtime=build_runtime())


def serving(app: Flask) -> Flask:
    """`app`, tuned for a long-running server process. Everything made so far (modules, templates,
    the process catalogs, the database metadata: what lives as long as the process) is moved out of
    the garbage collector's sight (``gc.freeze``): a full collection otherwise walked all of it
    again, and one landing in a request was most of the slowest responses (the dashboard's p95 at
    100,000 cases was 290 ms against a median of 225; frozen, 225). And the collector runs after
    20,000 new objects rather than 700 (``YOUNG_OBJECTS``): a page that reads thousands of rows made
    hundreds of collections, each walking what the page still held (12 ms of the dashboard's 237).
    For the serving processes only (`polku serve`, `polku.wsgi`, the benches that measure them), not
    the tests' many short-lived apps, whose frozen objects would never be freed. Measured by
    `bench/queries.py`."""
    gc.freeze()
    _young, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *older)
    return app
