"""How each entry of docs/access-matrix.toml is exercised: the users of each cell, the objects a
request is about, and one function per route / CLI command that makes the request.

A cell is a role in the organisations of the case ("own": the area that referred it and the provider
it was referred to) or in another area or provider ("other"), or nobody logged in ("anonymous",
web only) or the CLI operator without --as ("operator", CLI only)."""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, update

from polku.domain.models import Notice
from polku.engine.accounts import hash_password
from polku.engine.models import HumanTask, SavedFilter, User
from tests.conftest import Polku, add_user, template
from tests.scenarios.conftest import AREA, PROVIDER, at, referral  # noqa: F401  (referral: for the tests)
from tests.web.conftest import PASSWORD

MATRIX = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.toml"
ROLES = ("official", "coach", "manager", "designer", "admin")
OTHER_AREA = "Toinen työllisyysalue"
USERS = {
    "own": {"official": "off1", "coach": "coach1", "manager": "boss", "designer": "designer1", "admin": "admin1"},
    "other": {"official": "off9", "coach": "coach2", "manager": "boss9", "designer": "designer9", "admin": "admin9"},
}


def load_matrix() -> dict:
    return tomllib.loads(MATRIX.read_text(encoding="utf-8"))


def cells(entry: dict) -> list[tuple[str, str | None, object]]:
    """(side, role, expected) of an entry, in a fixed order."""
    found = [(side, role, entry[side][role]) for side in ("own", "other") for role in ROLES if side in entry]
    for side in ("anonymous", "operator"):
        if side in entry:
            found.append((side, None, entry[side]))
    return found


@template("authz", parent="coaching")
def _authz_cast(polku: Polku) -> None:
    add_user(polku, "admin1", "admin", org=AREA)
    add_user(polku, "coach3", "coach", org=PROVIDER, kind="provider")  # a colleague of coach1
    for username, role in (("off9", "official"), ("boss9", "manager"), ("designer9", "designer"),
                           ("admin9", "admin")):
        add_user(polku, username, role, org=OTHER_AREA)
    engine = create_engine(polku.database_url)
    with engine.begin() as conn:  # one hash for all: logging in is what is tested, not hashing
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    engine.dispose()


@dataclass
class Objects:
    """What a request is about, made fresh for a cell where a request changes it."""

    case: int
    task: str


_made = iter(range(2, 900))


def fresh_hetu() -> str:
    """A valid identity code no case has yet (one client, one active period: R3)."""
    base = f"131052{next(_made):03d}"
    return f"{base[:6]}-{base[6:]}" + "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(base) % 31]


def new_case(polku: Polku, claimed_by: str | None = None) -> Objects:
    values = referral(client_hetu=fresh_hetu())
    iid = polku.json("start", "tyohonvalmennus", "--as", "off1", "--data", json.dumps(values))["id"]
    [task] = [t for t in polku.json("tasks", "--instance", iid) if t["element_id"] == "accept_referral"]
    if claimed_by:
        polku("claim", task["id"], "--as", claimed_by)
    return Objects(iid, task["id"])


def new_notice(polku: Polku, db_engine) -> int:
    """A case whose first week flags another service need: a notice to its official."""
    made = new_case(polku)
    polku("complete", made.task, "--as", "coach1", "--data", json.dumps({"actual_start": "2026-01-12"}),
          now=at("2026-01-12"))
    for element_id, values, now in (
            ("set_goals", {"goals": GOALS, "meetings_per_week": 2}, at("2026-01-12")),
            ("weekly_review", {"meetings": [{"date": "2026-01-16", "kind": "individual"}], "absence_days": 0,
                               "other_service_need": True}, at("2026-01-16", "15:00"))):
        [task] = [t for t in polku.json("tasks", "--instance", made.case) if t["element_id"] == element_id]
        polku("complete", task["id"], "--as", "coach1", "--data", json.dumps(values), now=now)
    with db_engine.connect() as conn:
        return conn.scalar(select(Notice.id).where(Notice.instance_id == made.case))


GOALS = [{"category": "job_search_skills", "description": "CV", "verification": "Log"},
         {"category": "job_opportunities", "description": "Employers", "verification": "List"}]


def saved_filter(browser_of, db_engine) -> int:
    off1 = browser_of("off1")
    assert off1.post("/tasks/filters", {"name": "mine", "scope": "mine"}).status_code == 302
    with db_engine.connect() as conn:
        return conn.scalar(select(SavedFilter.id).order_by(SavedFilter.id.desc()).limit(1))


def assignee(db_engine, task_id: str) -> str | None:
    with db_engine.connect() as conn:
        return conn.scalar(select(HumanTask.assignee).where(HumanTask.id == task_id))

