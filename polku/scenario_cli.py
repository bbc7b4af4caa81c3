"""`polku test`: the designers' scenario files (processes/scenarios/*.yaml) run against the process
files on disk, each in a database of its own in memory (engine/scenario_run.py). Needs no
database URL and touches no database file.

Exit 0 when every scenario passes, 1 when one fails, 2 when a file cannot be run as written
(one line naming the file and the step)."""
from __future__ import annotations

from pathlib import Path

import click

from polku.engine.scenario_run import ScenarioRunner
from polku.engine.scenarios import ScenarioError, load_scenario, scenario_files

from .cli import _emit, command, json_option, main
from .schema import upgrade
from .wiring import build_runtime, periodic_jobs, processes_dir


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--processes", "processes", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="the BPMN/DMN folder to deploy (default: the folder above each scenario's folder)")
@json_option
@click.pass_obj
@command
def test(env, paths, processes, as_json):
    """Run scenario files or folders (default processes/scenarios/) against the process files;
    PASS or FAIL per scenario with the path it took. Exit 1 when a scenario fails."""
    ctx = click.get_current_context()
    try:
        scenarios = [load_scenario(f) for f in scenario_files(list(paths) or [processes_dir() / "scenarios"])]
    except ScenarioError as exc:
        _usage_error(ctx, as_json, str(exc))
        return
    runner = ScenarioRunner(build_runtime, upgrade, periodic_jobs())
    outcomes = []
    try:
        for scenario in scenarios:
            folder = processes or scenario.path.resolve().parent.parent
            outcomes.append(runner.run(scenario, folder))
            if not as_json:
                click.echo(_report(outcomes[-1]))
    except ScenarioError as exc:  # the processes do not deploy, or an actor cannot be added
        _usage_error(ctx, as_json, str(exc))
        return
    finally:
        runner.close()
    failed = sum(not o.passed for o in outcomes)
    _emit(as_json, {"scenarios": [o.to_dict() for o in outcomes], "passed": len(outcomes) - failed,
                    "failed": failed},
          f"{len(outcomes)} scenario(s): {len(outcomes) - failed} passed, {failed} failed")
    if failed:
        ctx.exit(1)


def _report(outcome) -> str:
    lines = [f"{'PASS' if outcome.passed else 'FAIL'} {outcome.scenario.name} ({outcome.scenario.path.name})",
             "  path: " + (" -> ".join(outcome.path) or "(nothing ran)")]
    if not outcome.passed:
        where = "start" if outcome.failed_step == 0 else f"step {outcome.failed_step}"
        lines.append(f"  {where}: {outcome.message}")
    return "\n".join(lines)


def _usage_error(ctx, as_json: bool, message: str) -> None:
    line = "".join(c if c.isprintable() else " " for c in message)
    if as_json:
        _emit(True, {"error": line, "code": "scenario"})
    click.echo(f"error: {line}", err=True)
    ctx.exit(2)
