"""Every free-text field of the process package has a maxlength, and the long texts (statement,
reasons, justification, notes, service need, other services, health information) are shown as
textareas by the engine's string widget."""
from __future__ import annotations

import pytest

from polku.engine.forms import default_field_types
from tests.unit.process_package import BPMN_FILES, NS, tree

LONG_TEXTS = {"statement_text", "reason", "justification", "notes", "note", "next_steps", "description",
              "service_need", "other_services", "health_information", "methods", "actions", "not_reviewed_reason",
              "municipalities", "target_group"}  # a provider's lists of municipalities and target groups


def text_fields() -> list[tuple[str, str, dict]]:
    """(element id, field id, definition as the engine stores it) of every string field."""
    found = []
    for path in BPMN_FILES:
        for ff in tree(path).iterfind(".//camunda:formField[@type='string']", NS):
            owner = ff.getparent().getparent().getparent()
            constraints = {c.get("name"): c.get("config")
                           for c in ff.iterfind("camunda:validation/camunda:constraint", NS)}
            properties = {p.get("id"): p.get("value")
                          for p in ff.iterfind("camunda:properties/camunda:property", NS)}
            found.append((owner.get("id"), ff.get("id"),
                          {"id": ff.get("id"), "type": "string", "constraints": constraints, "properties": properties}))
    return found


FIELDS = text_fields()


def test_the_package_has_text_fields():
    assert {f for _e, f, _d in FIELDS} >= LONG_TEXTS | {"client_name", "municipality"}


@pytest.mark.parametrize("element, field, definition", FIELDS, ids=[f"{e}.{f}" for e, f, _d in FIELDS])
def test_every_text_field_has_a_maxlength_and_long_texts_are_textareas(element, field, definition):
    maxlength = definition["constraints"].get("maxlength")
    assert maxlength is not None and 0 < int(maxlength) <= 4000, f"{element}.{field} has no sensible maxlength"
    widget = default_field_types().get("string").widget(definition, data={}, loaded=None)
    assert widget.attrs["maxlength"] == maxlength
    assert widget.kind == ("textarea" if field in LONG_TEXTS else "text"), f"{element}.{field}"
