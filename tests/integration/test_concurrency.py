"""Two people acting on the same task at the same moment: exactly one wins, the other is
refused with a Conflict that says someone else got there first, and the instance is left
as if only the winner had acted. Threads (engine level, one UnitOfWork each) and separate
OS processes (the real CLI). Runs on SQLite and, with POLKU_TEST_DATABASE_URL, PostgreSQL."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from polku.engine import instances, tasks
from polku.engine.errors import Conflict
from polku.engine.models import AuditEvent, HumanTask, Instance, OutboxMessage
from tests.conftest import T0
from tests.racing import race

ROUNDS = 10
TAKEN = re.compile(r"already handled|claimed or handled by someone else|changed by someone else|already claimed by")
ACTORS = ("off1", "off2")
# Each official submits a different amount, so the instance's data shows whose submission won.
SUBMISSIONS = {a: {"decision": "approve", "amount": n, "start_date": "2026-01-10"} for a, n in zip(ACTORS, (11, 22))}


def _new_review(uow_factory):
    """A fresh sample instance waiting at `review`: (instance id, review task id, lock_version)."""
    with uow_factory() as uow:
        inst = instances.start(uow, uow_factory.runtime, "off1", "sample_case")
        uow.commit()
    with uow_factory(write=False) as uow:
        tid = uow.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == inst.id))
        lock = uow.session.scalar(select(Instance.lock_version).where(Instance.id == inst.id))
    return inst.id, tid, lock


def _split(results: dict):
    """(winner, loser exception) after checking one succeeded and the other got a Conflict."""
    winners = [n for n, r in results.items() if not isinstance(r, Exception)]
    losers = [n for n, r in results.items() if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    error = results[losers[0]]
    assert isinstance(error, Conflict), repr(error)
    assert TAKEN.search(str(error)), str(error)
    return winners[0], error


def _assert_completed_once(db_engine, polku, iid, tid, lock_before, winner):
    with db_engine.connect() as conn:
        task = conn.execute(select(HumanTask.state, HumanTask.completed_by).where(HumanTask.id == tid)).one()
        coach = conn.execute(select(HumanTask.state).where(
            HumanTask.instance_id == iid, HumanTask.element_id == "coach_work")).scalars().all()
        completes = conn.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == iid, AuditEvent.action == "complete")).scalar_one()
        lock = conn.execute(select(Instance.lock_version).where(Instance.id == iid)).scalar_one()
        outbox = conn.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.instance_id == iid)).scalar_one()
    assert tuple(task) == ("completed", winner)
    assert coach == ["ready"]
    assert completes == 1
    assert lock == lock_before + 1
    assert outbox == 1  # the service task ran in the winner's step only
    shown = polku.json("show", iid)
    assert shown["status"] == "running"
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["coach_work"]
    assert shown["data"]["amount"] == SUBMISSIONS[winner]["amount"]
    assert [(h["action"], h["actor"]) for h in shown["history"]] == [("start", "off1"), ("complete", winner)]


# --- threads ------------------------------------------------------------------------------

def test_two_threads_completing_the_same_task_one_wins(sample, uow_factory, db_engine):
    wins = set()
    for _ in range(ROUNDS):
        iid, tid, lock = _new_review(uow_factory)

        def complete(actor, tid=tid):
            with uow_factory() as uow:
                status = tasks.complete(uow, uow_factory.runtime, actor, tid, SUBMISSIONS[actor])
                uow.commit()
            return status

        results = race([(a, lambda a=a: complete(a)) for a in ACTORS])
        winner, _error = _split(results)
        assert results[winner] == "running"
        _assert_completed_once(db_engine, sample, iid, tid, lock, winner)
        wins.add(winner)
    assert wins <= set(ACTORS)


def test_two_threads_claiming_the_same_task_one_wins(sample, uow_factory, db_engine):
    for _ in range(ROUNDS):
        iid, tid, lock = _new_review(uow_factory)

        def claim(actor, tid=tid):
            with uow_factory() as uow:
                tasks.claim(uow, actor, tid)
                uow.commit()
            return actor

        winner, _error = _split(race([(a, lambda a=a: claim(a)) for a in ACTORS]))
        with db_engine.connect() as conn:
            row = conn.execute(select(HumanTask.state, HumanTask.assignee, HumanTask.claimed_by)
                               .where(HumanTask.id == tid)).one()
            claims = conn.execute(select(AuditEvent.actor).where(
                AuditEvent.instance_id == iid, AuditEvent.action == "claim")).scalars().all()
            lock_now = conn.execute(select(Instance.lock_version).where(Instance.id == iid)).scalar_one()
        assert tuple(row) == ("ready", winner, winner)
        assert claims == [winner]
        assert lock_now == lock  # a claim does not touch the instance
        # The loser really is locked out now; the winner can complete.
        loser = next(a for a in ACTORS if a != winner)
        assert "claimed by" in sample.refused(
            "complete", tid, "--as", loser, "--data", '{"decision": "reject", "start_date": "2026-01-10"}').stderr
        sample("complete", tid, "--as", winner, "--data", '{"decision": "reject", "start_date": "2026-01-10"}')
        assert sample.json("show", iid)["status"] == "completed"


# --- OS processes -------------------------------------------------------------------------

# Runs the real `polku` CLI in its own interpreter, but only after a start signal: the slow
# imports happen first, so both processes reach the database together.
GATED_CLI = """
import os, sys, time
from polku.cli import main
ready, go = sys.argv[1], sys.argv[2]
open(ready, "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit(99)
    time.sleep(0.001)
main(sys.argv[3:], prog_name="polku")
"""


def _run_together(tmp_path, tag, commands, env):
    """Start one process per argument list, release them at once; [(exit code, stdout, stderr)]."""
    go = tmp_path / f"go-{tag}"
    readies = [tmp_path / f"ready-{tag}-{i}" for i in range(len(commands))]
    procs = [
        subprocess.Popen([sys.executable, "-c", GATED_CLI, str(r), str(go), *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for r, args in zip(readies, commands)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in readies):
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            assert time.monotonic() < deadline, "the CLI processes did not start"
            time.sleep(0.005)
        go.touch()
        outcomes = [(p.returncode, *p.communicate(timeout=60)) for p in procs]
        return [(p.returncode, out, err) for p, (_rc, out, err) in zip(procs, outcomes)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


@pytest.mark.parametrize("round_", range(3))
def test_two_cli_processes_completing_the_same_task_one_wins(sample, uow_factory, db_engine, database_url,
                                                             tmp_path, round_):
    iid, tid, lock = _new_review(uow_factory)
    env = {**os.environ, "POLKU_DATABASE_URL": database_url, "POLKU_NOW": T0}
    commands = [["complete", tid, "--as", a,
                 "--data", f'{{"decision": "approve", "amount": {SUBMISSIONS[a]["amount"]}, '
                           '"start_date": "2026-01-10"}']
                for a in ACTORS]
    outcomes = dict(zip(ACTORS, _run_together(tmp_path, round_, commands, env)))

    codes = sorted(rc for rc, _out, _err in outcomes.values())
    assert codes == [0, 1], outcomes
    winner = next(a for a, (rc, _o, _e) in outcomes.items() if rc == 0)
    loser = next(a for a in ACTORS if a != winner)
    assert outcomes[winner][1] == f"completed {tid} (instance running)\n", outcomes[winner]
    _rc, out, err = outcomes[loser]
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err  # one readable line, no traceback
    assert TAKEN.search(err), err
    _assert_completed_once(db_engine, sample, iid, tid, lock, winner)


@pytest.mark.parametrize("meanwhile, refusal", [
    ({"assignee": "off2"}, "is claimed by off2"),
    ({"state": "completed", "completed_by": "off2"}, "was already handled by off2"),
])
def test_a_change_to_the_task_after_its_read_is_what_the_completion_refuses_on(
        sample, uow_factory, db_engine, monkeypatch, meanwhile, refusal):
    """The task's compare-and-set checks the row as it is now, not as the completion's read saw it:
    a claim or another's completion that came between (on PostgreSQL a completion's read that waited
    on the instance's lock sees the task row as it was) refuses it, saying what happened."""
    from sqlalchemy import update

    iid, tid, lock = _new_review(uow_factory)
    loading = tasks.load_workflow

    def load_then_someone_acts(uow, runtime, inst):
        found = loading(uow, runtime, inst)
        uow.execute(update(HumanTask).where(HumanTask.id == tid).values(**meanwhile))
        return found

    monkeypatch.setattr(tasks, "load_workflow", load_then_someone_acts)
    with uow_factory() as uow, pytest.raises(Conflict, match=refusal):
        tasks.complete(uow, uow_factory.runtime, "off1", tid, SUBMISSIONS["off1"])
    with db_engine.connect() as conn:
        assert conn.scalar(select(Instance.lock_version).where(Instance.id == iid)) == lock


def test_a_manager_terminating_while_a_user_completes_never_deadlocks(sample, uow_factory, db_engine):
    """Terminate and complete on one instance at once take its row lock first, both (engine.locks):
    whichever comes second waits, never deadlocks. Terminate wins either way; the completion either
    came first (then its step stands in the history) or is refused as the task is now."""
    for _ in range(ROUNDS):
        iid, tid, _lock = _new_review(uow_factory)

        def complete(tid=tid):
            with uow_factory() as uow:
                status = tasks.complete(uow, uow_factory.runtime, "off1", tid, SUBMISSIONS["off1"])
                uow.commit()
            return status

        def terminate(iid=iid):
            with uow_factory() as uow:
                instances.terminate(uow, uow_factory.runtime, "boss", iid, "moved away")
                uow.commit()
            return "terminated"

        results = race([("complete", complete), ("terminate", terminate)])
        assert results["terminate"] == "terminated", repr(results["terminate"])
        if isinstance(results["complete"], Exception):
            assert isinstance(results["complete"], Conflict), repr(results["complete"])
            assert "busy" not in str(results["complete"]), str(results["complete"])
        with db_engine.connect() as conn:
            status = conn.scalar(select(Instance.status).where(Instance.id == iid))
            actions = conn.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == iid)
                                   .order_by(AuditEvent.id)).all()
        assert status == "terminated"
        completed = not isinstance(results["complete"], Exception)
        assert actions == ["start", *(["complete"] if completed else []), "terminate"], actions
