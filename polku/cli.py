"""The `polku` command line: a contract other tools drive the system through.

Exit 0 on success; 1 when a command is refused or the database fails (one readable line on
stderr, and the JSON error body on stdout with --json); 2 on usage errors (click's own); 3 on a
bug (EXIT_BUG: the traceback on stderr), so that a bug never passes for a refusal.
"""
from __future__ import annotations

import json
import sys
import traceback
from functools import wraps

import click
from sqlalchemy.exc import DBAPIError

from polku.domain.referrals import referral_outcome
from polku.engine import accounts, instances, queries, tasks, users
from polku.engine.clock import clock_from_env
from polku.engine.db import UnitOfWork, make_engine
from polku.engine.errors import PolkuError, ValidationFailed
from polku.engine.fieldtypes import NOT_ALLOWED, unstorable_fields
from polku.engine.jsonvalues import JsonRefused, parse_json

from .schema import upgrade
from .wiring import build_runtime, database_url


class Env:
    """Per-invocation services: the engine and runtime are built once, lazily."""

    def __init__(self, url: str | None):
        self.url = database_url(url)
        self._engine = self._runtime = None
        self.clock = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    @property
    def runtime(self):
        if self._runtime is None:
            self._runtime = build_runtime()
        return self._runtime

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, write=write, origin="cli")


class RefusedArg:
    """A well-formed argument the command refuses (JSON nested too deep, say): handed to the command
    instead of its value, so that `command` refuses it as it refuses anything else (exit 1, the JSON
    error body with --json). Malformed syntax stays click's usage error (exit 2)."""

    def __init__(self, error: PolkuError):
        self.error = error


def _json_arg(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_json(value)
    except JsonRefused as exc:
        name = param.name
        return RefusedArg(ValidationFailed(f"{name}: {exc}", {name: str(exc)}))
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc.msg} at position {exc.pos}") from exc


def _check_arguments(kwargs: dict) -> None:
    """Refuses what no command may take: an argument refused while parsing, and text no database can
    store (NUL, a lone surrogate: from a JSON escape, or undecodable bytes in argv), named by its field
    (a key of --data) or by its option."""
    for value in kwargs.values():
        if isinstance(value, RefusedArg):
            raise value.error
    bad = unstorable_fields({k: v for k, v in kwargs.items() if not isinstance(v, dict)})
    for value in kwargs.values():
        if isinstance(value, dict):
            bad += unstorable_fields(value)
    if bad:
        raise ValidationFailed(f"{bad[0]}: {NOT_ALLOWED}", dict.fromkeys(bad, NOT_ALLOWED),
                               {name: {"code": "not_allowed", "params": {}} for name in bad})


def _emit(as_json: bool, payload, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=None, default=str))
    elif text is not None:
        click.echo(text)


# Python exits 1 on an uncaught exception, which would read as "refused": a bug has its own code.
EXIT_BUG = 3


def command(fn):
    """Maps refusals (PolkuError) to exit 1 with one line, database trouble likewise; anything
    else is a bug: its traceback and exit EXIT_BUG."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        as_json = kwargs.get("as_json", False)
        try:
            ctx.obj.clock = clock_from_env()
            _check_arguments(kwargs)
            return fn(*args, **kwargs)
        except PolkuError as exc:
            if as_json:
                _emit(True, exc.to_dict())
            # One line, whatever the message quotes of the input (a submitted key may hold a newline).
            click.echo("error: " + "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(exc)), err=True)
            ctx.exit(1)
        except DBAPIError as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            hint = " (has 'polku init-db' been run?)" if "no such table" in first or "does not exist" in first else ""
            if as_json:
                _emit(True, {"error": f"database error: {first}{hint}", "code": "database"})
            click.echo(f"error: database error: {first}{hint}", err=True)
            ctx.exit(1)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own ways out keep their codes
        except Exception:  # noqa: BLE001  (a bug: shown in full, never as a refusal)
            click.echo(traceback.format_exc().rstrip(), err=True)
            ctx.exit(EXIT_BUG)

    return wrapper


@click.group()
@click.option("--database-url", envvar="POLKU_DATABASE_URL", default=None,
              help="SQLAlchemy URL (default: sqlite file under ./instance/)")
@click.pass_context
def main(ctx, database_url):
    """Polku: job-coaching workflows on BPMN."""
    if isinstance(ctx.obj, Env):
        # A program that embeds the CLI (the test suite) may hand in its own Env: its connection
        # pool and runtime then outlive one command, as in a long-running process, and it closes
        # them itself.
        return
    ctx.obj = Env(database_url)
    # Close pooled connections when the command ends, not whenever the GC gets to them.
    ctx.call_on_close(ctx.obj.close)


json_option = click.option("--json", "as_json", is_flag=True, help="machine-readable output")
as_option = click.option("--as", "actor", required=True, help="the acting user")
reason_option = click.option("--reason", default=None)


@main.command("init-db")
@click.pass_obj
@command
def init_db(env):
    """Create or upgrade the schema (Alembic)."""
    upgrade(env.engine)
    click.echo("schema is up to date")


@main.group()
def user():
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(users.ROLES))
@click.option("--org", default=None, help="organisation name (created when new)")
@click.option("--org-kind", type=click.Choice(users.ORG_KINDS), default="area", show_default=True)
@click.option("--name", default=None, help="display name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input (one line)")
@click.option("--as", "actor", default="system", show_default=True)
@json_option
@click.pass_obj
@command
def user_add(env, username, roles, org, org_kind, name, password_stdin, actor, as_json):
    password_hash = None
    if password_stdin:
        password_hash = accounts.hash_password(sys.stdin.readline().rstrip("\r\n"))
    with env.uow() as uow:
        created = users.add_user(uow, actor, username, list(roles), org, org_kind, name, password_hash)
        uow.commit()
    _emit(as_json, {"id": created.id, "username": created.username}, f"user {created.username} added")


@main.command()
@click.argument("key")
@as_option
@click.option("--data", callback=_json_arg, default=None, help="initial data (JSON object)")
@click.option("--business-key", default=None)
@json_option
@click.pass_obj
@command
def start(env, key, actor, data, business_key, as_json):
    """Start an instance of the latest version of KEY; prints its id (the first line), and the
    reason when the rules refused the referral it made."""
    with env.uow() as uow:
        inst = instances.start(uow, env.runtime, actor, key, data, business_key)
        refusal = _refusal(referral_outcome(uow, inst.id))  # written by the process in this unit of work
        uow.commit()
    payload = {"id": inst.id, "status": inst.status}
    if refusal is None:
        _emit(as_json, payload, str(inst.id))
        return
    # Not a refusal of the command (the instance ran and recorded the decision): exit 0.
    _emit(as_json, {**payload, "refusal": refusal}, f"{inst.id}\nrefused: {_refusal_text(refusal)}")


# The figures of a refused referral the CLI reports (domain.handlers.REFERRAL_FIGURES and the period).
_REFUSAL_KEYS = ("planned_start", "planned_end", "planned_days", "planned_end_limit", "min_period_days",
                 "max_period_months", "max_periods", "history_active", "history_consecutive", "window_months",
                 "window_days_max", "window_limit_days")
# One line per refusal code, in English like the rest of the CLI; figures by name.
_REFUSAL_TEXTS = {
    "R1_short": "the planned period is {planned_days} days; at least {min_period_days} days are required",
    "R1_long": "the planned period ends {planned_end}; at most {max_period_months} months allowed, "
               "so it must end by {planned_end_limit}",
    "R3_active": "the client already has a coaching period at the same time",
    "R3_consecutive": "the client has already had {history_consecutive} consecutive periods "
                      "(at most {max_periods} in a row)",
    "R4_window": "with this period the client would get {window_days_max} days of coaching within "
                 "{window_months} months; the limit is {window_limit_days} days",
}


def _refusal(outcome: dict | None) -> dict | None:
    """{reason, figures...} of a refused referral; None for anything else."""
    if outcome is None or outcome["outcome"] != "refused":
        return None
    return {"reason": outcome["refusal_reason"], **{k: outcome[k] for k in _REFUSAL_KEYS if k in outcome}}


def _refusal_text(refusal: dict) -> str:
    code = refusal["reason"]
    template = _REFUSAL_TEXTS.get(code)
    try:
        return f"{code}: {template.format(**refusal)}" if template else str(code)
    except KeyError:  # a figure the decision did not give: the code alone still says why
        return str(code)


@main.command("tasks")
@click.option("--as", "actor", default=None, help="only tasks this user may act on")
@click.option("--instance", "instance_id", type=int, default=None)
@json_option
@click.pass_obj
@command
def list_tasks(env, actor, instance_id, as_json):
    """Ready human tasks."""
    with env.uow(write=False) as uow:
        rows = queries.tasks_for(uow, actor, instance_id)
    _emit(as_json, rows, "\n".join(
        f"{r['id']}\t{r['instance_id']}\t{r['element_id']}\t{r['name'] or ''}\t"
        f"{r['assignee'] or '-'}\t{r['due_at'] or '-'}"
        for r in rows))


def _task_command(name, fn, help_text, done=None):
    @main.command(name, help=help_text)
    @click.argument("task_id")
    @as_option
    @json_option
    @click.pass_obj
    @command
    def _cmd(env, task_id, actor, as_json):
        with env.uow() as uow:
            fn(uow, actor, task_id)
            uow.commit()
        _emit(as_json, {"id": task_id, "ok": True}, f"{done or name + 'ed'} {task_id}")

    return _cmd


_task_command("claim", tasks.claim, "Claim a task for yourself.")
_task_command("unclaim", tasks.unclaim, "Give a claimed task back to its groups.")
_task_command("take-over", tasks.take_over, "Take over a task a colleague holds.", done="took over")


@main.command()
@click.argument("task_id")
@as_option
@click.option("--to", "assignee", required=True, help="the user to assign the task to")
@json_option
@click.pass_obj
@command
def assign(env, task_id, actor, assignee, as_json):
    """Assign a task to a user (managers)."""
    with env.uow() as uow:
        tasks.assign(uow, actor, task_id, assignee)
        uow.commit()
    _emit(as_json, {"id": task_id, "assignee": assignee}, f"assigned {task_id} to {assignee}")


@main.command()
@click.argument("task_id")
@as_option
@click.option("--data", callback=_json_arg, default="{}", help="form values (JSON object)")
@json_option
@click.pass_obj
@command
def complete(env, task_id, actor, data, as_json):
    """Complete a task with form data."""
    with env.uow() as uow:
        status = tasks.complete(uow, env.runtime, actor, task_id, data)
        uow.commit()
    _emit(as_json, {"id": task_id, "instance_status": status}, f"completed {task_id} (instance {status})")


@main.command("instances")
@click.option("--status", type=click.Choice(["running", "suspended", "error", "completed", "terminated"]))
@json_option
@click.pass_obj
@command
def list_instances(env, status, as_json):
    with env.uow(write=False) as uow:
        rows = queries.instances(uow, status)
    _emit(as_json, rows, "\n".join(
        f"{r['id']}\t{r['process_key']}\t{r['version']}\t{r['status']}\t{r['business_key'] or '-'}" for r in rows))


def _instance_command(name, fn, runs_workflow: bool = False):
    @main.command(name, help=f"{name.capitalize()} an instance.")
    @click.argument("instance_id", type=int)
    @as_option
    @reason_option
    @json_option
    @click.pass_obj
    @command
    def _cmd(env, instance_id, actor, reason, as_json):
        with env.uow() as uow:
            args = (env.runtime,) if runs_workflow else ()
            inst = fn(uow, *args, actor, instance_id, reason)
            uow.commit()
        _emit(as_json, {"id": inst.id, "status": inst.status}, f"instance {inst.id} {inst.status}")

    return _cmd


_instance_command("suspend", instances.suspend)
_instance_command("resume", instances.resume)
_instance_command("terminate", instances.terminate, runs_workflow=True)


@main.command()
@click.argument("instance_id", type=int)
@as_option
@reason_option
@click.option("--data", callback=_json_arg, default=None, help="corrected data for the failed step (JSON object)")
@json_option
@click.pass_obj
@command
def retry(env, instance_id, actor, reason, data, as_json):
    """Re-run the failed step of an instance in error."""
    with env.uow() as uow:
        inst = instances.retry(uow, env.runtime, actor, instance_id, reason, data)
        uow.commit()
    _emit(as_json, {"id": inst.id, "status": inst.status}, f"instance {inst.id} {inst.status}")


# More commands, registered on import.
from . import (  # noqa: E402, F401
    audit_cli,
    design_cli,
    intervene_cli,
    migrate_cli,
    purge_cli,
    read_cli,
    scenario_cli,
    seed_cli,
    serve_cli,
    token_cli,
    user_cli,
)
