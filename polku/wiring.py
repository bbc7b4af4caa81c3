"""The composition root: builds the runtime with the project's handlers, functions and types.

Nothing here runs at import time; entry points call `build_runtime()` once per process.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from polku.domain import clientname, second_period
from polku.domain.deadline_watch import DeadlineWatch
from polku.domain.deadlines import deadline_functions
from polku.domain.fieldtypes import register_field_types
from polku.domain.handlers import register_handlers
from polku.domain.kpis.snapshots import KpiSnapshots
from polku.engine.budget import DEFAULT_MEMORY_BYTES, DEFAULT_SECONDS, Budget
from polku.engine.formrules import FormRules
from polku.engine.forms import default_field_types
from polku.engine.runtime import Runtime
from polku.engine.sandbox import SandboxedScriptEngine
from polku.engine.script_functions import standard_functions
from polku.engine.services import RetryPolicy, ServiceRegistry, outbox_handler
from polku.engine.worker import PeriodicJob

DEFAULT_DATABASE_URL = "sqlite:///instance/polku.db"


def processes_dir() -> Path:
    """The shipped process package (BPMN, DMN, label translations): `processes/` in a source
    checkout, package data in an installed wheel."""
    return Path(str(resources.files("polku.processes")))


def process_catalog_dir() -> Path:
    return processes_dir() / "translations"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("POLKU_DATABASE_URL") or DEFAULT_DATABASE_URL


def script_functions() -> dict[str, Callable[..., Any]]:
    """What scripts, conditions, due dates and DMN cells may call: the engine's clock-bound
    functions and the service's calendar (Finnish business days, deadlines at the end of a day)."""
    return {**standard_functions(), **deadline_functions()}


def model_budget() -> Budget:
    """Time and memory model code may use per engine call (engine/budget.py), from the
    environment: POLKU_MODEL_SECONDS (default 1) and POLKU_MODEL_MEMORY_MB (default 256)."""
    seconds = float(os.environ.get("POLKU_MODEL_SECONDS") or DEFAULT_SECONDS)
    memory_mb = int(os.environ.get("POLKU_MODEL_MEMORY_MB") or DEFAULT_MEMORY_BYTES // (1024 * 1024))
    return Budget(seconds=seconds, memory_bytes=memory_mb * 1024 * 1024)


def service_retry_policy() -> RetryPolicy:
    """How a service task whose handler failed for a passing reason is retried (engine.services.
    RetryPolicy), from the environment: POLKU_SERVICE_RETRIES (default 3; 0 turns retries off),
    POLKU_SERVICE_RETRY_BASE_SECONDS (default 30: then 60, 120, ...) and
    POLKU_SERVICE_RETRY_MAX_SECONDS (default 3600), the longest wait between two attempts."""
    return RetryPolicy(retries=int(os.environ.get("POLKU_SERVICE_RETRIES") or 3),
                       base_seconds=float(os.environ.get("POLKU_SERVICE_RETRY_BASE_SECONDS") or 30),
                       max_seconds=float(os.environ.get("POLKU_SERVICE_RETRY_MAX_SECONDS") or 3600))


def periodic_jobs() -> dict[str, PeriodicJob]:
    """What the worker does every round after the timers (engine.worker.worker_round): the
    deadline watch's reminders and escalations (domain.deadline_watch) and the dashboard's
    snapshots of its default view (domain.kpis.snapshots)."""
    return {"deadline_watch": DeadlineWatch(), "kpi_snapshots": KpiSnapshots()}


def build_runtime() -> Runtime:
    handlers = ServiceRegistry()
    # The customer information system is an integration point: the step writes an outbox row.
    handlers.register("record_outbox", outbox_handler("customer_information_system"), provides=())
    register_handlers(handlers)
    handlers.retry_policy = service_retry_policy()
    field_types = default_field_types()
    register_field_types(field_types)  # each type object: converter, widget, form parser, messages
    form_rules = FormRules()
    for module in (clientname, second_period):  # cross-field checks that read the database
        module.register_form_rules(form_rules)
    return Runtime(
        script_engine=SandboxedScriptEngine(functions=script_functions(), budget=model_budget()),
        handlers=handlers,
        field_types=field_types,
        form_rules=form_rules,
    )
