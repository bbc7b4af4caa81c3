"""An instance's states on the diagram (completed, active, error), each told by a class, a glyph
of its own shape and an outline, not by colour alone; the accessible list of the same states;
the heat map's counts and median durations (docs/diagram.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

from polku.engine.diagram import parse, render, state_list
from tests.unit.diagram_sample import NS, classes, group, marker_classes, sample, svg_tree

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "processes" / "tyohonvalmennus.bpmn"
STATES = {"referral": "completed", "eligible_gw": "completed", "record_referral": "completed",
          "accept_referral": "active", "start_notice_overdue": "error"}


@pytest.fixture(scope="module")
def main_model():
    return parse(MAIN.read_bytes())


def test_a_known_instance_state_marks_its_elements(main_model):
    root = svg_tree(render(main_model, STATES).svg)

    for element_id, state in STATES.items():
        g = group(root, element_id)
        assert f"state-{state}" in classes(g) and g.get("data-state") == state
        assert f"glyph-{state}" in marker_classes(g), element_id
    untouched = group(root, "record_start")
    assert not {c for c in classes(untouched) if c.startswith("state-")} and untouched.get("data-state") is None
    assert not {c for c in marker_classes(untouched) if c.startswith("glyph-")}
    assert len(root.xpath("//s:g[@data-state]", namespaces=NS)) == len(STATES)


def test_the_states_differ_in_shape_and_outline_not_only_in_colour(main_model):
    root = svg_tree(render(main_model, STATES).svg)

    def glyph(element_id, state):
        """The glyph's geometry, moved to the origin: what remains differs between the states."""
        parts = [el for el in group(root, element_id).iter() if f"glyph-{state}" in classes(el)]
        return [(el.tag, el.get("r")) for el in parts], len(parts)

    shapes = [glyph("record_referral", "completed"), glyph("accept_referral", "active"),
              glyph("start_notice_overdue", "error")]
    assert shapes[2] != shapes[0] and shapes[2] != shapes[1]  # a triangle, not a circle
    tick = [el.get("d") for el in group(root, "record_referral").iter() if "glyph-completed" in classes(el)]
    play = [el.get("d") for el in group(root, "accept_referral").iter() if "glyph-active" in classes(el)]
    assert "l 3,3.5 l 6,-7" in " ".join(filter(None, tick)) and "l 3,3.5" not in " ".join(filter(None, play))

    active_outline = group(root, "accept_referral").xpath("./s:path[contains(@class, 'outline-active')]",
                                                          namespaces=NS)
    error_outline = group(root, "start_notice_overdue").xpath("./s:path[contains(@class, 'outline-error')]",
                                                              namespaces=NS)
    task = group(root, "accept_referral").xpath("./s:rect[contains(@class, 'outline')]", namespaces=NS)[0]
    assert float(active_outline[0].get("stroke-width")) > float(task.get("stroke-width"))
    assert error_outline[0].get("stroke-dasharray") and not active_outline[0].get("stroke-dasharray")


def test_the_titles_name_the_state_in_the_callers_words(main_model):
    labels = {"completed": "valmis", "active": "käynnissä", "error": "virhe"}
    root = svg_tree(render(main_model, STATES, state_labels=labels).svg)

    assert group(root, "accept_referral").xpath("string(./s:title)", namespaces=NS) == \
        "Vastaanota ohjaus ja tee aloitusilmoitus — käynnissä"
    assert group(root, "record_start").xpath("string(./s:title)", namespaces=NS) == "Kirjaa aloitusilmoitus"


def test_an_unknown_state_is_refused(main_model):
    with pytest.raises(ValueError, match="running"):
        render(main_model, {"accept_referral": "running"})


def test_the_accessible_list_holds_the_same_states_in_the_files_order(main_model):
    listed = state_list(main_model, {**STATES, "called_elsewhere": "active"})

    assert listed == [
        ("referral", "Ohjaus työhönvalmennukseen", "completed"),
        ("eligible_gw", "Edellytykset täyttyvät?", "completed"),
        ("record_referral", "Kirjaa ohjaus ja asiakastiedot", "completed"),
        ("accept_referral", "Vastaanota ohjaus ja tee aloitusilmoitus", "active"),
        ("start_notice_overdue", "Aloitusilmoitus myöhässä", "error"),
        ("called_elsewhere", "called_elsewhere", "active"),
    ]


def test_states_on_the_sample_reach_every_kind_of_shape():
    states = {"start": "completed", "xor": "completed", "flow_start_user": "completed", "user": "active",
              "boom": "error", "pool_other": "active"}
    root = svg_tree(render(parse(sample()), states).svg)

    for element_id, state in states.items():
        assert f"glyph-{state}" in marker_classes(group(root, element_id)), element_id


def test_the_heat_map_writes_counts_and_median_durations():
    counts = {"user": 40, "service": 4, "xor": 0}
    root = svg_tree(render(parse(sample()), counts=counts, durations={"user": "3 d 4 h"}).svg)

    badges = {g.getparent().get("data-element-id"): g for g in root.xpath("//s:g[@data-count]", namespaces=NS)}
    assert {k: int(v.get("data-count")) for k, v in badges.items()} == counts
    assert badges["user"].xpath("string(s:text)", namespaces=NS) == "40"
    assert "heat-5" in classes(badges["user"]) and "heat-1" in classes(badges["service"])
    assert "heat-1" in classes(badges["xor"])
    duration = group(root, "user").xpath("./s:g[@data-duration]", namespaces=NS)[0]
    assert duration.xpath("string(s:text)", namespaces=NS) == "3 d 4 h"
    assert group(root, "user").xpath("string(./s:title)", namespaces=NS) == "User — 40 — 3 d 4 h"
    assert not group(root, "script").xpath(".//s:g[@data-count]", namespaces=NS)


def test_states_and_heat_together_on_a_process_file(main_model):
    rendered = render(main_model, STATES, counts={"accept_referral": 7})

    root = svg_tree(rendered.svg)
    g = group(root, "accept_referral")
    assert "state-active" in classes(g) and g.xpath("./s:g[@data-count='7']", namespaces=NS)
    assert rendered.not_drawn == []
