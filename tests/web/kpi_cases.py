"""A small hand-computed set of cases for the KPI dashboard (tests/web/test_kpis.py), written as
domain rows straight into the database (the KPIs read only those rows and the task rows).

Range: March 2026. Providers A (PROVIDER, 2 places at once) and B (OTHER_PROVIDER, 4 places).
- c1 (A, fi): referred 2 Feb; period 1 9 Feb–20 Mar (40 days), second period approved; period 2 from
  21 Mar, running; an official's task due 25 Mar, done 2 Apr (overdue at the end of March).
- c2 (A, sv): referred Mon 2 Mar, started Mon 9 Mar (5 business days), closed 27 Mar (19 days): 3 goals,
  2 reached, 2 outcome areas, employed; a second period proposal refused.
- c3 (B, fi): referred Tue 3 Mar, started Thu 5 Mar (2 business days), interrupted 16 Mar for absence
  (12 days: an R1 breach), closure 17 Mar: 2 goals, none reached, 1 area + next steps, a jobseeker;
  redirected to health services on 10 Mar (the official: continue, 11 Mar); an official's task done before its due time.
- c4 (B): referred 10 Mar, refused R1_short. c5 (A): referred 11 Mar, refused R4_window.
- c6 (A, fi): started 1 Oct 2025 and still running (past the 4-month limit: an R1 breach); a coach's
  task due 20 Mar, open.
- c7: another area's case (A, fi, referred and running in March, an overdue task): never counted.
- c8 (B, sv): a period that ended on 27 Feb: not in service in March.
- c9 (B, fi): referred 25 Mar, not started; its start notification (accept_referral) due 30 Mar, not sent.
- c10, c11 (A): earlier periods of c1's client (13 Oct 2025–8 Feb 2026: c1's second period is the third
  in a row, R3) and of c6's (1 Apr–31 Aug 2025: 335 coaching days in the 12 months to 31 Mar, R4).
- c12: an instance of another process (the providers' follow-up) in the area, its official's task due
  20 Mar and open: not a case, never counted.
- Meetings (weeks ending 1, 8, 15, 22, 29 Mar): c1 on 3 and 24 Mar, c2 on 10 and 17 Mar, c3 on 6 Mar,
  c6 on 26 Mar. Start notifications: c2's done 9 Mar, due 5 Mar (late); c3's on time.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.domain.handlers import refusal_links
from polku.domain.models import Client, Closure, Decision, Goal, Meeting, Period, Provider, Redirection, Referral
from polku.engine import org_links
from polku.engine.models import HumanTask, Instance, InstanceOrganisation, Organisation, ProcessDefinition
from tests.scenarios.conftest import AREA, OTHER_PROVIDER, PROVIDER

OTHER_AREA = "Muu työllisyysalue"


def _at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


class Builder:
    def __init__(self, session: Session):
        self.s = session
        self.orgs: dict[int, tuple[int, int]] = {}  # each case's organisations
        orgs = dict(session.execute(select(Organisation.name, Organisation.id)).all())
        if OTHER_AREA not in orgs:
            session.add(Organisation(name=OTHER_AREA, kind="area"))
            session.flush()
            orgs = dict(session.execute(select(Organisation.name, Organisation.id)).all())
        self.area, self.other_area = orgs[AREA], orgs[OTHER_AREA]
        self.a, self.b = orgs[PROVIDER], orgs[OTHER_PROVIDER]
        self.definition = session.scalars(select(ProcessDefinition)
                                          .where(ProcessDefinition.key == "tyohonvalmennus")).first()
        self.hetus = iter([f"0{i}0{i}0{i}-{i}23N" for i in range(1, 10)] + ["101010-123N"])

    def case(self, provider: int, referred: str, area: int | None = None, status: str = "running",
             process_key: str = "tyohonvalmennus") -> int:
        inst = Instance(definition_id=self.definition.id, process_key=process_key,
                        version=self.definition.version, title="kpi", status=status, state=b"",
                        started_at=_at(referred), started_by="off1", updated_at=_at(referred))
        self.s.add(inst)
        self.s.flush()
        orgs = (area or self.area, provider)
        for org in orgs:
            self.s.add(InstanceOrganisation(instance_id=inst.id, organisation_id=org))
        self.orgs[inst.id] = orgs
        self.s.flush()
        org_links.link(self.s, org_links.pairs(orgs))  # as the engine links them
        return inst.id

    def referral(self, iid: int, provider: int, referred: str, language: str = "fi",
                 refused: str | None = None) -> int | None:
        hetu = next(self.hetus)
        client_id = None
        if refused is None:
            client = Client(identity_code=hetu, name=f"Client {iid}", language=language, municipality="Helsinki",
                            created_at=_at(referred))
            self.s.add(client)
            self.s.flush()
            client_id = client.id
        self.s.add(Referral(instance_id=iid, client_id=client_id, identity_code=hetu, name=f"Client {iid}",
                            language=language, planned_start=date(2026, 3, 1), planned_end=date(2026, 5, 1),
                            provider_organisation_id=provider, outcome="refused" if refused else "accepted",
                            refusal_reason=refused, submitted_by="off1", submitted_at=_at(referred),
                            responsible_official="off1"))
        if refused:  # as the refusal's handler links them
            org_links.link(self.s, refusal_links(self.orgs[iid], provider))
        return client_id

    def period(self, iid: int, client: int | None, provider: int, start: str, end: str | None = None,
               number: int = 1, status: str | None = None, **extra) -> int:
        p = Period(instance_id=iid, client_id=client, provider_organisation_id=provider, number=number,
                   planned_start=date.fromisoformat(start), planned_end=date(2026, 6, 30),
                   actual_start=None if status == "referred" else date.fromisoformat(start),
                   actual_end=date.fromisoformat(end) if end else None,
                   status=status or ("ended" if end else "active"), created_at=_at(start), **extra)
        self.s.add(p)
        self.s.flush()
        return p.id

    def meetings(self, period: int, *days: str) -> None:
        for i, day in enumerate(days):
            self.s.add(Meeting(period_id=period, held_on=date.fromisoformat(day), kind="individual", week_number=i + 1))

    def closure(self, iid: int, period: int, day: str, reached: list[bool], areas: list[str], next_steps: str,
                status: str) -> None:
        for i, ok in enumerate(reached):
            self.s.add(Goal(period_id=period, position=i, category="job_search_skills", description="d",
                            verification="v", reached=ok))
        self.s.add(Closure(instance_id=iid, period_id=period, employment_status=status, outcome_areas=areas,
                           next_steps=next_steps, closed_at=_at(day)))

    def task(self, iid: int, element: str, group: str, due: str, created: str, completed: str | None = None) -> None:
        self.s.add(HumanTask(id=str(uuid.uuid4()), instance_id=iid, element_id=element, name=element,
                             candidate_groups=[group], due_at=_at(due, "20:00"), fields=[],
                             state="completed" if completed else "ready", created_at=_at(created),
                             completed_at=_at(completed) if completed else None))


def build(session: Session) -> dict[str, int]:
    b = Builder(session)
    A, B = b.a, b.b
    session.add_all([Provider(organisation_id=A, methods="m", municipalities="Helsinki", places_at_once=2,
                              updated_at=_at("2026-01-01")),
                     Provider(organisation_id=B, methods="m", municipalities="Helsinki", places_at_once=4,
                              updated_at=_at("2026-01-01"))])
    c = {}
    c["c1"] = b.case(A, "2026-02-02")
    client = b.referral(c["c1"], A, "2026-02-02")
    p = b.period(c["c1"], client, A, "2026-02-09", "2026-03-20", end_reason="second_period",
                 second_period_decision="approved")
    b.meetings(p, "2026-03-03")
    b.meetings(b.period(c["c1"], client, A, "2026-03-21", number=2), "2026-03-24")
    c["c10"] = b.case(A, "2025-10-06", status="completed")  # the same client's period just before: R3 for c1
    b.period(c["c10"], client, A, "2025-10-13", "2026-02-08", end_reason="closed")
    b.task(c["c1"], "decide_second_period", "official", "2026-03-25", "2026-03-20", completed="2026-04-02")
    c["c2"] = b.case(A, "2026-03-02", status="completed")
    client = b.referral(c["c2"], A, "2026-03-02", language="sv")
    p = b.period(c["c2"], client, A, "2026-03-09", "2026-03-27", end_reason="closed", second_period_decision="refused")
    b.meetings(p, "2026-03-10", "2026-03-17")
    b.task(c["c2"], "accept_referral", "coach", "2026-03-05", "2026-03-02", completed="2026-03-09")
    b.closure(c["c2"], p, "2026-03-27", [True, True, False], ["job_search_skills", "working_life_readiness"], "",
              "employed")
    c["c3"] = b.case(B, "2026-03-03", status="completed")
    client = b.referral(c["c3"], B, "2026-03-03")
    p = b.period(c["c3"], client, B, "2026-03-05", "2026-03-16", status="interrupted", end_reason="absence")
    b.meetings(p, "2026-03-06")
    b.task(c["c3"], "accept_referral", "coach", "2026-03-06", "2026-03-03", completed="2026-03-05")
    b.closure(c["c3"], p, "2026-03-17", [False, False], ["job_search_skills"], "Apply to school", "jobseeker")
    session.add(Redirection(instance_id=c["c3"], period_id=p, target_service="health", description="d",
                            created_at=_at("2026-03-10")))
    session.add(Decision(instance_id=c["c3"], period_id=p, kind="redirection", decision="continue", decided_by="off1",
                         decided_at=_at("2026-03-11")))
    b.task(c["c3"], "decide_interruption", "official", "2026-03-14", "2026-03-12", completed="2026-03-13")
    c["c4"] = b.case(B, "2026-03-10", status="completed")
    b.referral(c["c4"], B, "2026-03-10", refused="R1_short")
    c["c5"] = b.case(A, "2026-03-11", status="completed")
    b.referral(c["c5"], A, "2026-03-11", refused="R4_window")
    c["c6"] = b.case(A, "2025-09-22")
    client = b.referral(c["c6"], A, "2025-09-22")
    b.meetings(b.period(c["c6"], client, A, "2025-10-01"), "2026-03-26")
    c["c11"] = b.case(A, "2025-03-24", status="completed")  # the same client earlier: R4 for c6
    b.period(c["c11"], client, A, "2025-04-01", "2025-08-31", end_reason="closed")
    b.task(c["c6"], "weekly_review", "coach", "2026-03-20", "2026-03-16")
    c["c7"] = b.case(A, "2026-03-02", area=b.other_area)
    client = b.referral(c["c7"], A, "2026-03-02")
    b.period(c["c7"], client, A, "2026-03-04")
    b.task(c["c7"], "weekly_review", "coach", "2026-03-10", "2026-03-09")
    c["c8"] = b.case(B, "2025-12-29", status="completed")
    client = b.referral(c["c8"], B, "2025-12-29", language="sv")
    b.period(c["c8"], client, B, "2026-01-05", "2026-02-27", end_reason="closed")
    c["c9"] = b.case(B, "2026-03-25")
    client = b.referral(c["c9"], B, "2026-03-25")
    b.period(c["c9"], client, B, "2026-04-01", status="referred")
    b.task(c["c9"], "accept_referral", "coach", "2026-03-30", "2026-03-25")
    c["c12"] = b.case(A, "2026-03-02", process_key="provider_follow_up")  # no referral: not a case
    b.task(c["c12"], "follow_up", "official", "2026-03-20", "2026-03-02")
    session.commit()
    return {**c, "A": A, "B": B}
