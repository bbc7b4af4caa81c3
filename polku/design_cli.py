"""The designers' commands: `polku deploy`, `polku check`, `polku diff`, `polku definitions`."""
from __future__ import annotations

import click

from polku.engine import deploy as deploy_mod
from polku.engine import queries
from polku.engine.bundle import check_bundle, read_bundle
from polku.engine.version_diff import version_diff

from .cli import _emit, command, json_option, main
from .wiring import processes_dir


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--as", "actor", default="system", show_default=True)
@json_option
@click.pass_obj
@command
def deploy(env, paths, actor, as_json):
    """Deploy BPMN/DMN files or folders (default processes/)."""
    files = read_bundle(list(paths) or [processes_dir()])
    with env.uow() as uow:
        results = deploy_mod.deploy(uow, env.runtime, actor, files)
        uow.commit()
    _emit(as_json, [r.__dict__ for r in results], "\n".join(f"{r.key}\t{r.version}\t{r.status}" for r in results))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@json_option
@click.pass_obj
@command
def check(env, paths, as_json):
    """Check BPMN/DMN files or folders (default processes/) as a deploy would, and for what the
    modeler's linter flags; deploys nothing, needs no database. Exit 1 when an error is found."""
    files = read_bundle(list(paths) or [processes_dir()])
    found = check_bundle(files, env.runtime)
    errors = sum(p.severity == "error" for p in found)
    summary = f"{len(files)} file(s) checked: {errors} error(s), {len(found) - errors} warning(s)"
    _emit(as_json, {"problems": [p.to_dict() for p in found], "errors": errors, "warnings": len(found) - errors},
          "\n".join([*(p.reported("\n  ") for p in found), summary]))
    if errors:
        click.get_current_context().exit(1)


@main.command()
@click.argument("key")
@click.option("--version", "number", type=click.IntRange(min=1), default=None, help="default: the latest")
@json_option
@click.pass_obj
@command
def diff(env, key, number, as_json):
    """What changed in a process version against the one before it, element by element."""
    with env.uow(write=False) as uow:
        earlier, version, changes = version_diff(uow, key, number)
    mark = {"added": "+", "removed": "-", "changed": "~"}
    lines = [f"{key} {earlier if earlier is not None else '(none)'} -> {version}: {len(changes)} change(s)"]
    lines += [f"{mark[c.change]} {c.element_id} ({c.kind})" + (f' "{c.name}"' if c.name else "")
              + (f": {', '.join(c.what)}" if c.what else "") for c in changes]
    _emit(as_json, {"key": key, "from": earlier, "to": version, "changes": [c.__dict__ for c in changes]},
          "\n".join(lines))


@main.command()
@json_option
@click.pass_obj
@command
def definitions(env, as_json):
    """List deployed process versions."""
    with env.uow(write=False) as uow:
        rows = queries.definitions(uow)
    _emit(as_json, rows, "\n".join(f"{r['key']}\t{r['version']}\t{r['hash'][:12]}\t{r['deployed_at']}" for r in rows))
