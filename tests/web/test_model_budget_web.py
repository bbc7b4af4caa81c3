"""Finding 5 on the web: completing a task whose next step loops answers within seconds with a
page that says the case stopped (not a 500), and meanwhile another user logs in and completes
a task (on SQLite the looping step must not hold the write lock past its budget)."""
from __future__ import annotations

import json
import threading
import time

from sqlalchemy import update

from polku.engine.accounts import hash_password
from polku.engine.models import User
from tests.conftest import FIXTURES, task_of
from tests.web.conftest import PASSWORD, Browser, english

BUDGET = FIXTURES / "bpmn" / "budget"


def _first_task(polku, mode):
    iid = polku.json("start", "budget_case", "--as", "off1", "--data", json.dumps({"mode": mode}))["id"]
    return iid, task_of(polku, "off1", "first", instance_id=iid)["id"]


def test_a_looping_next_step_stops_with_a_page_while_another_user_works(sample, web_app, db_engine):
    polku = sample
    polku("deploy", BUDGET / "budget_case.bpmn", BUDGET / "budget_spin.dmn", "--as", "designer1")
    with db_engine.begin() as conn:
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    looping_case, looping_task = _first_task(polku, "loop")
    plain_case, plain_task = _first_task(polku, "plain")
    off1 = english(Browser(web_app).login("off1"))
    off1.get(f"/tasks/{looping_task}")

    answer: dict = {}

    def submit():
        began = time.monotonic()
        response = off1.post(f"/tasks/{looping_task}", {})
        answer.update(status=response.status_code, page=response.get_data(as_text=True),
                      took=time.monotonic() - began)

    looping = threading.Thread(target=submit)
    looping.start()
    time.sleep(0.2)  # the loop is running now
    began = time.monotonic()
    off2 = english(Browser(web_app).login("off2"))
    off2.get(f"/tasks/{plain_task}")
    done = off2.post(f"/tasks/{plain_task}", {})
    other_took = time.monotonic() - began
    looping.join(timeout=30)

    assert done.status_code == 302, done.get_data(as_text=True)[-500:]
    assert other_took < 3, f"the other user waited {other_took:.1f} s"
    assert answer["status"] == 200 and answer["took"] < 5, (answer["status"], answer["took"])
    assert "The task was saved, but the process stopped" in answer["page"]
    assert polku.json("show", looping_case)["status"] == "error"
    assert "time budget" in polku.json("show", looping_case)["error"]["message"]
    assert [t["element_id"] for t in polku.json("show", plain_case)["ready_tasks"]] == ["after"]
