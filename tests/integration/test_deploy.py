"""`polku deploy` through the CLI: versions, refusals that name file, line and element, all or
nothing bundles, permissions, usage errors and the audit trail."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from polku.engine.models import AuditEvent
from tests.conftest import BAD, FIXTURES, SAMPLE, T0, task_of

DEPLOY = FIXTURES / "bpmn" / "deploy"
SAMPLE_KEYS = ["cycle_case", "sample_case", "script_case"]
NAMES = {"cycle_case": "Cycle case", "sample_case": "Sample case", "script_case": "Script case"}


def deploy_audit_count(db_engine) -> int:
    with db_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "deploy"))


def versions(polku) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for row in polku.json("definitions"):
        out.setdefault(row["key"], []).append(row["version"])
    return out


@pytest.fixture
def sample_copy(tmp_path):
    """A copy of the sample folder a test may edit."""
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder


def edit(path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert old.encode() in data
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))


# --- deploying the sample bundle ----------------------------------------------------------

def test_first_deploy_prints_one_new_line_per_process(polku):
    out = polku("deploy", SAMPLE).stdout
    assert out.splitlines() == [f"{key}\t1\tnew" for key in SAMPLE_KEYS]


def test_deploying_the_same_bundle_again_is_unchanged(polku):
    polku("deploy", SAMPLE)
    assert polku("deploy", SAMPLE).stdout.splitlines() == [f"{key}\t1\tunchanged" for key in SAMPLE_KEYS]
    assert polku.json("deploy", SAMPLE) == [{"key": key, "version": 1, "status": "unchanged", "name": NAMES[key]}
                                            for key in SAMPLE_KEYS]
    assert versions(polku) == {key: [1] for key in SAMPLE_KEYS}


def test_deploy_json_lists_key_version_status_and_name(polku):
    assert polku.json("deploy", SAMPLE) == [{"key": key, "version": 1, "status": "new", "name": NAMES[key]}
                                            for key in SAMPLE_KEYS]


def test_definitions_json_lists_every_deployed_version(polku):
    polku("deploy", SAMPLE)
    rows = polku.json("definitions")
    assert [(r["key"], r["version"]) for r in rows] == [(key, 1) for key in SAMPLE_KEYS]
    for row in rows:
        assert set(row) == {"key", "version", "hash", "deployed_at", "name"}
        assert len(row["hash"]) == 64 and row["deployed_at"] == T0
    assert {r["key"]: r["name"] for r in rows}["sample_case"] == "Sample case"


# --- new versions ---------------------------------------------------------------------------

def test_changed_bpmn_makes_a_new_version_and_running_instances_keep_theirs(sample, sample_copy):
    polku = sample
    old_iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    edit(sample_copy / "sample_case.bpmn", 'name="Review referral"', 'name="Review the referral"')

    assert [{k: r[k] for k in ("key", "version", "status")} for r in
            polku.json("deploy", sample_copy, "--as", "designer1")] == [
        {"key": "cycle_case", "version": 1, "status": "unchanged"},
        {"key": "sample_case", "version": 2, "status": "new"},
        {"key": "script_case", "version": 1, "status": "unchanged"},
    ]
    assert versions(polku) == {"cycle_case": [1], "sample_case": [1, 2], "script_case": [1]}

    new_iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    assert polku.json("show", new_iid)["version"] == 2
    assert task_of(polku, "off1", "review", new_iid)["name"] == "Review the referral"

    # The instance started before the deploy still runs version 1, to the end.
    assert polku.json("show", old_iid)["version"] == 1
    review = task_of(polku, "off1", "review", old_iid)
    assert review["name"] == "Review referral"
    polku("complete", review["id"], "--as", "off1",
          "--data", '{"decision": "approve", "amount": 70, "start_date": "2026-01-10"}')
    polku("complete", task_of(polku, "coach1", "coach_work", old_iid)["id"], "--as", "coach1",
          "--data", '{"summary": "ok"}')
    shown = polku.json("show", old_iid)
    assert (shown["version"], shown["status"], shown["data"]["category"]) == (1, "completed", "large")


def test_changing_only_the_dmn_makes_a_new_version_of_the_process_using_it(polku, sample_copy):
    polku("deploy", sample_copy)
    edit(sample_copy / "classify_amount.dmn", "&lt; 50", "&lt; 60")
    edit(sample_copy / "classify_amount.dmn", "&gt;= 50", "&gt;= 60")
    statuses = {r["key"]: (r["version"], r["status"]) for r in polku.json("deploy", sample_copy)}
    assert statuses["sample_case"] == (2, "new")
    assert versions(polku)["sample_case"] == [1, 2]
    # Processes that reference no decision keep their version.
    assert statuses["cycle_case"] == statuses["script_case"] == (1, "unchanged")


def test_a_process_deployed_without_the_unrelated_dmn_is_unchanged(polku):
    polku("deploy", SAMPLE)
    statuses = {r["key"]: r["status"] for r in polku.json("deploy", SAMPLE / "script_error.bpmn")}
    assert statuses == {"script_case": "unchanged"}


# --- refused bundles: where the problem is, and nothing deployed ------------------------

BAD_FILES = [  # (file, element id or None, line)
    ("malformed.bpmn", None, 15),
    ("xsd_invalid.bpmn", None, 11),
    ("unsupported.bpmn", "unsupported_gw", 7),
    ("no_start.bpmn", "no_start_case", 3),
    ("not_executable.bpmn", "not_executable_case", 3),
    ("dangling_flow.bpmn", "flow_nowhere", 12),
    ("missing_dmn.bpmn", "rule_task", 7),
    ("bad_timer.bpmn", "bad_timer_event", 17),
    ("bad_condition.bpmn", "bad_flow", 20),
    ("unknown_service.bpmn", "svc", 7),
]


def where(file, element, line) -> str:
    """How DeployProblem writes a location: `file:LINE [element]`."""
    return f"{file}:{line}" + (f" [{element}]" if element else "")


def assert_refused_at(polku, paths, file, element, line, message_part=None):
    result = polku.refused("deploy", *paths)
    assert where(file, element, line) in result.stderr
    assert result.stderr.rstrip().endswith("nothing was deployed")
    if message_part:
        assert message_part in result.stderr
    as_json = polku("deploy", *paths, "--json", ok=False)
    assert as_json.exit_code == 1
    body = as_json.json
    assert body["code"] == "deploy"
    problems = [(p["file"], p["element_id"], p["line"]) for p in body["problems"]]
    assert (file, element, line) in problems, problems
    return body


@pytest.mark.parametrize("file,element,line", BAD_FILES, ids=[f for f, _, _ in BAD_FILES])
def test_bad_file_is_refused_naming_file_line_and_element(polku, file, element, line):
    body = assert_refused_at(polku, [BAD / file], file, element, line)
    assert {p["file"] for p in body["problems"]} == {file}
    assert all(p["message"] for p in body["problems"])
    assert polku.json("definitions") == []


@pytest.mark.parametrize("file,element,line", BAD_FILES, ids=[f for f, _, _ in BAD_FILES])
def test_bad_file_in_a_bundle_keeps_the_good_processes_out_too(polku, sample_copy, file, element, line):
    polku("deploy", SAMPLE)
    before = polku.json("definitions")
    # Alone the edited copy would be a new sample_case version; with the bad file, nothing is.
    edit(sample_copy / "sample_case.bpmn", 'name="Review referral"', 'name="Review it"')
    assert_refused_at(polku, [sample_copy, BAD / file], file, element, line)
    assert polku.json("definitions") == before
    polku.refused("deploy", BAD / file, SAMPLE)
    assert polku.json("definitions") == before


def test_bad_file_with_a_fresh_good_folder_deploys_nothing(polku):
    polku.refused("deploy", SAMPLE, BAD / "no_start.bpmn")
    assert polku.json("definitions") == []


def test_problems_in_several_files_are_all_reported(polku):
    body = polku("deploy", BAD / "no_start.bpmn", BAD / "unknown_service.bpmn", "--json", ok=False).json
    assert [(p["file"], p["element_id"]) for p in body["problems"]] == [
        ("no_start.bpmn", "no_start_case"), ("no_start.bpmn", "task"), ("unknown_service.bpmn", "svc")]
    assert "(and 2 more)" in body["error"]


# --- Python, not FEEL; the sandbox; timers; form field types -------------------------

SAMPLE_BPMN = SAMPLE / "sample_case.bpmn"


def test_dmn_input_entry_in_feel_range_syntax_is_refused(polku):
    assert_refused_at(polku, [SAMPLE_BPMN, DEPLOY / "feel_range.dmn"], "feel_range.dmn", "rule_feel", 20,
                      "DMN inputEntry '[1..2]' is not a Python expression")


def test_dmn_output_entry_in_unquoted_text_is_refused(polku):
    assert_refused_at(polku, [SAMPLE_BPMN, DEPLOY / "feel_output.dmn"], "feel_output.dmn", "rule_words", 23,
                      "DMN outputEntry 'very large' is not a Python expression")


def test_form_field_of_an_unregistered_type_is_refused(polku):
    assert_refused_at(polku, [DEPLOY / "unknown_field_type.bpmn"], "unknown_field_type.bpmn", "set_goals", 7,
                      "field 'goals': unknown type 'wish_list'")


def test_script_that_imports_a_module_is_refused(polku):
    assert_refused_at(polku, [DEPLOY / "script_import.bpmn"], "script_import.bpmn", "import_os", 10,
                      "script is not allowed")


def test_condition_that_calls_dunder_import_is_refused(polku):
    result = assert_refused_at(polku, [DEPLOY / "condition_import.bpmn"], "condition_import.bpmn", "sneaky_flow", 18,
                               "condition is not allowed")
    assert "__import__" in result["error"]


def test_timer_with_an_invalid_iso_duration_is_refused(polku):
    assert_refused_at(polku, [DEPLOY / "timer_bad_duration.bpmn"], "timer_bad_duration.bpmn", "wait_event", 11,
                      "timeDuration 'P1X' is not a valid ISO 8601 value")
    assert polku.json("definitions") == []


# --- who may deploy -----------------------------------------------------------------

@pytest.mark.parametrize("roles", [("official",), ("coach", "manager")])
def test_users_without_designer_or_admin_role_may_not_deploy(polku, make_user, db_engine, roles):
    make_user("plain", *roles)
    result = polku.refused("deploy", SAMPLE, "--as", "plain")
    assert "designer or admin" in result.stderr
    assert polku.json("definitions") == []
    assert deploy_audit_count(db_engine) == 0


@pytest.mark.parametrize("role", ["designer", "admin"])
def test_designers_and_admins_may_deploy(polku, make_user, role):
    make_user("maker", role)
    assert polku.json("deploy", SAMPLE, "--as", "maker")[0]["status"] == "new"


def test_default_actor_is_system_and_may_deploy(polku, db_engine):
    polku("deploy", SAMPLE)
    with db_engine.connect() as conn:
        assert conn.scalars(select(AuditEvent.actor).where(AuditEvent.action == "deploy")).all() == ["system"]


def test_unknown_actor_may_not_deploy(polku):
    assert "nobody" in polku.refused("deploy", SAMPLE, "--as", "nobody").stderr
    assert polku.json("definitions") == []


# --- paths and usage errors ---------------------------------------------------------

def test_nonexistent_path_is_refused_in_one_line(polku, tmp_path):
    result = polku.refused("deploy", tmp_path / "nope.bpmn")
    assert "nope.bpmn" in result.stderr and "no such file or folder" in result.stderr


def test_empty_folder_is_refused(polku, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a model")
    assert "no .bpmn or .dmn files" in polku.refused("deploy", tmp_path / "empty").stderr


@pytest.mark.parametrize("args,mentions", [
    (["start"], "KEY"),
    (["start", "x", "--as", "u", "--data", "{bad"], "JSON"),
    (["complete", "t1", "--as", "u", "--data", "[1,"], "JSON"),
    (["deploy", "--no-such-option"], "--no-such-option"),
])
def test_usage_errors_exit_2(polku, args, mentions):
    result = polku(*args, ok=False)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert mentions in result.stderr


# --- audit trail --------------------------------------------------------------------

def test_each_successful_deploy_writes_exactly_one_audit_row(polku, db_engine):
    polku("deploy", SAMPLE)
    assert deploy_audit_count(db_engine) == 1
    polku("deploy", SAMPLE)  # unchanged is still a deploy
    assert deploy_audit_count(db_engine) == 2
    with db_engine.connect() as conn:
        details = conn.scalars(select(AuditEvent.details).where(AuditEvent.action == "deploy")
                               .order_by(AuditEvent.id)).all()
    assert details[0]["files"] == ["classify_amount.dmn", "cycle_timer.bpmn", "sample_case.bpmn", "script_error.bpmn"]
    assert [p["status"] for p in details[1]["processes"]] == ["unchanged"] * 3


@pytest.mark.parametrize("paths", [
    [BAD / "no_start.bpmn"], [SAMPLE, BAD / "malformed.bpmn"], [DEPLOY / "script_import.bpmn"],
])
def test_refused_deploy_writes_no_audit_row(polku, db_engine, paths):
    polku.refused("deploy", *paths)
    assert deploy_audit_count(db_engine) == 0


def test_a_string_field_without_maxlength_is_refused(polku):
    """Issue 9, finding 7: every text field is bounded; deploy names the element and its line."""
    body = assert_refused_at(polku, [DEPLOY / "text_without_maxlength.bpmn"], "text_without_maxlength.bpmn",
                             "set_goals", 7, "field 'summary': a string field needs a maxlength constraint")
    assert len(body["problems"]) == 1
