"""Every dashboard number links to the cases behind it (domain.kpis.links): on the hand-computed March
2026 cases (tests/web/kpi_cases.py), each linked number of the dashboard, followed through HTTP,
lists exactly the figure's cases, and as many as the number where the number counts cases. The list
says whose cases it shows (fi/sv), the scope is the user's own (a forged link shows nothing of
another area), and links naming no figure are not found."""
from __future__ import annotations

import csv
import html as markup
import io
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from polku.domain.kpis import TOTAL, dashboard
from polku.engine.accounts import hash_password
from polku.engine.models import User
from tests.conftest import add_user
from tests.web.conftest import PASSWORD
from tests.web.kpi_cases import OTHER_AREA, build
from tests.web.test_kpis_page import in_language

MARCH = "/dashboard?from=2026-03-01&to=2026-03-31"
LINK = "/instances?kpi={key}&row={row}&kpi_from=2026-03-01&kpi_to=2026-03-31"
# The figures whose counted things are the cases themselves: there the list's total is the number.
CASE_COUNTS = {"referrals", "closures", "outcomes", "second_periods", "start_notices", "breaches", "period_length",
               "lead_time"}
STATISTICS = ("_share", "_mean", "_median", "median", "p90")


@pytest.fixture
def kpi_cases(passwords, db_engine):
    with Session(db_engine) as session:
        return build(session)


def listed(b, url: str) -> tuple[int, list[int]]:
    """The list's total (its results heading) and the case numbers on its page."""
    response = b.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    total = int(re.search(r'id="results-heading">(\d+)', page).group(1))
    return total, sorted(int(i) for i in re.findall(r'<tr id="instance-(\d+)">', page))


def linked_numbers(page: str) -> list[tuple[str, str]]:
    """(link, the number it is on) for every number of the dashboard's tables."""
    tables = page.split('<section class="kpi"', 1)[1]
    return [(markup.unescape(href), text) for href, text in re.findall(r'<a href="(/instances\?kpi=[^"]+)">([^<]+)</a>',
                                                                     tables)]


@pytest.mark.parametrize("chosen", [None, "B"])
def test_every_number_lists_exactly_its_cases(kpi_cases, browser, uow_factory, chosen):
    provider = kpi_cases[chosen] if chosen else None
    b = in_language(browser("boss"), "fi")
    page = b.get(MARCH + (f"&provider={provider}" if provider else "")).get_data(as_text=True)
    with uow_factory("2026-04-10T09:00:00+00:00", write=False) as uow:
        found = dashboard(uow, "boss", date(2026, 3, 1), date(2026, 3, 31), provider)
    shown_values = sum(1 for k in found["kpis"].values() for r in k.rows
                       for p in [*(c for c, _n in found["providers"]), TOTAL] if r.values.get(p) is not None)
    links = linked_numbers(page)
    assert len(links) == shown_values > 100 if not chosen else len(links) == shown_values > 60  # every number
    counted = 0
    for href, text in links:
        args = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
        column = int(args["kpi_provider"]) if "kpi_provider" in args else TOTAL
        key, code = args["kpi"], args["row"]
        row = found["kpis"][key].row(code)
        if provider is not None:  # one provider chosen: its column and the total are the same figure
            assert column == provider
            column = TOTAL if column not in row.values else column
        total, ids = listed(b, href)
        assert ids == sorted(row.cases[column]) and total == len(ids), (key, code, column)
        if key in CASE_COUNTS and not code.endswith(STATISTICS):
            assert total == int(text), (key, code, column, text)
            counted += 1
    assert counted > 40 if not chosen else counted > 20


def _cases(kpi_cases, *names) -> list[int]:
    return sorted(kpi_cases[n] for n in names)


@pytest.mark.parametrize(("key", "row", "provider", "expected"), [
    ("clients", "total", None, ("c1", "c2", "c3", "c6")),  # clients: the cases of their periods in service
    ("clients", "sv", None, ("c2",)),
    ("breaches", "r3", None, ("c1",)), ("breaches", "r1_long", "A", ("c6",)), ("breaches", "r1_short", "B", ("c3",)),
    ("overdue_steps", "total", None, ("c1", "c6", "c9")),  # tasks: the cases they belong to
    ("overdue_turns", "coach", "A", ("c6",)),
    ("referrals", "refused", None, ("c4", "c5")), ("referrals", "R4_window_share", None, ("c5",)),
    ("start_notices", "late", None, ("c2",)), ("start_notices", "unsent_overdue", "B", ("c9",)),
    ("lead_time", "median", None, ("c2", "c3")),  # a median: the cases whose values it is of
    ("period_length", "p1_mean", "A", ("c1", "c2")),
    ("goals", "reached", None, ("c2",)), ("goals", "set", None, ("c2", "c3")),
    ("interruptions", "absence", None, ("c3",)), ("redirections", "health", None, ("c3",)),
    ("capacity", "used", "B", ("c3",)), ("weeks", "without", "B", ("c3",)),
])
def test_hand_counted_cases_behind(kpi_cases, browser, key, row, provider, expected):
    b = browser("boss")
    url = LINK.format(key=key, row=row) + (f"&kpi_provider={kpi_cases[provider]}" if provider else "")
    assert listed(b, url) == (len(expected), _cases(kpi_cases, *expected))


def test_the_list_says_whose_cases_in_finnish_and_swedish(kpi_cases, browser):
    b = in_language(browser("boss"), "fi")
    url = LINK.format(key="breaches", row="r1_short") + f"&kpi_provider={kpi_cases['B']}"
    page = markup.unescape(b.get(url).get_data(as_text=True))
    heading = re.search(r'<h2 id="kpi-filter-heading">(.*?)</h2>', page).group(1)
    assert heading == ("Luvun taustalla olevat asiat: Sääntörikkomukset: R1: jakso lyhyempi kuin 14 päivää, "
                       "1.3.2026–31.3.2026, Toinen Valmennus Oy")
    assert "Koontinäkymässä luku on 1." in page
    assert f'href="/dashboard?from=2026-03-01&to=2026-03-31&provider={kpi_cases["B"]}#kpi-breaches"' in page
    # The filter form keeps the figure: searching further narrows its cases.
    assert '<input type="hidden" name="kpi" value="breaches">' in page
    assert listed(b, url + "&status=completed") == (1, [kpi_cases["c3"]])
    assert listed(b, url + "&status=running") == (0, [])
    page = markup.unescape(in_language(b, "sv").get(LINK.format(key="clients", row="total")).get_data(as_text=True))
    assert "Ärenden bakom siffran: Klienter i tjänsten: Alla, 1.3.2026–31.3.2026, hela området" in page


def test_at_a_glance_heads_the_dashboard(kpi_cases, browser):
    page = markup.unescape(in_language(browser("boss"), "fi").get(MARCH).get_data(as_text=True))
    glance = page.split('<section class="glance"', 1)[1].split("</section>", 1)[0]
    assert page.index('class="glance"') < page.index('<section class="kpi"')
    terms = [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<dt>(.*?)</dt>", glance, re.S)]
    values = [re.sub(r"<span.*?</span>|<[^>]+>", "", d).replace("\xa0", " ").strip()
              for d in re.findall(r"<dd>(.*?)</dd>", glance, re.S)]
    assert list(zip(terms, values, strict=True)) == [
        ("Asiakkaat palvelussa", "4"), ("Sääntörikkomukset", "3"),
        ("Myöhässä lähetetyt aloitusilmoitukset", "1"),
        ("Lähettämättömät aloitusilmoitukset, määräaika ylittynyt", "1"),
        ("Kapasiteetin käyttö", "50 %"), ("Ohjauksesta aloitukseen, mediaani (arkipäivää)", "3,5")]
    assert '<a href="#kpi-breaches">' in glance and "näytä asiat" in glance
    breaches = re.search(r'href="(/instances\?kpi=breaches&row=total[^"]*)"', glance).group(1)
    assert listed(browser("boss"), breaches) == (3, _cases(kpi_cases, "c1", "c3", "c6"))


def test_the_csv_export_holds_the_same_cases(kpi_cases, browser):
    b = browser("boss")
    response = b.get(LINK.format(key="clients", row="total").replace("/instances?", "/instances.csv?"))
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    assert sorted(int(r[0]) for r in rows) == _cases(kpi_cases, "c1", "c2", "c3", "c6")


def test_a_forged_link_shows_only_the_users_own_area(kpi_cases, browser, coaching, db_engine):
    add_user(coaching, "boss2", "manager", org=OTHER_AREA)
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "boss2").values(password_hash=hash_password(PASSWORD)))
    b = browser("boss2")
    # c7 is the only case of the other area: the same links show it, and nothing of the first area.
    assert listed(b, LINK.format(key="clients", row="total")) == (1, [kpi_cases["c7"]])
    assert listed(b, LINK.format(key="breaches", row="total") + f"&kpi_provider={kpi_cases['A']}") == (0, [])
    assert listed(b, LINK.format(key="overdue_steps", row="total")) == (1, [kpi_cases["c7"]])
    # And the first area's manager never sees c7, whatever the link says.
    assert kpi_cases["c7"] not in listed(browser("boss"), LINK.format(key="clients", row="total"))[1]


@pytest.mark.parametrize("username", ["off1", "coach1", "designer1"])
def test_others_get_the_404_page(kpi_cases, browser, username):
    assert browser(username).get(LINK.format(key="clients", row="total")).status_code == 404


@pytest.mark.parametrize("query", [
    "kpi=nothing&row=total&kpi_from=2026-03-01&kpi_to=2026-03-31",  # no such figure
    "kpi=clients&row=nothing&kpi_from=2026-03-01&kpi_to=2026-03-31",  # no such row
    "kpi=clients&row=total&kpi_from=2026-03-01",  # no last day
    "kpi=clients&row=total&kpi_from=2026-03-31&kpi_to=2026-03-01",  # reversed
    "kpi=clients&row=total&kpi_from=2020-01-01&kpi_to=2026-03-31",  # longer than the dashboard shows
])
def test_a_link_naming_no_figure_is_not_found(kpi_cases, browser, query):
    assert browser("boss").get("/instances?" + query).status_code == 404
