"""The script sandbox: model code can compute on task data but cannot reach the host."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from polku.engine.sandbox import SandboxedEnvironment, SandboxedScriptEngine, SandboxViolation


@pytest.fixture
def env():
    return SandboxedEnvironment(functions={"add_days": lambda d, n: d + timedelta(days=n)})


# --- plain expressions -------------------------------------------------------------------

@pytest.mark.parametrize(
    "expression, data, expected",
    [
        ('decision == "approve"', {"decision": "approve"}, True),
        ('decision == "approve"', {"decision": "reject"}, False),
        ("amount < 50", {"amount": 49}, True),
        ("amount < 50", {"amount": 50}, False),
        ("len(items) >= 2", {"items": [1, 2]}, True),
        ("sorted(xs)[0] + max(xs) + sum(xs)", {"xs": [3, 1, 2]}, 1 + 3 + 6),
        ("[k for k, v in d.items() if v]", {"d": {"a": 1, "b": 0}}, ["a"]),
        ('f"{name}-{n:03d}"', {"name": "x", "n": 7}, "x-007"),
    ],
)
def test_expressions_evaluate(env, expression, data, expected):
    assert env.evaluate(expression, data) == expected


def test_registered_function_and_external_context(env):
    start = date(2024, 1, 1)
    assert env.evaluate("add_days(start, 2)", {"start": start}) == date(2024, 1, 3)
    assert env.evaluate("limit - 1", {}, external_context={"limit": 10}) == 9


def test_missing_attribute_raises_instead_of_returning_none(env):
    # RestrictedPython's default safer_getattr would quietly return None here.
    with pytest.raises(AttributeError):
        env.evaluate("n.no_such_attribute", {"n": 1})


def test_unknown_variable_stays_a_name_error(env):
    with pytest.raises(NameError, match="amout"):
        env.evaluate("amout < 50", {"amount": 1})


# --- scripts -----------------------------------------------------------------------------

def test_script_assigns_into_task_data(env):
    data = {"amount": 10}
    env.execute("total = amount * 2\ntotal += 1\nlabel = 'big' if total > 50 else 'small'", data)
    assert data == {"amount": 10, "total": 21, "label": "small"}


def test_script_does_not_mutate_nested_objects_passed_in(env):
    nested = {"count": 1, "tags": ["a"]}
    data = {"case": nested}
    env.execute("case['count'] = 2\ncase['tags'].append('b')\nnew = {}\nnew['k'] = 1", data)
    assert data["case"] == {"count": 2, "tags": ["a", "b"]}
    assert data["new"] == {"k": 1}
    # The original nested object (possibly shared with other tasks) is untouched.
    assert nested == {"count": 1, "tags": ["a"]}
    assert data["case"] is not nested


def test_script_results_exclude_functions_and_external_context(env):
    data = {}
    env.execute("f = lambda: 1\nx = add_days(d, 1)\ny = ext", data, external_context={"ext": 5, "d": date(2024, 1, 1)})
    assert data == {"x": date(2024, 1, 2), "y": 5}


def test_script_del_removes_variable(env):
    data = {"tmp": 1, "keep": 2}
    env.execute("del tmp", data)
    assert data == {"keep": 2}


def test_task_data_shadowing_a_function_fails_fast(env):
    with pytest.raises(ValueError, match="add_days"):
        env.execute("x = 1", {"add_days": 3})


def test_compiled_code_is_cached():
    from polku.engine.sandbox import compile_sandboxed

    assert compile_sandboxed("a + 1", "eval") is compile_sandboxed("a + 1", "eval")


# --- escapes -----------------------------------------------------------------------------

ESCAPES = [
    ('__import__("os")', "forbidden: name '__import__' is not available"),
    ('open("/etc/passwd")', "forbidden: 'open' is not available"),
    ("().__class__.__base__.__subclasses__()", "forbidden: access to '__class__' (dunder attributes are not allowed)"),
    ("x.__dict__", "forbidden: access to '__dict__'"),
    ('getattr(x, "__class__")', "forbidden: 'getattr' is not available"),
    ('eval("1")', "forbidden: 'eval' is not available"),
    ('exec("1")', "forbidden: 'exec' is not available"),
    ("type(1)", "forbidden: 'type' is not available"),
    ("[c for c in ().__class__.__bases__]", "forbidden: access to '__bases__'"),
    ("(lambda: 0).__globals__", "forbidden: access to '__globals__'"),
    ("vars()", "forbidden: 'vars' is not available"),
    ("globals()", "forbidden: 'globals' is not available"),
    ("x._private", "forbidden: access to '_private'"),
]


@pytest.mark.parametrize("expression, message", ESCAPES)
def test_escape_in_expression_is_refused(env, expression, message):
    with pytest.raises(SandboxViolation) as info:
        env.evaluate(expression, {"x": 1})
    assert message in str(info.value)


@pytest.mark.parametrize("expression, message", ESCAPES)
def test_escape_in_script_is_refused(env, expression, message):
    data = {"x": 1}
    with pytest.raises(SandboxViolation) as info:
        env.execute(f"result = {expression}", data)
    assert message in str(info.value)
    assert "result" not in data


@pytest.mark.parametrize(
    "script, message",
    [
        ("import os", "forbidden: import statements are not allowed (line 1)"),
        ("x = 1\nfrom os import path", "forbidden: import statements are not allowed (line 2)"),
        ("f = lambda: 0\ng = f.__globals__",
         "forbidden: access to '__globals__' (dunder attributes are not allowed) (line 2)"),
        ("def f():\n    return 0\nf.__globals__['x'] = 1", "forbidden: access to '__globals__'"),
        ("g = (i for i in [1])\nframe = g.gi_frame", "forbidden: access to 'gi_frame'"),
    ],
)
def test_escape_in_multiline_script_is_refused(env, script, message):
    with pytest.raises(SandboxViolation) as info:
        env.execute(script, {})
    assert message in str(info.value)


def test_str_format_is_refused(env):
    # str.format can walk attributes ("{0.__class__}"); RestrictedPython blocks the method.
    with pytest.raises(NotImplementedError, match="format"):
        env.evaluate('"{0.__class__}".format(x)', {"x": 1})


# --- validate (deploy-time check) --------------------------------------------------------

def test_validate_accepts_good_code():
    engine = SandboxedScriptEngine()
    engine.validate("amount < 50")
    engine.validate("x = 1\ny = [i * 2 for i in range(x)]")
    engine.validate("amount < 50", mode="eval")


def test_validate_reports_syntax_error():
    with pytest.raises(SyntaxError) as info:
        SandboxedScriptEngine().validate("amount <")
    assert info.value.lineno == 1


def test_validate_rejects_assignment_as_condition():
    with pytest.raises(SyntaxError):
        SandboxedScriptEngine().validate("x = 1", mode="eval")


def test_validate_reports_violation():
    with pytest.raises(SandboxViolation, match="forbidden: name '__import__' is not available"):
        SandboxedScriptEngine().validate('x = __import__("os").getcwd()')


# --- end to end through SpiffWorkflow ----------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="script" name="Script" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script" />
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

DMN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="classify" name="Classify" camunda:decisionRef="classify_amount">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="classify" />
    <bpmn:sequenceFlow id="f2" sourceRef="classify" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_defs" name="d"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="classify_amount" name="Classify amount">
    <decisionTable id="table" hitPolicy="UNIQUE">
      <input id="in_amount" label="Amount">
        <inputExpression id="in_amount_expr" typeRef="integer"><text>amount</text></inputExpression>
      </input>
      <output id="out_category" label="Category" name="category" typeRef="string" />
      <rule id="r1">
        <inputEntry id="r1_in"><text>{small}</text></inputEntry>
        <outputEntry id="r1_out"><text>"small"</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2_in"><text>&gt;= 50</text></inputEntry>
        <outputEntry id="r2_out"><text>"large"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def _workflow(bpmn: str, dmn: str | None = None, data: dict | None = None) -> BpmnWorkflow:
    parser = CamundaParser()
    parser.add_bpmn_str(bpmn.encode(), "test.bpmn")
    if dmn is not None:
        parser.add_dmn_str(dmn.encode(), "test.dmn")
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=SandboxedScriptEngine())
    workflow.get_tasks(spec_name="start")[0].data.update(data or {})
    return workflow


def test_workflow_script_escape_becomes_workflow_task_exception():
    workflow = _workflow(BPMN.format(script='x = __import__("os").getcwd()'))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert "forbidden: name '__import__' is not available" in str(info.value)
    assert isinstance(info.value.__cause__, SandboxViolation)
    assert info.value.error_type == "SandboxViolation"


def test_workflow_runtime_violation_names_the_builtin():
    workflow = _workflow(BPMN.format(script='x = open("/etc/passwd").read()'))
    with pytest.raises(WorkflowTaskException, match="forbidden: 'open' is not available"):
        workflow.do_engine_steps()


def test_workflow_benign_script_sets_data():
    workflow = _workflow(BPMN.format(script="y = 2 * 21"))
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.get_tasks(spec_name="end")[0].data["y"] == 42


@pytest.mark.parametrize("amount, category", [(10, "small"), (49, "small"), (50, "large"), (900, "large")])
def test_decision_table_cells_run_in_sandbox(amount, category):
    # SpiffWorkflow turns the cell "< 50" into the expression "amount < 50" (after
    # validate("< 50") raises SyntaxError) and evaluates it through the script engine.
    workflow = _workflow(DMN_BPMN, DMN.format(small="&lt; 50"), {"amount": amount})
    workflow.do_engine_steps()
    assert workflow.get_tasks(spec_name="end")[0].data["category"] == category


def test_decision_table_cell_escape_is_refused():
    workflow = _workflow(DMN_BPMN, DMN.format(small="().__class__ and amount &lt; 50"), {"amount": 1})
    with pytest.raises(WorkflowTaskException, match="forbidden: access to '__class__'"):
        workflow.do_engine_steps()


def test_condition_evaluation_error_keeps_the_message():
    workflow = _workflow(BPMN.format(script="y = 1"))
    task = workflow.get_tasks(spec_name="start")[0]
    with pytest.raises(WorkflowTaskException) as info:
        workflow.script_engine.evaluate(task, "type(y)")
    assert "forbidden: 'type' is not available" in str(info.value)
    assert isinstance(info.value.__cause__, SandboxViolation)
