"""380/2023 §124: reads of a case by someone with no task on it are listed for the authority to
look into, on the command line (`polku audit anomalies`) and on the managers' page
/audit/anomalies (their organisation's cases only); the report is itself a logged read."""
from __future__ import annotations

from sqlalchemy import update

from polku.engine.accounts import hash_password
from polku.engine.models import User
from tests.conftest import add_user
from tests.scenarios.conftest import PROVIDER, at
from tests.web.conftest import PASSWORD, english
from tests.web.test_cases import text

OTHER_AREA = "Tampereen työllisyysalue"


def person(polku, db_engine, username, role, org, kind):
    add_user(polku, username, role, org=org, kind=kind)
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == username).values(password_hash=hash_password(PASSWORD)))


def _reads(browser, case, coaching, db_engine):
    """coach3 (the provider's, no task: the open one is coach1's) opens the case; off1 (its
    responsible official) and coach1 (who accepted the referral) open it too."""
    person(coaching, db_engine, "coach3", "coach", PROVIDER, "provider")
    person(coaching, db_engine, "boss9", "manager", OTHER_AREA, "area")
    case.accept()
    coaching("claim", case.task("set_goals", "coach1")["id"], "--as", "coach1", now=at("2026-01-12", "10:00"))
    for user in ("coach3", "off1", "coach1", "boss"):  # the area's manager supervises: not an anomaly
        assert browser(user).get(f"/cases/{case.id}").status_code == 200
        assert browser(user).get("/cases?scope=all").status_code == 200  # a list that names the case


def test_the_cli_lists_a_read_without_a_task_and_not_those_with_one(browser, refer, coaching, db_engine):
    case = refer()
    _reads(browser, case, coaching, db_engine)
    found = case.polku.json("audit", "anomalies")["anomalies"]
    mine = [(e["username"], e["action"], e["view"]) for e in found if e["case"] == case.id and not e["listed"]]
    assert mine == [("coach3", "view_case", "case")]  # not boss, the area's manager (domain.anomalies)
    listed = {(e["username"], e["action"]) for e in found if e["case"] == case.id and e["listed"]}
    assert listed == {("coach3", "list_cases")}
    assert case.polku.json("audit", "anomalies", "--since", "2100-01-01")["anomalies"] == []
    assert case.polku.json("audit", "anomalies", "--as", "boss9")["anomalies"] == []  # another area's manager
    assert ("coach3", case.id) in {(e["username"], e["case"]) for e in
                                   case.polku.json("audit", "anomalies", "--as", "boss")["anomalies"]}
    refused = case.polku.refused("audit", "anomalies", "--as", "coach1", "--json")
    assert '"forbidden"' in refused.stderr + refused.stdout
    exported = case.polku("audit", "client", "131052-308T").json  # the report named the case: a read of it
    assert ("operator", "list_anomalies") in {(e["actor"], e["action"]) for e in exported["events"]}


def test_the_managers_page_shows_their_cases_only_and_is_logged(browser, refer, coaching, db_engine):
    case = refer()
    _reads(browser, case, coaching, db_engine)
    page = text(english(browser("boss")).get("/audit/anomalies"))
    assert "Reads without a task" in page
    assert f"coach3 Case {case.id} Opened the case page" in page
    assert "off1" not in page and "coach1" not in page
    other = english(browser("boss9")).get("/audit/anomalies")
    assert other.status_code == 200 and f"Case {case.id}" not in text(other)
    for user in ("coach1", "off1", "designer1"):
        assert browser(user).get("/audit/anomalies").status_code == 404
    exported = case.polku("audit", "client", "131052-308T").json
    assert ("boss", "list_anomalies") in {(e["actor"], e["action"]) for e in exported["events"]}


def test_a_candidates_read_before_claiming_is_not_an_anomaly(browser, refer, coaching, db_engine, monkeypatch):
    """coach3 opens the case while the referral waits in every provider coach's inbox: their task
    then. off2, an official of the area with no task, and coach3 again once coach1 holds the open
    task, are still listed."""
    person(coaching, db_engine, "coach3", "coach", PROVIDER, "provider")
    case = refer()

    def read(user, when):
        monkeypatch.setenv("POLKU_NOW", when)  # the web's clock, as the CLI's
        assert browser(user).get(f"/cases/{case.id}").status_code == 200

    read("coach3", at("2026-01-06"))
    read("off2", at("2026-01-06", "10:00"))
    case.accept()  # 2026-01-12: set_goals opens to the provider's coaches
    read("coach3", at("2026-01-12", "09:30"))
    coaching("claim", case.task("set_goals", "coach1")["id"], "--as", "coach1", now=at("2026-01-12", "10:00"))
    read("coach3", at("2026-01-13"))
    monkeypatch.delenv("POLKU_NOW")
    found = case.polku.json("audit", "anomalies")["anomalies"]
    assert [(e["username"], e["at"][:10]) for e in found if e["case"] == case.id and not e["listed"]] \
        == [("off2", "2026-01-06"), ("coach3", "2026-01-13")]


def _nav(page: str) -> str:
    return page[page.index("<nav"):page.index("</nav>")]


def test_the_main_menu_leads_managers_and_admins_to_the_report(browser, coaching, db_engine):
    person(coaching, db_engine, "admin1", "admin", OTHER_AREA, "area")
    for user, shown in (("boss", True), ("admin1", True), ("coach1", False), ("off1", False), ("designer1", False)):
        nav = _nav(english(browser(user)).get("/tasks").get_data(as_text=True))
        assert ('href="/audit/anomalies">Reads without a task</a>' in nav) is shown, user
    boss = browser("boss")
    assert 'href="/audit/anomalies" aria-current="page"' in _nav(boss.get("/audit/anomalies").get_data(as_text=True))
    for locale, label in (("fi", "Käytöt ilman tehtävää"), ("sv", "Användningar utan uppgift")):
        assert boss.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
        assert f">{label}</a>" in _nav(boss.get("/tasks").get_data(as_text=True)), locale
