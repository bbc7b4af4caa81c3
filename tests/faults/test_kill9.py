"""kill -9 at random moments: `polku start`, `complete`, `claim` and `worker --once` processes
against one database (SQLite, or PostgreSQL with POLKU_TEST_DATABASE_URL), one to three at a time,
released together and SIGKILLed after a random delay within a command's run time. Afterwards no
instance is inconsistent (tests/faults/invariants.py), every command that said it was done (exit 0)
is in the database, the others were refused with one line, and every case can still be driven to
its end through the CLI. Small by default; `--long` for the full run (tests/faults/README.md)."""
from __future__ import annotations

import os
import random
import signal
import time

from sqlalchemy import select

from polku.engine.db import make_engine
from polku.engine.models import HumanTask, Instance
from tests.faults.conftest import OFFICIALS
from tests.faults.invariants import check
from tests.faults.support import WORKER_NOW, cli_env, drive_to_end, ready_tasks, refusal_problem

KILL_SHARE = 0.85  # of the processes of a round, how many are killed (the rest show what finishing gives)


def _command(rng: random.Random, engine, url: str, roll: float | None = None
             ) -> tuple[str, list[str], dict[str, str]]:
    """One command, picked at random (or by `roll`): (kind, arguments, environment)."""
    tasks = ready_tasks(engine)
    roll = rng.random() if roll is None else roll
    if roll < 0.4 and tasks:
        tid, _iid, assignee = rng.choice(tasks)
        return "complete", ["complete", tid, "--as", assignee or rng.choice(OFFICIALS), "--data", "{}"], cli_env(url)
    if 0.4 <= roll < 0.5 and tasks:  # a claim takes the task out of its queue (engine.work_queue)
        tid, _iid, _assignee = rng.choice(tasks)
        return "claim", ["claim", tid, "--as", rng.choice(OFFICIALS)], cli_env(url)
    if roll < 0.75:  # also a complete or claim with nothing to act on
        key = rng.choice(("four_steps", "one_timer", "faults_mix", "faults_mix"))
        return "start", ["start", key, "--as", rng.choice(OFFICIALS)], cli_env(url)
    return "worker", ["worker", "--once", "--name", "faults"], cli_env(url, WORKER_NOW)


def test_kill9_at_random_moments_leaves_every_instance_consistent(faults, forks, database_url, tmp_path, seed,
                                                                  sizes, capsys):
    rng = random.Random(seed)
    engine = make_engine(database_url)
    try:
        for key in ("four_steps", "four_steps", "one_timer", "faults_mix", "faults_mix"):
            faults("start", key, "--as", "off1")
        # How long each kind of command runs once started: the kills fall within that.
        span = max(_timed(forks, args, env) for _kind, args, env in
                   (_command(rng, engine, database_url, roll) for roll in (0.1, 0.45, 0.6, 0.9)))
        span = max(span, 0.05) * 1.3
        kills = rounds = 0
        counts: dict[str, int] = {}
        acknowledged: list[tuple[str, str]] = []  # (kind, what it named) of every command that exited 0
        while kills < sizes.kills:
            rounds += 1
            commands = [_command(rng, engine, database_url) for _ in range(rng.randint(1, 3))]
            gate = tmp_path / f"gate-{rounds}"
            pids = [forks.spawn(args, env, gate) for _kind, args, env in commands]
            delays = sorted((rng.uniform(0, span), pid) for pid in pids if rng.random() < KILL_SHARE)
            gate.touch()
            released = time.monotonic()
            for delay, pid in delays:
                time.sleep(max(0.0, released + delay - time.monotonic()))
                os.kill(pid, signal.SIGKILL)  # a child that already finished is a zombie: no effect
            for (kind, args, _env), pid in zip(commands, pids):
                outcome = forks.wait(pid)
                if outcome.killed:
                    kills += 1
                    counts[f"{kind} killed"] = counts.get(f"{kind} killed", 0) + 1
                    continue
                problem = refusal_problem(outcome)
                assert problem is None, f"seed {seed}: polku {' '.join(args)}: {problem}"
                result = "ok" if outcome.status == 0 else "refused"
                counts[f"{kind} {result}"] = counts.get(f"{kind} {result}", 0) + 1
                if outcome.status == 0 and kind != "worker":
                    acknowledged.append((kind, args[1] if kind != "start" else outcome.stdout.split()[0]))

        violations = check(database_url)
        assert not violations, f"seed {seed}: after {kills} kills:\n" + "\n".join(violations)
        with engine.connect() as conn:
            found = {"complete": set(conn.scalars(select(HumanTask.id).where(HumanTask.state == "completed"))),
                     "claim": set(conn.scalars(select(HumanTask.id).where(HumanTask.claimed_by.is_not(None)))),
                     "start": {str(i) for i in conn.scalars(select(Instance.id))}}
        lost = [(k, x) for k, x in acknowledged if x not in found[k]]
        assert not lost, f"seed {seed}: acknowledged but not in the database: {lost}"

        ended = drive_to_end(faults)
        assert {i["status"] for i in ended} == {"completed"}, f"seed {seed}: {ended}"
        violations = check(database_url)
        assert not violations, f"seed {seed}: after driving every case to its end:\n" + "\n".join(violations)
        with capsys.disabled():
            print(f"\nkill -9 on {engine.dialect.name}: {kills} kills in {rounds} rounds (seed {seed}, "
                  f"kills within {span:.2f} s of the release), {len(ended)} instances driven to their end; "
                  + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    finally:
        engine.dispose()


def _timed(forks, args: list[str], env: dict[str, str]) -> float:
    began = time.monotonic()
    outcome = forks.run(args, env)
    assert refusal_problem(outcome) is None, (args, outcome)
    return time.monotonic() - began
