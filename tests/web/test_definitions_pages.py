"""The designers' pages (web.definitions, issue 11): the deployed processes, and a process's versions
with when, by whom and from where each was deployed, how many instances run on it, its diagram, and
its changes from the version before; in Finnish and Swedish."""
from __future__ import annotations

import re

import lxml.html

from tests.scenarios.conftest import PROCESSES
from tests.web.test_engine_rest import deploy


def page(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def in_language(b, locale: str):
    assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    return b


def test_the_processes_list_links_each_process_with_its_latest_version(browser):
    doc = page(in_language(browser("designer1"), "fi").get("/definitions"))
    assert doc.xpath("//h1")[0].text_content() == "Prosessit"
    rows = {r.xpath("./th")[0].text_content().split("(")[-1].rstrip(")").strip(): r
            for r in doc.xpath("//tbody/tr")}
    assert set(rows) == {"tyohonvalmennus", "provider_follow_up"}
    assert rows["tyohonvalmennus"].xpath(".//a/@href") == ["/definitions/tyohonvalmennus"]
    assert doc.xpath("//nav//a[@aria-current='page']/@href") == ["/definitions"]


def test_a_new_version_shows_where_it_came_from_and_what_changed(browser, web_app, refer):
    refer()  # a running case on version 1
    diagram = (PROCESSES / "tyohonvalmennus.bpmn").read_bytes()
    changed = diagram.replace(b'name="Valmennusjakso"', b'name="Valmennusjakso (uusi)"')
    assert deploy(web_app.test_client(), "designer1", ("tyohonvalmennus.bpmn", changed)).status_code == 200
    b = in_language(browser("designer1"), "sv")
    doc = page(b.get("/definitions/tyohonvalmennus"))
    versions = [[c.text_content().strip() for c in r.xpath("./th|./td")] for r in doc.xpath("//tbody/tr")]
    assert [v[0] for v in versions] == ["Version 2", "Version 1"]
    assert (versions[0][3], versions[1][3]) == ("Camunda Modeler", "kommandoraden")
    assert (versions[0][5], versions[1][5]) == ("0", "1")  # the running case stays on version 1
    assert re.fullmatch(r"[0-9a-f]{12}", versions[0][4])
    [change] = doc.xpath("//ul[@id='changes']/li")
    assert (change.get("data-element-id"), change.get("data-change")) == ("coaching_period", "changed")
    assert "Ändrat:" in change.text_content() and "namn" in change.text_content()
    svg = doc.xpath("//div[@class='diagram-scroll']/*[local-name()='svg']")
    [changed_shape] = svg[0].xpath(".//*[@data-element-id='coaching_period']")
    assert changed_shape.get("data-state") == "changed"  # drawn with its own outline and glyph
    assert changed_shape.xpath(".//*[contains(@class, 'glyph-changed')]")
    assert len(svg[0].xpath(".//*[@data-state]")) == 1
    assert "ändrat:" in doc.xpath("//ul[@class='diagram-legend']")[0].text_content()
    first = page(b.get("/definitions/tyohonvalmennus?version=1"))
    assert "den första versionen" in first.xpath("//h2[@id='changes-heading']")[0].text_content()


def test_others_get_the_404_page_and_an_unknown_process_is_404(browser):
    assert browser("off1").get("/definitions").status_code == 404
    assert browser("designer1").get("/definitions/nothing").status_code == 404
