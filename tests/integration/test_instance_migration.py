"""`polku migrate`: running instances moved from one version of their process to a newer one
(engine.migration, on SpiffWorkflow's diff_workflow/migrate_workflow). A dry run says, per instance,
whether it can move and why not; a move is audited and shows in the instance's history; an instance
that cannot move stays untouched on its version."""
from __future__ import annotations

import json
import shutil

from sqlalchemy import select

from polku.engine.models import HumanTask, Instance, Timer
from tests.conftest import REVIEW_OK, SAMPLE, task_of


def new_version(polku, tmp_path, *edits: tuple[str, str], name: str = "v", rewrite=None) -> None:
    """The sample process deployed again with `edits` (old text, new text) made to its BPMN file, and
    `rewrite` (a function of the whole text) if given."""
    copy = tmp_path / name
    shutil.copytree(SAMPLE.parent if SAMPLE.is_file() else SAMPLE, copy)
    bpmn = next(copy.glob("*.bpmn")) if not (copy / "sample_case.bpmn").exists() else copy / "sample_case.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    bpmn.write_text(rewrite(text) if rewrite else text, encoding="utf-8")
    polku("deploy", copy, "--as", "designer1")


def at_review(polku) -> int:
    return polku.json("start", "sample_case", "--as", "off1")["id"]


def at_coach_work(polku) -> int:
    iid = at_review(polku)
    polku("complete", task_of(polku, "off1", "review", iid)["id"], "--as", "off1", "--data", json.dumps(REVIEW_OK))
    return iid


NOTE_LABEL = ('label="Note"', 'label="Notes for the coach"')
END_RENAMED = ('name="Done"', 'name="Coaching done"')
# coach_work no longer waits for a coach: it becomes a script that runs on its own.
COACH_WORK_START = '<bpmn:userTask id="coach_work"'
COACH_WORK_SCRIPT = ('<bpmn:scriptTask id="coach_work" name="Coach work" scriptFormat="python">'
                     '<bpmn:incoming>flow_record_coach</bpmn:incoming><bpmn:outgoing>flow_coach_done</bpmn:outgoing>'
                     '<bpmn:script>summary = "done automatically"</bpmn:script></bpmn:scriptTask>')


def coach_work_scripted(text: str) -> str:
    start = text.index(COACH_WORK_START)
    end = text.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    return text[:start] + COACH_WORK_SCRIPT + text[end:]


def test_dry_run_says_which_can_move_and_why_not_and_changes_nothing(sample, tmp_path, db_engine):
    polku = sample
    waiting, working = at_review(polku), at_coach_work(polku)
    new_version(polku, tmp_path, NOTE_LABEL)
    with db_engine.connect() as conn:
        states = dict(conn.execute(select(Instance.id, Instance.state)).all())
    body = polku.json("migrate", "sample_case", "--dry-run", "--as", "designer1")
    assert body["to"] == 2 and body["dry_run"] is True
    verdicts = {v["instance_id"]: v for v in body["instances"]}
    assert verdicts[waiting]["movable"] is True and verdicts[waiting]["at"] == ["review"]
    assert [n["message"] for n in verdicts[waiting]["notes"]] == [
        "the element review starts again under the new version"]
    assert verdicts[working]["movable"] is False
    [blocker] = verdicts[working]["blockers"]
    assert blocker["message"].startswith("the element review it has completed changed (")
    text = polku("migrate", "sample_case", "--dry-run", "--as", "designer1").stdout
    assert f"instance {working} (version 1, running, at coach_work, remind): stays: the element review" in text
    assert text.splitlines()[-1] == "sample_case -> version 2: 2 instance(s), 1 can move, 1 cannot"
    with db_engine.connect() as conn:
        assert dict(conn.execute(select(Instance.id, Instance.state)).all()) == states
        assert set(conn.scalars(select(Instance.version))) == {1}


def test_moving_all_moves_those_that_can_and_leaves_the_rest_untouched(sample, tmp_path, db_engine):
    polku = sample
    waiting, working = at_review(polku), at_coach_work(polku)
    new_version(polku, tmp_path, NOTE_LABEL)
    with db_engine.connect() as conn:
        untouched = conn.execute(select(Instance).where(Instance.id == working)).one()
    result = polku("migrate", "sample_case", "--all", "--as", "designer1")
    assert result.stdout.splitlines()[-1] == "sample_case -> version 2: 2 instance(s), 1 moved, 1 stayed"
    with db_engine.connect() as conn:
        assert conn.execute(select(Instance).where(Instance.id == working)).one() == untouched
        assert conn.scalar(select(Instance.version).where(Instance.id == waiting)) == 2
    # The ready task keeps its row and shows the new version's form; the case goes on under version 2.
    review = task_of(polku, "off1", "review", waiting)
    assert [f["label"] for f in review["fields"] if f["id"] == "note"] == ["Notes for the coach"]
    polku("complete", review["id"], "--as", "off1", "--data", json.dumps(REVIEW_OK))
    assert [t["element_id"] for t in polku.json("show", waiting)["ready_tasks"]] == ["coach_work"]
    history = polku.json("show", waiting)["history"]
    moved = [h for h in history if h["action"] == "migrate"]
    assert [(h["actor"], h["details"]["from_version"], h["details"]["to_version"]) for h in moved] == [
        ("designer1", 1, 2)]
    assert moved[0]["details"]["restarted"] == ["review"]


def test_a_waiting_timer_keeps_its_due_time(sample, tmp_path, db_engine):
    polku = sample
    working = at_coach_work(polku)
    with db_engine.connect() as conn:
        due = conn.execute(select(Timer.id, Timer.due_at).where(Timer.instance_id == working)).all()
    new_version(polku, tmp_path, END_RENAMED)
    assert "1 moved" in polku("migrate", "sample_case", "--instance", str(working), "--as", "designer1").stdout
    with db_engine.connect() as conn:
        assert conn.execute(select(Timer.id, Timer.due_at).where(Timer.instance_id == working)).all() == due
        assert conn.scalar(select(Instance.version).where(Instance.id == working)) == 2
        assert conn.scalar(select(HumanTask.element_id).where(HumanTask.instance_id == working,
                                                              HumanTask.state == "ready")) == "coach_work"
    assert "fired 1" in polku("worker", "--once", now="2026-01-08T09:00:01+00:00").stdout
    assert polku.json("show", working)["status"] == "completed"


def test_an_instance_standing_on_a_removed_element_stays_and_naming_it_exits_1(sample, tmp_path, db_engine):
    polku = sample
    working = at_coach_work(polku)
    new_version(polku, tmp_path, ('id="coach_work"', 'id="coach_work_v2"'),
                ('>coach_work<', '>coach_work_v2<'), ('"coach_work"', '"coach_work_v2"'))
    result = polku("migrate", "sample_case", "--instance", str(working), "--as", "designer1", ok=False)
    assert result.exit_code == 1
    assert "stays: the element coach_work it stands on was removed" in result.stdout
    with db_engine.connect() as conn:
        assert conn.scalar(select(Instance.version).where(Instance.id == working)) == 1
    assert not [h for h in polku.json("show", working)["history"] if h["action"] == "migrate"]


def test_refusals_are_one_line(sample, tmp_path):
    polku = sample
    iid = at_review(polku)
    polku.refused("migrate", "sample_case", "--all", "--as", "off1")  # designers and admins only
    polku.refused("migrate", "nothing", "--all", "--as", "designer1")
    polku.refused("migrate", "sample_case", "--all", "--to", "9", "--as", "designer1")
    older = polku("migrate", "sample_case", "--instance", str(iid), "--to", "1", "--as", "designer1", ok=False)
    assert older.exit_code == 1 and "stays: it changed meanwhile: instance" in older.stdout  # not newer
    assert "is already on version 1" in older.stdout
    usage = polku("migrate", "sample_case", ok=False)
    assert usage.exit_code == 2 and "--dry-run" in usage.stderr
    polku("terminate", str(iid), "--as", "boss", "--reason", "duplicate")
    new_version(polku, tmp_path, END_RENAMED)
    ended = polku("migrate", "sample_case", "--instance", str(iid), "--as", "designer1", ok=False)
    assert ended.exit_code == 1 and f"instance {iid}: stays: it changed meanwhile: instance {iid} has ended" \
        in ended.stdout
    assert polku.json("migrate", "sample_case", "--all", "--as", "designer1")["instances"] == []


def test_an_instance_in_error_moves_to_the_fixed_version_and_its_retry_runs_the_new_script(sample, tmp_path):
    polku = sample
    iid = polku.json("start", "script_case", "--as", "off1", "--data", '{"divisor": 0}')["id"]
    assert polku.json("show", iid)["status"] == "error"
    fixed = tmp_path / "fixed.bpmn"
    fixed.write_text((SAMPLE / "script_error.bpmn").read_text(encoding="utf-8").replace(
        "result = 10 / divisor", "result = 10 / divisor if divisor else 0"), encoding="utf-8")
    polku("deploy", fixed, "--as", "designer1")
    [verdict] = polku.json("migrate", "script_case", "--dry-run", "--as", "designer1")["instances"]
    assert (verdict["status"], verdict["at"], verdict["movable"]) == ("error", ["compute"], True)
    polku("migrate", "script_case", "--instance", str(iid), "--as", "designer1")
    shown = polku.json("show", iid)
    assert (shown["status"], shown["version"], shown["error"]["element_id"]) == ("error", 2, "compute")
    polku("retry", str(iid), "--as", "boss", "--reason", "fixed in version 2")
    shown = polku.json("show", iid)
    assert shown["status"] == "running" and shown["data"]["result"] == 0
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["after"]


def test_an_element_that_now_runs_on_its_own_runs_when_a_running_instance_moves(sample, tmp_path, db_engine):
    polku = sample
    working, held = at_coach_work(polku), at_coach_work(polku)
    polku("suspend", str(held), "--as", "boss", "--reason", "waiting for papers")
    new_version(polku, tmp_path, rewrite=coach_work_scripted)
    verdicts = {v["instance_id"]: v for v in polku.json("migrate", "sample_case", "--dry-run", "--as",
                                                         "designer1")["instances"]}
    assert verdicts[working]["movable"]
    assert [b["message"] for b in verdicts[held]["blockers"]] == [
        "the element coach_work it stands on would run on its own, which an instance suspended or in error "
        "cannot: resume or retry it first"]
    polku("migrate", "sample_case", "--all", "--as", "designer1")
    shown = polku.json("show", working)
    assert (shown["status"], shown["version"], shown["data"]["summary"]) == ("completed", 2, "done automatically")
    assert shown["ready_tasks"] == [] and shown["timers"] == []
    with db_engine.connect() as conn:
        assert conn.scalar(select(Instance.version).where(Instance.id == held)) == 1


def test_a_version_whose_expressions_fail_on_the_instance_leaves_it_untouched(sample, tmp_path, db_engine):
    polku = sample
    waiting = at_review(polku)
    with db_engine.connect() as conn:
        untouched = conn.execute(select(Instance).where(Instance.id == waiting)).one()
    new_version(polku, tmp_path, ('camunda:priority="50"', 'camunda:priority="${urgency_level * 10}"'))
    [verdict] = polku.json("migrate", "sample_case", "--dry-run", "--as", "designer1")["instances"]
    assert not verdict["movable"] and verdict["blockers"][0]["params"]["element"] == "review"
    result = polku("migrate", "sample_case", "--instance", str(waiting), "--as", "designer1", ok=False)
    assert result.exit_code == 1 and "stays: the new version fails at review:" in result.stdout
    assert "urgency_level" in result.stdout
    with db_engine.connect() as conn:
        assert conn.execute(select(Instance).where(Instance.id == waiting)).one() == untouched
    assert not [h for h in polku.json("show", waiting)["history"] if h["action"] == "migrate"]
