"""axe-core on every page of the app, in Finnish, Swedish and English: zero violations allowed.

One server for the module. The cases the pages show are built once through the `polku` CLI
(in-process, on the server's database, at the server's fixed time): one case waiting at each
kind of task, and one completed case with two periods for the case view and the print page.
Each test gathers the violations of all its pages and fails with the whole report.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import BPMN, Cli, process_label, step, ui

LANGS = ["fi", "sv", "en"]
COACH, OTHER_COACH, OFFICIAL, MANAGER = "valmentaja1", "valmentaja2", "virkailija1", "esihenkilo"
DESIGNER = "suunnittelija"
CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
GOALS = [
    {"category": "job_search_skills", "description": "Ansioluettelo päivitetty", "verification": "Hakemusloki"},
    {"category": "job_opportunities", "description": "Työnantajat kartoitettu", "verification": "Lista"},
]
WEEK = {"meetings": [{"date": "2026-01-05", "kind": "individual"}], "absence_days": 0}
SHORT = {"start": "2026-01-05", "end": "2026-01-19"}  # the second period's assessment is due at once
NEXT_WEEK = {"meetings": [{"date": "2026-01-12", "kind": "individual"}], "absence_days": 0}
LATER = "2026-01-13T09:00:00+00:00"  # a CLI step in the period's second week (the server stays at NOW)


def hetu(n: int) -> str:
    """A valid personal identity code, a different one for each n (born 1.2.1980 + n days)."""
    day, month, individual = 1 + n % 28, 2 + n // 28, 102 + 2 * n
    digits = f"{day:02d}{month:02d}80{individual:03d}"
    return f"{digits[:6]}-{digits[6:]}{CHECK[int(digits) % 31]}"


@pytest.fixture(scope="module")
def cases(module_server, module_cli):
    """{step: instance id}: a case waiting at each step, and `done`, a completed case."""
    cli = module_cli
    made: dict[str, int] = {}

    def refer(key: str, **dates) -> int:
        made[key] = cli.refer(hetu(len(made)), f"Asiakas {len(made) + 1} {key}", **dates)
        return made[key]

    def accepted(key: str, **dates) -> int:
        iid = refer(key, **dates)
        cli.do(iid, "accept_referral", COACH, actual_start="2026-01-05", coaching_mode="mixed")
        if key != "set_goals":
            cli.do(iid, "set_goals", COACH, goals=GOALS, meetings_per_week=1)
        return iid

    refer("accept_referral")
    accepted("set_goals")
    accepted("weekly_review")
    iid = accepted("propose_second_period", **SHORT)
    cli.do(iid, "weekly_review", COACH, **WEEK)
    iid = accepted("decide_second_period", **SHORT)
    cli.do(iid, "weekly_review", COACH, **WEEK)
    cli.do(iid, "propose_second_period", COACH, second_period_needed=True, second_period_end="2026-05-19",
           justification="Jatko tarpeen")

    def closing(key: str, **dates) -> int:
        iid = accepted(key, **dates)
        if dates:  # with a second period
            cli.do(iid, "weekly_review", COACH, **WEEK)
            cli.do(iid, "propose_second_period", COACH, second_period_needed=True, second_period_end="2026-05-19",
                   justification="Jatko tarpeen")
            cli.do(iid, "decide_second_period", OFFICIAL, decision="approve", reason="Perusteltu")
            # The period's second calendar week (12-18 January) is recorded once it has begun; the
            # second period then begins on the 13th, in the same week, with no meeting yet.
            cli.do(iid, "weekly_review", COACH, now=LATER, **NEXT_WEEK, end_period=True,
                   notes="Ensimmäinen jakso päättyy")
            cli.do(iid, "weekly_review", COACH, now=LATER, **{**WEEK, "meetings": []}, end_period=True,
                   notes="Valmennus päättyy")
            return iid
        cli.do(iid, "weekly_review", COACH, **WEEK, end_period=True, notes="Valmennus päättyy")
        return iid

    closing("closure")
    iid = closing("final_statement")
    results = [{"goal": i, "reached": True, "evidence": f"Näyttö {i + 1}"} for i in range(len(GOALS))]
    closure = {"goal_results": results, "outcome_areas": ["job_search_skills"], "employment_status": "employed",
               "next_steps": "Työ alkaa"}
    cli.do(iid, "closure", COACH, **closure)
    statement = {"statement_kind": "arvi", "statement_text": "Valmennus onnistui.\nAsiakas työllistyi.",
                 "reviewed_with_client": True}
    for key, dates in (("review_end", {}), ("done", SHORT)):
        iid = closing(key, **dates)
        cli.do(iid, "closure", COACH, **closure)
        cli.do(iid, "final_statement", COACH, **statement)
    cli.do(iid, "review_end", OFFICIAL, feedback_discussion="none")
    for key, iid in made.items():
        expected = [] if key == "done" else [key]
        assert cli.ready(iid) == expected, (key, cli.ready(iid))
    assert cli.json("show", made["done"])["status"] == "completed"
    return made


class Checker:
    """One user in one language: visit pages, run axe on each, keep every violation."""

    def __init__(self, user, lang: str):
        self.user, self.lang, self.found, self.checked = user, lang, [], []

    def check(self, what: str, h1: str | None = None) -> None:
        page = self.user.page
        assert page.get_attribute("html", "lang") == self.lang, f"{what}: {page.url} is not in {self.lang}"
        if h1 is not None:
            assert h1 in " ".join(page.locator("h1").inner_text().split()), f"{what}: {page.url}"
        self.found += self.user.violations(f"{what} [{self.lang}]")
        self.checked.append(what)

    def visit(self, path: str, what: str, h1: str | None = None) -> None:
        self.user.go(path)
        self.check(what, h1)

    def task(self, task_id: str, element_id: str) -> None:
        self.visit(f"/tasks/{task_id}", f"task page {element_id}", h1=step(self.lang, element_id))

    def submit(self) -> None:
        self.user.page.click("main form.form button.primary")
        self.user.page.wait_for_load_state()

    def errors_shown(self, what: str, *hrefs: str) -> None:
        summary = self.user.page.locator("#error-summary")
        assert summary.is_visible(), f"{what}: no error summary"
        links = [a.get_attribute("href") for a in summary.locator("a").all()]
        assert links == list(hrefs), (what, links)
        self.check(what)

    def assert_clean(self) -> None:
        assert not self.found, f"axe-core violations on {len(self.found)} of {len(self.checked)} pages:\n\n" + \
            "\n\n".join(self.found)


def logged_in(module_person, username: str, lang: str) -> Checker:
    user = module_person("fi-FI").login(username).language(lang)
    return Checker(user, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_login_pages(module_person, lang):
    user = module_person("fi-FI").go("/login").language(lang)
    c = Checker(user, lang)
    c.check("login", h1=ui(lang, "Log in"))
    user.page.fill("#username", "nobody-at-all")
    user.page.fill("#password", "wrong")
    user.page.click("main button.primary")
    assert user.page.locator("#error-summary").is_visible()
    c.check("login failed", h1=ui(lang, "Log in"))
    c.assert_clean()


@pytest.mark.parametrize("lang", LANGS)
def test_coach_pages(module_person, module_cli, cases, lang):
    empty = logged_in(module_person, OTHER_COACH, lang)
    assert empty.user.page.locator("#empty-state").is_visible()
    empty.check("inbox, empty", h1=ui(lang, "Tasks"))

    c = logged_in(module_person, COACH, lang)
    rows = c.user.page.locator("#inbox-table tbody tr")
    assert rows.count() >= 6
    c.check("inbox with tasks", h1=ui(lang, "Tasks"))
    c.user.go("/tasks?scope=mine")
    assert c.user.page.locator("#empty-state").is_visible()
    c.check("inbox, filtered to nothing")
    c.visit("/notices", "notices list, a coach's (deadline reminders)", h1=ui(lang, "Notices"))

    tasks = {key: module_cli.task(cases[key], key, COACH)
             for key in ("accept_referral", "set_goals", "weekly_review", "propose_second_period", "closure",
                         "final_statement")}
    page = c.user.page

    c.task(tasks["accept_referral"], "accept_referral")
    c.submit()  # no date
    c.errors_shown("accept_referral with errors", "#field-actual_start")

    c.task(tasks["set_goals"], "set_goals")
    assert page.locator('select[name="goals-4-category"]').count() == 1
    page.fill('[name="goals-0-description"]', "Vain yksi tavoite")
    page.click('button[name="_more_rows"][value="goals"]')
    page.wait_for_load_state()
    assert page.locator('select[name="goals-7-category"]').count() == 1
    c.check("set_goals with more goal rows")
    page.fill("#field-meetings_per_week", "0")
    c.submit()  # one goal without its area and verification, and 0 meetings a week
    c.errors_shown("set_goals with errors", "#field-goals", "#field-meetings_per_week")

    c.task(tasks["weekly_review"], "weekly_review")
    assert page.locator('input[type="date"][name="meetings-1-date"]').count() == 1  # the two agreed a week
    page.fill("#field-absence_days", "9")
    c.submit()
    c.errors_shown("weekly_review with errors", "#field-absence_days")

    c.task(tasks["propose_second_period"], "propose_second_period")

    c.task(tasks["closure"], "closure")
    assert page.locator('input[name="goal_results-1-reached"]').count() == 1
    assert page.locator('input[type="checkbox"][name="outcome_areas"]').count() == 6
    page.check('[name="goal_results-0-reached"]')
    page.fill('[name="goal_results-0-evidence"]', "Näyttö")
    page.check('input[name="outcome_areas"][value="job_search_skills"]')
    c.submit()  # no employment status
    c.errors_shown("closure with a field error", "#field-employment_status")
    page.check('input[name="employment_status"][value="jobseeker"]')
    c.submit()  # the second goal has no result: the closure rule (R6)
    c.errors_shown("closure with a rule error on the goal results", "#field-goal_results")

    c.task(tasks["final_statement"], "final_statement")
    page.check('input[name="statement_kind"][value="arvi"]')
    page.fill("#field-statement_text", "Lausunto")
    c.submit()  # not reviewed with the client
    c.errors_shown("final_statement with errors", "#field-reviewed_with_client")

    c.found, c.checked = empty.found + c.found, empty.checked + c.checked
    c.assert_clean()


@pytest.mark.parametrize("lang", LANGS)
def test_official_pages(module_person, module_cli, cases, lang):
    c = logged_in(module_person, OFFICIAL, lang)
    page = c.user.page
    assert page.locator("#inbox-table tbody tr").count() >= 2
    c.check("official's inbox with tasks", h1=ui(lang, "Tasks"))

    c.task(module_cli.task(cases["decide_second_period"], "decide_second_period", OFFICIAL), "decide_second_period")
    c.submit()
    c.errors_shown("decide_second_period with errors", "#field-decision")
    c.task(module_cli.task(cases["review_end"], "review_end", OFFICIAL), "review_end")
    # A completed task's URL (the back button after a submit): the page saying it is done.
    [done_task] = [h["task_id"] for h in module_cli.json("show", cases["done"])["history"]
                   if h["action"] == "complete" and h["actor"] == OFFICIAL][-1:]
    c.visit(f"/tasks/{done_task}", "completed task", h1=ui(lang, "The task is done"))

    c.visit("/referrals/new", "new referral", h1=ui(lang, "New referral"))
    page.fill("#field-client_hetu", "131052-308U")
    page.fill("#field-planned_start", "2026-01-12")
    c.submit()
    assert page.locator("#field-client_hetu-error").is_visible()
    c.errors_shown("new referral with errors", "#field-client_hetu", "#field-client_name", "#field-municipality",
                   "#field-service_need", "#field-provider", "#field-planned_end")

    c.user.go("/referrals/new")
    page.fill("#field-client_hetu", "131052-308T")
    page.fill("#field-client_name", "Liian Lyhyt")
    page.fill("#field-municipality", "Espoo")
    page.fill("#field-service_need", "Tuki")
    page.select_option("#field-provider", "Valmennus Oy")
    page.fill("#field-planned_start", "2026-01-12")
    page.fill("#field-planned_end", "2026-01-15")
    c.submit()
    c.check("referral refused (R1_short)", h1=ui(lang, "The referral cannot be made"))
    reason = process_label(lang, "referral_eligibility.R1_short") or ui(lang, "The period is shorter than two weeks")
    assert reason in page.locator("main").inner_text()

    c.visit("/cases", "cases list", h1=ui(lang, "Cases"))
    assert page.locator("main table tbody tr").count() >= len(cases)
    c.visit("/notices", "notices list", h1=ui(lang, "Notices"))
    c.visit("/cases?q=asiakas", "case search results", h1=ui(lang, "Cases"))
    assert page.locator("#case-table tbody tr").count() >= len(cases)
    c.visit("/cases?q=zyxwv", "case search, no match", h1=ui(lang, "Cases"))
    assert page.locator("#empty-state").is_visible()
    c.visit(f"/cases/{cases['done']}", "case view, completed", h1="Asiakas")
    assert ui(lang, "Period %(number)s", number=2) in page.locator("main").inner_text()
    c.visit(f"/cases/{cases['weekly_review']}", "case view, in progress", h1="Asiakas")
    c.visit(f"/cases/{cases['done']}/statement", "statement print page",
            h1=ui(lang, "Job coaching: final statement and notifications"))
    c.visit(f"/cases/{cases['closure']}/statement", "statement print page, no statement yet")

    response = page.goto(c.user.base + "/cases/999999")
    assert response.status == 404
    c.check("404 (a case that does not exist)", h1=ui(lang, "Not found"))
    response = page.goto(c.user.base + "/no/such/page")
    assert response.status == 404
    c.check("404 (no such page)", h1=ui(lang, "Not found"))
    c.assert_clean()


@pytest.mark.parametrize("lang", LANGS)
def test_manager_pages(module_person, cases, lang):
    """The manager's notices (a week recorded without a meeting), a case's story and its access log."""
    c = logged_in(module_person, MANAGER, lang)
    page = c.user.page
    c.visit("/notices", "notices list with notices", h1=ui(lang, "Notices"))
    assert page.locator("li.notice-item").count() >= 1
    c.visit(f"/cases/{cases['done']}", "case view for a manager", h1="Asiakas")
    assert page.locator('main a[href$="/access-log"]').count() == 1
    c.visit(f"/cases/{cases['done']}/access-log", "access log", h1=ui(lang, "Access log"))
    assert page.locator("main table tbody tr").count() >= 1
    c.visit(f"/cases/{cases['done']}/statement", "statement print page for a manager",
            h1=ui(lang, "Job coaching: final statement and notifications"))
    c.assert_clean()


@pytest.mark.parametrize("lang", LANGS)
def test_designer_pages(module_person, module_database_url, lang, tmp_path):
    """The deployed processes (with the upload form, a validation report, an upload's error), a
    process's versions with its diagram and its changes, and the move of its running instances to a
    new version (the provider follow-up's: a renamed task; the demo's follow-ups run on version 1)."""
    from tests.integration.test_design_checks import bpmn

    c = logged_in(module_person, DESIGNER, lang)
    c.visit("/definitions", "processes", h1=ui(lang, "Processes"))
    bad = tmp_path / "bad.bpmn"
    bad.write_text(bpmn(groups=None, undrawn=("back",)), encoding="utf-8")  # an error and a warning
    page = c.user.page
    page.set_input_files("#upload-files", str(bad))
    page.click("#upload-form button[value=check]")
    page.wait_for_load_state()
    assert page.locator("#report-table tbody tr").count() >= 2
    c.check("validation report")
    page.click("#upload-form button[value=deploy]")  # no file chosen
    page.wait_for_load_state()
    c.errors_shown("upload without a file", "#upload-files")
    c.visit("/definitions/tyohonvalmennus", "process versions")
    assert c.user.page.locator("div.diagram-scroll svg").count() == 1
    renamed = tmp_path / "provider_follow_up.bpmn"
    renamed.write_text(BPMN.with_name("provider_follow_up.bpmn").read_text(encoding="utf-8").replace(
        'name="Kirjaa seurantapalaveri"', 'name="Kirjaa seurannan palaveri"'), encoding="utf-8")
    Cli(module_database_url)("deploy", renamed, "--as", DESIGNER)  # version 2 (the next languages: unchanged)
    c.visit("/definitions/provider_follow_up/migrate", "moving instances")
    assert page.locator("#migrate-instances tbody tr").count() >= 1
    c.assert_clean()
