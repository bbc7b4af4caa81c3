"""Per-step overhead of Polku against bare SpiffWorkflow, measured side by side in one run.

(a) bare SpiffWorkflow 3.2: deserialize the JSON state → complete the ready user task →
    engine steps → serialize, per human step (state held in memory, spec inside it, as the
    library does by default);
(a') the same bare step with its state stored in the database, as the smallest application that
    keeps SpiffWorkflow's state between requests would: in one transaction, read the instance's
    row under a lock (SELECT ... FOR UPDATE; on SQLite BEGIN IMMEDIATE), run (a), write the state
    back, commit, with the driver directly (psycopg 3, sqlite3) on the same database and settings
    as (b) (SQLite: WAL, synchronous=NORMAL). It has no users, no access check, no task rows, no
    audit: what is left of (b) over (a') is what Polku adds;
(b) Polku's `complete` command on SQLite (and on PostgreSQL when POLKU_BENCH_DATABASE_URL or
    POLKU_TEST_DATABASE_URL is set): load user, task, instance; validate the form; run; write
    state, tasks, timers, audit; commit.

Runs alternate (a) and (b) instance by instance so machine noise hits both alike, and prints
medians and the ratio. Usage: python bench/step_overhead.py [--instances N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser  # noqa: E402
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from polku.engine import instances, tasks, users  # noqa: E402
from polku.engine.bundle import read_bundle  # noqa: E402
from polku.engine.clock import Clock  # noqa: E402
from polku.engine.db import UnitOfWork, make_engine  # noqa: E402
from polku.engine.deploy import deploy  # noqa: E402
from polku.engine.models import HumanTask, Instance  # noqa: E402
from polku.schema import upgrade  # noqa: E402
from polku.wiring import build_runtime  # noqa: E402

BPMN = Path(__file__).with_name("four_steps.bpmn")
STEP_DATA = [
    {"note1": "a", "count1": "1"}, {"note2": "b", "count2": "2"},
    {"note3": "c", "count3": "3"}, {"note4": "d", "count4": "4"},
]


class Bare:
    def __init__(self):
        parser = CamundaParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("four_steps")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))

    def run_instance(self) -> tuple[list[float], int]:
        wf = BpmnWorkflow(self.spec)
        wf.do_engine_steps()
        state = self.serializer.serialize_json(wf)
        times = []
        for data in STEP_DATA:
            t0 = time.perf_counter()
            wf, state = self.step(state, data)
            times.append(time.perf_counter() - t0)
        assert wf.is_completed()
        return times, len(state.encode())

    def step(self, state: str, data: dict[str, str]) -> tuple[BpmnWorkflow, str]:
        """One human step on the serialized state: restore, complete the ready task, run, serialize."""
        wf = self.serializer.deserialize_json(state)
        task = wf.get_next_task(state=TaskState.READY, spec_class=UserTaskMixin)
        task.data = {**task.data, **{k: (int(v) if k.startswith("count") else v) for k, v in data.items()}}
        task.run()
        wf.do_engine_steps()
        return wf, self.serializer.serialize_json(wf)


class BareStored(Bare):
    """(a'): the bare step between a locked read of the state's row and its write and commit."""

    def __init__(self, url: str):
        super().__init__()
        if url.startswith("sqlite"):
            import sqlite3

            self.db = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.begin, self.lock, self.mark = "BEGIN IMMEDIATE", "", "?"
        else:
            import psycopg

            self.db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
            self.begin, self.lock, self.mark = "BEGIN", " FOR UPDATE", "%s"
        self.db.execute("CREATE TABLE IF NOT EXISTS bare_states (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        self.db.execute("DELETE FROM bare_states")
        self.next_id = 0

    def _run(self, sql, params=()):
        return self.db.execute(sql.replace("?", self.mark), params)

    def run_instance(self) -> tuple[list[float], int]:
        wf = BpmnWorkflow(self.spec)
        wf.do_engine_steps()
        self.next_id += 1
        row = self.next_id
        self._run("INSERT INTO bare_states (id, state) VALUES (?, ?)", (row, self.serializer.serialize_json(wf)))
        times = []
        for data in STEP_DATA:
            t0 = time.perf_counter()
            self._run(self.begin)
            (state,) = self._run("SELECT state FROM bare_states WHERE id = ?" + self.lock, (row,)).fetchone()
            wf, state = self.step(state, data)
            self._run("UPDATE bare_states SET state = ? WHERE id = ?", (state, row))
            self._run("COMMIT")
            times.append(time.perf_counter() - t0)
        assert wf.is_completed()
        return times, len(state.encode())


class Polku:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.runtime = build_runtime()
        self.clock = Clock()
        self.statements = 0
        with self.uow() as uow:
            if not _has_user(uow, "bench"):
                users.add_user(uow, "system", "bench", ["official", "designer"], "Bench area")
            deploy(uow, self.runtime, "bench", read_bundle([BPMN]))
            uow.commit()

    def _count(self, *args):
        self.statements += 1

    def count_statements(self) -> list[int]:
        """Statements per step (BEGIN and COMMIT included), counted in a separate run so that
        counting does not slow the timed ones. Every statement, the precompiled hot-path ones
        included, runs through SQLAlchemy's connection, so its events see them all."""
        event.listen(self.engine, "before_cursor_execute", self._count)
        event.listen(self.engine, "begin", self._count)
        event.listen(self.engine, "commit", self._count)
        try:
            return self.run_instance()[1]
        finally:
            event.remove(self.engine, "before_cursor_execute", self._count)
            event.remove(self.engine, "begin", self._count)
            event.remove(self.engine, "commit", self._count)

    def uow(self, write: bool = True):
        return UnitOfWork(self.engine, self.clock, write=write)

    def run_instance(self) -> tuple[list[float], list[int], int]:
        with self.uow() as uow:
            iid = instances.start(uow, self.runtime, "bench", "four_steps").id
            uow.commit()
        times, counts = [], []
        for data in STEP_DATA:
            with self.uow(write=False) as uow:  # finding the task is the inbox's work, not the step's
                task_id = uow.session.scalar(
                    select(HumanTask.id).where(HumanTask.instance_id == iid, HumanTask.state == "ready"))
            before = self.statements
            t0 = time.perf_counter()
            with self.uow() as uow:
                tasks.complete(uow, self.runtime, "bench", task_id, data)
                uow.commit()
            times.append(time.perf_counter() - t0)
            counts.append(self.statements - before)
        with self.uow(write=False) as uow:
            inst = uow.session.get(Instance, iid)
            assert inst.status == "completed", inst.status
            size = len(inst.state)
        return times, counts, size


def _has_user(uow, name):
    from polku.engine.models import User

    return uow.session.scalar(select(User.id).where(User.username == name)) is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=150)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="polku-bench-")
    targets = {"sqlite": f"sqlite:///{tmp}/bench.db"}
    pg = os.environ.get("POLKU_BENCH_DATABASE_URL") or os.environ.get("POLKU_TEST_DATABASE_URL")
    if pg:
        targets["postgresql"] = pg
    bare = Bare()
    polkus = {name: Polku(url) for name, url in targets.items()}
    # The stored bare variant on the same database (its own file on SQLite, its own table on both).
    stored = {name: BareStored(f"sqlite:///{tmp}/bare.db" if name == "sqlite" else url)
              for name, url in targets.items()}
    variants: dict[str, Bare | Polku] = {"bare SpiffWorkflow": bare}
    for name in targets:
        variants[f"bare + {name}"] = stored[name]
        variants[f"Polku complete, {name}"] = polkus[name]
    for _ in range(10):  # warm caches and JIT-free paths alike
        for v in variants.values():
            v.run_instance()
    times: dict[str, list[float]] = {label: [] for label in variants}
    sizes: dict[str, int] = {}
    for _ in range(args.instances):  # variant after variant, instance by instance
        for label, v in variants.items():
            result = v.run_instance()
            times[label] += result[0]
            sizes[label] = result[-1]
    med = {label: statistics.median(t) for label, t in times.items()}
    print(f"process: {BPMN.name} (4 user tasks, 2 form fields each); {args.instances} instances × 4 steps each")
    print("ratio: ÷ bare SpiffWorkflow in memory; ÷ stored: ÷ bare SpiffWorkflow storing its state in the same"
          " database")
    print(f"{'variant':<28}{'median ms/step':>16}{'p90 ms':>10}{'ratio':>8}{'÷ stored':>10}{'SQL/step':>10}")
    base = med["bare SpiffWorkflow"]
    for label, t in times.items():
        database = label.rsplit(" ", 1)[-1] if label != "bare SpiffWorkflow" else None
        versus = f"{med[label] / med[f'bare + {database}']:.2f}" if label.startswith("Polku") else "-"
        sql = (f"{statistics.median(polkus[database].count_statements()):.0f}" if label.startswith("Polku")
               else "4" if label.startswith("bare +") else "-")
        print(f"{label:<28}{med[label] * 1e3:>16.3f}{_p90(t) * 1e3:>10.3f}{med[label] / base:>8.2f}"
              f"{versus:>10}{sql:>10}")
    print("SQL/step: statements with BEGIN and COMMIT counted (bare + database: BEGIN, SELECT, UPDATE, COMMIT)")
    print("serialized state per finished instance:")
    print(f"  bare SpiffWorkflow (JSON with spec): {sizes['bare SpiffWorkflow']} bytes")
    for name in targets:
        print(f"  Polku on {name} (no spec, zlib JSON): {sizes[f'Polku complete, {name}']} bytes")


def _p90(values):
    return statistics.quantiles(values, n=10)[-1]


if __name__ == "__main__":
    main()
