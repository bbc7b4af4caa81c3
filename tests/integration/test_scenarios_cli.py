"""`polku test`: the shipped scenarios pass; a failing scenario names its step, what was expected and
what was found; a malformed file is one line and exit 2; every step kind does what it says. Each run
is in memory: no database URL is needed and no database file is made."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.engine.scenarios import Advance, Refused, ScenarioError, Start, load_scenario

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
SHIPPED = sorted((PROCESSES / "scenarios").glob("*.yaml"))

# A provider follow-up: the smallest process with a timer, a task and two ends.
HEAD = """\
name: {name}
process: provider_follow_up
now: 2026-01-05T09:00:00+00:00
actors:
  manager: {{role: manager, org: Helsingin työllisyysalue}}
  coach: {{role: coach, org: Valmennus Oy, org_kind: provider}}
steps:
  - start:
      as: manager
      data: {{provider: Valmennus Oy, methods: Coaching, municipalities: Helsinki, start_dates: non-stop,
             non_stop: true, places_at_once: 20, places_per_year: 60, target_group: Long-term unemployed}}
"""


def run(*args: str | Path, tmp_path: Path | None = None):
    """`polku test ...` as a shell runs it; the database URL points at a file that must not appear."""
    env = {"POLKU_DATABASE_URL": f"sqlite:///{tmp_path}/never.db" if tmp_path else "sqlite:///never/never.db",
           "POLKU_NOW": ""}
    result = CliRunner().invoke(main, ["test", *map(str, args)], env=env, catch_exceptions=False)
    if tmp_path is not None:
        assert not (tmp_path / "never.db").exists()
    return result


def scenario(folder: Path, name: str, steps: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(HEAD.format(name=name) + steps, encoding="utf-8")
    return path


def test_the_shipped_scenarios_pass_without_a_database(tmp_path):
    result = run(tmp_path=tmp_path)  # default: processes/scenarios
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sum(line.startswith("PASS ") for line in lines) == len(SHIPPED) >= 5
    assert lines[-1] == f"{len(SHIPPED)} scenario(s): {len(SHIPPED)} passed, 0 failed"
    # The path taken, in order: the main path of the job-coaching process, to its end event.
    assert ("  path: start tyohonvalmennus -> accept_referral -> set_goals -> weekly_review -> weekly_review -> "
            "closure -> final_statement -> review_end -> end end_closed") in lines


def test_a_failing_scenario_names_the_step_the_expectation_and_what_was_found(tmp_path):
    main_path = (PROCESSES / "scenarios" / "tyohonvalmennus_main_path.yaml").read_text(encoding="utf-8")
    wrong = main_path.replace("name: Referral, goals,", "name: Wrong task after goals,").replace(
        "  - expect: {ready: [weekly_review]}", "  - expect: {ready: [review_goals]}")
    assert wrong != main_path
    (tmp_path / "wrong.yaml").write_text(wrong, encoding="utf-8")
    result = run(tmp_path / "wrong.yaml", "--processes", PROCESSES, tmp_path=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL Wrong task after goals, two weekly reviews, closure, final statement and the official's review "
        "(wrong.yaml)",
        "  path: start tyohonvalmennus -> accept_referral -> set_goals",
        "  step 6: expected task review_goals ready; ready: weekly_review",
        "1 scenario(s): 0 passed, 1 failed",
    ]


def test_a_malformed_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "broken.yaml").write_text("name: x\nsteps: [\n", encoding="utf-8")
    result = run(tmp_path / "broken.yaml", tmp_path=tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {tmp_path / 'broken.yaml'}: not valid YAML at line ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(("steps", "message"), [
    ("  - compleet: {task: contract_active, as: manager}\n", "step 2: unknown step 'compleet' (expected start,"),
    ("  - complete: {task: contract_active}\n", "step 2: `complete` needs as"),
    ("  - complete: {task: contract_active, as: nobody}\n", "step 2: `as: nobody` is neither one of the actors"),
    ("  - advance: {by: fortnight}\n", "step 2: `by` must be an ISO 8601 duration"),
    ("  - expect: {ready: [a], soon: true}\n", "step 2: `expect` does not take soon"),
])
def test_a_step_written_wrong_names_the_file_and_the_step(tmp_path, steps, message):
    path = scenario(tmp_path, "bad", steps)
    result = run(path, "--json", tmp_path=tmp_path)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["code"] == "scenario"
    assert result.stderr.startswith(f"error: {path}: {message}"), result.stderr
    assert result.stderr.count("\n") == 1


def test_each_step_kind_passes_and_fails_as_written(tmp_path):
    """One run over a folder: a scenario that uses every step kind passes; each of the others fails at
    its step with what was expected and what was found (the JSON report)."""
    scenario(tmp_path, "a_every_kind", """\
  - expect: {ready: [contract_active], not_ready: [record_follow_up_meeting], status: running}
  - advance: {by: P3M1D}
  - expect: {ready: [Kirjaa seurantapalaveri]}
  - expect_refused:
      task: record_follow_up_meeting
      as: coach
      message: no task  # another organisation's task: not even its existence is told
  - expect_refused:
      task: record_follow_up_meeting
      as: manager
      fields: [held_on]
      data: {notes: Places used 15/20}
  - complete:
      task: record_follow_up_meeting
      as: manager
      data: {held_on: 2026-04-07, notes: Places used 15/20, actions: None}
  - advance: {to: 2026-04-08T09:00:00+00:00}
  - complete: {task: contract_active, as: manager}
  - expect: {ended_at: follow_up_end, status: completed, data: {provider: Valmennus Oy}}
""")
    scenario(tmp_path, "b_not_ready", "  - expect: {ready: [record_follow_up_meeting]}\n")
    scenario(tmp_path, "c_status", "  - expect: {status: completed}\n")
    scenario(tmp_path, "d_ended", "  - expect: {ended_at: follow_up_end}\n")
    scenario(tmp_path, "e_data", "  - expect: {data: {provider: Toinen Oy}}\n")
    scenario(tmp_path, "f_refused", "  - advance: {by: P3M1D}\n  - expect_refused:\n"
                                    "      task: record_follow_up_meeting\n      as: manager\n"
                                    "      data: {held_on: 2026-04-07, notes: n, actions: a}\n")
    scenario(tmp_path, "g_rule", "  - complete: {task: contract_active, as: coach}\n")
    scenario(tmp_path, "h_back", "  - advance: {to: 2025-01-01}\n")
    result = run(tmp_path, "--processes", PROCESSES, "--json", tmp_path=tmp_path)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    found = {s["name"]: (s["passed"], s["step"], s["message"]) for s in report["scenarios"]}
    assert found.pop("a_every_kind") == (True, None, None), report["scenarios"][0]
    assert found == {
        "b_not_ready": (False, 2, "expected task record_follow_up_meeting ready; ready: contract_active"),
        "c_status": (False, 2, "expected the instance completed; it is running (ready: contract_active)"),
        "d_ended": (False, 2, "expected the instance to end at follow_up_end; ready: contract_active"),
        "e_data": (False, 2, 'expected data provider = "Toinen Oy"; found "Valmennus Oy"'),
        "f_refused": (False, 3, "expected record_follow_up_meeting to be refused; it was completed"),
        "g_rule": (False, 2, "contract_active as coach refused: no task " + found["g_rule"][2].split("no task ")[-1]),
        "h_back": (False, 2, "cannot move the clock back from 2026-01-05T09:00:00+00:00 to 2025-01-01T00:00:00+00:00"),
    }
    assert (report["passed"], report["failed"]) == (1, 7)
    every = report["scenarios"][0]["path"]
    assert every == ["start provider_follow_up", "timer follow_up_cycle", "record_follow_up_meeting",
                     "end follow_up_recorded", "contract_active", "end follow_up_end"]


def test_the_loader_reads_dates_as_a_form_sends_them_and_bare_roles_as_actors(tmp_path):
    path = scenario(tmp_path, "loaded", "  - advance: {by: P14D}\n  - expect_refused:\n      task: t\n"
                                        "      as: official\n      data: {day: 2026-02-01}\n")
    loaded = load_scenario(path)
    start, advance, refused = (s.action for s in loaded.steps)
    assert isinstance(start, Start) and start.process == "provider_follow_up" and start.actor == "manager"
    assert isinstance(advance, Advance) and advance.by == "P14D"
    assert isinstance(refused, Refused) and refused.data == {"day": "2026-02-01"}
    assert loaded.actors["official"].role == "official" and loaded.actors["official"].org is None
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="list.yaml: a scenario is a mapping"):
        load_scenario(tmp_path / "list.yaml")


@pytest.mark.parametrize(("actor", "message"), [
    ("system: {role: manager}", "actor system cannot be added: username: must be 1–100 characters and not a "
                                "reserved name"),
    ("b" + "o" * 100 + ": {role: manager}", "actor b" + "o" * 100 + " cannot be added: username: must be 1–100"),
])
def test_an_actor_the_users_rules_refuse_is_one_line_and_exit_2(tmp_path, actor, message):
    path = tmp_path / "actors.yaml"
    path.write_text(HEAD.format(name="actors").replace("actors:\n", f"actors:\n  {actor}\n"), encoding="utf-8")
    result = run(path, "--processes", PROCESSES, tmp_path=tmp_path)
    assert result.exit_code == 2 and result.stdout == "", result.output
    assert result.stderr.startswith(f"error: {path}: {message}"), result.stderr
    assert result.stderr.count("\n") == 1
