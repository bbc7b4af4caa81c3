"""A manager's interventions beyond the instance commands of polku/cli.py: a task's due date."""
from __future__ import annotations

import click

from polku.engine import task_admin

from .cli import _emit, as_option, command, json_option, main


@main.command("set-due")
@click.argument("task_id")
@as_option
@click.option("--due", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="the new due day, YYYY-MM-DD")
@click.option("--reason", required=True, help="why the due date moves (kept in the audit trail)")
@json_option
@click.pass_obj
@command
def set_due(env, task_id, actor, due, reason, as_json):
    """Move an open task's due date (managers of its case; today or later)."""
    with env.uow() as uow:
        due_at = task_admin.set_due(uow, actor, task_id, due.date(), reason)
        uow.commit()
    _emit(as_json, {"id": task_id, "due_at": due_at.isoformat()}, f"task {task_id} due {due.date().isoformat()}")
