"""Finding 5: model code cannot hang the service. A script, a gateway condition and a DMN cell
that loop are stopped within the time budget and put the instance in `error` naming the
element; an allocation of 3 GB is refused before it starts. Nothing the stopped code did is
written, and a retry meets the same budget (the model has to be fixed)."""
from __future__ import annotations

import json
import resource
import time

import pytest

from tests.conftest import FIXTURES, task_of

BUDGET = FIXTURES / "bpmn" / "budget"


@pytest.fixture
def budgeted(sample):
    sample("deploy", BUDGET / "budget_case.bpmn", BUDGET / "budget_spin.dmn", "--as", "designer1")
    return sample


def _complete_first(polku, mode):
    iid = polku.json("start", "budget_case", "--as", "off1", "--data", json.dumps({"mode": mode}))["id"]
    task = task_of(polku, "off1", "first", instance_id=iid)
    began = time.monotonic()
    status = polku.json("complete", task["id"], "--as", "off1")["instance_status"]
    return iid, status, time.monotonic() - began


OVER_TIME = "model code ran longer than its time budget of 1 s"
OVER_MEMORY = "refused: repeating a sequence this many times would exceed the memory budget of 256 MB"


@pytest.mark.parametrize("mode, element, says, unwritten", [
    ("loop", "spin", OVER_TIME, "n"),
    ("condition", "route", OVER_TIME, "count"),
    ("dmn", "classify", OVER_TIME, "count"),
    ("allocate", "spin", OVER_MEMORY, "big"),
])
def test_model_code_over_budget_puts_the_instance_in_error(budgeted, mode, element, says, unwritten):
    polku = budgeted
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    iid, status, took = _complete_first(polku, mode)
    assert status == "error"
    assert took < 5, f"the step took {took:.1f} s"
    shown = polku.json("show", iid)
    assert shown["status"] == "error" and shown["error"]["element_id"] == element, shown["error"]
    assert says in shown["error"]["message"], shown["error"]
    # Nothing half-written: what the stopped code set is not in the data, no later task exists.
    assert unwritten not in shown["data"] and shown["ready_tasks"] == []
    if mode == "allocate":  # ru_maxrss is in KiB on Linux: the 3 GB were never allocated
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100 * 1024


def test_a_retry_meets_the_same_budget(budgeted):
    polku = budgeted
    iid, status, _took = _complete_first(polku, "loop")
    assert status == "error"
    began = time.monotonic()
    assert polku.json("retry", iid, "--as", "boss", "--reason", "try again")["status"] == "error"
    assert time.monotonic() - began < 5
    assert "time budget" in polku.json("show", iid)["error"]["message"]


def test_code_within_budget_runs_on(budgeted):
    polku = budgeted
    iid, status, _took = _complete_first(polku, "plain")
    assert status == "running"
    shown = polku.json("show", iid)
    assert shown["data"]["n"] == 0 and [t["element_id"] for t in shown["ready_tasks"]] == ["after"]


def test_the_budget_is_configurable(budgeted, monkeypatch):
    """POLKU_MODEL_SECONDS sets the time budget of the runtime an entry point builds."""
    from polku.wiring import build_runtime

    monkeypatch.setenv("POLKU_MODEL_SECONDS", "0.2")
    monkeypatch.setenv("POLKU_MODEL_MEMORY_MB", "64")
    budget = build_runtime().budget
    assert (budget.seconds, budget.memory_bytes) == (0.2, 64 * 1024 * 1024)
