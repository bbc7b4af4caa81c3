"""The dashboard's default view from the worker's snapshot (domain.kpis.snapshots), on the
hand-computed March 2026 cases (tests/web/kpi_cases.py): after worker rounds the page shows the
same numbers and links as counted live, says as of when; an old snapshot, a chosen provider or
another range are counted live; each area (and every area, for admins) has its own snapshot."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from polku.domain.kpis.snapshots import MAX_AGE, REFRESH, KpiSnapshots, refresh
from polku.domain.models import KpiSnapshot
from polku.engine.accounts import hash_password
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import User
from polku.engine.worker import worker_round
from polku.wiring import periodic_jobs
from tests.conftest import add_user
from tests.web.conftest import PASSWORD
from tests.web.kpi_cases import OTHER_AREA, build
from tests.web.test_kpis_page import cells, in_language

NOW = "2026-04-15T09:00:00+00:00"  # the default range: March 2026
AS_OF = "Figures as of"


@pytest.fixture
def kpi_cases(passwords, db_engine):
    with Session(db_engine) as session:
        return build(session)


def later(after: timedelta) -> str:
    return (parse_instant(NOW) + after).isoformat()


def run_worker(db_engine, runtime, now: str = NOW) -> int:
    """Worker rounds (one area each) until every snapshot is fresh; how many areas were counted."""
    counted = 0
    for _ in range(20):
        done = worker_round(db_engine, runtime, FixedClock(parse_instant(now)), {"kpi_snapshots": KpiSnapshots()})
        if not done.jobs["kpi_snapshots"]:
            return counted
        assert done.jobs["kpi_snapshots"] == 1  # one area per round: a round's transaction stays short
        counted += 1
    raise AssertionError("the snapshots never got fresh")


def page(b, url: str = "/dashboard") -> str:
    response = b.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def numbers(html: str) -> list[str]:
    """Every cell of every table and the glance, with its link: the page's numbers."""
    return re.findall(r"<td[^>]*>(.*?)</td>", html, re.S) + re.findall(r"<dd>(.*?)</dd>", html, re.S)


def with_password(coaching, db_engine, username: str, role: str, org: str) -> str:
    add_user(coaching, username, role, org=org)
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == username).values(password_hash=hash_password(PASSWORD)))
    return username


def test_after_the_worker_the_default_view_is_the_snapshot_number_for_number(kpi_cases, browser, db_engine, runtime,
                                                                              monkeypatch):
    monkeypatch.setenv("POLKU_NOW", NOW)
    b = in_language(browser("boss"), "en")
    live = page(b)
    assert AS_OF not in live and numbers(live)
    assert run_worker(db_engine, runtime) >= 3  # every area (2 and more) and every area together
    stored = page(b)
    assert "Figures as of Apr 15, 2026, 12:00" in stored  # 09:00 UTC is noon in Helsinki
    assert numbers(stored) == numbers(live)
    assert cells(stored, "clients")[0] == ["All", "1", "3", "4"]
    assert 'href="/instances?kpi=clients&amp;row=total&amp;kpi_from=2026-03-01&amp;kpi_to=2026-03-31"' in stored
    for locale, said in (("fi", "Luvut on laskettu 15.4.2026"), ("sv", "Siffrorna är beräknade 15.4.2026")):
        assert said in page(in_language(b, locale))


def test_a_snapshot_older_than_max_age_is_not_used(kpi_cases, browser, db_engine, runtime, monkeypatch):
    run_worker(db_engine, runtime)
    with db_engine.begin() as conn:  # a marker no count gives: seen only if the snapshot is used
        row = conn.execute(select(KpiSnapshot.id, KpiSnapshot.figures).where(KpiSnapshot.area_key > 0)).all()
        for snapshot_id, figures in row:
            figures["kpis"][0]["rows"][0]["values"] = [[None, 999]]
            conn.execute(update(KpiSnapshot).where(KpiSnapshot.id == snapshot_id).values(figures=figures))
    b = in_language(browser("boss"), "en")
    monkeypatch.setenv("POLKU_NOW", later(MAX_AGE - timedelta(minutes=1)))
    assert cells(page(b), "clients")[0][-1] == "999"
    monkeypatch.setenv("POLKU_NOW", later(MAX_AGE + timedelta(minutes=1)))
    html = page(b)
    assert AS_OF not in html and cells(html, "clients")[0] == ["All", "1", "3", "4"]


def test_a_chosen_provider_or_another_range_is_counted_now(kpi_cases, browser, db_engine, runtime, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", NOW)
    run_worker(db_engine, runtime)
    b = in_language(browser("boss"), "en")
    assert AS_OF in page(b)
    html = page(b, f"/dashboard?provider={kpi_cases['B']}")
    assert AS_OF not in html and cells(html, "referrals")[0] == ["All", "3", "3"]
    html = page(b, "/dashboard?from=2026-03-01&to=2026-03-15")
    assert AS_OF not in html and cells(html, "clients")[0] == ["All", "1", "3", "4"]
    assert AS_OF not in page(b, "/dashboard?from=2026-02-01&to=2026-02-28")


def test_areas_are_kept_apart(kpi_cases, coaching, browser, db_engine, runtime, monkeypatch):
    """The other area's manager gets their area's snapshot: c7 alone, never the first area's four."""
    boss2 = with_password(coaching, db_engine, "boss2", "manager", OTHER_AREA)
    monkeypatch.setenv("POLKU_NOW", NOW)
    run_worker(db_engine, runtime)
    html = page(in_language(browser(boss2), "en"))
    assert AS_OF in html
    assert cells(html, "clients")[0] == ["All", "1", "1"]
    assert cells(html, "referrals")[0] == ["All", "1", "1"]
    assert f"/cases/{kpi_cases['c1']}" not in html and f"/cases/{kpi_cases['c6']}" not in html


def test_the_admins_snapshot_is_of_every_area(kpi_cases, coaching, browser, db_engine, runtime, monkeypatch):
    admin = with_password(coaching, db_engine, "admin1", "admin", OTHER_AREA)
    monkeypatch.setenv("POLKU_NOW", NOW)
    b = in_language(browser(admin), "en")
    live = page(b)
    run_worker(db_engine, runtime)
    stored = page(b)
    assert AS_OF in stored and "Figures of every employment area." in stored
    assert numbers(stored) == numbers(live)
    assert cells(stored, "clients")[0][-1] == "5"  # c7 of the other area too


def test_refresh_skips_a_fresh_area_and_counts_it_again_after_refresh(kpi_cases, uow_factory):
    def run(now: str) -> int:
        with uow_factory(now) as uow:
            counted = refresh(uow, uow.now)
            uow.commit()
        return counted

    areas = run(NOW)
    assert areas >= 3
    assert run(later(REFRESH - timedelta(minutes=1))) == 0
    assert run(later(REFRESH)) == areas
    with uow_factory(later(MAX_AGE), write=False) as uow:
        times = set(uow.session.scalars(select(KpiSnapshot.computed_at)))
    assert times == {parse_instant(later(REFRESH))}


def test_a_new_month_replaces_the_last_months_snapshot(kpi_cases, uow_factory):
    for now in (NOW, "2026-05-02T09:00:00+00:00"):
        with uow_factory(now) as uow:
            refresh(uow, uow.now)
            uow.commit()
    with uow_factory(NOW, write=False) as uow:
        months = set(uow.session.execute(select(KpiSnapshot.range_start, KpiSnapshot.range_end)))
    assert {(s.isoformat(), e.isoformat()) for s, e in months} == {("2026-04-01", "2026-04-30")}


def test_the_worker_runs_the_job():
    assert isinstance(periodic_jobs()["kpi_snapshots"], KpiSnapshots)


def test_a_manager_without_an_area_gets_no_snapshot(kpi_cases, browser, db_engine, runtime, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", NOW)
    run_worker(db_engine, runtime)
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "boss").values(organisation_id=None))
    html = page(in_language(browser("boss"), "en"))
    assert AS_OF not in html and cells(html, "clients")[0] == ["All", "0"]


def test_a_round_counts_without_keeping_writers_waiting(kpi_cases, db_engine, runtime, monkeypatch):
    """The count, seconds at 100,000 cases, runs in the worker's unit of work that only reads: a
    user's write made meanwhile goes through at once (on SQLite a writing unit of work would hold the
    database's write lock until it ends, and this write would wait, then fail as 'busy')."""
    from polku.domain.kpis import snapshots
    from polku.engine import audit
    from polku.engine.db import UnitOfWork

    counting = snapshots.count
    written = []

    def count_while_someone_writes(uow, scope):
        with UnitOfWork(db_engine, FixedClock(parse_instant(NOW))) as other:
            audit.record(other, "off1", "probe")
            other.commit()
        written.append(scope)
        return counting(uow, scope)

    monkeypatch.setattr(snapshots, "count", count_while_someone_writes)
    assert run_worker(db_engine, runtime) == len(written) > 0
    with Session(db_engine) as session:
        assert session.scalar(select(KpiSnapshot.computed_at).limit(1)) == parse_instant(NOW)


def test_an_older_count_stored_late_does_not_replace_a_newer_one(kpi_cases, db_engine, runtime):
    """Two workers count one area, the earlier count's write comes last: the newer figures stay."""
    from polku.engine.db import UnitOfWork

    def count_at(at: str):
        with UnitOfWork(db_engine, FixedClock(parse_instant(at)), write=False) as uow:
            return KpiSnapshots().read(uow, runtime)

    older, newer = count_at(NOW), count_at(later(timedelta(minutes=1)))
    for found in (newer, older):  # the older one stored last
        with UnitOfWork(db_engine, FixedClock(parse_instant(NOW))) as uow:
            KpiSnapshots().write(uow, runtime, found)
            uow.commit()
    with Session(db_engine) as session:
        assert session.scalars(select(KpiSnapshot.computed_at)).all() == [parse_instant(later(timedelta(minutes=1)))]
