"""A job-coaching case in its coaching period (inside the coaching_period subprocess) moved to a new
version of the process that renames the weekly review: the subprocess moves with it, the review's
task shows the new name, its end-of-week timer keeps its due time, and the case goes on."""
from __future__ import annotations

import shutil

from sqlalchemy import select

from polku.engine.models import Instance, Timer
from tests.scenarios.conftest import PROCESSES, at


def test_a_case_in_its_coaching_period_moves_to_the_new_version(refer, tmp_path, db_engine):
    case = refer(now=at("2026-01-05"))
    case.accept(now=at("2026-01-12"))
    case.set_goals(now=at("2026-01-12"))
    assert "weekly_review" in case.ready()
    with db_engine.connect() as conn:
        timers = conn.execute(select(Timer.element_id, Timer.due_at).where(Timer.instance_id == case.id)).all()
    copy = tmp_path / "processes"
    shutil.copytree(PROCESSES, copy, ignore=shutil.ignore_patterns("__pycache__", "scenarios"))
    bpmn = copy / "tyohonvalmennus.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="Viikkokatsaus"', 'name="Viikon katsaus"'),
                    encoding="utf-8")
    polku = case.polku
    polku("deploy", copy, "--as", "designer1", now=at("2026-01-13"))
    [verdict] = polku.json("migrate", "tyohonvalmennus", "--dry-run", "--as", "designer1")["instances"]
    assert verdict["movable"] and "weekly_review" in verdict["at"]
    assert [n["params"]["element"] for n in verdict["notes"]] == ["weekly_review"]
    polku("migrate", "tyohonvalmennus", "--all", "--as", "designer1", now=at("2026-01-13"))
    with db_engine.connect() as conn:
        assert conn.scalar(select(Instance.version).where(Instance.id == case.id)) == 2
        assert conn.execute(select(Timer.element_id, Timer.due_at)
                            .where(Timer.instance_id == case.id)).all() == timers
    assert case.task("weekly_review", "coach1")["name"] == "Viikon katsaus"
    case.week("2026-01-12", now=at("2026-01-16"))
    assert "weekly_review" in case.ready() and case.status == "running"
