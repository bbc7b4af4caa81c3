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

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "fixtures" / "bpmn" / "bad"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
DESIGN_FILES = {  # one small file per design rule (tests/integration/test_design_checks.py)
    "no_group.bpmn": bpmn(groups=None),
    "not_a_role.bpmn": bpmn(groups="wizard"),
    "undrawn.bpmn": bpmn(undrawn=("back", "f4")),
    "unlisted.bpmn": bpmn(unlisted=("f2",)),
    "no_default.bpmn": bpmn(default=None, conditions={}),
    "disconnected.bpmn": bpmn(flows={k: v for k, v in FLOWS.items() if k != "f4"}),
    "unlabelled.bpmn": bpmn().replace('name="Done"', ""),
    "juel.bpmn": bpmn(conditions={"f4": "${needs_more}"}),
}


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
def problems(stub_runtime, script_engine) -> list[DeployProblem]:
    files = [BundleFile(p.name, p.read_bytes()) for p in sorted(BAD.glob("*.bpmn"))]
    files += [BundleFile(name, text.encode()) for name, text in DESIGN_FILES.items()]
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


def test_the_english_text_is_the_msgid_filled_in(problems):
    for problem in problems:
        assert problem.message == str(problem.msg) and "%(" not in problem.message
        assert problem.to_dict()["message"] == problem.message and problem.to_dict()["hint"] == problem.hint
