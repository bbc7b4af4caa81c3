"""Races of many processes on one task: K `polku complete` of the same task, released at the same
moment. Exactly one exits 0; every other exits 1 with one readable line (on SQLite a loser may be
refused by the write lock: still one line, never a traceback); the instance advanced exactly once
(one `complete` audit row, lock_version one step on, the next task ready). SQLite, or PostgreSQL with
POLKU_TEST_DATABASE_URL. Small by default; `--long` for the full run (tests/faults/README.md)."""
from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from polku.engine.db import make_engine
from polku.engine.models import AuditEvent, HumanTask, Instance
from tests.faults.conftest import OFFICIALS
from tests.faults.invariants import check
from tests.faults.support import WORKER_NOW, cli_env, refusal_problem


def test_many_processes_completing_one_task_exactly_one_wins(faults, forks, database_url, tmp_path, sizes, capsys):
    engine = make_engine(database_url)
    losers: Counter[str] = Counter()
    try:
        for round_ in range(sizes.race_rounds):
            iid = int(faults("start", "four_steps", "--as", "off1").stdout.split()[0])
            with engine.connect() as conn:
                tid = conn.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
                lock = conn.scalar(select(Instance.lock_version).where(Instance.id == iid))
            gate = tmp_path / f"gate-{round_}"
            racers = OFFICIALS[:sizes.racers]
            pids = [forks.spawn(["complete", tid, "--as", actor, "--data", "{}"], cli_env(database_url), gate)
                    for actor in racers]
            gate.touch()
            outcomes = dict(zip(racers, (forks.wait(pid) for pid in pids)))

            codes = sorted(o.status for o in outcomes.values())
            assert codes == [0] + [1] * (len(racers) - 1), {a: (o.status, o.stderr) for a, o in outcomes.items()}
            winner = next(a for a, o in outcomes.items() if o.status == 0)
            assert outcomes[winner].stdout == f"completed {tid} (instance running)\n", outcomes[winner]
            for actor, outcome in outcomes.items():
                if actor != winner:
                    assert refusal_problem(outcome) is None and outcome.stdout == "", (actor, outcome)
                    losers[re.sub(r"[0-9a-f-]{36}", "<task>", outcome.stderr.strip()).replace(winner, "<winner>")] += 1
            with engine.connect() as conn:
                completes = conn.scalar(select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.instance_id == iid, AuditEvent.action == "complete"))
                lock_now = conn.scalar(select(Instance.lock_version).where(Instance.id == iid))
                rows = conn.execute(select(HumanTask.element_id, HumanTask.state, HumanTask.completed_by)
                                    .where(HumanTask.instance_id == iid).order_by(HumanTask.element_id)).all()
            assert completes == 1 and lock_now == lock + 1, (round_, completes, lock, lock_now)
            assert [tuple(r) for r in rows] == [("step1", "completed", winner), ("step2", "ready", None)], rows
        violations = check(database_url)
        assert not violations, "\n".join(violations)
        with capsys.disabled():
            print(f"\nraces on {engine.dialect.name}: {sizes.race_rounds} rounds of {sizes.racers} processes, one "
                  f"winner each; the losers' lines: {dict(losers)}")
    finally:
        engine.dispose()


def test_a_completion_racing_the_boundary_timer_that_cancels_its_task(faults, forks, database_url, tmp_path, sizes,
                                                                      capsys):
    """faults_mix's task `a` completed while `polku worker --once` fires its overdue interrupting
    boundary timer: one of them takes effect, never both, never neither. The completion won: `a`
    completed, no `late` task, the boundary timer gone. The timer won: `a` cancelled, `late` ready, and
    the completion refused with one line. Either way the other branch is untouched.

    On PostgreSQL the two deadlocked about one round in three before engine.locks gave every command
    that moves an instance one lock order (the instance's row first): the completion locked the task
    row, then the instance, then the timer row; the worker the timer row, then the instance, then the
    task row, and PostgreSQL's victim was refused "the database is busy ... try again" after a second.
    No refusal may be that any more: the loser is told what happened to the task."""
    engine = make_engine(database_url)
    wins: Counter[str] = Counter()
    try:
        for round_ in range(sizes.race_rounds):
            iid = int(faults("start", "faults_mix", "--as", "off1").stdout.split()[0])
            with engine.connect() as conn:
                tid = conn.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid, HumanTask.element_id == "a"))
            gate = tmp_path / f"gate-{round_}"
            completing = forks.spawn(["complete", tid, "--as", "off2", "--data", "{}"],
                                     cli_env(database_url, WORKER_NOW), gate)
            worker = forks.spawn(["worker", "--once", "--name", f"race{round_}"], cli_env(database_url, WORKER_NOW),
                                 gate)
            gate.touch()
            done, fired = forks.wait(completing), forks.wait(worker)
            assert fired.status == 0, fired
            assert refusal_problem(done) is None, done
            with engine.connect() as conn:
                tasks = dict(conn.execute(select(HumanTask.element_id, HumanTask.state)
                                          .where(HumanTask.instance_id == iid)).all())
                actions = Counter(conn.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == iid)))
            if done.status == 0:
                wins["completion"] += 1
                assert tasks == {"a": "completed", "b": "ready"}, (round_, tasks, done, fired)
            else:
                assert "busy" not in done.stderr, (round_, done)  # no deadlock victim (engine.locks)
                wins["timer; the completion: " + re.sub(r"[0-9a-f-]{36}", "<task>", done.stderr.strip())] += 1
                assert tasks == {"a": "cancelled", "b": "ready", "late": "ready"}, (round_, tasks, done, fired)
            assert actions["complete"] == (1 if done.status == 0 else 0), actions
        violations = check(database_url)
        assert not violations, "\n".join(violations)
        with capsys.disabled():
            print(f"\ncompletion against its boundary timer on {engine.dialect.name}: {sizes.race_rounds} rounds, "
                  f"won by {dict(wins)}")
    finally:
        engine.dispose()
