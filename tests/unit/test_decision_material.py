"""The process package names decision material the task page knows (domain.decision_material):
each decision task and the coach's accept page by its `material` property, never by element id."""
from __future__ import annotations

import pytest

from polku.domain.decision_material import MATERIALS, decision_material
from tests.unit.process_package import BPMN_FILES, NS, tree

EXPECTED = {"accept_referral": "referral", "decide_second_period": "second_period",
            "decide_interruption": "interruption", "decide_redirection": "redirection", "decide_goals": "goals",
            "weekly_review": "week",  # the calendar week the review is for (domain.weeks)
            "propose_second_period": "second_period_proposal"}


def _materials() -> dict[str, str]:
    found = {}
    for path in BPMN_FILES:
        for prop in tree(path).getroot().iterfind(".//camunda:property[@name='material']", NS):
            task = prop.getparent().getparent().getparent()
            found[task.get("id")] = prop.get("value")
    return found


def test_every_decision_task_and_the_accept_page_name_a_known_material():
    found = _materials()
    assert found == EXPECTED
    assert set(found.values()) <= set(MATERIALS)


def test_an_unknown_material_is_an_error_and_none_is_nothing():
    assert decision_material(object(), 1, None) is None
    with pytest.raises(ValueError, match="unknown decision material"):
        decision_material(object(), 1, "weather")
