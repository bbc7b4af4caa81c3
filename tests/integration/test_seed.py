"""`polku seed --cases N` (issue 10, scale): real template cases and their bulk copies, spread over
employment areas whose staff and providers are sized for the cases they have running (or all in the
demo's area with `--concentrated`); copies open in the web app like any case, run on in their new
home, and stay in their area; the summary counts what is in the tables; audit still verifies."""
from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import date

import lxml.html
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from polku.app import build_app
from polku.domain.caselist import STATUSES, CaseSearch, case_list
from polku.domain.kpis import Scope, providers_of
from polku.domain.models import Client, Period, Provider, Referral, WeeklyReview
from polku.engine.models import AuditEvent, HumanTask, Instance, InstanceOrganisation, Organisation, User, UserRole
from polku.seed_cli import summary_counts
from polku.serve_cli import DEMO_USERS, demo_password
from tests.conftest import Polku, template
from tests.web.conftest import Browser

DEMO_AREA = "Helsingin työllisyysalue"


@template("seeded")
def _seeded(polku: Polku) -> None:
    polku("seed", "--cases", "300", "--areas", "3", "--seed", "7")


@pytest.fixture
def seeded(polku, _database):
    """300 cases over three areas (built once per session)."""


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


def _staff(session, role: str) -> dict[str, list[str]]:
    """Users holding `role`, by their organisation's name."""
    rows = session.execute(select(Organisation.name, User.username).join(User, User.organisation_id == Organisation.id)
                           .join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
                           .order_by(User.id))
    staff: dict[str, list[str]] = {}
    for org, username in rows:
        staff.setdefault(org, []).append(username)
    return staff


def _area_of(session) -> dict[str, str]:
    """Each provider's area: the area linked to its follow-up instance (its manager's)."""
    followed = (select(InstanceOrganisation.instance_id).join(Instance, Instance.id == InstanceOrganisation.instance_id)
                .where(Instance.process_key == "provider_follow_up"))
    rows = session.execute(select(InstanceOrganisation.instance_id, Organisation.name, Organisation.kind)
                           .join(Organisation, Organisation.id == InstanceOrganisation.organisation_id)
                           .where(InstanceOrganisation.instance_id.in_(followed)))
    links: dict[int, dict[str, str]] = {}
    for iid, name, kind in rows:
        links.setdefault(iid, {})[kind] = name
    return {link["provider"]: link["area"] for link in links.values()}


def test_cases_spread_over_areas_whose_staff_and_providers_fit_their_running_cases(polku, db_engine):
    out = polku("seed", "--cases", "600", "--areas", "2", "--seed", "7").stdout
    real, copies = map(int, re.search(r"seeded 600 cases: (\d+) through the engine, (\d+) copies", out).groups())
    assert real + copies == 600 and real == 16
    with Session(db_engine) as session:
        counts = summary_counts(session)
        clients = session.scalar(select(func.count()).select_from(Client))
        codes = session.scalars(select(Referral.identity_code)).all()
        accepted = session.scalar(select(func.count()).select_from(Referral).where(Referral.outcome == "accepted"))
        area_of = _area_of(session)
        running = dict(session.execute(
            select(Organisation.name, func.count()).join(Referral, Referral.provider_organisation_id == Organisation.id)
            .join(Instance, Instance.id == Referral.instance_id).where(Instance.status == "running")
            .group_by(Organisation.name)).all())
        places = dict(session.execute(select(Organisation.name, Provider.places_at_once)
                                      .join(Provider, Provider.organisation_id == Organisation.id)).all())
        officials, coaches, managers = _staff(session, "official"), _staff(session, "coach"), _staff(session, "manager")
        referred_by = set(session.scalars(select(Referral.responsible_official).distinct()))
        coached_by = set(session.scalars(select(HumanTask.completed_by).where(HumanTask.element_id == "set_goals",
                                                                             HumanTask.state == "completed")))
    assert _printed(out) == counts
    assert sum(counts["status"].values()) == 600 and counts["clients"]["clients"] == clients == accepted
    assert len(set(codes)) == 600
    assert 90 <= counts["status"]["running"] <= 126  # about 18 % of the cases run
    assert {"accept_referral", "set_goals", "weekly_review", "closure", "review_end"} <= set(counts["step"])
    assert counts["area"].keys() == {DEMO_AREA, "Työllisyysalue 2"}
    assert abs(counts["area"][DEMO_AREA] - counts["area"]["Työllisyysalue 2"]) <= 2
    assert managers == {DEMO_AREA: ["esihenkilo"], "Työllisyysalue 2": ["esihenkilo2"]}
    for area in counts["area"]:
        providers = sorted(p for p, a in area_of.items() if a == area)
        in_area = sum(running[p] for p in providers)
        assert len(officials[area]) == max(2, math.ceil(in_area / 120))
        assert len(providers) == max(2, math.ceil(in_area / 60))
        for p in providers:
            assert running[p] <= places[p] == math.ceil(math.ceil(in_area / len(providers)) * 1.1)
            assert len(coaches[p]) == math.ceil(places[p] / 25) > 1
    assert officials[DEMO_AREA][:2] == ["virkailija1", "virkailija2"]
    assert {"Valmennus Oy", "Polku Coaching Ab"} <= {p for p, a in area_of.items() if a == DEMO_AREA}
    assert coaches["Valmennus Oy"][0] == "valmentaja1" and coaches["Polku Coaching Ab"][0] == "valmentaja2"
    assert referred_by == {u for staff in officials.values() for u in staff}  # every official has cases
    assert coached_by == {u for staff in coaches.values() for u in staff}  # and every coach
    spread = counts["spread"]
    assert (spread["areas"], spread["providers"]) == (2, len(area_of))
    assert spread["officials"] == sum(map(len, officials.values()))
    assert spread["coaches"] == sum(map(len, coaches.values()))
    assert spread["running, busiest provider"] == max(running.values())
    load = counts["open tasks, busiest user"]
    assert 0 < load["coach"] <= max(places.values()) and 0 < load["official"] <= 10


def test_concentrated_puts_every_case_in_the_demo_area_on_its_providers_and_users(polku, db_engine):
    out = polku("seed", "--cases", "40", "--concentrated").stdout
    with Session(db_engine) as session:
        counts = summary_counts(session)
        users = set(session.scalars(select(User.username)))
        by_provider = dict(session.execute(
            select(Organisation.name, func.count()).join(Referral, Referral.provider_organisation_id == Organisation.id)
            .group_by(Organisation.name)).all())
        officials = set(session.scalars(select(Referral.responsible_official)))
        places = set(session.execute(select(Organisation.name, Provider.places_at_once)
                                     .join(Provider, Provider.organisation_id == Organisation.id)).all())
    assert _printed(out) == counts
    assert counts["area"] == {DEMO_AREA: 40}
    assert users == {u for u, *_ in DEMO_USERS}
    assert by_provider == {"Valmennus Oy": 20, "Polku Coaching Ab": 20} and officials == {"virkailija1"}
    assert places == {("Valmennus Oy", 25), ("Polku Coaching Ab", 10)}
    assert counts["spread"]["areas"] == 1 and counts["spread"]["providers"] == 2


def _cases(session) -> list[tuple[int, str, str, str, str]]:
    """(instance id, client's name, area, area's manager, responsible official) of every case."""
    managers = {org: users[0] for org, users in _staff(session, "manager").items()}
    rows = session.execute(
        select(Referral.instance_id, Referral.name, Organisation.name, Referral.responsible_official)
        .join(InstanceOrganisation, InstanceOrganisation.instance_id == Referral.instance_id)
        .join(Organisation, Organisation.id == InstanceOrganisation.organisation_id)
        .where(Organisation.kind == "area").order_by(Referral.instance_id))
    return [(iid, name, area, managers[area], official) for iid, name, area, official in rows]


def test_seeded_cases_open_for_their_area_only(seeded, db_engine, web):
    with Session(db_engine) as session:
        cases = _cases(session)
        coaches = _staff(session, "coach")
    assert {c[2] for c in cases} == {DEMO_AREA, "Työllisyysalue 2", "Työllisyysalue 3"}
    demo_manager = web("esihenkilo")
    browsers: dict[str, Browser] = {}
    for area in (DEMO_AREA, "Työllisyysalue 2", "Työllisyysalue 3"):
        for iid, title, _area, manager, official in [c for c in cases if c[2] == area][-4:]:  # copies
            page = browsers.setdefault(official, web(official)).get(f"/cases/{iid}")
            assert page.status_code == 200, iid
            assert title in page.get_data(as_text=True)
            assert browsers.setdefault(manager, web(manager)).get(f"/instances/{iid}").status_code == 200, iid
            assert (demo_manager.get(f"/instances/{iid}").status_code == 200) == (area == DEMO_AREA), iid
    for username in ("valmentaja1", "valmentaja2", coaches["Valmennuspolku 5 Oy"][0]):
        inbox = web(username).get("/tasks")
        assert inbox.status_code == 200
        assert re.search(r'href="/tasks/[0-9a-f]{8}-', inbox.get_data(as_text=True)), username  # seeded tasks listed


def test_the_case_lists_provider_choices_are_those_of_the_areas_cases(seeded, db_engine, web):
    """The copies' organisations are linked like the engine's cases' (org_links): an official is
    offered exactly the providers their area's referrals name, not the other areas'."""
    with Session(db_engine) as session:
        cases = _cases(session)
        named = dict(session.execute(select(Referral.instance_id, Organisation.name)
                                     .join(Organisation, Organisation.id == Referral.provider_organisation_id)).all())
    for area in (DEMO_AREA, "Työllisyysalue 3"):
        official = next(c[4] for c in cases if c[2] == area)
        page = lxml.html.fromstring(web(official).get("/cases").get_data(as_text=True))
        offered = [o.text_content().strip() for o in page.xpath('//select[@name="provider"]/option') if o.get("value")]
        assert sorted(offered) == sorted({named[c[0]] for c in cases if c[2] == area}), area


def test_the_dashboards_columns_are_the_providers_the_areas_referrals_name(seeded, db_engine, uow_factory):
    """Refused copies included: their provider is linked with the area as the refusal's handler links it."""
    with Session(db_engine) as session:
        cases = _cases(session)
        named = dict(session.execute(select(Referral.instance_id, Referral.provider_organisation_id)).all())
        refused = session.scalar(select(func.count()).where(Referral.outcome == "refused"))
        areas = dict(session.execute(select(Organisation.name, Organisation.id)
                                     .where(Organisation.kind == "area")).all())
    assert refused
    with uow_factory(write=False) as uow:
        for area in {c[2] for c in cases}:
            columns = [p for p, _name in providers_of(uow, Scope(date(2026, 1, 1), date(2026, 1, 31), areas[area]))]
            assert sorted(columns) == sorted({named[c[0]] for c in cases if c[2] == area}), area


def test_a_moved_copy_runs_on_in_its_new_home_and_the_audit_chains_still_verify(seeded, polku, db_engine, web):
    with Session(db_engine) as session:
        audited = set(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.instance_id.is_not(None))))
        area = session.scalar(select(Organisation.id).where(Organisation.name == "Työllisyysalue 3"))
        in_area = select(InstanceOrganisation.instance_id).where(InstanceOrganisation.organisation_id == area)
        ready = session.scalars(select(HumanTask).where(HumanTask.state == "ready",
                                                        HumanTask.instance_id.not_in(audited),
                                                        HumanTask.instance_id.in_(in_area))).all()
        week = next(t for t in ready if t.element_id == "weekly_review")
        end = next(t for t in ready if t.element_id == "review_end")
        referral = session.scalar(select(Referral).where(Referral.instance_id == week.instance_id))
        provider = session.get(Organisation, referral.provider_organisation_id)
        coaches = _staff(session, "coach")
        official = session.scalar(select(Referral.responsible_official).where(Referral.instance_id == end.instance_id))
        period = session.scalar(select(Period.id).where(Period.instance_id == week.instance_id))
        weeks = session.scalar(select(func.count()).select_from(WeeklyReview).where(WeeklyReview.period_id == period))
        started = session.get(Instance, end.instance_id).started_at.date().isoformat()
    assert provider.name not in ("Valmennus Oy", "Polku Coaching Ab") and official not in ("virkailija1", "virkailija2")
    coach = coaches[provider.name][0]
    sunday = week.due_at.date().isoformat()  # the open week's last day
    data = json.dumps({"absence_days": 0, "meetings": [{"date": sunday, "kind": "individual"}]})
    polku.refused("complete", week.id, "--as", "valmentaja1", "--data", data, now=f"{sunday}T12:00:00+00:00")
    polku("complete", week.id, "--as", coach, "--data", data, now=f"{sunday}T12:00:00+00:00")
    after = polku.json("show", week.instance_id, "--json")["ready_tasks"]
    assert [t["element_id"] for t in after] == ["weekly_review"] and after[0]["id"] != week.id
    with Session(db_engine) as session:  # the week was written to the copy's own period
        assert session.scalar(select(WeeklyReview.period_id).order_by(WeeklyReview.id.desc()).limit(1)) == period
        assert session.scalar(select(func.count()).select_from(WeeklyReview)
                              .where(WeeklyReview.period_id == period)) == weeks + 1

    polku.refused("complete", end.id, "--as", "virkailija1", "--data", json.dumps({"feedback_discussion": "none"}))
    polku("complete", end.id, "--as", official, "--data", json.dumps({"feedback_discussion": "none"}))
    assert polku.json("show", end.instance_id, "--json")["status"] == "completed"
    listed = f"/instances?official={official}&from={started}&to={started}"
    assert f'href="/instances/{end.instance_id}"' in web("esihenkilo3").get(listed).get_data(as_text=True)
    assert f'href="/instances/{end.instance_id}"' not in web("esihenkilo").get(listed).get_data(as_text=True)
    assert polku("audit", "verify").stdout.startswith("ok")


def test_each_case_status_filter_finds_exactly_the_cases_shown_with_that_status(seeded, db_engine, uow_factory):
    """The status filter's conditions (caselist ``is_status``) and the status each row shows (its CASE)
    are written apart; over the seeded mix of every area they agree."""
    with Session(db_engine) as session:
        officials = {c[2]: c[4] for c in _cases(session)}  # one official per area
    seen: set[str] = set()
    with uow_factory() as uow:
        for official in officials.values():
            area = CaseSearch(scope="area", per_page=500)
            shown = {c["id"]: c["case_status"] for c in case_list(uow, official, area)}
            found = {c["id"]: status for status in STATUSES
                     for c in case_list(uow, official, replace(area, status=status))}
            assert found == shown, official
            seen |= set(shown.values())
    assert {"running", "refused", "closed"} <= seen  # interrupted ones: tests/web/test_case_search.py
