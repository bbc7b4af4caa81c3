"""The case page tells the story from the service record (not from reads), shows the referral to
those who need it (health information only with consent, only to the case's coach and official,
every display logged), keeps the access log for the case's managers, and prints the provider and
the goals with their results."""
from __future__ import annotations

from sqlalchemy import update

from polku.domain.casefile import case_access_log
from polku.engine.accounts import hash_password
from polku.engine.errors import NotFound
from polku.engine.models import User
from tests.conftest import add_user
from tests.scenarios.conftest import HETU, OTHER_PROVIDER, PROVIDER
from tests.web.conftest import PASSWORD, english
from tests.web.test_cases import audit_rows, text

HEALTH = "Diabetes; no night shifts"


def person(polku, db_engine, username, role, org):
    """A user added after the cast got its passwords: one more, who can log in."""
    add_user(polku, username, role, org=org, kind="provider")
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == username).values(password_hash=hash_password(PASSWORD)))


def _story(page: str) -> str:
    return page[page.index("Timeline"):page.index("Periods")]


# The period starts on Monday 12 January 2026: its weeks are ISO weeks 3, 4 and 5 (domain.weeks).
W3 = "week 3 (Jan 12, 2026 – Jan 18, 2026)"
W4, W5 = "week 4 (Jan 19, 2026 – Jan 25, 2026)", "week 5 (Jan 26, 2026 – Feb 1, 2026)"


def test_the_timeline_tells_what_was_recorded_and_no_reads(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", meetings=2, notes="Worked on the CV together")
    case.week("2026-01-23", meetings=0, absence_days=2)
    case.week("2026-01-30", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="health", description="Occupational health check")
    case.do("decide_redirection", "off1", decision="continue", reason="Alongside coaching")
    for user in ("coach1", "off2", "boss"):  # reads by others: not in the story
        assert browser(user).get(f"/cases/{case.id}").status_code == 200
    coach = browser("coach1")
    coach.get(f"/tasks/{case.task('weekly_review', 'coach1')['id']}")

    story = _story(text(english(browser("off1")).get(f"/cases/{case.id}")))
    for expected in (
        "Referral made by off1 to Valmennus Oy for Jan 12, 2026 – Apr 30, 2026",
        "Start notification sent by coach1: coaching started Jan 12, 2026",
        "coach1 set the goals",
        f"coach1 recorded the review of {W3}, period 1: 2 meetings (Jan 16, 2026 individual meeting, "
        "Jan 16, 2026 individual meeting); 0 days of unexcused absence. Notes: Worked on the CV together",
        f"coach1 recorded the review of {W4}, period 1: 0 meetings no meeting ; 2 days of unexcused absence "
        "(2 weeks in a row).",
        f"Notice to manager: A week without a meeting (period 1, {W4})",
        f"coach1 recorded the review of {W5}, period 1: 1 meeting", "The client needs another service",
        f"Notice to responsible official: The client needs another service (period 1, {W5})",
        "coach1 recorded a redirection to Health services: Occupational health check",
        "off1 decided on redirection to another service: Continue the coaching. Justification: Alongside coaching",
    ):
        assert expected in story, expected
    assert story.index(f"review of {W4}") < story.index("A week without a meeting") < story.index(f"review of {W5}")
    for read in ("viewed", "opened", "Opened", "boss", "off2", "completed “"):
        assert read not in story, read


def test_closure_and_statement_are_told_with_their_content(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16")
    case.week("2026-01-23", end_period=True)
    case.close(reached=2, next_steps="Apply for forklift training")
    case.statement()
    story = _story(text(english(browser("coach1")).get(f"/cases/{case.id}")))
    assert "coach1 recorded the results: Employed; 2 of 3 goals reached. Next steps: Apply for forklift training" \
        in story
    assert "coach1 sent the final statement (ARVI statement). Reviewed with the client." in story
    assert "End notification sent (period 1): Ended (Closed normally)" in story


def test_the_story_is_in_finnish_and_swedish(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", meetings=0)
    coach = browser("coach1")
    finnish = text(coach.get(f"/cases/{case.id}"))
    assert "coach1 kirjasi viikkokatsauksen: viikko 3 (12.1.2026–18.1.2026), jakso 1: 0 tapaamista" in finnish
    assert "coach1 asetti tavoitteet" in finnish
    assert "Ilmoitus (esihenkilö): Viikko ilman tapaamista" in finnish
    assert coach.post("/language", {"locale": "sv", "next": "/tasks"}).status_code == 302
    swedish = text(coach.get(f"/cases/{case.id}"))
    assert "coach1 registrerade veckoöversikten: vecka 3 (12.1.2026–18.1.2026), period 1: 0 möten" in swedish
    assert "coach1 satte upp målen" in swedish


def test_the_referral_is_on_the_case_page(browser, refer):
    case = refer(other_services="Kela rehabilitation", client_language="sv", municipality="Espoo")
    page = text(english(browser("boss")).get(f"/cases/{case.id}"))
    referral = page[page.index("Referral Service need"):page.index("Timeline")]
    assert referral == ("Referral Service need Support to find work in logistics Other services Kela rehabilitation "
                        "Service provider Valmennus Oy Municipality Espoo Client's language Swedish ")


# --- health information (R10) -----------------------------------------------------------

def _health_rows(db_engine, case_id):
    return [(actor, bool(d.get("health_information"))) for actor, d in audit_rows(db_engine, "view_case", case_id)]


def test_health_information_only_to_the_cases_coach_and_official_and_logged(browser, refer, db_engine, coaching):
    case = refer(health_consent=True, health_information=HEALTH)
    person(coaching, db_engine, "coach3", "coach", PROVIDER)  # a colleague of coach1
    seen = {}
    seen["off1"] = english(browser("off1")).get(f"/cases/{case.id}")  # made the referral
    seen["coach1_before"] = browser("coach1").get(f"/cases/{case.id}")  # not yet the case's coach
    case.accept()  # coach1 accepts: now the case's coach
    for user in ("coach1", "coach3", "off2", "boss"):
        seen[user] = browser(user).get(f"/cases/{case.id}")
    shown = {user: HEALTH in r.get_data(as_text=True) for user, r in seen.items()}
    assert shown == {"off1": True, "coach1_before": False, "coach1": True, "coach3": False, "off2": False,
                     "boss": False}
    assert "Health information (given with the client's consent) " + HEALTH in text(seen["off1"])
    assert _health_rows(db_engine, case.id) == [("off1", True), ("coach1", False), ("coach1", True),
                                                ("coach3", False), ("off2", False), ("boss", False)]
    statement = browser("off1").get(f"/cases/{case.id}/statement")  # not on the print view
    assert HEALTH not in statement.get_data(as_text=True)
    assert _health_rows(db_engine, case.id)[-1] == ("off1", False)


def test_without_consent_nobody_sees_health_information(browser, refer, db_engine):
    case = refer(health_consent=False)  # the referral form refuses health information without consent
    case.accept()
    for user in ("off1", "coach1"):
        page = english(browser(user)).get(f"/cases/{case.id}").get_data(as_text=True)
        assert HEALTH not in page and "Health information" not in page
    assert all(not shown for _, shown in _health_rows(db_engine, case.id))


def test_an_official_who_takes_a_task_over_becomes_the_cases_official(browser, refer):
    case = refer(health_consent=True, health_information=HEALTH)
    case.accept()
    case.set_goals()
    case.week("2026-01-16", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="health", description="Check")
    off2 = browser("off2")
    assert HEALTH not in off2.get(f"/cases/{case.id}").get_data(as_text=True)
    task = case.task("decide_redirection", "off1")  # the responsible official's
    assert off2.post(f"/tasks/{task['id']}/take-over").status_code in (302, 303)
    page = english(off2).get(f"/cases/{case.id}")
    assert HEALTH in page.get_data(as_text=True)
    assert "off2 took “Decide how the coaching continues” over from off1" in _story(text(page))


# --- the access log -------------------------------------------------------------------------

def test_the_access_log_is_for_the_cases_managers_and_is_itself_logged(browser, refer, db_engine, coaching):
    case = refer(health_consent=True, health_information=HEALTH)
    coach = browser("coach1")
    coach.get("/cases")
    coach.get(f"/tasks/{case.task('accept_referral', 'coach1')['id']}")
    browser("off1").get(f"/cases/{case.id}")
    boss = english(browser("boss"))
    assert f'href="/cases/{case.id}/access-log"' in boss.get(f"/cases/{case.id}").get_data(as_text=True)

    log = text(boss.get(f"/cases/{case.id}/access-log"))
    assert "Access log: Matti Meikäläinen" in log
    for expected in ("coach1 Saw the case in the list of cases",
                     "coach1 Opened the task “Accept the referral and send the start notification”",
                     "off1 Opened the case page health information shown", "boss Opened the case page"):
        assert expected in log, expected
    assert log.index("Saw the case") < log.index("Opened the task") < log.index("off1 Opened")
    assert "Opened the access log" not in log  # this read is written after it is shown
    assert "boss Opened the access log" in text(boss.get(f"/cases/{case.id}/access-log"))
    assert [d["view"] for actor, d in audit_rows(db_engine, "view_case", case.id) if actor == "boss"] == \
        ["case", "access_log", "access_log"]

    person(coaching, db_engine, "boss2", "manager", OTHER_PROVIDER)  # a manager of another organisation
    before = len(audit_rows(db_engine, "view_case", case.id))
    for user in ("coach1", "off1", "off2", "boss2"):
        b = browser(user)
        assert 'access-log' not in b.get(f"/cases/{case.id}").get_data(as_text=True)
        assert b.get(f"/cases/{case.id}/access-log").status_code == 404
    assert len(audit_rows(db_engine, "view_case", case.id)) == before + 3  # three case pages (not boss2), no log
    assert browser("coach1").get("/cases/99999/access-log").status_code == 404


def test_case_access_log_refuses_others_in_the_domain(refer, uow_factory, db_engine):
    case = refer()
    with uow_factory() as uow:
        for user in ("coach1", "off1", "coach2"):
            try:
                case_access_log(uow, user, case.id)
            except NotFound as exc:
                assert str(exc) == f"no case {case.id}"
            else:
                raise AssertionError(f"{user} read the access log")
        found = case_access_log(uow, "boss", case.id)
        uow.commit()
    assert found["entries"] == [] and found["client"]["identity_code"] == HETU
    assert audit_rows(db_engine, "view_case", case.id) == [("boss", {"view": "access_log"})]


# --- the print view ---------------------------------------------------------------------------

def test_the_print_view_carries_the_provider_and_the_goals_with_their_results(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16")
    case.week("2026-01-23", end_period=True)
    case.close(reached=2)
    case.statement()
    page = text(english(browser("off1")).get(f"/cases/{case.id}/statement"))
    assert "Service provider Valmennus Oy" in page
    goals = page[page.index("Goals and results"):page.index("Final statement", page.index("Goals and results"))]
    for row in ("CV updated and sent Improved job-search skills Sent applications log Reached evidence 0",
                "Map ten employers", "List reviewed together Reached evidence 1",
                "Daily routine", "Attendance record Not reached evidence 2",
                "Situation at the end: Employed."):
        assert row in goals, row
