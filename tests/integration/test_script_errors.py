"""Model code that fails or misbehaves inside a running process: sandbox escapes are refused
at deploy when they are written literally and at run time when only the data reaches them;
the instance goes to `error` with a message that says why, a manager's retry with corrected
data carries it on, and an unbounded loop stops at the engine's guard instead of passing
for a completed instance."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from polku.engine.runtime import MAX_TASK_DEPTH
from tests.conftest import FIXTURES, task_of

RUNTIME = FIXTURES / "bpmn" / "runtime"
SANDBOX_RUNTIME = RUNTIME / "sandbox_runtime.bpmn"
SCRIPT_LOOP = RUNTIME / "script_loop.bpmn"


def _start(polku, key, data, actor="off1"):
    return polku.json("start", key, "--as", actor, "--data", json.dumps(data))["id"]


def _with_script(tmp_path: Path, script: str) -> Path:
    """sandbox_runtime.bpmn with its one script replaced by `script`."""
    source = SANDBOX_RUNTIME.read_text()
    body, count = re.subn(r"<bpmn:script>.*?</bpmn:script>", lambda _m: f"<bpmn:script>{escape(script)}</bpmn:script>",
                          source, flags=re.S)
    assert count == 1
    path = tmp_path / "escape.bpmn"
    path.write_text(body)
    return path


# --- deploy time: literal escapes never get stored ------------------------------------------

@pytest.mark.parametrize("script, says", [
    ("x = ().__class__.__base__.__subclasses__()", "access to '__class__' (dunder attributes are not allowed)"),
    ("m = __import__('os')", "name '__import__' is not available"),
    ("import os", "import statements are not allowed"),
    ("from os import path", "import statements are not allowed"),
    ("x = len.__self__", "access to '__self__'"),
    ("x = eval('1')", "'eval' is not available"),
])
def test_deploy_refuses_literal_sandbox_escapes(sample, tmp_path, script, says):
    polku = sample
    before = polku.json("definitions")
    refused = polku.refused("deploy", _with_script(tmp_path, script), "--as", "designer1")
    message = refused.stderr
    assert "escape.bpmn:" in message and "[inspect]" in message, message
    assert "script is not allowed: forbidden:" in message and says in message, message
    assert message.rstrip().endswith("nothing was deployed"), message
    assert polku.json("definitions") == before


@pytest.mark.parametrize("script", ["x = open('/etc/passwd').read()", "g = getattr(len, 'x')"])
def test_names_outside_the_whitelist_compile_at_deploy(sample, tmp_path, script):
    """`open`/`getattr` are plain names to the compiler; they are refused when they run."""
    polku = sample
    assert polku.json("deploy", _with_script(tmp_path, script), "--as", "designer1")[0]["status"] == "new"


# --- run time: what only the data reaches ---------------------------------------------------

@pytest.fixture
def sandboxed(sample):
    sample("deploy", SANDBOX_RUNTIME, "--as", "designer1")
    return sample


def test_harmless_data_runs_the_script(sandboxed):
    polku = sandboxed
    iid = _start(polku, "sandbox_runtime", {"payload": [1, 2, 3], "mode": "count"})
    shown = polku.json("show", iid)
    assert shown["status"] == "running" and shown["error"] is None
    assert shown["data"]["size"] == 3
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["after"]


@pytest.mark.parametrize("data, says", [
    ({"mode": "read", "path": "/etc/passwd"}, "'open' is not available"),
    ({"mode": "format", "template": "{0.__class__.__mro__}"}, "format*() methods of `str` is not safe"),
])
def test_run_time_escape_puts_the_instance_in_error(sandboxed, data, says):
    polku = sandboxed
    iid = _start(polku, "sandbox_runtime", {"payload": [1], **data})
    shown = polku.json("show", iid)
    assert shown["status"] == "error"
    assert shown["error"]["element_id"] == "inspect"
    assert says in shown["error"]["message"], shown["error"]
    assert shown["ready_tasks"] == [] and shown["ended_at"] is None
    assert "content" not in shown["data"] and "text" not in shown["data"]
    assert [(h["action"], h["details"]["status"]) for h in shown["history"]] == [("start", "error")]
    assert [r["id"] for r in polku.json("instances", "--status", "error")] == [iid]


# --- retry after a fix ----------------------------------------------------------------------

def test_retry_with_corrected_data_resumes_the_failed_script(sample):
    polku = sample
    iid = _start(polku, "script_case", {})
    shown = polku.json("show", iid)
    assert shown["status"] == "error" and shown["error"]["element_id"] == "compute"
    assert "divisor" in shown["error"]["message"], shown["error"]

    # Only a manager of the instance's organisation may retry.
    assert "manager" in polku.refused("retry", iid, "--as", "off1", "--data", '{"divisor": 4}').stderr

    # A retry whose data is still wrong leaves it in error, with the new reason.
    assert polku.json("retry", iid, "--as", "boss", "--data", '{"divisor": 0}')["status"] == "error"
    assert "division by zero" in polku.json("show", iid)["error"]["message"]

    retried = polku.json("retry", iid, "--as", "boss", "--reason", "fixed", "--data", '{"divisor": 4}')
    assert retried["status"] == "running"
    shown = polku.json("show", iid)
    assert shown["status"] == "running" and shown["error"] is None
    assert shown["data"]["result"] == 2.5 and shown["data"]["divisor"] == 4
    assert [t["element_id"] for t in shown["ready_tasks"]] == ["after"]
    assert [h["action"] for h in shown["history"]] == ["start", "retry", "retry"]

    polku("complete", task_of(polku, "off1", "after", iid)["id"], "--as", "off1")
    assert polku.json("show", iid)["status"] == "completed"
    assert polku.refused("retry", iid, "--as", "boss").stderr == f"error: instance {iid} is completed, not in error\n"


# --- loops ----------------------------------------------------------------------------------

@pytest.fixture
def looping(sample, monkeypatch):
    # These tests are about the engine's step-count guard: a time budget generous enough that a
    # loaded machine cannot stop the loop on time first (tests/integration/test_model_budget.py
    # tests the budget).
    monkeypatch.setenv("POLKU_MODEL_SECONDS", "120")
    sample("deploy", SCRIPT_LOOP, "--as", "designer1")
    assert sample._env.runtime.budget.seconds == 120
    return sample


def test_bounded_loop_completes(looping):
    polku = looping
    iid = _start(polku, "script_loop", {"limit": 10})
    shown = polku.json("show", iid)
    assert shown["status"] == "completed" and shown["error"] is None
    assert shown["data"]["n"] == 10


def test_unbounded_loop_stops_at_the_guard_and_is_not_completed(looping):
    polku = looping
    iid = _start(polku, "script_loop", {"limit": 100000})
    shown = polku.json("show", iid)
    assert shown["status"] == "error", shown["status"]
    assert shown["ended_at"] is None
    message = shown["error"]["message"]
    assert f"passed {MAX_TASK_DEPTH} steps" in message and "unbounded loop" in message, message
    assert shown["error"]["element_id"] in {"merge", "step", "more"}
    assert 0 < shown["data"]["n"] < 100000
    assert polku.json("instances", "--status", "completed") == []
    # Retrying does not spin on: the guard holds again.
    assert polku.json("retry", iid, "--as", "boss")["status"] == "error"
