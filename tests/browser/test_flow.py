"""One job-coaching case from referral to the official's review of the end, through the browser
only, as the official and the coach see it: once in Finnish (the default) and once in Swedish
(chosen after login, remembered for the user's next login).

Time starts at POLKU_NOW (Monday 5.1.2026) and moves once, to Monday 12.1., when the second week
has begun and can be recorded (the server is restarted at the new time). The period is planned for
exactly 15 days (5.1.–19.1.), so the need for a second period (assessed 14 days before the planned
end) is due at the very first weekly review.
"""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import step, ui

PROVIDER = "Valmennus Oy"
RUNS = {
    "fi": {"hetu": "131052-308T", "client": "Matti Meikäläinen", "client_language": "fi"},
    "sv": {"hetu": "010594Y9021", "client": "Maja Svensson", "client_language": "sv"},
}
GOALS = [
    ("job_search_skills", "Ansioluettelo päivitetty ja lähetetty", "Hakemusloki"),
    ("job_opportunities", "Kymmenen työnantajaa kartoitettu", "Lista käyty yhdessä läpi"),
]


def text_of(locator) -> str:
    return " ".join(locator.inner_text().split())


def lang_of(user) -> str:
    return user.page.get_attribute("html", "lang")


def log_in(user, username: str, lang: str, *, switch: bool) -> None:
    user.login(username)
    if switch and lang != "fi":
        user.language(lang)
    assert lang_of(user) == lang, f"{username} sees the UI in {lang_of(user)}, not {lang}"
    assert text_of(user.page.locator("h1")) == ui(lang, "Tasks")


def inbox_row(user, client: str, element_id: str, lang: str):
    rows = user.page.locator("#inbox-table tbody tr").filter(has_text=client).filter(has_text=step(lang, element_id))
    return rows


def open_from_inbox(user, client: str, element_id: str, lang: str) -> None:
    """From the inbox (the nav link "Tasks"), the case's task by its row link."""
    if not re.search(r"/tasks/?(\?.*)?$", user.page.url):
        user.page.click('nav a[href="/tasks"]')
        user.page.wait_for_url(re.compile(r"/tasks/?(\?.*)?$"))
    rows = inbox_row(user, client, element_id, lang)
    assert rows.count() == 1, f"{element_id} for {client} not in the inbox:\n{text_of(user.page.locator('main'))}"
    rows.locator("th a").click()
    user.page.wait_for_url(re.compile(r"/tasks/[^/?]+$"))
    assert text_of(user.page.locator("h1")) == step(lang, element_id)
    assert client in text_of(user.page.locator("aside.case-summary"))


def submit(user) -> None:
    user.page.click("main form.form button.primary")
    user.page.wait_for_load_state()


def completed(user, lang: str) -> None:
    """Back in the inbox with the confirmation."""
    assert re.search(r"/tasks/?$", user.page.url), f"{user.page.url}: {text_of(user.page.locator('main'))[:600]}"
    assert ui(lang, "Task completed.") in user.flash(), user.flash()


def expect_in_inbox(user, client: str, element_id: str, lang: str) -> None:
    user.page.goto(user.base + "/tasks")
    assert inbox_row(user, client, element_id, lang).count() == 1, \
        f"{element_id} for {client} missing:\n{text_of(user.page.locator('main'))}"


def expect_not_in_inbox(user, client: str, lang: str) -> None:
    user.page.goto(user.base + "/tasks")
    assert user.page.locator("#inbox-table tbody tr").filter(has_text=client).count() == 0


def weekly_review(user, day: str | None, *, end_period: bool, notes: str) -> None:
    page = user.page
    if day is not None:  # None: no meeting this week
        page.fill('[name="meetings-0-date"]', day)
        page.select_option('[name="meetings-0-kind"]', "individual")
    page.fill("#field-absence_days", "0")
    if end_period:
        page.check("#field-end_period")
    page.fill("#field-notes", notes)
    submit(user)


def typed_goals(user) -> list[tuple[str, str, str]]:
    page = user.page
    return [(page.input_value(f'[name="goals-{i}-category"]'), page.input_value(f'[name="goals-{i}-description"]'),
             page.input_value(f'[name="goals-{i}-verification"]')) for i in (0, 6)]


def keeps_typed_values_over_language_switches(user, lang: str) -> None:
    """Switching the language reloads the task page in the other language with what was typed, the
    added rows too; where the values cannot be kept (no sessionStorage), the user is asked first."""
    page, url, other = user.page, user.page.url, "sv" if lang == "fi" else "fi"
    for now in (other, lang):
        user.language(now)
        assert lang_of(user) == now and page.url.split("?")[0] == url
        assert page.locator('select[name="goals-7-category"]').count() == 1  # the rows added before
        assert typed_goals(user) == GOALS, f"typed goals lost switching to {now}"
        assert page.input_value("#field-meetings_per_week") == "1"
        assert not page.locator("#typed-values-lost").count()
    page.evaluate("() => { Storage.prototype.setItem = () => { throw new Error('no storage'); }; }")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click(f"form.language button[value={other}]")  # dismissed: the page stays as it is
    assert asked == [ui(lang, "Changing the language reloads the page, and what you have typed in the form "
                             "will be lost. Change the language anyway?")]
    assert lang_of(user) == lang and typed_goals(user) == GOALS


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_a_case_from_referral_to_the_end_review(clocked_person, clocked_server, lang):
    person = clocked_person
    run = RUNS[lang]
    client = run["client"]

    # --- The official refers the client -----------------------------------------------------
    official = person("fi-FI")
    log_in(official, "virkailija1", lang, switch=True)
    official.page.click('nav a[href="/referrals/new"]')
    official.page.wait_for_url("**/referrals/new")
    assert text_of(official.page.locator("h1")).startswith(ui(lang, "New referral"))
    page = official.page
    page.fill("#field-client_hetu", run["hetu"])
    page.fill("#field-client_name", client)
    page.check(f'input[name="client_language"][value="{run["client_language"]}"]')
    page.fill("#field-municipality", "Helsinki")
    page.fill("#field-service_need", "Tuki työnhakuun ja työelämävalmiuksiin")
    page.select_option("#field-provider", PROVIDER)
    page.fill("#field-planned_start", "2026-01-05")
    page.fill("#field-planned_end", "2026-01-19")
    submit(official)
    assert re.search(r"/tasks/?$", page.url), text_of(page.locator("main"))
    assert ui(lang, "Referral sent to %(provider)s.", provider=PROVIDER) in official.flash()
    expect_not_in_inbox(official, client, lang)  # the provider's coaches act next

    # --- The coach accepts the referral -----------------------------------------------------
    coach = person("fi-FI")
    log_in(coach, "valmentaja1", lang, switch=True)
    assert inbox_row(coach, client, "accept_referral", lang).count() == 1
    coach.shot(f"inbox-{lang}")
    open_from_inbox(coach, client, "accept_referral", lang)
    submit(coach)  # the date is missing
    summary = coach.page.locator("#error-summary")
    assert summary.is_visible()
    assert text_of(summary.locator("h2")) == ui(lang, "There is a problem")
    assert summary.locator("a").get_attribute("href") == "#field-actual_start"
    assert ui(lang, "This field is required.") in text_of(coach.page.locator("#field-actual_start-error"))
    assert coach.page.get_attribute("#field-actual_start", "aria-invalid") == "true"
    coach.shot(f"task-errors-{lang}")
    coach.page.fill("#field-actual_start", "2026-01-05")
    coach.page.check('input[name="coaching_mode"][value="face_to_face"]')
    coach.page.check('input[name="coaching_format"][value="individual"]')
    submit(coach)
    completed(coach, lang)

    # --- Two goals, typed before the language is switched and back --------------------------
    open_from_inbox(coach, client, "set_goals", lang)
    coach.page.click('button[name="_more_rows"][value="goals"]')  # a page shown after a POST, 8 rows
    coach.page.wait_for_load_state()
    for i, (category, description, verification) in zip((0, 6), GOALS):
        coach.page.select_option(f'[name="goals-{i}-category"]', category)
        coach.page.fill(f'[name="goals-{i}-description"]', description)
        coach.page.fill(f'[name="goals-{i}-verification"]', verification)
    coach.page.fill("#field-meetings_per_week", "1")
    keeps_typed_values_over_language_switches(coach, lang)
    submit(coach)
    completed(coach, lang)

    # --- First weekly review: the reassessment is due --------------------------------------
    open_from_inbox(coach, client, "weekly_review", lang)
    summary_text = text_of(coach.page.locator("aside.case-summary"))
    assert all(goal[1] in summary_text for goal in GOALS), summary_text
    weekly_review(coach, "2026-01-05", end_period=False, notes="Hyvä alku")
    completed(coach, lang)
    assert inbox_row(coach, client, "propose_second_period", lang).count() == 1
    assert inbox_row(coach, client, "weekly_review", lang).count() == 0

    # --- The coach proposes a second period ------------------------------------------------
    open_from_inbox(coach, client, "propose_second_period", lang)
    coach.page.check("#field-second_period_needed")
    coach.page.fill("#field-second_period_end", "2026-03-31")  # shorter than the full four months
    coach.page.fill("#field-justification", "Työnhaku on vasta alussa")
    submit(coach)
    completed(coach, lang)
    assert inbox_row(coach, client, "propose_second_period", lang).count() == 0

    # --- The official approves it (logged in again: the language is remembered) ----------
    official.logout()
    log_in(official, "virkailija1", lang, switch=False)
    expect_in_inbox(official, client, "decide_second_period", lang)
    open_from_inbox(official, client, "decide_second_period", lang)
    official.page.check('input[name="decision"][value="approve"]')
    official.page.fill("#field-reason", "Tavoitteet edellyttävät jatkoa")
    submit(official)
    completed(official, lang)
    assert inbox_row(official, client, "decide_second_period", lang).count() == 0

    # --- A week later the first period ends: the second one starts -------------------------
    clocked_server.move_to("2026-01-12T09:00:00+00:00")  # a week can be recorded once it has begun
    expect_in_inbox(coach, client, "weekly_review", lang)
    open_from_inbox(coach, client, "weekly_review", lang)
    weekly_review(coach, "2026-01-12", end_period=True, notes="Ensimmäinen jakso päättyy")
    completed(coach, lang)
    open_from_inbox(coach, client, "weekly_review", lang)
    period_2 = ui(lang, "Period %(number)s (planned)", number=2)
    assert period_2 in text_of(coach.page.locator("aside.case-summary")), \
        text_of(coach.page.locator("aside.case-summary"))

    # --- The second period ends: closure -------------------------------------------------------
    # The second period began the day after the first ended (13 January, after the clock's today,
    # the 12th): a meeting on the 12th would be before it, so its week records none.
    weekly_review(coach, None, end_period=True, notes="Valmennus päättyy")
    completed(coach, lang)

    coach.logout()  # the coach's second login: Swedish is remembered too
    log_in(coach, "valmentaja1", lang, switch=False)
    open_from_inbox(coach, client, "closure", lang)
    for i in range(len(GOALS)):
        coach.page.check(f'[name="goal_results-{i}-reached"]')
        coach.page.fill(f'[name="goal_results-{i}-evidence"]', f"Näyttö {i + 1}: asiakirjat tarkistettu")
    for category, _description, _verification in GOALS:
        coach.page.check(f'input[name="outcome_areas"][value="{category}"]')
    coach.page.check('input[name="employment_status"][value="employed"]')
    coach.page.fill("#field-next_steps", "Työsuhde alkaa helmikuussa")
    submit(coach)
    completed(coach, lang)

    # --- Final statement -----------------------------------------------------------------------
    open_from_inbox(coach, client, "final_statement", lang)
    coach.page.check('input[name="statement_kind"][value="written"]')
    coach.page.fill("#field-statement_text", "Valmennus eteni suunnitellusti.\nAsiakas työllistyi.")
    coach.page.check("#field-reviewed_with_client")
    submit(coach)
    completed(coach, lang)
    expect_not_in_inbox(coach, client, lang)

    # --- The official reviews the end -------------------------------------------------------
    expect_in_inbox(official, client, "review_end", lang)
    open_from_inbox(official, client, "review_end", lang)
    official.page.check('input[name="feedback_discussion"][value="none"]')
    submit(official)
    completed(official, lang)
    expect_not_in_inbox(official, client, lang)

    # --- The case view: completed --------------------------------------------------------------
    official.page.click('nav a[href="/cases"]')
    official.page.wait_for_url("**/cases")
    row = official.page.locator("main table tbody tr").filter(has_text=client)
    assert row.count() == 1
    assert ui(lang, "Closed") in text_of(row)
    row.locator("th a").click()
    official.page.wait_for_url(re.compile(r"/cases/\d+$"))
    page = official.page
    assert text_of(page.locator("h1")) == client
    summary = text_of(page.locator("section.case-summary"))
    assert ui(lang, "Closed") in summary and run["hetu"] in summary
    for summary in page.locator("main details > summary").all():  # open the summaries, as a reader would
        summary.click()
    periods = page.locator("section[aria-labelledby=periods-heading] tbody tr")
    assert periods.count() == 2
    assert ui(lang, "Continued in a second period") in text_of(periods.nth(0))
    assert ui(lang, "Approved") in text_of(periods.nth(0))
    goals = page.locator("section[aria-labelledby=goals-heading] tbody tr")
    assert goals.count() == 2
    for i in range(2):
        assert ui(lang, "Reached") in text_of(goals.nth(i))
    closure = text_of(page.locator("section[aria-labelledby=closure-heading]"))
    assert "Työsuhde alkaa helmikuussa" in closure
    timeline = page.locator("ol.timeline li")
    first = text_of(timeline.first)  # "Referral made by … to <provider> for <dates>"
    assert "Virpi Virkailija" in first and PROVIDER in first
    # The story tells what was recorded: the official's decision with its reason, the coach's notes.
    story = text_of(page.locator("ol.timeline"))
    assert "Tavoitteet edellyttävät jatkoa" in story and "Hyvä alku" in story
    raw = [text_of(item) for item in timeline.all() if re.search(r": [a-z]+(_[a-z]+)+$", text_of(item))]
    statement = text_of(page.locator("section[aria-labelledby=statement-heading]"))
    assert ui(lang, "Reviewed with the client.") in statement and "Asiakas työllistyi." in statement
    official.shot(f"case-{lang}")
    print_view(official, run, lang)
    found_by_search(official, run, lang)

    # --- The manager: the notice of the silent week, acknowledged; the case's access log --------
    manager = person("fi-FI")
    log_in(manager, "esihenkilo", lang, switch=True)
    acknowledge_notice(manager, client, lang)
    access_log(manager, client, lang)
    # Every event of the timeline in words (last, so that the checks above run anyway).
    assert not raw, "timeline events shown as bare action codes, not in words:\n" + "\n".join(raw)


def print_view(user, run: dict, lang: str) -> None:
    """From the case page: the print view carries the provider, the goals with their verification and results."""
    case_url = user.page.url
    user.page.click('main a[href$="/statement"]')
    user.page.wait_for_url(re.compile(r"/cases/\d+/statement$"))
    assert text_of(user.page.locator("h1")) == ui(lang, "Job coaching: final statement and notifications")
    main = text_of(user.page.locator("main"))
    assert run["client"] in main and PROVIDER in main and "Asiakas työllistyi." in main
    goals = text_of(user.page.locator("section[aria-labelledby=goals-heading]"))
    for _category, description, verification in GOALS:
        assert description in goals and verification in goals, goals
    assert "Näyttö 1: asiakirjat tarkistettu" in goals and ui(lang, "Reached") in goals
    user.page.goto(case_url)


def found_by_search(user, run: dict, lang: str) -> None:
    """The case list finds the client by the beginning of the surname without its accents and case,
    and by the identity code written in lower case; a name nobody has finds nothing."""
    surname = run["client"].split()[-1]
    plain = surname[:5].lower().replace("ä", "a").replace("ö", "o")
    for query in (plain, run["hetu"].lower(), "Zyxwv"):
        user.page.click('nav a[href="/cases"]')
        user.page.wait_for_url("**/cases*")
        user.page.fill("#q", query)
        user.page.click("#case-search button[type=submit]")
        user.page.wait_for_url(re.compile(r"/cases\?"))
        rows = user.page.locator("#case-table tbody tr")
        if query == "Zyxwv":
            assert rows.count() == 0
            assert text_of(user.page.locator("#empty-state")) == ui(lang, "No case matches this search.")
        else:
            assert rows.count() == 1, (query, text_of(user.page.locator("main")))
            assert run["client"] in text_of(rows.first) and PROVIDER in text_of(rows.first)


def acknowledge_notice(user, client: str, lang: str) -> None:
    """The week recorded without a meeting is a notice to the manager: counted in the navigation, listed
    with the case, acknowledged once."""
    nav = user.page.locator('nav a[href="/notices"]')
    assert ui(lang, "open:") in text_of(nav), text_of(nav)
    nav.click()
    user.page.wait_for_url("**/notices")
    item = user.page.locator("li.notice-item").filter(has_text=client)
    assert item.count() == 1, text_of(user.page.locator("main"))
    assert ui(lang, "A week without a meeting") in text_of(item)
    item.locator("button").click()
    user.page.wait_for_load_state()
    assert user.page.locator("li.notice-item").filter(has_text=client).count() == 0
    assert ui(lang, "open:") not in text_of(user.page.locator('nav a[href="/notices"]'))


def access_log(user, client: str, lang: str) -> None:
    """The manager reads the case (its story) and its access log: the official's and the coach's reads."""
    user.page.click('nav a[href="/cases"]')
    user.page.wait_for_url("**/cases*")
    user.page.locator("#case-table tbody tr").filter(has_text=client).locator("th a").click()
    user.page.wait_for_url(re.compile(r"/cases/\d+$"))
    story = text_of(user.page.locator("ol.timeline"))
    assert "Tavoitteet edellyttävät jatkoa" in story  # the decision with its reason
    user.page.click('main a[href$="/access-log"]')
    user.page.wait_for_url(re.compile(r"/cases/\d+/access-log$"))
    assert text_of(user.page.locator("h1")) == f'{ui(lang, "Access log")}: {client}'
    readers = {text_of(th) for th in user.page.locator("main table tbody th").all()}
    assert {"Virpi Virkailija", "Valtteri Valmentaja", "Essi Esihenkilö"} <= readers, readers
