"""GET /healthz for load balancers and operators: is the database there, is its schema at the
revision this code expects, and how long ago did a timer worker last finish a round.

HTTP 503 when this process cannot serve (database unreachable, or its schema not at head: run
`polku init-db`); the worker's age is reported but never fails the check, since the worker runs
as a process of its own and is watched on its own terms.
"""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from polku.engine.clock import clock_from_env
from polku.engine.heartbeat import last_round


def healthz():
    engine = current_app.extensions["polku"]["engine"]
    head = current_app.config.get("SCHEMA_HEAD")  # the composition root knows the migrations
    clock = clock_from_env()
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
        latest = last_round(engine, clock) if revision == head else None
    except SQLAlchemyError as exc:
        current_app.logger.warning("healthz: database unreachable: %s", exc.__class__.__name__)
        body = {"status": "unavailable", "database": "unreachable", "schema": None, "worker": None}
        return body, 503
    schema = {"revision": revision, "head": head, "status": "current" if revision == head else "behind"}
    worker = {"name": None, "last_round_at": None, "age_seconds": None}
    if latest is not None:
        worker = {"name": latest.worker, "last_round_at": latest.finished_at.isoformat(),
                  "age_seconds": round((clock.now() - latest.finished_at).total_seconds(), 1)}
    ok = schema["status"] == "current"
    body = {"status": "ok" if ok else "unavailable", "database": "ok", "schema": schema, "worker": worker}
    return body, 200 if ok else 503
