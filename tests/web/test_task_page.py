"""The task page (GET/POST /tasks/<id>): the generated form, the error summary, completing a
task, repeatable rows without JavaScript, a task handled meanwhile, access and CSRF."""
from __future__ import annotations

import lxml.html
import pytest

from tests.conftest import T0
from tests.scenarios.conftest import GOALS, PROVIDER

HANDLED_ELSEWHERE = "This task was already handled by someone else."


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The web app's clock at the same instant as the CLI's (POLKU_NOW)."""
    monkeypatch.setenv("POLKU_NOW", T0)


def doc(response, status=200) -> lxml.html.HtmlElement:
    assert response.status_code == status, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def label_for(page, html_id: str) -> str:
    [label] = page.xpath(f'//label[@for="{html_id}"]')
    return " ".join(label.text_content().split())






def open_task(b, case, element_id, actor="coach1"):
    task = case.task(element_id, actor)
    return task["id"], b.get(f"/tasks/{task['id']}")


def goal_rows(goals, rows=5) -> dict:
    form = {"goals-rows": str(rows)}
    for i in range(rows):
        goal = goals.get(i, {})
        for key in ("category", "description", "verification"):
            form[f"goals-{i}-{key}"] = goal.get(key, "")
    return form


def test_accept_referral_form_has_labelled_inputs_and_the_case_summary(browser, refer):
    case = refer()
    b = browser("coach1")  # Finnish, the default: the BPMN's own labels
    _task_id, response = open_task(b, case, "accept_referral")
    page = doc(response)
    assert [h.text_content() for h in page.xpath("//h1")] == ["Vastaanota ohjaus ja tee aloitusilmoitus"]
    [start] = page.xpath('//input[@id="field-actual_start"]')
    assert (start.get("type"), start.get("name"), start.get("required")) == ("date", "actual_start", "required")
    assert label_for(page, "field-actual_start").startswith("Toteutunut alkamispäivä (")
    assert page.xpath('//label[@for="field-actual_start"]/span[@class="required-mark"]')
    # Three options: radio buttons in a fieldset with a legend, the default chosen.
    legends = [" ".join(x.text_content().split()) for x in page.xpath("//fieldset/legend")]
    assert legends == ["Toteutustapa", "Valmennusmuoto"]
    radios = page.xpath('//input[@name="coaching_mode"]')
    assert [r.get("value") for r in radios] == ["face_to_face", "remote", "mixed"]
    assert [r.get("value") for r in radios if r.get("checked")] == ["face_to_face"]
    for radio in radios:
        assert label_for(page, radio.get("id"))
    assert page.xpath('//form//input[@name="csrf_token"]')
    summary = " ".join(page.xpath('//aside[@class="case-summary"]')[0].text_content().split())
    assert "Matti Meikäläinen" in summary and PROVIDER in summary and "12.1.2026" in summary


def test_labels_follow_the_language(user, refer):
    case = refer()
    b = user("coach1")
    _task_id, response = open_task(b, case, "accept_referral")
    page = doc(response)
    assert label_for(page, "field-actual_start") == "Actual start date (required)"
    assert label_for(page, "field-coaching_mode-1") == "Remote"


def test_missing_required_date_shows_the_error_summary_and_keeps_the_values(user, refer):
    case = refer()
    b = user("coach1")
    task_id, _ = open_task(b, case, "accept_referral")
    page = doc(b.post(f"/tasks/{task_id}", {"coaching_mode": "remote", "coaching_format": "group"}), 400)
    [summary] = page.xpath('//div[@class="error-summary"]')
    assert summary.get("role") == "alert" and summary.get("tabindex") == "-1"
    assert summary.xpath(".//h2")
    assert summary.xpath(".//a/@href") == ["#field-actual_start"]
    [start] = page.xpath('//input[@id="field-actual_start"]')
    assert start.get("aria-invalid") == "true"
    [message] = page.xpath(f'//*[@id="{start.get("aria-describedby")}"]')
    assert "This field is required." in message.text_content()
    assert page.xpath('//input[@id="field-actual_start"]/ancestor::div[contains(@class, "has-error")]')
    assert page.xpath('//input[@name="coaching_mode"][@checked]/@value') == ["remote"]
    assert page.xpath('//input[@name="coaching_format"][@checked]/@value') == ["group"]
    assert case.ready() == ["accept_referral"]


def test_a_valid_submission_completes_the_task_and_goes_back_to_the_inbox(user, refer):
    case = refer()
    b = user("coach1")
    task_id, _ = open_task(b, case, "accept_referral")
    response = b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-05", "coaching_mode": "mixed",
                                            "coaching_format": "individual"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks")
    assert "Task completed." in b.get("/tasks").get_data(as_text=True)
    assert case.ready() == ["set_goals"]
    assert (case.data["actual_start"], case.data["coaching_mode"]) == ("2026-01-05", "mixed")


def test_goal_list_rows_blank_rows_ignored(user, refer):
    case = refer()
    case.accept()
    b = user("coach1")
    task_id, response = open_task(b, case, "set_goals")
    page = doc(response)
    # Five fixed rows, each a fieldset with labelled inputs; row 1's category is the field's target.
    assert len(page.xpath('//input[starts-with(@name, "goals-")][contains(@name, "-description")]')) == 5
    assert page.xpath('//select[@id="field-goals"]/@name') == ["goals-0-category"]
    assert label_for(page, "field-goals-1-description")
    [number] = page.xpath('//input[@name="meetings_per_week"]')
    assert (number.get("type"), number.get("inputmode"), number.get("min")) == ("number", "numeric", "1")
    form = goal_rows({0: GOALS[0], 3: GOALS[1]})
    form["meetings_per_week"] = "2"
    response = b.post(f"/tasks/{task_id}", form)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert case.data["goals"] == GOALS[:2]
    assert case.data["meetings_per_week"] == 2
    assert case.ready() == ["weekly_review"]


def test_one_goal_is_refused_and_the_rows_are_kept(user, refer):
    case = refer()
    case.accept()
    b = user("coach1")
    task_id, _ = open_task(b, case, "set_goals")
    form = goal_rows({2: GOALS[0]})
    form["meetings_per_week"] = "2"
    page = doc(b.post(f"/tasks/{task_id}", form), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-goals"]
    assert page.xpath('//fieldset[contains(@class, "has-error")]/@aria-describedby') == ["field-goals-error"]
    # The filled row comes first now, the rest stay blank rows.
    assert page.xpath('//input[@name="goals-0-description"]/@value') == [GOALS[0]["description"]]
    assert page.xpath('//select[@name="goals-0-category"]/option[@selected]/@value') == [GOALS[0]["category"]]
    assert len(page.xpath('//input[contains(@name, "-description")]')) == 5
    assert page.xpath('//input[@name="meetings_per_week"]/@value') == ["2"]
    assert case.ready() == ["set_goals"]


def test_no_goals_at_all_is_a_required_error(user, refer):
    case = refer()
    case.accept()
    b = user("coach1")
    task_id, _ = open_task(b, case, "set_goals")
    page = doc(b.post(f"/tasks/{task_id}", {**goal_rows({}), "meetings_per_week": "0"}), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-goals", "#field-meetings_per_week"]
    [message] = page.xpath('//*[@id="field-meetings_per_week-error"]')
    assert "at least 1" in message.text_content()


def test_add_more_rows_re_renders_without_submitting(user, refer):
    case = refer()
    case.accept()
    b = user("coach1")
    task_id, _ = open_task(b, case, "set_goals")
    form = goal_rows({0: GOALS[0]})
    form.update({"meetings_per_week": "3", "_more_rows": "goals"})
    page = doc(b.post(f"/tasks/{task_id}", form))
    assert not page.xpath('//div[@class="error-summary"]')
    assert len(page.xpath('//input[contains(@name, "-description")]')) == 8
    assert page.xpath('//input[@name="goals-rows"]/@value') == ["8"]
    assert page.xpath('//input[@name="goals-0-description"]/@value') == [GOALS[0]["description"]]
    assert page.xpath('//input[@name="meetings_per_week"]/@value') == ["3"]
    assert case.ready() == ["set_goals"]
    # The eight rows are all read back.
    form = goal_rows({0: GOALS[0], 6: GOALS[1], 7: GOALS[2]}, rows=8)
    form["meetings_per_week"] = "3"
    assert b.post(f"/tasks/{task_id}", form).status_code == 302
    assert case.data["goals"] == GOALS


def test_weekly_review_meetings_and_flags(user, refer, monkeypatch):
    case = refer()
    case.accept()
    case.set_goals()
    monkeypatch.setenv("POLKU_NOW", "2026-01-16T15:00:00+00:00")  # Friday of the first week (12-18 January)
    b = user("coach1")
    task_id, response = open_task(b, case, "weekly_review")
    page = doc(response)
    # As many meeting rows as agreed a week (two, in set_goals); more can be added.
    assert len(page.xpath('//input[@type="date"][contains(@name, "meetings-")]')) == 2
    assert page.xpath('//input[@name="end_period"]/@type') == ["checkbox"]
    form = {"meetings-rows": "7", "absence_days": "0", "notes": "Good week",
            "meetings-0-date": "2026-01-13", "meetings-0-kind": "group",
            "meetings-1-date": "", "meetings-1-kind": "individual",
            "meetings-4-date": "2026-01-15", "meetings-4-kind": "individual"}
    assert b.post(f"/tasks/{task_id}", form).status_code == 302
    data = case.data
    assert data["meetings"] == [{"date": "2026-01-13", "kind": "group"}, {"date": "2026-01-15", "kind": "individual"}]
    assert data["end_period"] is False and data["notes"] == "Good week"


def test_closure_goal_results_outcome_areas_and_a_translated_rule_message(user, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", end_period=True)
    assert case.ready() == ["closure"]
    b = user("coach1")
    task_id, response = open_task(b, case, "closure")
    page = doc(response)
    legends = [" ".join(x.text_content().split()) for x in page.xpath("//fieldset/fieldset/legend")]
    assert legends == [f"Goal {i + 1}: {g['description']}" for i, g in enumerate(GOALS)]
    assert len(page.xpath('//input[@name="outcome_areas"][@type="checkbox"]')) == 6
    assert label_for(page, "field-outcome_areas") == "Employment or starting education"
    # Evidence for only two of three goals: the closure rule (R6) refuses, in the user's language.
    form = {"goal_results-rows": "3", "goal_results-0-reached": "true", "goal_results-0-evidence": "CV sent",
            "goal_results-1-reached": "true", "goal_results-1-evidence": "List of employers",
            "goal_results-2-evidence": "", "outcome_areas": ["job_search_skills", "job_opportunities"],
            "employment_status": "employed"}
    page = doc(b.post(f"/tasks/{task_id}", form), 400)
    summary = " ".join(page.xpath('//div[@class="error-summary"]')[0].text_content().split())
    assert "Record a result for every goal set at the start of the coaching" in summary
    assert page.xpath('//input[@name="goal_results-0-reached"]/@checked')
    assert page.xpath('//input[@name="outcome_areas"][@checked]/@value') == ["job_search_skills", "job_opportunities"]
    form["goal_results-2-evidence"] = "Attendance record incomplete"
    assert b.post(f"/tasks/{task_id}", form).status_code == 302
    assert case.ready() == ["final_statement"]
    results = case.data["goal_results"]
    assert [(r["goal"], r["reached"]) for r in results] == [(0, True), (1, True), (2, False)]
    assert case.data["outcome_areas"] == ["job_search_skills", "job_opportunities"]


def test_a_task_completed_meanwhile_by_someone_else(user, refer, make_user):
    make_user("coach3", "coach", org=PROVIDER, kind="provider")
    case = refer()
    b = user("coach1")
    task_id, _ = open_task(b, case, "accept_referral")
    case.do("accept_referral", "coach3", actual_start="2026-01-05")
    response = b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-04", "_instance": str(case.id)})
    page = doc(response, 409)
    assert HANDLED_ELSEWHERE in page.text_content()
    assert case.data["actual_start"] == "2026-01-05"


def test_a_task_completed_meanwhile_by_the_same_user(user, refer):
    case = refer()
    b = user("coach1")
    task_id, response = open_task(b, case, "accept_referral")
    instance = doc(response).xpath('//input[@name="_instance"]/@value')[0]
    case.accept()  # e.g. in another tab, or through the CLI
    page = doc(b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-13", "_instance": instance}), 409)
    assert "You have already completed this task." in page.text_content()


def test_another_providers_coach_gets_404(user, refer):
    case = refer()
    task_id = case.task("accept_referral", "coach1")["id"]
    b = user("coach2")
    assert b.get(f"/tasks/{task_id}").status_code == 404
    assert b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-12", "_instance": str(case.id)}).status_code == 404
    assert b.get("/tasks/no-such-task").status_code == 404
    assert case.ready() == ["accept_referral"]


def test_post_without_csrf_token_is_refused(user, refer):
    case = refer()
    b = user("coach1")
    task_id, _ = open_task(b, case, "accept_referral")
    response = b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-12"}, token=False)
    assert response.status_code == 400
    assert case.ready() == ["accept_referral"]
