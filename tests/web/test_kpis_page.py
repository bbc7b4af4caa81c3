"""GET /dashboard: the KPI tables of the hand-computed March 2026 cases (tests/web/kpi_cases.py) in
Finnish and Swedish, a chart per figure, the provider filter, and the 404 page for the others."""
from __future__ import annotations

import re

import pytest
from lxml import etree
from sqlalchemy import update
from sqlalchemy.orm import Session

from polku.engine.models import Organisation
from tests.web.kpi_cases import build

MARCH = "/dashboard?from=2026-03-01&to=2026-03-31"


@pytest.fixture
def kpi_cases(passwords, db_engine):
    with Session(db_engine) as session:
        return build(session)


def in_language(b, locale: str):
    assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    return b


def section(html: str, key: str) -> str:
    return html.split(f'id="kpi-{key}"', 1)[1].split("</section>", 1)[0]


def cells(html: str, key: str) -> list[list[str]]:
    body = section(html, key).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", c).replace("\xa0", " ").strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_manager_sees_the_figures_in_finnish(kpi_cases, browser):
    b = in_language(browser("boss"), "fi")
    html = b.get(MARCH).get_data(as_text=True)
    assert "<h1>Koontinäkymä</h1>" in html
    head = section(html, "clients").split("</thead>", 1)[0]
    assert head.index("Toinen Valmennus Oy") < head.index("Valmennus Oy<") < head.index("Koko alue")
    assert cells(html, "clients") == [["Kaikki", "1", "3", "4"], ["suomi", "1", "2", "3"], ["ruotsi", "0", "1", "1"]]
    assert ["Mediaani", "2", "5", "3,5"] in cells(html, "lead_time")
    assert ["Asiakkaat palvelussa ÷ ilmoitetut paikat", "9,7 %", "130,6 %", "50 %"] in cells(html, "capacity")
    assert ["Saavutetut tavoitteet, osuus", "0 %", "66,7 %", "40 %"] in cells(html, "goals")
    referrals = section(html, "referrals")  # the cases behind each number: tests/web/test_kpi_links.py
    listed = "/instances?kpi=referrals&amp;row=total&amp;kpi_from=2026-03-01&amp;kpi_to=2026-03-31"
    assert f'href="{listed}&amp;kpi_provider={kpi_cases["B"]}"' in referrals and f'href="{listed}"' in referrals
    assert ["100 asiakasviikkoa kohden", "66,7", "61,5", "62,5"] in cells(html, "weeks")
    breaches = section(html, "breaches")
    assert all(f'href="/cases/{kpi_cases[c]}"' in breaches for c in ("c1", "c3", "c6"))
    assert f"/cases/{kpi_cases['c7']}" not in html  # another area's case


def test_each_figure_has_a_chart_with_a_title(kpi_cases, browser):
    html = in_language(browser("boss"), "fi").get(MARCH).get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(charts) == html.count('<section class="kpi"')
    chart = etree.fromstring(charts[0])
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert chart.get("role") == "img" and chart.find("s:title", ns).text == "Asiakkaat palvelussa: Kaikki"
    assert [t.text for t in chart.findall("s:text", ns)] == ["Toinen Valmennus Oy", "1", "Valmennus Oy", "3"]


def test_manager_sees_the_figures_in_swedish(kpi_cases, browser):
    html = in_language(browser("boss"), "sv").get(MARCH).get_data(as_text=True)
    assert "<h1>Översikt</h1>" in html
    assert cells(html, "clients")[1] == ["finska", "1", "2", "3"]
    assert ["Median", "2", "5", "3,5"] in cells(html, "lead_time")


def test_one_provider(kpi_cases, browser):
    html = in_language(browser("boss"), "fi").get(f"{MARCH}&provider={kpi_cases['B']}").get_data(as_text=True)
    assert cells(html, "referrals")[0] == ["Kaikki", "3", "3"]


def test_default_range_is_the_last_full_month(kpi_cases, browser, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", "2026-04-15T09:00:00+00:00")
    html = in_language(browser("boss"), "fi").get("/dashboard").get_data(as_text=True)
    assert 'value="2026-03-01"' in html and 'value="2026-03-31"' in html
    assert cells(html, "clients")[0] == ["Kaikki", "1", "3", "4"]


@pytest.mark.parametrize("username", ["off1", "coach1", "designer1"])
def test_others_get_the_404_page(kpi_cases, browser, username):
    assert browser(username).get(MARCH).status_code == 404


def test_each_cell_is_labelled_with_its_column_and_names_are_escaped(kpi_cases, browser, db_engine):
    with db_engine.begin() as conn:
        conn.execute(update(Organisation).where(Organisation.id == kpi_cases["B"]).values(name='B & <b>"Oy"</b>'))
    html = in_language(browser("boss"), "fi").get(MARCH).get_data(as_text=True)
    assert "<b>" not in html
    row = re.findall(r"<tr>(.*?)</tr>", section(html, "clients").split("<tbody>", 1)[1], re.S)[0]
    assert re.findall(r'<td data-label="([^"]*)">', row) == ["B &amp; &lt;b&gt;&#34;Oy&#34;&lt;/b&gt;", "Valmennus Oy",
                                                           "Koko alue"]
    assert re.search(r'<td data-label="[^"]*">–</td>', html)  # no value: no link to its cases
    assert not re.search(r'<a href="[^"]*">–</a>', html)
