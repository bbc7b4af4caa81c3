"""Moving running instances to a new version from the designers' pages (web.definitions.migrate,
issue 11): the page is the dry run (which instances can move, why the others cannot, what moving
does), in Finnish and Swedish; posting moves the chosen ones or all that can, each alone, and the
case's timeline shows the move; an instance that cannot move stays untouched; others get 404."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import Instance
from tests.authz.matrix_support import fresh_hetu
from tests.scenarios.conftest import PROCESSES, at
from tests.web.test_definitions_pages import in_language, page
from tests.web.test_engine_rest import deploy

DIAGRAM = (PROCESSES / "tyohonvalmennus.bpmn").read_bytes()


def two_cases(refer):
    """One case waiting for its referral to be accepted, one that has set its goals and is in coaching."""
    waiting = refer(now=at("2026-01-05"))
    coaching = refer(now=at("2026-01-05"), client_hetu=fresh_hetu(), client_name="Maija Mallikas")
    coaching.accept(now=at("2026-01-12"))
    coaching.set_goals(now=at("2026-01-12"))
    return waiting, coaching


def version_2(web_app, *edits: tuple[bytes, bytes]) -> None:
    text = DIAGRAM
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    assert deploy(web_app.test_client(), "designer1", ("tyohonvalmennus.bpmn", text)).status_code == 200


def versions_of(db_engine) -> dict[int, int]:
    with db_engine.connect() as conn:
        return dict(conn.execute(select(Instance.id, Instance.version)).all())


# The goals form gets a new label (the task is ahead in one case and completed in the other: that one
# changed what a completed element does, so its case stays).
GOALS_RENAMED = (b'label="Tavoitteet ja niiden todentamistapa"', b'label="Tavoitteet ja todentaminen"')


def test_the_dry_run_lists_who_can_move_and_why_not(browser, web_app, refer, db_engine, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", at("2026-01-13"))
    waiting, coaching = two_cases(refer)
    version_2(web_app, (b'name="Viikkokatsaus"', b'name="Viikon katsaus"'), GOALS_RENAMED)
    b = in_language(browser("designer1"), "fi")
    versions = page(b.get("/definitions/tyohonvalmennus"))
    [link] = versions.xpath("//p[@id='migrate-link']")
    assert "2 instanssia on yhä käynnissä vanhemmissa versioissa." in link.text_content()
    assert link.xpath(".//a/@href") == ["/definitions/tyohonvalmennus/migrate?to=2"]
    doc = page(b.get("/definitions/tyohonvalmennus/migrate"))
    assert "versioon 2" in doc.xpath("//h1")[0].text_content()
    rows = {int(r.get("data-instance")): r for r in doc.xpath("//table[@id='migrate-instances']/tbody/tr")}
    assert set(rows) == {waiting.id, coaching.id}
    assert rows[waiting.id].get("data-movable") == "yes" and rows[waiting.id].xpath(".//input[@type='checkbox']")
    stays = rows[coaching.id]
    assert stays.get("data-movable") == "no" and not stays.xpath(".//input[@type='checkbox']")
    reason = stays.xpath(".//ul[@class='reasons']")[0].text_content()
    assert "“Sovi henkilökohtaiset tavoitteet” (set_goals)" in reason and "(lomakkeen kentät)" in reason
    assert "Maija" not in doc.text_content()  # instance ids and elements, never client data
    sv = page(in_language(b, "sv").get("/definitions/tyohonvalmennus/migrate"))
    assert sv.xpath("//h1")[0].text_content() == "Flytta pågående instanser av Arbetsträning till version 2"
    assert "Nej" in sv.xpath(f"//tr[@data-instance='{coaching.id}']")[0].text_content()
    assert versions_of(db_engine) == {waiting.id: 1, coaching.id: 1}  # the page changes nothing


def test_moving_all_that_can_leaves_the_rest_and_shows_in_the_timeline(browser, web_app, refer, db_engine,
                                                                         monkeypatch):
    monkeypatch.setenv("POLKU_NOW", at("2026-01-13"))
    waiting, coaching = two_cases(refer)
    version_2(web_app, GOALS_RENAMED)
    b = in_language(browser("designer1"), "fi")
    response = b.post("/definitions/tyohonvalmennus/migrate", {"to": "2", "scope": "all"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/migrate?to=2")
    assert versions_of(db_engine) == {waiting.id: 2, coaching.id: 1}
    after = page(b.get("/definitions/tyohonvalmennus/migrate?to=2")).text_content()
    assert "1 instanssi siirrettiin versioon 2." in after and "1 instanssi jäi versioonsa" in after
    timeline = page(in_language(browser("off1"), "sv").get(f"/cases/{waiting.id}")).text_content()
    assert "flyttade ärendet från version 1 till version 2 av processen" in timeline


def test_moving_the_chosen_ones_and_refusals(browser, web_app, refer, db_engine, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", at("2026-01-13"))
    waiting, coaching = two_cases(refer)
    version_2(web_app, (b'name="Viikkokatsaus"', b'name="Viikon katsaus"'))
    b = browser("designer1")
    nothing = b.post("/definitions/tyohonvalmennus/migrate", {"to": "2", "scope": "chosen"})
    assert nothing.status_code == 302 and versions_of(db_engine) == {waiting.id: 1, coaching.id: 1}
    assert b.post("/definitions/tyohonvalmennus/migrate", {"to": "2", "instance": str(coaching.id)},
                  token=False).status_code == 400  # no CSRF token
    assert b.post("/definitions/tyohonvalmennus/migrate", {"instance": str(coaching.id)}).status_code == 400
    b.post("/definitions/tyohonvalmennus/migrate", {"to": "2", "scope": "chosen", "instance": str(coaching.id)})
    assert versions_of(db_engine) == {waiting.id: 1, coaching.id: 2}
    for user in ("off1", "boss", "coach1"):
        other = browser(user)
        assert other.get("/definitions/tyohonvalmennus/migrate").status_code == 404
        assert other.post("/definitions/tyohonvalmennus/migrate", {"to": "2", "scope": "all"}).status_code == 404
    assert versions_of(db_engine) == {waiting.id: 1, coaching.id: 2}
    assert b.get("/definitions/nothing/migrate").status_code == 404
    empty = page(b.get("/definitions/provider_follow_up/migrate"))
    assert empty.xpath("//p[@id='nothing-to-move']")
