"""A task's "Open the case" leads where its reader can go: a job-coaching task to the case page; a
task of another process (a provider's contract follow-up has no case page) to the managers'
instance page for its manager; the same after the task is done."""
from __future__ import annotations

import json

import lxml.html

from tests.conftest import task_of
from tests.scenarios.conftest import PROVIDER

CONTRACT = {"provider": PROVIDER, "methods": "Individual coaching", "municipalities": "Helsinki",
            "start_dates": "non-stop", "non_stop": True, "places_at_once": 20, "places_per_year": 60,
            "target_group": "Long-term unemployed"}


def links(b, task_id: str) -> list[str]:
    response = b.get(f"/tasks/{task_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return page.xpath("//p[@class='task-case-link']/a/@href")


def test_a_job_coaching_task_leads_to_its_case(browser, refer, polku):
    case = refer()
    task = task_of(polku, "coach1", "accept_referral", case.id)
    assert links(browser("coach1"), task["id"]) == [f"/cases/{case.id}"]


def test_a_follow_up_task_leads_its_manager_to_the_instance_page(browser, coaching, polku):
    iid = polku.json("start", "provider_follow_up", "--as", "boss", "--data", json.dumps(CONTRACT))["id"]
    task = task_of(polku, "boss", "contract_active", iid)
    b = browser("boss")
    assert links(b, task["id"]) == [f"/instances/{iid}"]
    assert b.get(f"/instances/{iid}").status_code == 200  # not the case page's 404
    polku("complete", task["id"], "--as", "boss", "--data", "{}")
    done = lxml.html.fromstring(b.get(f"/tasks/{task['id']}").get_data(as_text=True))
    assert f"/instances/{iid}" in done.xpath("//main//a/@href")
    assert not [h for h in done.xpath("//main//a/@href") if h.startswith("/cases/")]
