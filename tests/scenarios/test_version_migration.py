"""A job-coaching case in its coaching period (inside the coaching_period subprocess) moved to a new
version of the process that renames the weekly review and changes a label of its form: the subprocess
moves with it, the review's task shows the new name and label, its end-of-week timer keeps its due
time, and the case goes on. The reviews already done (the loop's earlier rounds, done under the old
form) do not hold it back: the next round runs under the new version."""
from __future__ import annotations

import shutil

from sqlalchemy import select

from polku.engine.models import Instance, Timer
from tests.scenarios.conftest import PROCESSES, at


def test_a_case_in_its_coaching_period_moves_to_the_new_version(refer, tmp_path, db_engine):
    case = refer(now=at("2026-01-05"))
    case.accept(now=at("2026-01-12"))
    case.set_goals(now=at("2026-01-12"))
    case.week("2026-01-12", now=at("2026-01-16"))
    assert "weekly_review" in case.ready()
    with db_engine.connect() as conn:
        timers = conn.execute(select(Timer.element_id, Timer.due_at).where(Timer.instance_id == case.id)).all()
    copy = tmp_path / "processes"
    shutil.copytree(PROCESSES, copy, ignore=shutil.ignore_patterns("__pycache__", "scenarios"))
    bpmn = copy / "tyohonvalmennus.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="Viikkokatsaus"', 'name="Viikon katsaus"')
                    .replace('label="Viikon tapaamiset"', 'label="Tämän viikon tapaamiset"'),
                    encoding="utf-8")
    polku = case.polku
    polku("deploy", copy, "--as", "designer1", now=at("2026-01-17"))
    [verdict] = polku.json("migrate", "tyohonvalmennus", "--dry-run", "--as", "designer1",
                           now=at("2026-01-17"))["instances"]
    assert verdict["movable"] and "weekly_review" in verdict["at"]
    assert [n["params"]["element"] for n in verdict["notes"]] == ["weekly_review"]
    polku("migrate", "tyohonvalmennus", "--all", "--as", "designer1", now=at("2026-01-17"))
    with db_engine.connect() as conn:
        assert conn.scalar(select(Instance.version).where(Instance.id == case.id)) == 2
        assert conn.execute(select(Timer.element_id, Timer.due_at)
                            .where(Timer.instance_id == case.id)).all() == timers
    task = case.task("weekly_review", "coach1")
    assert task["name"] == "Viikon katsaus"
    assert [f["label"] for f in task["fields"] if f["id"] == "meetings"] == ["Tämän viikon tapaamiset"]
    case.week("2026-01-19", now=at("2026-01-23"))
    assert "weekly_review" in case.ready() and case.status == "running"
