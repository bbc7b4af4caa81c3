"""The managers' instance list (/instances, issue 10): each filter, sort, paging at the page
boundaries, the CSV export of the same list, and who may see it (the matrix: managers with names,
admins without, others 404), through the HTTP client as a browser uses it."""
from __future__ import annotations

import csv
import io
import json

import lxml.html
import pytest
from sqlalchemy import func, select, update

from polku.domain.models import Referral
from polku.engine import task_summary
from polku.engine.accounts import hash_password
from polku.engine.clock import parse_instant
from polku.engine.models import AuditEvent, HumanTask, Instance, Organisation, User
from polku.seed_paths import identity_code
from tests.scenarios.conftest import OTHER_PROVIDER, PROVIDER, Case, at, referral
from tests.web.conftest import PASSWORD

AINO, BERTIL, CECILIA, DAN, EERO, FANNY, GUNNAR = ("Aino Aalto", "Bertil Berg", "Cecilia Cruz", "Dan Dahl",
                                                   "Eero Esko", "Fanny Fors", "Gunnar Gran")
CODES = {AINO: "131052-308T", BERTIL: "010594Y9021", CECILIA: "020505A902P", DAN: "020505F903R",
         EERO: "010280-1026", FANNY: "010101A123N", GUNNAR: "311299-999E"}
NOW = at("2026-02-02", "12:00")  # the web's clock (POLKU_NOW): after every task below fell due


def table(b, query: str = "") -> list[dict]:
    """The instance table as dicts keyed by column header."""
    response = b.get("/instances" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    headers = [th.text_content().strip() for th in doc.xpath('//table[@id="instance-table"]/thead/tr/th')]
    return [dict(zip(headers, (" ".join(c.text_content().split()) for c in tr.xpath("./th|./td"))))
            for tr in doc.xpath('//table[@id="instance-table"]/tbody/tr')]


def names(b, query: str = "") -> list[str]:
    return [r["Client"] for r in table(b, query)]


@pytest.fixture
def cases(coaching, db_engine, monkeypatch):
    """Seven cases, one a day from 5 January, in every state the list tells apart."""
    def start(name, day, official="off1", **extra):
        data = referral(client_hetu=CODES[name], client_name=name, **extra)
        iid = coaching.json("start", "tyohonvalmennus", "--as", official, "--data", json.dumps(data), now=at(day))["id"]
        return Case(coaching, iid)

    made = {AINO: start(AINO, "2026-01-05")}  # waits for the coach to accept (a task open)
    made[BERTIL] = start(BERTIL, "2026-01-06", provider=OTHER_PROVIDER)
    made[CECILIA] = start(CECILIA, "2026-01-07", official="off2")
    made[CECILIA].accept("2026-01-12")
    made[CECILIA].set_goals()
    made[CECILIA].week("2026-01-16", meetings=0)  # R2: a week without meetings, a rule breach
    made[DAN] = start(DAN, "2026-01-08", planned_end="2026-01-20")  # refused: the process completed
    made[EERO] = start(EERO, "2026-01-09")
    coaching("terminate", made[EERO].id, "--as", "boss", "--reason", "moved away", now=at("2026-01-10"))
    made[FANNY] = start(FANNY, "2026-01-10")
    coaching("suspend", made[FANNY].id, "--as", "boss", "--reason", "on hold", now=at("2026-01-11"))
    made[GUNNAR] = start(GUNNAR, "2026-01-11")
    with db_engine.begin() as conn:  # a service task failed (what the engine records then)
        conn.execute(update(Instance).where(Instance.id == made[GUNNAR].id)
                     .values(status="error", error_element="send_start_notification", error_message="boom"))
    coaching("user", "add", "admin1", "--role", "admin", "--org", "Ylläpito", "--org-kind", "area")
    coaching("user", "add", "boss9", "--role", "manager", "--org", "Toinen alue", "--org-kind", "area")
    with db_engine.begin() as conn:
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    monkeypatch.setenv("POLKU_NOW", NOW)
    return made


NEWEST = [GUNNAR, FANNY, EERO, DAN, CECILIA, BERTIL, AINO]


@pytest.mark.parametrize("query, expected", [
    ("", NEWEST),
    ("?status=running", [CECILIA, BERTIL, AINO]),
    ("?status=waiting", []),  # every running one has a task open (a waiting one: its own test)
    ("?status=suspended", [FANNY]),
    ("?status=error", [GUNNAR]),
    ("?status=completed", [DAN]),
    ("?status=terminated", [EERO]),
    ("?status=nonsense", NEWEST),
    ("?process=tyohonvalmennus", NEWEST),
    ("?process=no_such_process", []),
    ("?version=1", NEWEST),
    ("?version=99", []),
    ("?step=accept_referral", [GUNNAR, FANNY, BERTIL, AINO]),  # stopped ones too: the task is still open
    ("?step=set_goals", []),
    ("?step=weekly_review", [CECILIA]),
    ("?official=off2", [CECILIA]),
    ("?official=nobody", []),
    ("?breach=1", [CECILIA]),
    ("?from=2026-01-07&to=2026-01-09", [EERO, DAN, CECILIA]),
    ("?from=2026-01-11", [GUNNAR]),
    ("?to=2026-01-05", [AINO]),
    ("?from=not-a-date", NEWEST),
])
def test_each_filter_returns_its_instances(user, cases, query, expected):
    assert names(user("boss"), query) == expected


def _org_id(db_engine, name: str) -> int:
    with db_engine.connect() as conn:
        return conn.scalar(select(Organisation.id).where(Organisation.name == name))


def test_provider_and_area_filters(user, cases, db_engine):
    b = user("boss")
    assert names(b, f"?provider={_org_id(db_engine, OTHER_PROVIDER)}") == [BERTIL]
    with db_engine.connect() as conn:
        area_of_referral = conn.scalar(select(Referral.provider_organisation_id)
                                       .where(Referral.instance_id == cases[AINO].id))
    assert BERTIL not in names(b, f"?provider={area_of_referral}")
    area = _org_id(db_engine, "Helsingin työllisyysalue")
    assert names(b, f"?area={area}") == NEWEST
    assert names(b, f"?area={_org_id(db_engine, 'Toinen alue')}") == []


def _choices(b, name: str) -> list[str]:
    doc = lxml.html.fromstring(b.get("/instances").get_data(as_text=True))
    return [o.text_content().strip() for o in doc.xpath(f'//select[@name="{name}"]/option') if o.get("value")]


def test_the_choices_are_what_the_managers_area_works_with(user, cases, coaching, db_engine):
    """Another area's official and case, and a provider nobody referred to: not offered to the
    Helsinki manager (their filters could only find nothing); the other area's manager is offered
    theirs, an admin everything."""
    coaching("user", "add", "off9", "--role", "official", "--org", "Toinen alue", "--org-kind", "area",
             "--name", "Olli Official")
    coaching("user", "add", "coach9", "--role", "coach", "--org", "Kolmas Oy", "--org-kind", "provider")
    coaching("start", "tyohonvalmennus", "--as", "off9", "--data",
             json.dumps(referral(client_hetu=identity_code(7), client_name="Iida Ilo")),
             now=at("2026-01-12"))
    with db_engine.begin() as conn:
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    boss = user("boss")
    assert _choices(boss, "provider") == [OTHER_PROVIDER, PROVIDER]
    assert _choices(boss, "area") == ["Helsingin työllisyysalue"]
    assert "Olli Official" not in _choices(boss, "official") and len(_choices(boss, "official")) == 2
    other = user("boss9")
    assert _choices(other, "area") == ["Toinen alue"] and _choices(other, "official") == ["Olli Official"]
    assert _choices(other, "provider") == [PROVIDER]
    admin = user("admin1")
    assert "Kolmas Oy" in _choices(admin, "provider") and "Toinen alue" in _choices(admin, "area")
    assert "Olli Official" in _choices(admin, "official")


def test_overdue_is_an_open_task_past_its_due_time(user, cases, db_engine):
    with db_engine.connect() as conn:
        late = set(conn.scalars(select(HumanTask.instance_id).where(HumanTask.state == "ready",
                                                                    HumanTask.due_at < parse_instant(NOW))))
    expected = [n for n in NEWEST if cases[n].id in late]
    assert expected, "the fixture should have an overdue task"
    assert names(user("boss"), "?overdue=1") == expected


def test_a_running_instance_with_no_open_task_is_waiting(user, cases, db_engine):
    with db_engine.begin() as conn:  # its only task done elsewhere: nothing but a timer can move it on
        conn.execute(update(HumanTask).where(HumanTask.instance_id == cases[AINO].id).values(state="completed"))
        # and the instance row's summary of its open tasks with them, as the engine keeps it
        conn.execute(update(Instance).where(Instance.id == cases[AINO].id)
                     .values(open_tasks=task_summary.OPEN_TASKS, next_due_at=task_summary.NEXT_DUE_AT))
    b = user("boss")
    assert names(b, "?status=waiting") == [AINO]
    assert AINO not in names(b, "?status=running")
    assert table(b, "?status=waiting")[0]["Status"] == "Waiting for a timer or message"


@pytest.mark.parametrize("sort, expected", [
    ("newest", NEWEST), ("oldest", NEWEST[::-1]), ("started", NEWEST),
    # running first (newest first within a status), then suspended, error, completed, terminated
    ("status", [CECILIA, BERTIL, AINO, FANNY, GUNNAR, DAN, EERO]),
])
def test_sort(user, cases, sort, expected):
    assert names(user("boss"), f"?sort={sort}") == expected


def test_sort_by_due_puts_the_earliest_deadline_first_and_none_last(user, cases, db_engine):
    with db_engine.connect() as conn:
        due = dict(conn.execute(select(HumanTask.instance_id, func.min(HumanTask.due_at))
                                .where(HumanTask.state == "ready").group_by(HumanTask.instance_id)).all())
    ids = {c.id: n for n, c in cases.items()}
    with_due = sorted((d, -i) for i, d in due.items() if d is not None)
    expected = [ids[-i] for _d, i in with_due] + [n for n in NEWEST if due.get(cases[n].id) is None]
    assert len(with_due) >= 2, "the fixture should have deadlines to order"
    assert names(user("boss"), "?sort=due") == expected


@pytest.mark.parametrize("per_page, page, expected", [
    (3, 1, NEWEST[0:3]), (3, 2, NEWEST[3:6]), (3, 3, NEWEST[6:7]), (3, 4, NEWEST[6:7]),  # past the end: the last
    (7, 1, NEWEST), (7, 2, NEWEST), (6, 2, NEWEST[6:]), (1, 7, NEWEST[6:]),
])
def test_paging_at_the_page_boundaries(user, cases, monkeypatch, per_page, page, expected):
    monkeypatch.setattr("polku.domain.instancelist.PAGE_SIZE", per_page)
    b = user("boss")
    assert names(b, f"?page={page}") == expected
    html = b.get(f"/instances?page={page}&status=").get_data(as_text=True)
    assert "7 instances" in html
    pages = -(-7 // per_page)
    assert ('id="pagination"' in html) == (pages > 1)


def test_a_count_past_the_cap_says_more_than_and_every_page_is_reached(user, cases, monkeypatch):
    monkeypatch.setattr("polku.engine.queries.COUNT_CAP", 3)
    monkeypatch.setattr("polku.domain.instancelist.PAGE_SIZE", 2)
    b = user("boss")
    doc = lxml.html.fromstring(b.get("/instances").get_data(as_text=True))
    assert doc.get_element_by_id("results-heading").text_content().strip() == "More than 3 instances"
    assert "Page 1 of more than 2" in doc.get_element_by_id("pagination").text_content()
    assert [name for number in (1, 2, 3, 4) for name in names(b, f"?page={number}")] == NEWEST
    doc = lxml.html.fromstring(b.get("/instances?page=4").get_data(as_text=True))
    assert "Page 4 of 4" in doc.get_element_by_id("pagination").text_content()
    assert not doc.xpath('//a[@rel="next"]')


def test_paging_links_keep_the_filters(user, cases, monkeypatch):
    monkeypatch.setattr("polku.domain.instancelist.PAGE_SIZE", 1)
    html = user("boss").get("/instances?official=off1&sort=oldest").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    assert doc.xpath('//a[@rel="next"]/@href') == ["/instances?page=2&official=off1&sort=oldest"]
    assert doc.xpath('//a[@id="csv-link"]/@href') == ["/instances.csv?official=off1&sort=oldest"]


def _csv(b, query: str = "") -> list[dict]:
    response = b.get("/instances.csv" + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize("query", ["", "?status=running", "?sort=oldest&from=2026-01-06", "?breach=1"])
def test_the_csv_is_the_list_every_row_not_just_the_page(user, cases, monkeypatch, query):
    b = user("boss")
    whole = table(b, query)
    monkeypatch.setattr("polku.domain.instancelist.PAGE_SIZE", 2)
    rows = _csv(b, query)
    assert [r["Number"] for r in rows] == [r["Number"] for r in whole]
    for got, shown in zip(rows, whole):
        for column in ("Client", "Process", "Version", "Status", "Current step", "Service provider",
                       "Employment area", "Responsible official", "Started", "Rule breach"):
            assert " ".join(got[column].split()) == shown[column].replace("–", ""), column  # the page's dash: none


def test_csv_injection_is_escaped(user, cases, db_engine):
    with db_engine.begin() as conn:
        conn.execute(update(Referral).where(Referral.instance_id == cases[AINO].id)
                     .values(name="=HYPERLINK(\"http://x\")"))
        conn.execute(update(Referral).where(Referral.instance_id == cases[DAN].id).values(name="@SUM(1)"))
    from polku.domain.models import Client
    with db_engine.begin() as conn:
        client_id = conn.scalar(select(Referral.client_id).where(Referral.instance_id == cases[AINO].id))
        if client_id is not None:
            conn.execute(update(Client).where(Client.id == client_id).values(name="=HYPERLINK(\"http://x\")"))
    found = {r["Number"]: r["Client"] for r in _csv(user("boss"))}
    assert found[str(cases[AINO].id)] == "'=HYPERLINK(\"http://x\")"
    assert found[str(cases[DAN].id)] == "'@SUM(1)"
    assert found[str(cases[BERTIL].id)] == BERTIL


@pytest.mark.parametrize("username", ["off1", "coach1", "designer1"])
def test_others_get_404(browser, cases, username):
    b = browser(username)
    assert b.get("/instances").status_code == 404
    assert b.get("/instances.csv").status_code == 404
    assert "/instances" not in b.get("/tasks").get_data(as_text=True)


def test_another_areas_manager_sees_none_of_them(user, cases):
    assert table(user("boss9")) == []


def test_an_admin_sees_every_instance_but_no_client_data(user, cases, db_engine):
    b = user("admin1")
    rows = table(b)
    assert len(rows) == 7 and "Client" not in rows[0]
    html = b.get("/instances").get_data(as_text=True)
    assert AINO not in html and CODES[AINO] not in html
    csv_text = b.get("/instances.csv").get_data(as_text=True)
    assert AINO not in csv_text and "Client" not in csv_text.splitlines()[0]
    assert _audit(db_engine) == []  # no client data read, nothing to log


def _audit(db_engine) -> list:
    with db_engine.connect() as conn:
        return conn.execute(select(AuditEvent.actor, AuditEvent.details)
                            .where(AuditEvent.action == "list_instances").order_by(AuditEvent.id)).all()


def test_the_list_and_the_export_are_logged_reads_naming_the_instances(user, cases, monkeypatch, db_engine):
    monkeypatch.setattr("polku.domain.instancelist.PAGE_SIZE", 3)
    b = user("boss")
    b.get("/instances")
    b.get("/instances.csv?status=running")
    b.get("/instances?official=nobody")  # shows nothing: logs nothing
    ids = {n: c.id for n, c in cases.items()}
    assert [(a, d) for a, d in _audit(db_engine)] == [
        ("boss", {"instances": [ids[n] for n in NEWEST[:3]]}),
        ("boss", {"instances": [ids[CECILIA], ids[BERTIL], ids[AINO]], "export": True}),
    ]


@pytest.mark.parametrize("lang, title, process", [("fi", "Käsittelyt", "Työhönvalmennus"),
                                                   ("sv", "Handläggningar", "Arbetsträning"),
                                                   ("en", "Process instances", "Job coaching")])
def test_the_page_and_its_nav_link_in_each_language(browser, cases, lang, title, process):
    """Also: a process is named as the BPMN names it, in the user's language, not by its key."""
    b = browser("boss")
    assert b.post("/language", {"locale": lang, "next": "/instances"}).status_code == 302
    doc = lxml.html.fromstring(b.get("/instances").get_data(as_text=True))
    assert doc.xpath("//h1")[0].text_content().strip() == title
    assert {td.text_content().strip() for td in doc.xpath('//table[@id="instance-table"]/tbody/tr/td[2]')} == {process}
    assert doc.xpath('//select[@id="process"]/option[@value="tyohonvalmennus"]')[0].text_content() == process
    assert doc.xpath('//nav//a[@aria-current="page"]')[0].text_content().strip() == title
    for control in doc.xpath('//form[@id="instance-filters"]//select|//form[@id="instance-filters"]//input'):
        assert doc.xpath(f'//label[@for="{control.get("id")}"]'), control.get("id")


def test_what_a_manager_acts_on_comes_first_in_the_table(user, cases):
    """Status, the current step and its deadline sit side by side among the first columns, in view
    at a laptop's width (the rest of the twelve scroll sideways)."""
    doc = lxml.html.fromstring(user("boss").get("/instances?sort=due").get_data(as_text=True))
    headers = [th.text_content().strip() for th in doc.xpath('//table[@id="instance-table"]/thead/tr/th')]
    assert headers[4:7] == ["Status", "Current step", "Next deadline"], headers
    cells = doc.xpath('//table[@id="instance-table"]/tbody/tr[1]/*')
    assert [c.get("data-label") for c in cells[4:7]] == headers[4:7]  # the stacked cards say the same


def test_an_official_who_is_no_longer_a_user_is_offered_while_a_case_of_theirs_is_visible(user, cases, db_engine):
    """The responsible official of a case may have left (no user row): still a choice, by the name
    the referral holds, when the manager can see one of their cases; never for another area's case."""
    with db_engine.begin() as conn:
        conn.execute(update(Referral).where(Referral.instance_id == cases[AINO].id)
                     .values(responsible_official="left_official"))
    assert "left_official" in _choices(user("boss"), "official")
    assert "left_official" not in _choices(user("boss9"), "official")
    assert names(user("boss"), "?official=left_official") == [AINO]


def test_an_admin_filters_by_step_over_every_area(user, cases):
    """The step filter starts from the step's open tasks: of every area for an admin (no names shown)."""
    rows = table(user("admin1"), "?step=weekly_review")
    assert [r["Number"] for r in rows] == [str(cases[CECILIA].id)] and "Client" not in rows[0]
