"""`polku show`, and what every command line read of client data shares: a refused read by a
named user (`--as`) is a `refused` audit row, as a refused page of client data is on the web
(engine.refusals)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from polku.engine import ids, queries
from polku.engine.errors import Forbidden, NotFound
from polku.engine.refusals import record_refusal, refusal_status

from .cli import Env, _emit, command, json_option, main


@contextmanager
def refusals_logged(env: Env, actor: str | None, command_name: str,
                    instances: Callable[[], list[int]]) -> Iterator[None]:
    """Around a read of client data by `actor`: when it is refused (NotFound, Forbidden), one
    `refused` row — {"command", "status": "not_found" | "forbidden", "instances"} — in a unit of
    work of its own, and the refusal goes on unchanged. `instances`: the cases the command named,
    asked only on refusal. Without `--as` (the operator) nothing is refused by a rule."""
    try:
        yield
    except (NotFound, Forbidden) as exc:
        if actor is not None:
            details = {"command": command_name, "status": refusal_status(exc), "instances": instances()}
            record_refusal(env.uow, actor, details)
        raise


@main.command()
@click.argument("instance_id", type=int)
@click.option("--as", "actor", default=None, help="check that this user may see it")
@json_option
@click.pass_obj
@command
def show(env, instance_id, actor, as_json):
    """Status, version, ready tasks, timers, data and history of an instance (a read of client
    data: the same rule as the case page, and an audit row; a refusal is one too)."""
    named = [instance_id] if ids.is_row_id(instance_id) else []  # as the web's refusals name a case
    with refusals_logged(env, actor, "show", lambda: named), env.uow() as uow:
        info = queries.show(uow, env.runtime, instance_id, actor)
        uow.commit()  # the read's audit row
    if as_json:
        _emit(True, info)
        return
    click.echo(f"instance {info['id']}: {info['process_key']} v{info['version']} {info['status']}")
    if info["error"]:
        click.echo(f"error at {info['error']['element_id']}: {info['error']['message']}")
    for t in info["ready_tasks"]:
        click.echo(f"task {t['id']} {t['element_id']} ({t['name'] or ''}) assignee={t['assignee'] or '-'}")
    for t in info["timers"]:
        click.echo(f"timer {t['element_id']} due {t['due_at']}")
    click.echo("data " + json.dumps(info["data"], ensure_ascii=False, sort_keys=True))
    for h in info["history"]:
        click.echo(f"{h['at']} {h['actor']} {h['action']}")
