"""The managers' instance page (issue 10): the diagram of the instance's own version with where it
stands (parsed from the SVG), the legend and the accessible list, the timers, the current data, the
history and the error; for the managers of the case's organisations only, each view audited."""
from __future__ import annotations

from lxml import etree
from sqlalchemy import update

from polku.engine.accounts import hash_password
from polku.engine.models import User
from tests.conftest import add_user
from tests.scenarios.conftest import AREA, OTHER_PROVIDER
from tests.web.conftest import PASSWORD, Browser, english
from tests.web.test_case_story import person
from tests.web.test_cases import audit_rows, text

NS = {"s": "http://www.w3.org/2000/svg"}


def staff(polku, db_engine, username, role, org):
    """A user of the area added after the cast got its passwords."""
    add_user(polku, username, role, org=org)
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == username).values(password_hash=hash_password(PASSWORD)))


def _svg(response):
    body = response.get_data(as_text=True)
    start, end = body.index("<svg"), body.index("</svg>") + len("</svg>")
    return etree.fromstring(body[start:end].encode())


def _states(svg) -> dict[str, str]:
    return {g.get("data-element-id"): g.get("data-state") for g in svg.xpath("//s:g[@data-state]", namespaces=NS)}


def test_the_manager_sees_where_the_instance_stands(browser, refer):
    case = refer()
    response = english(browser("boss")).get(f"/instances/{case.id}")
    assert response.status_code == 200
    svg = _svg(response)
    assert svg.get("role") == "img" and svg.xpath("s:title", namespaces=NS)[0].text == "Process diagram"
    _x, _y, width, height = svg.get("viewBox").split()
    assert (svg.get("width"), svg.get("height")) == (width, height)  # the modeler's scale, in a scrolling region
    states = _states(svg)
    assert states["referral"] == "completed" and states["accept_referral"] == "active"
    assert "error" not in states.values()
    page = text(response)
    assert "accept" in page.lower() and "active" in page and "completed" in page
    assert "active: a play sign in a blue circle" in page
    body = response.get_data(as_text=True)
    assert 'class="diagram-scroll" tabindex="0" role="region"' in body
    assert "Current data" in page and "Matti Meikäläinen" in page  # the data: client data
    assert "client_hetu 131052-****" in page and "131052-308T" not in page  # masked, as on the case page
    assert "Timeline" in page and "Referral made by off1" in page


def test_the_state_moves_on_with_the_case(browser, refer):
    case = refer()
    case.accept()
    states = _states(_svg(english(browser("boss")).get(f"/instances/{case.id}")))
    assert states["accept_referral"] == "completed"
    assert "active" in states.values()


def test_the_waiting_timers_with_their_due_times(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16")
    page = text(english(browser("boss")).get(f"/instances/{case.id}"))
    timers = page[page.index("Waiting timers"):page.index("Current data")]
    assert "Period reaches its maximum length: due May 1, 2026" in timers
    assert "The week ended with no review: due Jan 26, 2026" in timers


def test_an_errored_instance_shows_its_error(sample, web_app, db_engine):
    """The sample's script task divides by zero: the instance is in error at `compute`."""
    iid = sample.json("start", "script_case", "--as", "off1")["id"]
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "boss").values(password_hash=hash_password(PASSWORD)))
    response = english(Browser(web_app).login("boss")).get(f"/instances/{iid}")
    states = _states(_svg(response))
    assert states["compute"] == "error" and states["start"] == "completed"
    page = text(response)
    assert "Error Step Compute result Message" in page and "divis" in page
    assert "Back to the case" not in page  # not a job-coaching case: no case page


def test_only_the_cases_managers_see_it_and_each_view_is_audited(browser, refer, coaching, db_engine):
    case = refer()
    person(coaching, db_engine, "boss9", "manager", OTHER_PROVIDER)
    staff(coaching, db_engine, "admin1", "admin", AREA)
    for user in ("off1", "coach1", "boss9", "admin1", "designer1"):
        assert browser(user).get(f"/instances/{case.id}").status_code == 404, user
    assert browser("boss").get(f"/instances/{case.id + 1000}").status_code == 404
    before = audit_rows(db_engine, "view_case", case.id)
    assert browser("boss").get(f"/instances/{case.id}").status_code == 200
    assert audit_rows(db_engine, "view_case", case.id)[len(before):] == [("boss", {"view": "instance"})]


def test_the_case_page_links_managers_to_the_diagram(browser, refer):
    case = refer()
    assert f'href="/instances/{case.id}"' in browser("boss").get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/instances/{case.id}"' not in browser("off1").get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_page_in_finnish_and_swedish(browser, refer):
    case = refer()
    boss = browser("boss")
    finnish = boss.get(f"/instances/{case.id}")
    assert _svg(finnish).xpath("s:title", namespaces=NS)[0].text == "Prosessikaavio"
    assert "Odottavat ajastimet" in text(finnish) and "Nykyiset tiedot" in text(finnish)
    assert boss.post("/language", {"locale": "sv", "next": "/tasks"}).status_code == 302
    swedish = boss.get(f"/instances/{case.id}")
    assert _svg(swedish).xpath("s:title", namespaces=NS)[0].text == "Processdiagram"
    assert "Väntande timrar" in text(swedish) and "Aktuella uppgifter" in text(swedish)
