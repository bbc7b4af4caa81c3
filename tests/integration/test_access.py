"""Who sees and acts on which task: organisations, candidate groups, claims, managers'
assignments, and organisations a process adds to its instance. All through the CLI."""
from __future__ import annotations

import json

import pytest

from tests.conftest import REVIEW_OK, task_of

REVIEW_DATA = json.dumps(REVIEW_OK)


@pytest.fixture
def case(sample):
    """A started sample instance: (polku, instance id, review task id)."""
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    return sample, iid, task_of(sample, "off1", "review", iid)["id"]


def _ids(polku, actor):
    return [t["id"] for t in polku.json("tasks", "--as", actor)]


# --- organisations and groups ----------------------------------------------------------

def test_officials_of_the_instances_organisation_see_the_review_task(case):
    polku, _iid, tid = case
    assert _ids(polku, "off1") == [tid]
    assert _ids(polku, "off2") == [tid]


@pytest.mark.parametrize("actor", ["outsider", "coach1"])
def test_users_outside_the_org_or_group_see_no_tasks(case, actor):
    polku, _iid, _tid = case
    assert polku.json("tasks", "--as", actor) == []


@pytest.mark.parametrize("actor", ["outsider", "coach1"])
@pytest.mark.parametrize("command", [["claim"], ["unclaim"], ["complete", "--data", REVIEW_DATA]])
def test_users_outside_the_org_or_group_get_a_bare_no_task(case, actor, command):
    polku, iid, tid = case
    result = polku.refused(command[0], tid, "--as", actor, *command[1:])
    assert result.stderr == f"error: no task {tid}\n"  # nothing about who, which org or which group
    assert polku.json("show", iid)["ready_tasks"][0]["assignee"] is None


def test_no_task_for_an_unknown_id_reads_the_same_as_a_hidden_one(case):
    polku, _iid, _tid = case
    missing = "00000000-0000-0000-0000-000000000000"
    assert polku.refused("claim", missing, "--as", "off1").stderr == f"error: no task {missing}\n"


@pytest.mark.parametrize("actor", ["outsider", "coach1"])
def test_a_claimed_task_does_not_reveal_its_claimer_to_outsiders(case, actor):
    polku, _iid, tid = case
    polku("claim", tid, "--as", "off1")
    for command in (["claim"], ["complete", "--data", REVIEW_DATA]):
        result = polku.refused(command[0], tid, "--as", actor, *command[1:])
        assert result.stderr == f"error: no task {tid}\n"


def test_a_manager_of_another_org_gets_no_task_on_assign(case):
    polku, _iid, tid = case
    polku("user", "add", "boss2", "--role", "manager", "--org", "Area 2")
    assert polku.refused("assign", tid, "--as", "boss2", "--to", "outsider").stderr == f"error: no task {tid}\n"


def test_show_is_refused_to_another_organisation(case):
    polku, iid, _tid = case
    result = polku.refused("show", iid, "--as", "outsider")
    assert result.stderr == f"error: no instance {iid}\n"
    assert polku.json("show", iid, "--as", "off2")["id"] == iid
    assert polku.json("show", iid, "--as", "coach1")["id"] == iid  # same org, other role: may look


# --- claims -----------------------------------------------------------------------------

def test_a_claimed_task_leaves_the_others_inboxes(case):
    polku, iid, tid = case
    polku("claim", tid, "--as", "off1")
    assert polku.json("tasks", "--as", "off2") == []
    mine = task_of(polku, "off1", "review", iid)
    assert mine["id"] == tid and mine["assignee"] == "off1"


def test_another_official_cannot_complete_or_claim_a_claimed_task(case):
    polku, iid, tid = case
    polku("claim", tid, "--as", "off1")
    refused = polku.refused("complete", tid, "--as", "off2", "--data", REVIEW_DATA)
    assert "claimed by off1" in refused.stderr
    refused = polku.refused("claim", tid, "--as", "off2", "--json")
    assert refused.json["code"] == "conflict" and "claimed by off1" in refused.json["error"]
    polku("complete", tid, "--as", "off1", "--data", REVIEW_DATA)
    assert [t["element_id"] for t in polku.json("show", iid)["ready_tasks"]] == ["coach_work"]


def test_claiming_twice_is_refused(case):
    polku, _iid, tid = case
    polku("claim", tid, "--as", "off1")
    assert "already yours" in polku.refused("claim", tid, "--as", "off1").stderr


def test_unclaim_returns_the_task_to_the_group(case):
    polku, _iid, tid = case
    polku("claim", tid, "--as", "off1")
    polku("unclaim", tid, "--as", "off1")
    assert _ids(polku, "off2") == [tid]
    assert polku.json("tasks", "--as", "off2")[0]["assignee"] is None
    polku("complete", tid, "--as", "off2", "--data", REVIEW_DATA)


def test_unclaiming_an_unclaimed_task_is_refused(case):
    polku, _iid, tid = case
    assert "not claimed" in polku.refused("unclaim", tid, "--as", "off1").stderr


def test_only_the_claimer_or_a_manager_may_unclaim(case):
    polku, _iid, tid = case
    polku("claim", tid, "--as", "off1")
    refused = polku.refused("unclaim", tid, "--as", "off2", "--json")
    assert refused.json["code"] == "forbidden"
    assert polku.json("tasks", "--as", "off2") == []
    polku("unclaim", tid, "--as", "boss")
    assert _ids(polku, "off2") == [tid]


# --- assignment by managers ---------------------------------------------------------------

def test_a_manager_assigns_the_task_to_an_official(case):
    polku, iid, tid = case
    assert polku.json("assign", tid, "--as", "boss", "--to", "off2") == {"id": tid, "assignee": "off2"}
    assert task_of(polku, "off2", "review", iid)["assignee"] == "off2"
    assert polku.json("tasks", "--as", "off1") == []
    assert "claimed by off2" in polku.refused("complete", tid, "--as", "off1", "--data", REVIEW_DATA).stderr
    polku("complete", tid, "--as", "off2", "--data", REVIEW_DATA)


def test_a_manager_may_reassign_a_claimed_task(case):
    polku, iid, tid = case
    polku("claim", tid, "--as", "off1")
    polku("assign", tid, "--as", "boss", "--to", "off2")
    assert task_of(polku, "off2", "review", iid)["assignee"] == "off2"
    assert polku.json("tasks", "--as", "off1") == []


def test_a_non_manager_may_not_assign(case):
    polku, iid, tid = case
    refused = polku.refused("assign", tid, "--as", "off1", "--to", "off2", "--json")
    assert refused.json["code"] == "forbidden"
    assert polku.json("show", iid)["ready_tasks"][0]["assignee"] is None


@pytest.mark.parametrize("target", ["coach1", "outsider", "boss"])
def test_assigning_to_a_user_outside_the_candidates_is_refused(case, target):
    polku, iid, tid = case
    refused = polku.refused("assign", tid, "--as", "boss", "--to", target, "--json")
    assert refused.json["code"] == "forbidden"
    assert polku.json("show", iid)["ready_tasks"][0]["assignee"] is None
    assert polku.json("tasks", "--as", target) == []


def test_assigning_to_an_unknown_user_is_refused(case):
    polku, _iid, tid = case
    assert "no user" in polku.refused("assign", tid, "--as", "boss", "--to", "ghost").stderr


# --- organisations added by the process ------------------------------------------------------

@pytest.fixture
def providers(sample, make_user):
    make_user("coach_x", "coach", org="Provider X", kind="provider")
    make_user("coach_y", "coach", org="Provider Y", kind="provider")
    return sample


def _approved_case(polku):
    iid = polku.json("start", "sample_case", "--as", "off1", "--data", '{"case_organisations": ["Provider X"]}')["id"]
    polku("complete", task_of(polku, "off1", "review", iid)["id"], "--as", "off1", "--data", REVIEW_DATA)
    return iid


def test_an_added_provider_coach_sees_and_completes_the_coach_task(providers):
    polku = providers
    iid = _approved_case(polku)
    work = task_of(polku, "coach_x", "coach_work", iid)
    assert polku.json("show", iid, "--as", "coach_x")["id"] == iid
    polku("complete", work["id"], "--as", "coach_x", "--data", '{"summary": "done"}')
    assert polku.json("show", iid)["status"] == "completed"


def test_the_starters_org_stays_on_the_instance(providers):
    polku = providers
    iid = _approved_case(polku)
    assert task_of(polku, "coach1", "coach_work", iid)["element_id"] == "coach_work"
    assert polku.json("show", iid, "--as", "off2")["id"] == iid


def test_a_coach_of_another_provider_does_not_see_the_coach_task(providers):
    polku = providers
    iid = _approved_case(polku)
    work = task_of(polku, "coach_x", "coach_work", iid)
    assert polku.json("tasks", "--as", "coach_y") == []
    assert polku.refused("complete", work["id"], "--as", "coach_y", "--data", '{"summary": "x"}').stderr == \
        f"error: no task {work['id']}\n"
    assert polku.refused("show", iid, "--as", "coach_y").stderr == f"error: no instance {iid}\n"


def test_a_provider_coach_does_not_see_the_officials_review_task(providers):
    polku = providers
    iid = polku.json("start", "sample_case", "--as", "off1", "--data", '{"case_organisations": ["Provider X"]}')["id"]
    assert polku.json("tasks", "--as", "coach_x") == []
    assert task_of(polku, "off2", "review", iid)["element_id"] == "review"
