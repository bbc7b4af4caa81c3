"""Issue 9 (10): the runtime re-reads a definition's stored DMN (form rules, the deadline watch's
limits) with the parser deploy uses, never lxml's default: a stored text altered after deploy to
declare entities (an external file, "billion laughs", an internal one that would rewrite a cell)
is refused with a clear error, nothing expanded, nothing leaked, nothing started."""
from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select, update

from polku.engine.models import ProcessDefinition
from tests.scenarios.conftest import PROCESSES, coaching, referral  # noqa: F401  (the coaching fixture)

RULES = "referral_form_rules.dmn"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))


def _with_doctype(dmn: str, entities: str, cell: str) -> str:
    """The rules table with a DTD declaring `entities`, and rule 1's error message set to `cell`."""
    assert dmn.startswith(DECLARATION)
    doctype = f"<!DOCTYPE definitions [{entities}]>"
    first_message = dmn.index("<text>", dmn.index('id="rule_referral_form_rules_1_out4"'))
    end = dmn.index("</text>", first_message)
    return DECLARATION + doctype + dmn[len(DECLARATION):first_message] + f"<text>{cell}" + dmn[end:]


def _variants(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    return {  # the entities, the cell, why refused (libxml2 stops the laughs in the DTD itself)
        "external file": (f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">', '"&xxe;"', "DOCTYPE"),
        "billion laughs": ('<!ENTITY l0 "lol">' + LAUGHS, '"&l9;"', "amplification"),
        "internal": ('<!ENTITY msg "ENTITY-EXPANDED">', '"&msg;"', "DOCTYPE"),
    }


@pytest.mark.parametrize("variant", ["external file", "billion laughs", "internal"])
def test_stored_dmn_with_entities_is_refused_at_run_time_not_expanded(coaching, db_engine, tmp_path, variant):
    entities, cell, reason = _variants(tmp_path)[variant]
    with db_engine.begin() as conn:
        row = conn.execute(select(ProcessDefinition.id, ProcessDefinition.sources)
                           .where(ProcessDefinition.key == "tyohonvalmennus")).one()
        sources = dict(row.sources)
        sources[RULES] = _with_doctype(sources[RULES], entities, cell)
        conn.execute(update(ProcessDefinition).where(ProcessDefinition.id == row.id).values(sources=sources))
    # The rule that would answer with the cell: a period that ends before it starts.
    data = referral(planned_start="2026-01-12", planned_end="2026-01-05")
    result = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data", json.dumps(data))
    said = result.stdout + result.stderr
    assert result.json["code"] == "model"
    assert f"the stored definition file {RULES} could not be read" in said and reason in said
    assert "TOP-SECRET" not in said and "ENTITY-EXPANDED" not in said and "lollol" not in said
    assert coaching.json("instances") == []


def test_deploy_refuses_a_dmn_that_declares_a_dtd(coaching, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(PROCESSES, bundle, ignore=shutil.ignore_patterns("translations", "*.py"))
    entities, cell, _reason = _variants(tmp_path)["internal"]
    (bundle / RULES).write_text(_with_doctype((PROCESSES / RULES).read_text(), entities, cell))
    result = coaching.refused("deploy", bundle, "--as", "designer1")
    assert f"{RULES}: a DOCTYPE (DTD) is not allowed in BPMN or DMN" in result.stderr + result.stdout
