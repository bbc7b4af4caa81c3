"""Every problem a deploy can report is a msgid with parameters (engine.errors.DeployProblem) that the
Finnish and Swedish catalogs translate with the same placeholders, so the web's validation report
never falls back to English; the English text the CLI and the REST API give is the msgid filled in."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from polku.engine.bundle import BundleFile, check_bundle
from polku.engine.dmn_checks import cell_problem
from polku.engine.errors import DeployProblem
from polku.engine.fieldtypes import Msg
from tests.integration.test_design_checks import FLOWS, bpmn
from tests.integration.test_design_loops import CHOICE, NOTE, loop, with_form

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "fixtures" / "bpmn" / "bad"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MIN, MAX = '<camunda:constraint name="min" config="5"/>', '<camunda:constraint name="max" config="1"/>'
FORM_FIELDS = [("colour", "colour", "", ""), ("text", "string", "", ""),  # every form problem (form_definitions)
               ("n1", "long", "", '<camunda:constraint name="maxlength" config="3"/>'),
               ("n2", "long", "", '<camunda:constraint name="min" config="x"/>'), ("n3", "long", "", MIN + MAX),
               ("n4", "long", ' defaultValue="many"', ""), ("e", "enum", ' defaultValue="z"', ""),
               ("e2", "enum", ' defaultValue="z"><camunda:value id="a"/', "")]
DESIGN_FILES = {  # one small file per design rule (tests/integration/test_design_checks.py)
    "no_group.bpmn": bpmn(groups=None),
    "not_a_role.bpmn": bpmn(groups="wizard"),
    "undrawn.bpmn": bpmn(undrawn=("back", "f4")),
    "unlisted.bpmn": bpmn(unlisted=("f2",)),
    "no_default.bpmn": bpmn(default=None, conditions={}),
    "disconnected.bpmn": bpmn(flows={k: v for k, v in FLOWS.items() if k != "f4"}),
    "unlabelled.bpmn": bpmn().replace('name="Done"', ""),
    "juel.bpmn": bpmn(conditions={"f4": "${needs_more}"}),
    "loop.bpmn": loop('scriptTask name="Note"', 'note = "again"'),
    "standard_loop.bpmn": bpmn().replace("</bpmn:userTask>", "<bpmn:standardLoopCharacteristics/></bpmn:userTask>")
    .replace("bpmn:userTask", "bpmn:scriptTask"),
    "forms.bpmn": with_form(NOTE + NOTE + CHOICE.replace('<camunda:value id="a" name="A"/>', "") + "".join(
        f'<camunda:formField id="{fid}" type="{kind}"{extra}><camunda:validation>{rules}</camunda:validation>'
        "</camunda:formField>" for fid, kind, extra, rules in FORM_FIELDS)),
}
# Every kind of label the translations beside a file must have (engine.design_labels), with none there.
LABELS = with_form(CHOICE + NOTE.replace("</camunda:validation>", '</camunda:validation><camunda:properties>'
                                         '<camunda:property id="help" value="Ohje"/></camunda:properties>')).replace(
    "</camunda:formData>", '</camunda:formData><camunda:properties><camunda:property name="submit_label" '
    'value="Valmis"/></camunda:properties>')


def catalog(lang: str) -> dict[str, str]:
    with (ROOT / "web" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=lang) if isinstance(m.id, str) and not m.fuzzy}


def msgs(problem: DeployProblem) -> list[Msg]:
    found, todo = [], [problem.msg, *([problem.hint_msg] if problem.hint_msg else [])]
    while todo:
        msg = todo.pop()
        found.append(msg)
        todo += [v for v in msg.params.values() if isinstance(v, Msg)]
    return found


@pytest.fixture(scope="module")
def problems(stub_runtime, script_engine, tmp_path_factory) -> list[DeployProblem]:
    files = [BundleFile(p.name, p.read_bytes()) for p in sorted(BAD.glob("*.bpmn"))]
    files += [BundleFile(name, text.encode()) for name, text in DESIGN_FILES.items()]
    files.append(BundleFile("labels.bpmn", LABELS.encode(), tmp_path_factory.mktemp("translations")))  # all lacking
    for sv, en in (("{", '{"checked": {"review": 5}}'), ("[1]", "{}")):  # catalogs that cannot be read, a number
        folder = tmp_path_factory.mktemp("translations")
        (folder / "sv.json").write_text(sv, encoding="utf-8")
        (folder / "en.json").write_text(en, encoding="utf-8")
        files.append(BundleFile("bad_catalogs.bpmn", LABELS.encode(), folder))
    found = [p for f in files for p in check_bundle([f], stub_runtime)]  # one at a time: malformed XML stops a bundle
    for text in ("[1..2]", '"a","b"', 'not("a")'):
        cell = cell_problem(script_engine, "inputEntry", text)
        assert cell is not None, text
        found.append(DeployProblem("cells.dmn", cell[0], hint=cell[1]))
    return found


def test_the_bad_files_give_problems_of_many_kinds(problems):
    assert len({p.msg.msgid for p in problems}) >= 15
    assert {p.severity for p in problems} == {"error", "warning"}


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_problem_and_fix_is_translated_with_its_placeholders(problems, lang):
    translations = catalog(lang)
    for problem in problems:
        for msg in msgs(problem):
            assert translations.get(msg.msgid), f"{lang} lacks {msg.msgid!r} ({problem})"
            assert set(PLACEHOLDER.findall(translations[msg.msgid])) == set(PLACEHOLDER.findall(msg.msgid))
            assert set(PLACEHOLDER.findall(msg.msgid)) <= set(msg.params), msg.msgid


def filled(text: str, params: dict) -> str:
    """`text` with each %(name)s replaced by its parameter's English, a nested Msg filled the same way
    (written apart from Msg.__str__, which the English message comes from)."""
    def value(match: re.Match) -> str:
        param = params[match.group(1)]
        return filled(param.msgid, dict(param.params)) if isinstance(param, Msg) else str(param)
    return PLACEHOLDER.sub(value, text)


def test_the_english_text_is_the_msgid_filled_in(problems):
    for problem in problems:
        assert problem.message == filled(problem.msg.msgid, dict(problem.msg.params))
        assert "%(" not in problem.message, problem.message
        assert problem.to_dict()["message"] == problem.message and problem.to_dict()["hint"] == problem.hint


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_translation_formats_with_the_problems_parameters(problems, lang):
    """As the web fills them: no KeyError, no stray % and no placeholder left."""
    translations = catalog(lang)
    for problem in problems:
        for msg in msgs(problem):
            text = translations.get(msg.msgid) or msg.msgid
            done = text % {k: str(v) for k, v in msg.params.items()} if msg.params else text
            assert "%(" not in done, (lang, msg.msgid, done)
