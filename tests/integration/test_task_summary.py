"""The open tasks' count and next due time kept on the instance row (engine.task_summary) follow
the tasks through what users, managers and the worker do: a task made, claimed, given back,
completed, moved to another due day, cancelled by its timer or by termination, and the copies the
seed makes. After every command each instance's values are what their definition gives from its
ready tasks. The lists that read them are tested through their pages (tests/web)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select

from polku.engine.models import HumanTask, Instance
from tests.conftest import REVIEW_OK, task_of
from tests.integration.test_seed import seeded  # noqa: F401  (the 300-case template)

REVIEW = json.dumps(REVIEW_OK)


def _summaries(db_engine) -> dict[int, tuple[int, datetime | None]]:
    """(open tasks, next due) of every instance, checked against the ready tasks first."""
    with db_engine.connect() as conn:
        kept = {r.id: (r.open_tasks, r.next_due_at)
                for r in conn.execute(select(Instance.id, Instance.open_tasks, Instance.next_due_at))}
        ready = {r.instance_id: (r.n, r.due) for r in conn.execute(
            select(HumanTask.instance_id, func.count().label("n"), func.min(HumanTask.due_at).label("due"))
            .where(HumanTask.state == "ready").group_by(HumanTask.instance_id))}
    assert kept == {i: ready.get(i, (0, None)) for i in kept}
    return kept


def test_the_values_follow_each_command(sample, db_engine):
    polku = sample
    iid = int(polku.json("start", "sample_case", "--as", "off1")["id"])
    review = task_of(polku, "off1", "review", iid)
    count, due = _summaries(db_engine)[iid]
    assert count == 1 and due == datetime.fromisoformat(review["due_at"])  # P2D from the start
    polku("claim", review["id"], "--as", "off1")
    assert _summaries(db_engine)[iid] == (count, due)
    polku("unclaim", review["id"], "--as", "off1")
    polku("set-due", review["id"], "--due", "2026-01-20", "--as", "boss", "--reason", "client ill")
    assert _summaries(db_engine)[iid] == (1, datetime(2026, 1, 20, 21, 59, 59, tzinfo=timezone.utc))
    polku("complete", review["id"], "--as", "off1", "--data", REVIEW)
    work = task_of(polku, "coach1", "coach_work", iid)
    assert _summaries(db_engine)[iid][0] == 1
    polku("complete", work["id"], "--as", "coach1", "--data", '{"summary": "ok"}')  # the last task: the end
    assert polku.json("show", iid)["status"] == "completed"
    assert _summaries(db_engine)[iid] == (0, None)


def test_termination_ends_the_count(sample, db_engine):
    polku = sample
    iid = int(polku.json("start", "sample_case", "--as", "off1")["id"])
    assert _summaries(db_engine)[iid][0] == 1
    polku("terminate", iid, "--as", "boss", "--reason", "moved away")
    assert _summaries(db_engine)[iid] == (0, None)


def test_a_task_cancelled_by_its_timer_is_no_longer_counted(sample, db_engine):
    polku = sample
    iid = int(polku.json("start", "sample_case", "--as", "off1")["id"])
    polku("complete", task_of(polku, "off1", "review", iid)["id"], "--as", "off1", "--data", REVIEW)
    assert _summaries(db_engine)[iid][0] == 1
    polku("worker", "--once", now="2026-01-09T09:00:00+00:00")  # the coach's three days are over
    assert polku.json("show", iid)["status"] == "completed"
    assert _summaries(db_engine)[iid] == (0, None)


def test_a_refused_due_date_changes_nothing(sample, db_engine):
    polku = sample
    iid = int(polku.json("start", "sample_case", "--as", "off1")["id"])
    before = _summaries(db_engine)[iid]
    result = polku("set-due", task_of(polku, "off1", "review", iid)["id"], "--due", "2025-12-01", "--as", "boss",
                   "--reason", "typo", ok=False)
    assert result.exit_code == 1
    assert _summaries(db_engine)[iid] == before


def test_the_seeds_copies_carry_their_tasks_values(seeded, db_engine):  # noqa: F811
    kept = _summaries(db_engine)
    assert sum(1 for count, _due in kept.values() if count) > 30
