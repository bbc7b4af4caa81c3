"""DMN inputs no caller provides (engine.dmn_inputs, issue 11): a decision's input expression that
reads a variable nothing in the calling process sets is a deploy error at the DMN's input, with its
good twins: the names a start form, a user task's form, a script, another decision, a handler's
declared `provides` and the sandbox give. And the `provides` contract at run time: a handler that
returns a name it does not declare fails the step, its writes rolled back."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from polku.engine import deploy, instances, queries
from polku.engine.bundle import BundleFile, check_bundle, read_bundle
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork
from polku.engine.models import OutboxMessage
from polku.wiring import build_runtime
from tests.conftest import FIXTURES, T0
from tests.integration.test_design_checks import bpmn, dmn

MESSAGE = "input 'input_kind' reads {name}, which nothing in process checked sets"
HINT = "set it in a form field, a script or a service task before the decision, or fix the name"
START_FORM = ('<bpmn:extensionElements><camunda:formData><camunda:formField id="kind" label="Kind" type="string">'
              '<camunda:validation><camunda:constraint name="maxlength" config="20"/></camunda:validation>'
              '</camunda:formField></camunda:formData></bpmn:extensionElements>')
FLOWS = {"f1": ("start", "prepare"), "f2": ("prepare", "rule"), "f3": ("rule", "review"), "f4": ("review", "done")}


def process(prepare: str = 'task name="Prepare"', start: str = 'startEvent name="S"', first: dict | None = None,
            last: dict | None = None, start_form: bool = True) -> str:
    """start (with a start form giving `kind`) -> prepare -> the `route` decision -> review -> done;
    `first` / `last` put XML first / last inside an element ({id: xml})."""
    nodes = {"start": start, "prepare": prepare,
             "rule": 'businessRuleTask name="Route" camunda:decisionRef="route"',
             "review": 'userTask name="R" camunda:candidateGroups="official"', "done": 'endEvent name="D"'}
    text = bpmn(nodes=nodes, flows=FLOWS, conditions={})
    first = {**({"start": START_FORM} if start_form else {}), **(first or {})}
    for element, xml in first.items():
        text = text.replace(f'id="{element}">', f'id="{element}">{xml}', 1)
    for element, xml in (last or {}).items():
        tag = nodes[element].split()[0]
        head, tail = text.split(f'id="{element}">', 1)
        end = tail.index(f"</bpmn:{tag}>")
        text = f'{head}id="{element}">{tail[:end]}{xml}{tail[end:]}'
    return text


def table(expression: str, decision: str = "route") -> str:
    text = dmn('"a"').replace("<text>kind</text>", f"<text>{expression}</text>")
    return text.replace('id="route"', f'id="{decision}"') if decision != "route" else text


def write(tmp_path, bpmn_text: str | None, dmn_text: str, *more: tuple[str, str]):
    if bpmn_text is not None:
        (tmp_path / "checked.bpmn").write_text(bpmn_text, encoding="utf-8")
    (tmp_path / "route.dmn").write_text(dmn_text, encoding="utf-8")
    for name, text in more:
        (tmp_path / name).write_text(text, encoding="utf-8")


def test_an_input_reading_a_name_nothing_sets_is_an_error_at_the_dmn_input_and_refuses_the_deploy(polku, tmp_path):
    write(tmp_path, process(), table("kinnd"))
    result = polku("check", tmp_path, "--json", ok=False)
    assert result.exit_code == 1
    [problem] = result.json["problems"]
    line = next(i for i, row in enumerate(table("kinnd").splitlines(), 1) if "<inputExpression" in row)
    assert problem == {"file": "route.dmn", "line": line, "element_id": "input_kind", "severity": "error",
                       "message": MESSAGE.format(name="kinnd"), "hint": HINT}
    refused = polku("deploy", tmp_path, ok=False)
    assert refused.exit_code == 1 and "nothing was deployed" in refused.stderr


def test_the_good_twin_reading_the_start_forms_field_passes_and_deploys(polku, tmp_path):
    write(tmp_path, process(), table("kind"))
    assert polku("check", tmp_path, "--json").json == {"problems": [], "errors": 0, "warnings": 0}
    assert "new" in polku("deploy", tmp_path).stdout


SCRIPT = ('<bpmn:script>total = 0\nfor step in (1, 2):\n    total += step\nlabel = "x"\n'
          'squares = [n * n for n in range(3)]</bpmn:script>')
TASK_FORM = ('<bpmn:extensionElements><camunda:formData><camunda:formField id="score" label="Score" type="long"/>'
             '</camunda:formData></bpmn:extensionElements>')
PROVIDED = {
    "a user task's form field": (dict(prepare='userTask name="P" camunda:candidateGroups="official"',
                                      first={"prepare": TASK_FORM}), "score"),
    "a script's assignments and loop variable": (dict(prepare='scriptTask name="P"', last={"prepare": SCRIPT}),
                                                 "total + step + len(label) + len(squares)"),
    "a handler's provides": (dict(prepare='serviceTask name="P" camunda:type="external" camunda:topic="open_week"'),
                             "week_monday &lt; week_sunday"),
    "the start event's initiator": (dict(start='startEvent name="S" camunda:initiator="starter"'), "starter"),
    "comprehension and lambda variables": ({}, "any(k == 'a' for k in [kind]) or (lambda x: x)(kind) "
                                               "or {c: c for c in kind} or [y for x in [kind] for y in x]"),
    "the sandbox's functions and builtins": ({}, "days_between(kind, today()) + len(str(kind))"),
}


@pytest.mark.parametrize("name", list(PROVIDED))
def test_names_from_every_source_count_as_provided(polku, tmp_path, name):
    changes, expression = PROVIDED[name]
    write(tmp_path, process(**changes), table(expression))
    assert polku("check", tmp_path, "--json").json["errors"] == 0
    write(tmp_path, process(**changes), table(f"({expression}) and kinnd"))  # checked, not skipped
    problems = polku("check", tmp_path, "--json", ok=False).json["problems"]
    assert [p["message"] for p in problems] == [MESSAGE.format(name="kinnd")]


def test_another_decisions_output_counts_and_a_validation_decision_is_checked_too(polku, tmp_path):
    validation = '<bpmn:extensionElements><camunda:properties><camunda:property name="validation_decision" ' \
                 'value="{}"/></camunda:properties></bpmn:extensionElements>'
    good = process(first={"review": validation.format("after_route")})
    write(tmp_path, good, table("kind"), ("after.dmn", table("lane", "after_route")))
    assert polku("check", tmp_path, "--json").json["errors"] == 0
    write(tmp_path, good, table("kind"), ("after.dmn", table("lanes", "after_route")))
    [problem] = polku("check", tmp_path, "--json", ok=False).json["problems"]
    assert (problem["file"], problem["message"]) == ("after.dmn", MESSAGE.format(name="lanes"))


def test_unverifiable_processes_and_a_dmn_alone_are_skipped(polku, tmp_path):
    # No start form: the start takes whatever variables its caller sends.
    write(tmp_path, process(start_form=False), table("kinnd"))
    assert polku("check", tmp_path, "--json").json["errors"] == 0
    # A DMN no BPMN of the bundle references may serve a process deployed earlier.
    (tmp_path / "checked.bpmn").unlink()
    alone = polku("check", tmp_path / "route.dmn", "--json", ok=False).json["problems"]
    assert [p["message"] for p in alone] == ["no executable process in the bundle"]  # and no input problem


def test_a_handler_declaring_no_provides_makes_the_process_unverifiable():
    runtime = build_runtime()
    runtime.handlers.register("anything", lambda call: {})  # provides=None: anything
    text = process(prepare='serviceTask name="P" camunda:type="external" camunda:topic="anything"')
    files = [BundleFile("checked.bpmn", text.encode()), BundleFile("route.dmn", table("kinnd").encode())]
    assert [p for p in check_bundle(files, runtime) if p.severity == "error"] == []
    declared = build_runtime()
    declared.handlers.register("anything", lambda call: {}, provides=("kin*",))  # a prefix covers kinnd
    assert [p for p in check_bundle(files, declared) if p.severity == "error"] == []


def test_a_handler_returning_a_name_it_does_not_declare_puts_the_instance_in_error(db_engine, make_user):
    runtime = build_runtime()

    def handle(call):
        call.session.add(OutboxMessage(instance_id=call.instance_id, topic="register", payload={},
                                       created_at=call.now))
        return {"registered": True, "surprise": 1}

    runtime.handlers.register("flaky", handle, provides=("registered",))
    make_user("designer1", "designer")
    make_user("off1", "official")
    with UnitOfWork(db_engine, FixedClock(parse_instant(T0))) as u:
        deploy.deploy(u, runtime, "designer1", read_bundle([FIXTURES / "bpmn" / "handlers" / "handler_paths.bpmn"]))
        inst = instances.start(u, runtime, "off1", "on_start")
        u.commit()
    assert inst.status == "error"
    with UnitOfWork(db_engine, FixedClock(parse_instant(T0))) as u:
        error = queries.show(u, runtime, inst.id)["error"]
    assert error["element_id"] == "call"
    assert error["message"] == ("service handler 'flaky' failed: handler 'flaky' returned surprise, which it does "
                                "not declare (provides: registered)")
    with db_engine.connect() as conn:  # the handler's writes were rolled back with its savepoint
        assert conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0
