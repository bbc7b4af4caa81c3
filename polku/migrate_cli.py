"""`polku migrate`: move running instances of a process to a newer version (engine.migration).

A dry run lists every instance that would be moved and whether it can; without --dry-run the
instances named with --instance, or with --all every one that can, are moved, each in its own
transaction. An instance that cannot move stays untouched on its version, with the reason.
"""
from __future__ import annotations

import click

from polku.engine import migration

from .cli import _emit, command, json_option, main


def _line(v: migration.Verdict) -> str:
    head = f"instance {v.instance_id}" + (f" (version {v.version}, {v.status}, at {', '.join(v.at) or '-'})"
                                          if v.status else "") + ": "  # one that could not be read: its id
    if v.moved:
        head += "moved"
    elif v.movable:
        head += "can move"
    else:
        head += "stays: " + "; ".join(b.text for b in v.blockers)
    return head + "".join(f"\n  {n.text}" for n in v.notes)


@main.command()
@click.argument("key")
@click.option("--to", "to_version", type=click.IntRange(min=1), default=None, help="default: the latest version")
@click.option("--from", "from_version", type=click.IntRange(min=1), default=None,
              help="only instances on this version (default: every older one)")
@click.option("--instance", "instance_ids", type=click.IntRange(min=1), multiple=True,
              help="an instance to move (repeatable)")
@click.option("--all", "move_all", is_flag=True, help="move every instance that can move")
@click.option("--dry-run", is_flag=True, help="only say what would happen")
@click.option("--as", "actor", default="system", show_default=True)
@json_option
@click.pass_obj
@command
def migrate(env, key, to_version, from_version, instance_ids, move_all, dry_run, actor, as_json):
    """Move running instances of process KEY to a newer version."""
    if not (dry_run or move_all or instance_ids):
        raise click.UsageError("name instances with --instance, or use --all or --dry-run")
    if move_all and instance_ids:
        raise click.UsageError("--all and --instance exclude each other")
    with env.uow(write=False) as uow:
        target, found = migration.candidates(uow, actor, key, to_version, from_version)
        if dry_run:
            target, verdicts = migration.dry_run(uow, env.runtime, actor, key, list(instance_ids) or found, target)
    if not dry_run:  # each in its own transaction: one that cannot move leaves the others moving
        verdicts = migration.move_each(env.uow, env.runtime, actor, key, list(instance_ids) or found, target)
    moved = sum(v.moved for v in verdicts)
    stays = sum(not v.movable for v in verdicts)
    summary = (f"{key} -> version {target}: {len(verdicts)} instance(s), "
               + (f"{len(verdicts) - stays} can move, {stays} cannot" if dry_run else f"{moved} moved, {stays} stayed"))
    _emit(as_json, {"key": key, "to": target, "dry_run": dry_run, "instances": [v.to_dict() for v in verdicts]},
          "\n".join([*(_line(v) for v in verdicts), summary]))
    if instance_ids and stays and not dry_run:
        click.get_current_context().exit(1)  # an instance asked for by name did not move
