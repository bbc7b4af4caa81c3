"""Bulk interventions from the instance list (issue 10, web/cases/bulk.py): the list's form, the page
that lists the cases the filters match to confirm, and the summary of what was done and refused.
Each case is acted on by the engine's own command in its own transaction (state changed, one audit
row with the reason each); a refusal of one (not applicable, a forged id of another area) is listed
and the rest are done; a form not filled in is 400 with the field's error and changes nothing;
other roles get 404; the filters decide which cases are acted on."""
from __future__ import annotations

import json

import lxml.html
import pytest
from sqlalchemy import select

from polku.engine.models import AuditEvent, Instance
from tests.authz.conftest import authz  # noqa: F401  (the cast with another area's users)
from tests.authz.matrix_support import fresh_hetu, referral
from tests.scenarios.conftest import at
from tests.web.conftest import english
from tests.web.test_cases import audit_rows, text

REASON = "The provider's premises are closed for renovation"
DAYS = ("2026-01-05", "2026-01-06", "2026-01-07")


@pytest.fixture
def three(authz, refer):
    """Three running cases of boss's area, referred on three days."""
    return [refer(now=at(day), client_hetu=fresh_hetu()).id for day in DAYS]


def statuses(db_engine, ids) -> list[str]:
    with db_engine.connect() as conn:
        found = dict(conn.execute(select(Instance.id, Instance.status).where(Instance.id.in_(ids))).all())
    return [found[i] for i in ids]


def form_of(response, form_id: str) -> dict:
    """What the browser would post from the page's form: its hidden fields (ids as a list)."""
    assert response.status_code == 200, text(response)[-800:]
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    values: dict = {}
    for field in doc.xpath(f'//form[@id="{form_id}"]//input[@type="hidden"]'):
        values.setdefault(field.get("name"), []).append(field.get("value"))
    return {k: v if k == "instance" else v[0] for k, v in values.items()}


def listed(response) -> list[int]:
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return [int(th.text_content()) for th in doc.xpath('//table[@id="bulk-table"]/tbody/tr/th')]


def refusal(response, instance_id: int) -> str:
    """The summary's line for one refused case, as read."""
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return " ".join(doc.get_element_by_id(f"refused-{instance_id}").text_content().split())


def run(b, action: str, filters: dict | None = None, **extra):
    """The list's form posted, then the confirmation posted as shown: the summary response."""
    page = b.post("/instances/bulk", {"action": action, "reason": REASON, **(filters or {})})
    return b.post("/instances/bulk/confirm", {**form_of(page, "bulk-confirm-form"), **extra})


def test_suspend_three_running_cases_each_audited_with_the_reason(three, browser, db_engine):
    boss = english(browser("boss"))
    page = text(boss.get("/instances?status=running"))
    assert "Act on the 3 cases matching these filters" in page and "Suspend the cases" in page
    confirm = boss.post("/instances/bulk", {"action": "suspend", "reason": REASON, "status": "running"})
    assert sorted(listed(confirm)) == sorted(three)
    assert REASON in text(confirm) and statuses(db_engine, three) == ["running"] * 3  # nothing done yet
    form = form_of(confirm, "bulk-confirm-form")
    assert sorted(map(int, form["instance"])) == sorted(three) and form["status"] == "running"
    done = boss.post("/instances/bulk/confirm", form)
    assert done.status_code == 200
    assert "3 cases done, 0 refused." in text(done)
    assert statuses(db_engine, three) == ["suspended"] * 3
    for iid in three:
        assert audit_rows(db_engine, "suspend", iid) == [("boss", {"reason": REASON})]
        assert f'href="/instances/{iid}"' in done.get_data(as_text=True)
    resumed = run(boss, "resume", {"status": "suspended"})
    assert "3 cases done, 0 refused." in text(resumed) and statuses(db_engine, three) == ["running"] * 3


def test_mixed_the_refused_are_listed_with_why_and_the_others_done(three, browser, coaching, db_engine):
    coaching("suspend", three[1], "--as", "boss", "--reason", "on hold")
    boss = english(browser("boss"))
    done = run(boss, "suspend")
    page = text(done)
    assert "2 cases done, 1 refused." in page
    assert refusal(done, three[1]) == (f"Case {three[1]}: The case could not be suspended: only a running case "
                                       "or one in error can be. Nothing was changed.")
    assert f'<a href="/instances/{three[1]}">{three[1]}</a>' in done.get_data(as_text=True)
    assert statuses(db_engine, three) == ["suspended"] * 3
    assert audit_rows(db_engine, "suspend", three[1]) == [("boss", {"reason": "on hold"})]  # the CLI's only
    assert [len(audit_rows(db_engine, "suspend", i)) for i in (three[0], three[2])] == [1, 1]
    terminated = run(boss, "terminate", confirm="yes")
    assert "3 cases done, 0 refused." in text(terminated)
    assert statuses(db_engine, three) == ["terminated"] * 3
    again = boss.post("/instances/bulk/confirm", {"action": "retry", "reason": REASON,
                                                  "instance": [str(i) for i in three]})
    assert "0 cases done, 3 refused." in text(again)
    assert "the case is not in error" in refusal(again, three[0])


def test_the_filter_decides_which_cases_are_acted_on(three, browser, db_engine):
    boss = english(browser("boss"))
    filters = {"from": DAYS[1], "sort": "oldest"}
    confirm = boss.post("/instances/bulk", {"action": "suspend", "reason": REASON, **filters})
    assert listed(confirm) == three[1:]  # in the list's order
    assert "This will be done to each of the 2 cases below" in text(confirm)
    done = boss.post("/instances/bulk/confirm", form_of(confirm, "bulk-confirm-form"))
    assert "2 cases done, 0 refused." in text(done)
    assert statuses(db_engine, three) == ["running", "suspended", "suspended"]
    assert f'href="/instances?from={DAYS[1]}&amp;sort=oldest"' in done.get_data(as_text=True)  # back, filtered


def test_terminate_without_confirmation_is_a_field_error_and_changes_nothing(three, browser, db_engine):
    boss = english(browser("boss"))
    confirm = boss.post("/instances/bulk", {"action": "terminate", "reason": REASON})
    assert 'id="bulk-confirm"' in confirm.get_data(as_text=True)
    refused = boss.post("/instances/bulk/confirm", form_of(confirm, "bulk-confirm-form"))
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "Confirm that the cases end and their open tasks are cancelled." in text(refused)
    assert 'href="#bulk-confirm"' in body and 'aria-invalid="true"' in body
    assert sorted(listed(refused)) == sorted(three)  # the list again, to confirm
    assert statuses(db_engine, three) == ["running"] * 3 and audit_rows(db_engine, "terminate") == []


@pytest.mark.parametrize("form, field, message", [
    ({"action": "suspend", "reason": "  "}, "bulk-reason", "Give a reason: the next person to read the case"),
    ({"action": "suspend", "reason": "x" * 1001}, "bulk-reason", "The reason can be at most 1000 characters."),
    ({"reason": REASON}, "bulk-action", "Choose what to do with the cases."),
    ({"action": "delete", "reason": REASON}, "bulk-action", "Choose what to do with the cases."),
])
def test_a_form_not_filled_in_is_400_with_the_fields_error(three, browser, db_engine, form, field, message):
    boss = english(browser("boss"))
    for url in ("/instances/bulk", "/instances/bulk/confirm"):
        response = boss.post(url, {**form, "status": "running", "instance": [str(i) for i in three]})
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert message in text(response) and f'href="#{field}"' in body and f'id="{field}"' in body
        assert 'id="bulk-form"' in body and "<details class=\"intervention\" open>" in body
        assert '<option value="running" selected>' in body  # the filters kept
    assert statuses(db_engine, three) == ["running"] * 3 and audit_rows(db_engine, "suspend") == []


def test_no_match_or_too_many_asks_for_another_filter(three, browser, monkeypatch, db_engine):
    boss = english(browser("boss"))
    response = boss.post("/instances/bulk", {"action": "suspend", "reason": REASON, "status": "error"})
    assert response.status_code == 400 and "No case matches these filters" in text(response)
    monkeypatch.setattr("polku.web.cases.bulk.CAP", 2)
    assert "At most 2 cases can be acted on at a time" in text(boss.get("/instances"))
    response = boss.post("/instances/bulk", {"action": "suspend", "reason": REASON})
    assert response.status_code == 400
    assert "3 cases match these filters. Act on at most 2 at a time: narrow the filter." in text(response)
    assert 'href="#bulk"' in response.get_data(as_text=True)
    tampered = boss.post("/instances/bulk/confirm", {"action": "suspend", "reason": REASON,
                                                     "instance": [str(i) for i in three]})
    assert tampered.status_code == 400  # more ids than a confirmation page lists
    for ids in ([], ["1x"], ["-3"]):
        assert boss.post("/instances/bulk/confirm", {"action": "suspend", "reason": REASON,
                                                     "instance": ids}).status_code == 400
    assert statuses(db_engine, three) == ["running"] * 3


def test_a_forged_id_of_another_area_is_refused_in_the_summary(three, authz, browser, db_engine):
    theirs = authz.json("start", "tyohonvalmennus", "--as", "off9", "--data",
                        json.dumps(referral(client_hetu=fresh_hetu())))["id"]
    boss = english(browser("boss"))
    page = boss.post("/instances/bulk", {"action": "suspend", "reason": REASON})
    assert theirs not in listed(page)
    form = form_of(page, "bulk-confirm-form")
    form["instance"] = [str(theirs), *form["instance"], "999999999999999999999"]
    done = boss.post("/instances/bulk/confirm", form)
    assert done.status_code == 200
    page_text = text(done)
    assert "3 cases done, 2 refused." in page_text
    assert refusal(done, theirs) == \
        f"Case {theirs}: Not one of your area's cases, or it no longer exists. Nothing was changed."
    assert statuses(db_engine, [theirs]) == ["running"] and audit_rows(db_engine, "suspend", theirs) == []
    assert statuses(db_engine, three) == ["suspended"] * 3
    with db_engine.connect() as conn:
        refused = conn.scalars(select(AuditEvent.details).where(AuditEvent.action == "refused",
                                                                AuditEvent.actor == "boss")).all()
    assert [theirs] in [r.get("instances") for r in refused]  # kept as evidence, as a 404 is


def test_other_roles_get_404_and_nothing_changes(three, browser, db_engine):
    form = {"action": "suspend", "reason": REASON, "instance": [str(i) for i in three]}
    for username in ("off1", "coach1", "designer1"):
        b = browser(username)
        assert b.post("/instances/bulk", form).status_code == 404, username
        assert b.post("/instances/bulk/confirm", form).status_code == 404, username
    assert statuses(db_engine, three) == ["running"] * 3 and audit_rows(db_engine, "suspend") == []


def test_admins_see_no_bulk_form(three, browser):
    page = english(browser("admin1")).get("/instances").get_data(as_text=True)
    assert 'id="instance-table"' in page and 'id="bulk-form"' not in page


def test_without_the_csrf_token_nothing_is_done(three, browser, db_engine):
    boss = browser("boss")
    form = {"action": "suspend", "reason": REASON, "instance": [str(i) for i in three]}
    assert boss.post("/instances/bulk", form, token=False).status_code == 400
    assert boss.post("/instances/bulk/confirm", form, token=False).status_code == 400
    assert statuses(db_engine, three) == ["running"] * 3 and audit_rows(db_engine, "suspend") == []


def test_the_pages_in_finnish_and_swedish(three, browser):
    boss = browser("boss")
    assert "Tee toimenpide 3 asiaan, jotka vastaavat näitä suodattimia" in text(boss.get("/instances"))
    assert "3 asiaa tehty, 0 hylätty." in text(run(boss, "suspend"))
    assert boss.post("/language", {"locale": "sv", "next": "/tasks"}).status_code == 302
    assert "3 ärenden klara, 0 avslagna." in text(run(boss, "resume"))
