"""What the fault tests share: the commands' environment, reading the database from outside, judging
a command's outcome, and driving every case to its end through the CLI."""
from __future__ import annotations

import os
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from polku.engine.models import HumanTask, Instance
from tests.conftest import T0, Polku

from .forkserver import Outcome

# The kill phase runs at T0 (starts and completions) and T0 + 2 min (workers: a one_timer instance's
# timer is due a minute after its start). Driving to the end runs hours later: past every timer and
# every lease a killed worker left on its claimed timers (engine.timer_claims.LEASE).
WORKER_NOW = (datetime.fromisoformat(T0) + timedelta(minutes=2)).isoformat()
LATER = (datetime.fromisoformat(T0) + timedelta(hours=3)).isoformat()


def seed_from_env() -> int:
    """POLKU_FAULTS_SEED replays a failed run; otherwise a fresh seed (reported when a test fails)."""
    given = os.environ.get("POLKU_FAULTS_SEED")
    return int(given) if given else random.SystemRandom().randrange(1, 2**31)


def cli_env(url: str, now: str = T0) -> dict[str, str]:
    return {"POLKU_DATABASE_URL": url, "POLKU_NOW": now}


def ready_tasks(engine: Engine) -> list[tuple[str, int, str | None]]:
    """(task id, instance id, assignee) of every ready task of a running instance."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(HumanTask.id, HumanTask.instance_id, HumanTask.assignee)
            .join(Instance, Instance.id == HumanTask.instance_id)
            .where(HumanTask.state == "ready", Instance.status == "running").order_by(HumanTask.id))]


def refusal_problem(outcome: Outcome) -> str | None:
    """What is wrong with a command that was not killed: None if it succeeded, or was refused with
    one readable line (exit 1, `error: ...`) and no traceback."""
    if outcome.status == 0:
        return None
    if outcome.status != 1:
        return f"exit {outcome.status}: {outcome.stderr[-2000:]!r}"
    if not outcome.stderr.startswith("error: ") or outcome.stderr.count("\n") != 1 or "Traceback" in outcome.stderr:
        return f"exit 1 without one readable line: {outcome.stderr[-2000:]!r}"
    return None


def drive_to_end(polku: Polku, actor: str = "off1", rounds: int = 12) -> list[dict]:
    """Fire every timer, complete every ready task (as its assignee, if claimed), again until nothing
    runs; the instances then."""
    for _ in range(rounds):
        polku("worker", "--once", now=LATER)
        tasks = polku.json("tasks", now=LATER)
        for task in tasks:
            polku("complete", task["id"], "--as", task["assignee"] or actor, "--data", "{}", now=LATER)
        if not tasks and not polku.json("instances", "--status", "running", now=LATER):
            break
    return polku.json("instances", now=LATER)
