"""Per-step overhead of Polku against bare SpiffWorkflow, measured side by side in one run.

(a) bare SpiffWorkflow 3.2: deserialize the JSON state → complete the ready user task →
    engine steps → serialize, per human step (state held in memory, spec inside it, as the
    library does by default);
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
            wf = self.serializer.deserialize_json(state)
            task = wf.get_next_task(state=TaskState.READY, spec_class=UserTaskMixin)
            task.data = {**task.data, **{k: (int(v) if k.startswith("count") else v) for k, v in data.items()}}
            task.run()
            wf.do_engine_steps()
            state = self.serializer.serialize_json(wf)
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

    def uow(self):
        return UnitOfWork(self.engine, self.clock)

    def run_instance(self) -> tuple[list[float], list[int], int]:
        with self.uow() as uow:
            iid = instances.start(uow, self.runtime, "bench", "four_steps").id
            uow.commit()
        times, counts = [], []
        for data in STEP_DATA:
            with self.uow() as uow:  # finding the task is the inbox's work, not the step's
                task_id = uow.session.scalar(
                    select(HumanTask.id).where(HumanTask.instance_id == iid, HumanTask.state == "ready"))
            before = self.statements
            t0 = time.perf_counter()
            with self.uow() as uow:
                tasks.complete(uow, self.runtime, "bench", task_id, data)
                uow.commit()
            times.append(time.perf_counter() - t0)
            counts.append(self.statements - before)
        with self.uow() as uow:
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
    for _ in range(10):  # warm caches and JIT-free paths alike
        bare.run_instance()
        for p in polkus.values():
            p.run_instance()
    bare_times, bare_size = [], 0
    results = {name: ([], [], 0) for name in polkus}
    for _ in range(args.instances):
        t, bare_size = bare.run_instance()
        bare_times += t
        for name, p in polkus.items():
            t, c, size = p.run_instance()
            results[name][0].extend(t)
            results[name][1].extend(c)
            results[name] = (results[name][0], results[name][1], size)
    bare_med = statistics.median(bare_times)
    print(f"process: {BPMN.name} (4 user tasks, 2 form fields each); {args.instances} instances × 4 steps each")
    print(f"{'variant':<28}{'median ms/step':>16}{'p90 ms':>10}{'ratio':>8}{'SQL/step':>10}")
    print(f"{'bare SpiffWorkflow':<28}{bare_med * 1e3:>16.3f}{_p90(bare_times) * 1e3:>10.3f}{1.0:>8.2f}{'-':>10}")
    for name, (t, _c, _size) in results.items():
        med = statistics.median(t)
        sql = statistics.median(polkus[name].count_statements())
        print(f"{'Polku complete, ' + name:<28}{med * 1e3:>16.3f}{_p90(t) * 1e3:>10.3f}"
              f"{med / bare_med:>8.2f}{sql:>10.0f}")
    print("serialized state per finished instance:")
    print(f"  bare SpiffWorkflow (JSON with spec): {bare_size} bytes")
    for name, (_t, _c, size) in results.items():
        print(f"  Polku on {name} (no spec, zlib JSON): {size} bytes")


def _p90(values):
    return statistics.quantiles(values, n=10)[-1]


if __name__ == "__main__":
    main()
