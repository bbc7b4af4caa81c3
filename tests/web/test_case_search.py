"""Finding a case: the case list's search (name prefix, accent- and case-insensitive; exact
identity code), filters, masking, order and paging, as users reach them through /cases."""
from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select

from polku.engine.models import AuditEvent
from tests.scenarios.conftest import HETU, OTHER_PROVIDER, at

MATTI = "Matti Meikäläinen"
OTHER_HETU = "010594Y9021"


def listing(b, query: str = "") -> list[dict]:
    """The case table as dicts keyed by column header (plus the case link)."""
    response = b.get("/cases" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    headers = [th.text_content().strip() for th in doc.xpath('//table[@id="case-table"]/thead/tr/th')]
    found = []
    for tr in doc.xpath('//table[@id="case-table"]/tbody/tr'):
        row = dict(zip(headers, (" ".join(c.text_content().split()) for c in tr.xpath("./th|./td"))))
        row["href"] = tr.xpath("./th/a/@href")[0]
        found.append(row)
    return found


def names(b, query: str = "") -> list[str]:
    return [r["Client"] for r in listing(b, query)]


@pytest.fixture
def two_providers(refer):
    """Matti at our provider, Maija at the other one."""
    matti = refer(now=at("2026-01-05"))
    maija = refer(now=at("2026-01-06"), client_hetu=OTHER_HETU, client_name="Maija Östman", provider=OTHER_PROVIDER)
    return matti, maija


@pytest.mark.parametrize("query", ["mat", "MAT", "Mät", "MÄT", "mei", "meikäl", "MEIKAL", "matti mei", "mei mat",
                                   "  mat  "])
def test_a_prefix_of_any_part_of_the_name_finds_the_case_whatever_the_case_and_accents(user, two_providers, query):
    matti, _ = two_providers
    rows = listing(user("off1"), f"?q={query}")
    assert [(r["Client"], r["href"]) for r in rows] == [(MATTI, f"/cases/{matti.id}")]


@pytest.mark.parametrize("query", ["atti", "ainen", "matti x", "meikäläinenx", "%", "_", "131052", "131052-308U"])
def test_what_is_not_a_prefix_of_a_name_part_nor_a_whole_code_finds_nothing(user, two_providers, query):
    b = user("off1")
    response = b.get(f"/cases?q={query}")
    assert response.status_code == 200
    assert "No case matches this search." in response.get_data(as_text=True)
    assert names(b, f"?q={query}") == []


def test_accents_in_the_stored_name_match_plain_letters_and_back(user, two_providers):
    b = user("off1")
    assert names(b, "?q=ost") == ["Maija Östman"]
    assert names(b, "?q=öst") == ["Maija Östman"]
    assert names(b, "?q=meikalainen") == [MATTI]


@pytest.mark.parametrize("query", [HETU, HETU.lower(), f"  {HETU.lower()} ", "131052-308t"])
def test_the_whole_identity_code_finds_the_case_exactly(user, two_providers, query):
    matti, _ = two_providers
    rows = listing(user("off1"), "?" + f"q={query}".replace("+", "%2B"))
    assert [(r["Client"], r["Identity code"]) for r in rows] == [(MATTI, HETU)]


def test_another_providers_client_is_never_found_by_name_or_code(user, two_providers, db_engine):
    coach1 = user("coach1")
    for query in ("maija", "öst", OTHER_HETU, OTHER_HETU.lower(), "m"):
        assert "Maija" not in coach1.get(f"/cases?q={query}").get_data(as_text=True)
    assert names(coach1, "?q=m") == [MATTI]
    assert names(user("coach2"), "?q=m") == ["Maija Östman"]
    assert names(user("coach2"), f"?q={HETU}") == []
    # a search that shows nothing uses no client data: no audit row for it
    with db_engine.connect() as conn:
        searches = conn.execute(select(AuditEvent.actor, AuditEvent.details)
                                .where(AuditEvent.action == "list_cases")).all()
    assert all(OTHER_HETU.lower() not in str(d) for actor, d in searches if actor == "coach1")


def test_a_search_is_logged_with_the_cases_it_showed(user, two_providers, db_engine):
    matti, _ = two_providers
    user("off1").get("/cases?q=mei")
    with db_engine.connect() as conn:
        details = conn.scalars(select(AuditEvent.details).where(AuditEvent.action == "list_cases")
                               .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert details == {"instances": [matti.id], "search": True}  # what was typed may be an identity code


def test_the_identity_code_is_whole_for_officials_and_masked_for_coaches_and_managers(user, two_providers):
    matti, _ = two_providers
    assert [r["Identity code"] for r in listing(user("off1"), "?q=matti")] == [HETU]
    for name in ("coach1", "boss"):
        b = user(name)
        rows = listing(b, "?q=matti")
        assert [r["Identity code"] for r in rows] == ["131052-****"]
        assert "308T" not in b.get("/cases").get_data(as_text=True)


def test_each_row_shows_the_provider_the_current_step_and_the_status(user, two_providers):
    rows = {r["Client"]: r for r in listing(user("off1"))}
    assert rows[MATTI]["Service provider"] == "Valmennus Oy"
    assert rows["Maija Östman"]["Service provider"] == OTHER_PROVIDER
    assert rows[MATTI]["Status"] == "In progress"
    assert rows[MATTI]["Current step"]  # the coach's acceptance, in the user's language
    assert rows[MATTI]["Current step"] != "–"


def test_a_refused_referral_is_listed_by_name_as_refused_with_the_reason(user, refer):
    refused = refer(client_hetu=OTHER_HETU, client_name="Rauno Hylätty", planned_end="2026-01-20")  # R1
    refer()
    b = user("off1")
    rows = listing(b, "?q=rauno")
    assert [(r["Client"], r["href"]) for r in rows] == [("Rauno Hylätty", f"/cases/{refused.id}")]
    assert rows[0]["Status"] == "Referral refused The period is shorter than two weeks"
    assert "Case " not in rows[0]["Client"] and "Closed" not in rows[0]["Status"]
    assert [r["Client"] for r in listing(b, "?status=refused")] == ["Rauno Hylätty"]
    assert [r["Client"] for r in listing(b, "?status=running")] == [MATTI]
    assert listing(b, "?status=closed") == []


def test_the_status_filter_finds_interrupted_and_closed_cases(user, refer, coaching):
    interrupted = refer(now=at("2026-01-05"))
    interrupted.accept()
    interrupted.set_goals()
    interrupted.week("2026-01-16", interruption_justified=True)
    interrupted.do("decide_interruption", "off1", decision="interrupt", ground="other", reason="Moved away")
    terminated = refer(now=at("2026-01-06"), client_hetu=OTHER_HETU, client_name="Tero Lopetettu")
    coaching("terminate", terminated.id, "--as", "boss", "--reason", "Duplicate referral")
    running = refer(now=at("2026-01-07"), client_hetu="020505A902P", client_name="Cecilia Castrén")
    b = user("off1")
    assert names(b, "?status=interrupted") == [MATTI]
    assert names(b, "?status=closed") == ["Tero Lopetettu"]
    assert names(b, "?status=running") == ["Cecilia Castrén"]
    assert names(b, "?status=refused") == []
    # An interrupted case that ends is still interrupted; a refusal whose case ends is still refused:
    # the filter's conditions (caselist ``is_status``) agree with the status each row shows.
    coaching("terminate", interrupted.id, "--as", "boss", "--reason", "Moved away for good")
    refused = refer(now=at("2026-01-08"), client_hetu="020505F903R", client_name="Rauno Hylätty",
                    planned_end="2026-01-20")
    assert refused.id and names(b, "?status=refused") == ["Rauno Hylätty"]
    assert names(b, "?status=interrupted") == [MATTI] and names(b, "?status=closed") == ["Tero Lopetettu"]
    shown = {r["Client"]: r["Status"] for r in listing(b)}
    assert shown[MATTI].startswith("Interrupted") and shown["Tero Lopetettu"].startswith("Closed"), shown
    assert names(b, "?status=bogus") == ["Rauno Hylätty", "Cecilia Castrén", "Tero Lopetettu", MATTI]  # unknown: all
    assert running.id


def test_the_provider_filter_and_sorting_by_name(user, two_providers):
    b = user("off1")
    doc = lxml.html.fromstring(b.get("/cases").get_data(as_text=True))
    options = {o.text_content().strip(): o.get("value") for o in doc.xpath('//select[@id="provider"]/option')}
    assert names(b, f"?provider={options[OTHER_PROVIDER]}") == ["Maija Östman"]
    assert names(b, "?provider=99999") == []
    assert names(b) == ["Maija Östman", MATTI]  # newest first
    assert names(b, "?sort=name") == ["Maija Östman", MATTI]  # m-a-i < m-a-t
    coach_doc = lxml.html.fromstring(user("coach1").get("/cases").get_data(as_text=True))
    assert [o.text_content().strip() for o in coach_doc.xpath('//select[@id="provider"]/option')][1:] == \
        ["Valmennus Oy"]


def test_the_overdue_filter_shows_cases_with_a_ready_task_past_its_due_date(user, two_providers, db_engine):
    from sqlalchemy import update

    from polku.engine import task_summary
    from polku.engine.clock import parse_instant
    from polku.engine.models import HumanTask, Instance

    matti, maija = two_providers
    b = user("off1")

    def due(case, at: str) -> None:
        with db_engine.begin() as conn:
            conn.execute(update(HumanTask).where(HumanTask.instance_id == case.id).values(due_at=parse_instant(at)))
            # and the instance row's summary of its open tasks with them, as the engine keeps it
            conn.execute(update(Instance).where(Instance.id == case.id).values(next_due_at=task_summary.NEXT_DUE_AT))

    # The process gives every task a due date; move them so that neither case is overdue, then Matti's.
    due(matti, "2027-01-01T00:00:00+00:00")
    due(maija, "2027-02-01T00:00:00+00:00")
    assert names(b, "?overdue=1") == []
    due(matti, "2026-01-07T22:00:00+00:00")
    rows = listing(b, "?overdue=1")
    assert [r["Client"] for r in rows] == [MATTI]
    assert "Overdue" in rows[0]["Next deadline"]
    assert names(b, "?sort=deadline") == [MATTI, "Maija Östman"]  # the nearest deadline first


def test_the_list_pages_by_25_with_page_links(user, refer):
    for i in range(26):
        refer(client_hetu=HETU, client_name=f"Asiakas {i:02d}", planned_end="2026-01-20")  # refused: cheap
    b = user("off1")
    first = b.get("/cases").get_data(as_text=True)
    assert "26 cases" in first
    assert len(listing(b)) == 25 and listing(b, "?page=2") and len(listing(b, "?page=2")) == 1
    assert 'href="/cases?page=2"' in first and 'rel="next"' in first
    assert names(b, "?page=2") == ["Asiakas 00"]
    assert names(b, "?page=99") == ["Asiakas 00"]  # past the end: the last page
    assert names(b, "?page=x")[0] == "Asiakas 25"
    assert 'href="/cases?q=asiakas&amp;page=2"' in b.get("/cases?q=asiakas").get_data(as_text=True) or \
        'href="/cases?page=2&amp;q=asiakas"' in b.get("/cases?q=asiakas").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_search_form_is_a_labelled_get_form_in_every_language(browser, refer, lang):
    refer()
    b = browser("off1")
    assert b.post("/language", {"locale": lang, "next": "/cases"}).status_code == 302
    doc = lxml.html.fromstring(b.get("/cases").get_data(as_text=True))
    [form] = doc.xpath('//form[@id="case-search"]')
    assert form.get("method") == "get" and form.get("role") == "search" and form.get("aria-label")
    labels = {label.get("for"): " ".join(label.text_content().split()) for label in form.xpath(".//label")}
    for control in form.xpath(".//input[@name]|.//select[@name]"):
        assert labels.get(control.get("id")), control.get("name")
    words = {"fi": "Nimi tai henkilötunnus", "sv": "Namn eller personbeteckning", "en": "Name or identity code"}
    assert labels["q"] == words[lang]

