"""Moving running instances to a new version: Polku's `migrate` against bare SpiffWorkflow, side by side.

A database is seeded with N job-coaching cases (`polku seed`), then version 2 of the process is
deployed (the weekly review renamed and a label of its form changed, so every case in its coaching
period has a task that starts again). For every running instance, in turn:

(a) bare SpiffWorkflow 3.2: load the stored state under version 1, `diff_workflow`, `migrate_workflow`
    for the instance and its subprocesses, serialize;
(b) Polku's dry run of that instance (`engine.migration.dry_run`: the same, plus the checks and the
    trial load under version 2; nothing written);
(c) Polku's move (`engine.migration.move` and its commit: state, version, task rows, audit row).

(a) and (b) alternate instance by instance so machine noise hits both alike; (c) runs after them.
Prints medians per instance and the ratios. Usage:
  python bench/migration.py [--cases N] [--database-url URL]   (default: a new SQLite file, 400 cases)
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow  # noqa: E402
from sqlalchemy import select  # noqa: E402

from polku.engine import migration  # noqa: E402
from polku.engine.clock import FixedClock, parse_instant  # noqa: E402
from polku.engine.db import UnitOfWork, make_engine  # noqa: E402
from polku.engine.models import Instance, ProcessDefinition  # noqa: E402
from polku.engine.timers import bound_clock  # noqa: E402
from polku.wiring import build_runtime  # noqa: E402

NOW = "2026-04-14T07:00:00+00:00"
POLKU = str(Path(sys.executable).with_name("polku"))


def polku(url: str, *args: str) -> None:
    env = {**os.environ, "POLKU_DATABASE_URL": url, "POLKU_NOW": NOW}
    subprocess.run([POLKU, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(url: str, cases: int, folder: Path) -> None:
    polku(url, "init-db")
    polku(url, "seed", "--cases", str(cases))
    text = (ROOT / "processes" / "tyohonvalmennus.bpmn").read_text(encoding="utf-8")
    for old, new in (('name="Viikkokatsaus"', 'name="Viikon katsaus"'),
                     ('label="Viikon tapaamiset"', 'label="Tämän viikon tapaamiset"')):
        assert old in text, old
        text = text.replace(old, new)
    (folder / "tyohonvalmennus.bpmn").write_text(text, encoding="utf-8")
    for dmn in (ROOT / "processes").glob("*.dmn"):
        (folder / dmn.name).write_bytes(dmn.read_bytes())
    polku(url, "deploy", str(folder), "--as", "suunnittelija")


def bare(runtime, uow: UnitOfWork, inst: Instance, new) -> float:
    old = runtime.definition(uow.session.get_one(ProcessDefinition, inst.definition_id))
    started = time.perf_counter()
    wf = runtime.load(old, inst.state)
    with bound_clock(FixedClock(uow.now)):
        top, subs = diff_workflow(runtime.serializer.registry, wf, new.spec, new.subprocess_specs)
        migrate_workflow(top, wf, new.spec)
        for sp_id, sp_diff in subs.items():
            if sp_diff is not None and sp_id in wf.subprocesses:
                sub = wf.subprocesses[sp_id]
                migrate_workflow(sp_diff, sub, new.subprocess_specs[sub.spec.name])
    runtime.dump(wf)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        prepare(url, args.cases, Path(tmp))
        engine, runtime = make_engine(url), build_runtime()
        clock = FixedClock(parse_instant(NOW))
        with UnitOfWork(engine, clock, write=False) as uow:
            target, found = migration.candidates(uow, "suunnittelija", "tyohonvalmennus")
            new = runtime.definition(uow.session.scalars(select(ProcessDefinition).where(
                ProcessDefinition.key == "tyohonvalmennus", ProcessDefinition.version == target)).one())
        spiff, dry, move = [], [], []
        movable = 0
        for instance_id in found:
            with UnitOfWork(engine, clock, write=False) as uow:
                inst = uow.session.get_one(Instance, instance_id)
                spiff.append(bare(runtime, uow, inst, new))
                started = time.perf_counter()
                [verdict] = migration.dry_run(uow, runtime, "suunnittelija", "tyohonvalmennus", [instance_id])[1]
                dry.append(time.perf_counter() - started)
                movable += verdict.movable
        for instance_id in found:
            started = time.perf_counter()
            with UnitOfWork(engine, clock) as uow:
                if migration.move(uow, runtime, "suunnittelija", "tyohonvalmennus", instance_id).moved:
                    uow.commit()
            move.append(time.perf_counter() - started)
    ms = {name: statistics.median(values) * 1000 for name, values in
          (("spiff", spiff), ("dry", dry), ("move", move))}
    print(f"{len(found)} running instances on version 1, {movable} movable to version {target}")
    print(f"per instance, median ms: bare SpiffWorkflow diff+migrate {ms['spiff']:.2f} | "
          f"Polku dry run {ms['dry']:.2f} ({ms['dry'] / ms['spiff']:.1f}x) | "
          f"Polku move {ms['move']:.2f} ({ms['move'] / ms['spiff']:.1f}x)")
    print(f"all {len(found)}: dry run {sum(dry):.1f} s, move {sum(move):.1f} s")


if __name__ == "__main__":
    main()
