"""The invariant checker the fault tests rely on finds what it is there to find: clean after ordinary
commands (start, complete, a timer fired), and each kind of damage reported on the instance it hit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update

from polku.engine.db import make_engine
from polku.engine.models import AuditEvent, HumanTask, Instance, Timer
from tests.conftest import T0
from tests.faults.invariants import check
from tests.faults.support import WORKER_NOW


def test_the_checker_is_clean_after_commands_and_names_each_damage(faults, database_url):
    ids = [int(faults("start", key, "--as", "off1").stdout.split()[0])
           for key in ("four_steps", "one_timer", "four_steps", "four_steps", "four_steps")]
    first = faults.json("tasks", "--instance", ids[0])[0]["id"]
    faults("complete", first, "--as", "off2", "--data", '{"note1": "x", "count1": 3}')
    assert check(database_url) == []
    faults("worker", "--once", now=WORKER_NOW)  # fires the timer: its instance completes
    assert check(database_url) == []

    a, done, b, c, d = ids
    at = datetime.fromisoformat(T0)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(Instance).where(Instance.id == a).values(open_tasks=Instance.open_tasks + 1))
        conn.execute(update(HumanTask).where(HumanTask.instance_id == b).values(state="cancelled"))
        conn.execute(update(Instance).where(Instance.id == c).values(lock_version=Instance.lock_version + 1))
        conn.execute(update(Instance).where(Instance.id == d).values(state=b"not a state"))
        conn.execute(insert(Timer).values(id="0" * 36, instance_id=done, element_id="wait", kind="duration",
                                          due_at=at))
        conn.execute(insert(AuditEvent).values(at=at, actor="x", action="show", details={}, chain="u:x", seq=1,
                                               prev_hash="0" * 64, hash="f" * 64))
    engine.dispose()
    found = "\n".join(check(database_url))
    assert f"instance {a} (running): open_tasks 2, but 1 ready task rows" in found, found
    assert f"instance {b} (running): open_tasks 1, but 0 ready task rows" in found, found
    assert f"instance {b} (running): ready task rows {{}} != the workflow's ready user tasks" in found, found
    assert "for a task not ready and unassigned in it" in found, found  # b's queue row stayed
    assert f"instance {c} (running): lock_version" in found, found
    assert f"instance {d} (running): state does not load" in found, found
    assert f"instance {done} (completed): ready task rows [] and timer rows ['{'0' * 36}'] remain" in found, found
    assert "audit: edited in chain u:x at row 1" in found and "audit: head in chain u:x" in found, found
