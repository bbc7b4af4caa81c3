"""`polku seed --cases N` (issue 10, scale): real template cases and their bulk copies, which open in
the web app like any case and run on; the summary counts what is in the tables; audit still verifies."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from polku.app import build_app
from polku.domain.models import Client, Referral
from polku.engine.models import AuditEvent, HumanTask, Instance
from polku.seed_cli import summary_counts
from polku.serve_cli import demo_password
from tests.web.conftest import Browser


@pytest.fixture
def seeded(polku, db_engine):
    out = polku("seed", "--cases", "30", "--seed", "7", "--providers", "3").stdout
    return out


@pytest.fixture
def web(database_url):
    app = build_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret"})
    yield lambda username: Browser(app).login(username, demo_password(username))
    app.extensions["polku"]["engine"].dispose()


def _printed(out: str) -> dict[str, dict[str, int]]:
    sections: dict[str, dict[str, int]] = {}
    current = None
    for line in out.splitlines()[out.splitlines().index("status:"):]:
        if line.endswith(":") and not line.startswith(" "):
            current = sections.setdefault(line[:-1], {})
        elif current is not None and (m := re.fullmatch(r"  (.+?)\s+(\d+)", line)):
            current[m.group(1)] = int(m.group(2))
    return sections


def test_the_summary_counts_the_rows_and_the_cases_spread(seeded, db_engine):
    real, copies = map(int, re.search(r"seeded 30 cases: (\d+) through the engine, (\d+) copies", seeded).groups())
    assert real + copies == 30 and copies > 0 and real >= 10
    with Session(db_engine) as session:
        counts = summary_counts(session)
        cases = session.scalar(select(func.count()).select_from(Instance)
                               .where(Instance.process_key == "tyohonvalmennus"))
        clients = session.scalar(select(func.count()).select_from(Client))
        codes = session.scalars(select(Referral.identity_code)).all()
        accepted = session.scalar(select(func.count()).select_from(Referral).where(Referral.outcome == "accepted"))
    assert _printed(seeded) == counts
    assert sum(counts["status"].values()) == cases == 30 == sum(counts["provider"].values())
    assert counts["clients"]["clients"] == clients == accepted  # refused referrals make no client
    assert len(set(codes)) == 30
    assert {"running", "completed", "terminated"} <= set(counts["status"])
    assert {"accept_referral", "set_goals", "weekly_review", "closure", "review_end"} <= set(counts["step"])
    assert counts["provider"] == {"Valmennus Oy": 10, "Polku Coaching Ab": 10, "Valmennuspolku 3 Oy": 10}


def test_seeded_cases_open_in_the_case_page_the_inbox_and_the_instance_page(seeded, db_engine, web):
    with Session(db_engine) as session:
        rows = session.execute(select(Referral.instance_id, Referral.name).order_by(Referral.instance_id)).all()
    official, manager = web("virkailija1"), web("esihenkilo")
    for iid, title in rows:
        page = official.get(f"/cases/{iid}")
        assert page.status_code == 200, iid
        assert title in page.get_data(as_text=True)
        assert manager.get(f"/instances/{iid}").status_code == 200, iid
    for username in ("virkailija1", "valmentaja1", "valmentaja2", "valmentaja3"):
        inbox = web(username).get("/tasks")
        assert inbox.status_code == 200
        assert re.search(r'href="/tasks/[0-9a-f]{8}-', inbox.get_data(as_text=True)), username  # seeded tasks listed
    copy = rows[-1][1]  # the newest rows are copies, with their own clients
    assert official.get("/cases").status_code == 200
    assert copy in official.get("/cases?q=" + copy.split()[0]).get_data(as_text=True)


def test_a_copy_runs_on_and_the_audit_chains_still_verify(seeded, polku, db_engine):
    with Session(db_engine) as session:
        audited = set(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.instance_id.is_not(None))))
        task = session.scalars(select(HumanTask).where(HumanTask.element_id == "weekly_review",
                                                       HumanTask.state == "ready",
                                                       HumanTask.instance_id.not_in(audited))).first()
    assert task is not None  # a copy: no audit rows of its own
    sunday = task.due_at.date().isoformat()  # the open week's last day
    coach = next(c for c in ("valmentaja1", "valmentaja2", "valmentaja3")
                 if any(t["id"] == task.id for t in polku.json("tasks", "--as", c, "--json")))
    polku("complete", task.id, "--as", coach, "--data",
          json.dumps({"absence_days": 0, "meetings": [{"date": sunday, "kind": "individual"}]}),
          now=f"{sunday}T12:00:00+00:00")
    ready = polku.json("show", task.instance_id, "--json")["ready_tasks"]
    assert [t["element_id"] for t in ready] == ["weekly_review"] and ready[0]["id"] != task.id
    assert polku("audit", "verify").stdout.startswith("ok")
