"""The work queues (engine.work_queue) follow each task through what users and the worker do to it:
queued in each organisation of its instance for each candidate group while it is ready and
unclaimed, out of them when claimed, assigned, completed, cancelled by a timer or by termination,
back when given back, queued in an organisation the process adds later, gone with a purged case.
After every command the table is exactly what its definition gives from the tasks; and on a seeded
database the inbox lists what it listed before the queues, when it tested every ready task against
the access rule, in every scope, step, overdue and sort."""
from __future__ import annotations

import json
from itertools import product

import pytest
from sqlalchemy import select

from polku.engine import inbox, queries
from polku.engine.models import (
    HumanTask,
    Instance,
    InstanceOrganisation,
    Organisation,
    TaskCandidateGroup,
    User,
    UserRole,
    WorkQueueEntry,
)
from polku.engine.users import load_actor
from tests.conftest import REVIEW_OK, T0, task_of
from tests.integration.test_seed import seeded  # noqa: F401  (the 300-case template)

REVIEW = json.dumps(REVIEW_OK)


def _queues(db_engine) -> set[tuple[str, str, str]]:
    """(organisation, group, task id) of every queue row, checked against the definition first."""
    with db_engine.connect() as conn:
        rows = conn.execute(select(Organisation.name, WorkQueueEntry.group_name, WorkQueueEntry.task_id)
                            .join(Organisation, Organisation.id == WorkQueueEntry.organisation_id)).all()
        wanted = conn.execute(
            select(Organisation.name, TaskCandidateGroup.group_name, HumanTask.id)
            .join(TaskCandidateGroup, TaskCandidateGroup.task_id == HumanTask.id)
            .join(InstanceOrganisation, InstanceOrganisation.instance_id == HumanTask.instance_id)
            .join(Organisation, Organisation.id == InstanceOrganisation.organisation_id)
            .where(HumanTask.state == "ready", HumanTask.assignee.is_(None))).all()
    assert sorted(rows) == sorted(wanted)
    return {tuple(r) for r in rows}


def test_a_task_is_queued_while_it_waits_for_its_group(sample, db_engine):
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    review = task_of(polku, "off1", "review", iid)["id"]
    assert _queues(db_engine) == {("Area 1", "official", review)}
    polku("claim", review, "--as", "off1")
    assert _queues(db_engine) == set()
    polku("unclaim", review, "--as", "off1")
    assert _queues(db_engine) == {("Area 1", "official", review)}
    polku("assign", review, "--to", "off2", "--as", "boss")
    assert _queues(db_engine) == set()
    polku("take-over", review, "--as", "off1")
    assert _queues(db_engine) == set()
    polku("complete", review, "--as", "off1", "--data", REVIEW)
    work = task_of(polku, "coach1", "coach_work", iid)["id"]
    assert _queues(db_engine) == {("Area 1", "coach", work)}
    polku("terminate", iid, "--as", "boss", "--reason", "moved away")
    assert _queues(db_engine) == set()


def test_a_task_cancelled_by_its_timer_leaves_the_queue(sample, db_engine):
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    polku("complete", task_of(polku, "off1", "review", iid)["id"], "--as", "off1", "--data", REVIEW)
    assert {g for _o, g, _t in _queues(db_engine)} == {"coach"}
    polku("worker", "--once", now="2026-01-09T09:00:00+00:00")  # the coach's three days are over
    assert polku.json("show", iid)["status"] == "completed"
    assert _queues(db_engine) == set()


def test_an_organisation_the_process_adds_gets_the_waiting_tasks(sample, make_user, db_engine):
    make_user("coach_x", "coach", org="Provider X", kind="provider")
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1", "--data", '{"case_organisations": ["Provider X"]}')["id"]
    review = task_of(polku, "off1", "review", iid)["id"]  # made before the provider was added
    assert _queues(db_engine) == {("Area 1", "official", review), ("Provider X", "official", review)}
    polku("complete", review, "--as", "off1", "--data", REVIEW)
    work = task_of(polku, "coach_x", "coach_work", iid)["id"]
    assert _queues(db_engine) == {("Area 1", "coach", work), ("Provider X", "coach", work)}


def test_a_purged_case_leaves_nothing_queued_and_others_stay(sample, db_engine):
    polku = sample
    gone = polku.json("start", "sample_case", "--as", "off1")["id"]
    polku("terminate", gone, "--as", "boss", "--reason", "moved away")
    kept = polku.json("start", "sample_case", "--as", "off1")["id"]
    before = _queues(db_engine)
    assert {t for _o, _g, t in before} == {task_of(polku, "off1", "review", kept)["id"]}
    assert polku.json("purge", "--json", now="2030-02-01T09:00:00+00:00")["due"][0]["cases"] == [gone]
    assert _queues(db_engine) == before


# --- the inbox as it was -----------------------------------------------------------------------

def _as_before(uow, username: str, scope: str, step: str | None, overdue: bool, sort: str) -> list[str]:
    """The inbox's query before the queues: every ready task tested against the scope's rule."""
    user = load_actor(uow, username)
    rule = inbox.SCOPES.get(scope, (inbox.MAY_WORK,))[0]
    query = (select(HumanTask.id).join(Instance, Instance.id == HumanTask.instance_id)
             .where(HumanTask.state == "ready", Instance.status == "running", rule.where(user))
             .order_by(*inbox.SORTS[sort](), HumanTask.id))
    if step:
        query = query.where(HumanTask.element_id == step)
    if overdue:
        query = query.where(HumanTask.due_at < uow.now)
    return list(uow.session.scalars(query))


@pytest.mark.parametrize("cap", [500, 2])  # 2: past the cap, the page is read by walking the ready tasks
def test_the_inbox_lists_what_it_listed_before_the_queues(seeded, uow_factory, monkeypatch, cap):  # noqa: F811
    monkeypatch.setattr(queries, "COUNT_CAP", cap)
    with uow_factory(now=T0, write=False) as uow:
        staff = uow.session.execute(
            select(User.username, UserRole.role).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(["official", "coach", "manager"])).order_by(User.id)).all()
        people = list({role: username for username, role in staff}.values())  # one of each role
        people += ["virkailija1", "valmentaja1", "esihenkilo"]
        steps = [None, *sorted(set(uow.session.scalars(select(HumanTask.element_id)
                                                       .where(HumanTask.state == "ready"))))]
        listed = {}
        for username, scope, step, overdue, sort in product(people, ["all", "mine", "groups"], steps,
                                                            [False, True], list(inbox.SORTS)):
            wanted = _as_before(uow, username, scope, step, overdue, sort)
            found = inbox.inbox(uow, username, scope=scope, step=step, overdue=overdue, sort=sort, per_page=3)
            assert [t["id"] for t in found["items"]] == wanted[:3], (username, scope, step, overdue, sort)
            assert found["total"] == min(len(wanted), max(cap, 3)), (username, scope, step, overdue, sort)
            listed.setdefault(username, len(wanted))  # the first: all of the user's tasks
        assert min(listed.values()) > 0 and listed["valmentaja1"] > 6, listed  # something to list, to page
    with uow_factory(now=T0, write=False) as uow:
        second = inbox.inbox(uow, "valmentaja1", page=2, per_page=3)
        assert [t["id"] for t in second["items"]] == _as_before(uow, "valmentaja1", "all", None, False, "due")[3:6]


@pytest.mark.usefixtures("seeded")
def test_the_seed_queues_the_copies_tasks(db_engine):
    assert len(_queues(db_engine)) > 100


def test_the_step_filter_reads_its_probes_in_parts_alike(seeded, uow_factory, monkeypatch):  # noqa: F811
    """The step filter's probes, one a step, go in statements of at most PROBES_PER_STATEMENT parts
    (SQLite refuses a compound SELECT of more than 500): in parts of one they offer the same steps."""
    with uow_factory(now=T0, write=False) as uow:
        whole = {u: inbox.ready_steps(uow, load_actor(uow, u)) for u in ("virkailija1", "valmentaja1", "esihenkilo")}
    monkeypatch.setattr(inbox, "PROBES_PER_STATEMENT", 1)
    with uow_factory(now=T0, write=False) as uow:
        parts = {u: inbox.ready_steps(uow, load_actor(uow, u)) for u in whole}
    assert parts == whole and all(whole.values()), whole
