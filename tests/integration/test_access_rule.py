"""The access rules and their SQL twins agree: over a matrix of actors × tasks (roles,
organisations, assignee, unclaimed, manager, admin, outsider), on a real database, the rows a
rule's SQL condition selects are exactly those its Python predicate allows, and so are the
answers of the queries users reach (the task list, the inbox and its scopes, the case list)."""
from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import select

from polku.domain.casefile import CASE_PROCESS, CASE_READERS
from polku.domain.caselist import case_list
from polku.engine import inbox, queries, users, work_queue
from polku.engine.access import (
    ASSIGNEE,
    CANDIDATE,
    MANAGES_INSTANCE,
    MAY_SEE_TASK,
    MAY_TAKE_OVER,
    MAY_WORK,
    OPEN_TO_CANDIDATE,
    SEES_INSTANCE,
    Facts,
)
from polku.engine.models import (
    HumanTask,
    Instance,
    InstanceOrganisation,
    ProcessDefinition,
    TaskCandidateGroup,
)

AREA1, AREA2, PROVIDER = "Area 1", "Area 2", "Provider"
# username, roles, organisation (kind)
CAST = [
    ("off1", ["official"], AREA1),
    ("off2", ["official"], AREA1),
    ("coach", ["coach"], PROVIDER),
    ("both", ["official", "coach"], AREA2),
    ("boss1", ["manager"], AREA1),
    ("boss2", ["manager"], AREA2),
    ("root", ["admin"], None),
    ("designer", ["designer"], AREA1),
    ("outsider", ["official"], AREA2),
    ("homeless", ["official"], None),
]
ASSIGNEES = [None, "off1", "coach"]
GROUPS = [(), ("official",), ("coach",), ("official", "coach")]
ORGS = [(), (AREA1,), (AREA1, PROVIDER), (AREA2,)]
RULES = {"ASSIGNEE": ASSIGNEE, "CANDIDATE": CANDIDATE, "OPEN_TO_CANDIDATE": OPEN_TO_CANDIDATE,
         "MAY_WORK": MAY_WORK, "MAY_TAKE_OVER": MAY_TAKE_OVER, "MAY_SEE_TASK": MAY_SEE_TASK,
         "SEES_INSTANCE": SEES_INSTANCE,
         "MANAGES_INSTANCE": MANAGES_INSTANCE, "CASE_READERS": CASE_READERS}


@pytest.fixture
def matrix(uow_factory):
    """Every combination of assignee, candidate groups and instance organisations: one ready
    task on its own running job-coaching instance each. Returns {task id: (instance id, Facts)}."""
    with uow_factory() as uow:
        for username, roles, org in CAST:
            kind = "provider" if org == PROVIDER else "area"
            users.add_user(uow, "system", username, roles, org, kind)
        org_ids = {org: users.ensure_organisation(uow.session, org).id for org in (AREA1, AREA2, PROVIDER)}
        defn = ProcessDefinition(key=CASE_PROCESS, version=1, hash="0" * 64, sources={}, spec="{}",
                                 extensions={}, labels={}, deployed_at=uow.now, deployed_by="system")
        uow.session.add(defn)
        uow.session.flush()
        tasks = {}
        for assignee, groups, orgs in itertools.product(ASSIGNEES, GROUPS, ORGS):
            inst = Instance(definition_id=defn.id, process_key=CASE_PROCESS, version=1, status="running",
                            state=b"", started_at=uow.now, started_by="system", updated_at=uow.now)
            uow.session.add(inst)
            uow.session.flush()
            uow.session.add_all(InstanceOrganisation(instance_id=inst.id, organisation_id=org_ids[o]) for o in orgs)
            task = HumanTask(id=str(uuid.uuid4()), instance_id=inst.id, element_id="step", name="Step",
                             assignee=assignee, candidate_groups=list(groups), fields=[], state="ready",
                             created_at=uow.now)
            uow.session.add(task)
            uow.session.flush()
            uow.session.add_all(TaskCandidateGroup(task_id=task.id, group_name=g) for g in groups)
            tasks[task.id] = (inst.id, Facts(assignee, frozenset(groups), frozenset(org_ids[o] for o in orgs)))
        work_queue.fill(uow.session)  # written here as the engine would have: the inbox starts from it
        uow.commit()
    return tasks


def _actors(uow):
    return [users.load_actor(uow, username) for username, _roles, _org in CAST] + [users.SYSTEM]


def test_the_matrix_covers_every_kind_of_answer(matrix, uow_factory):
    """Guards the test itself: each rule both allows and refuses somebody somewhere."""
    with uow_factory(write=False) as uow:
        for name, rule in RULES.items():
            answers = {rule.allows(actor, facts) for actor in _actors(uow) for _iid, facts in matrix.values()}
            assert answers == {True, False}, name


@pytest.mark.parametrize("name", list(RULES))
def test_each_rules_sql_selects_exactly_what_its_predicate_allows(matrix, uow_factory, name):
    rule = RULES[name]
    with uow_factory(write=False) as uow:
        for actor in _actors(uow):
            by_sql = set(uow.session.scalars(select(HumanTask.id).where(rule.where(actor))))
            by_python = {tid for tid, (_iid, facts) in matrix.items() if rule.allows(actor, facts)}
            assert by_sql == by_python, (name, actor.username)


def test_the_task_list_and_the_inbox_show_what_the_commands_would_accept(matrix, uow_factory):
    with uow_factory(write=False) as uow:
        for actor in _actors(uow):
            if actor is users.SYSTEM:
                continue  # `tasks_for` without an actor is the operator's view, tested elsewhere
            expected = {tid for tid, (_iid, facts) in matrix.items() if MAY_WORK.allows(actor, facts)}
            assert {t["id"] for t in queries.tasks_for(uow, actor.username)} == expected, actor.username
            for scope, rule in (("all", MAY_WORK), ("mine", ASSIGNEE), ("groups", OPEN_TO_CANDIDATE)):
                found = inbox.inbox(uow, actor.username, scope=scope, per_page=len(matrix))
                wanted = {tid for tid, (_iid, facts) in matrix.items() if rule.allows(actor, facts)}
                assert {t["id"] for t in found["items"]} == wanted and found["total"] == len(wanted), \
                    (scope, actor.username)


def test_the_case_list_shows_the_cases_a_case_file_would_open(matrix, uow_factory):
    with uow_factory() as uow:
        for actor in _actors(uow):
            if actor is users.SYSTEM:
                continue
            expected = {iid for iid, facts in matrix.values() if CASE_READERS.allows(actor, facts)}
            assert {c["id"] for c in case_list(uow, actor.username)} == expected, actor.username
