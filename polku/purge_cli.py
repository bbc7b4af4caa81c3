"""`polku purge`: remove client data past its retention (R16, 380/2023 §122(1); domain.retention).

The operator's command (no --as), meant for a daily cron job like `polku worker`: whoever holds the
database URL runs it. `--dry-run` lists what would go and writes nothing.
"""
from __future__ import annotations

import click

from polku.domain import retention
from polku.engine.queries import OPERATOR

from .cli import _emit, command, json_option, main


@main.command()
@click.option("--dry-run", is_flag=True, help="list what has passed its retention; remove nothing")
@json_option
@click.pass_obj
@command
def purge(env, dry_run, as_json):
    """Remove the cases of people whose client relationship ended four years ago or more (audited)."""
    with env.uow(write=not dry_run) as uow:
        today = uow.now.astimezone(retention.SERVICE_TZ).date()
        found, held = retention.due(uow.session, today)
        removed: dict[str, int] = {}
        if not dry_run:
            for item in found:
                for table, count in retention.remove(uow, OPERATOR, item).items():
                    removed[table] = removed.get(table, 0) + count
            uow.commit()
    cases = sorted(c for item in found for c in item.cases)
    verb = "would remove" if dry_run else "removed"
    lines = [f"case {c}\trelationship ended {item.relationship_ended}\tremovable from {item.removable_from}"
             for item in found for c in item.cases]
    lines.append(f"{verb} {len(cases)} case(s) of {len(found)} person(s); "
                 f"kept {held} person(s) with a case still open")
    _emit(as_json, {"dry_run": dry_run, "today": today.isoformat(), "retention_years": retention.RETENTION_YEARS,
                    "due": [item.as_dict() for item in found], "held_open": held, "removed_rows": removed},
          "\n".join(lines))
