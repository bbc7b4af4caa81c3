"""The second period as a proposal with dates (issue 8): the coach proposes its end, R1 and R4
are checked for exactly that proposal, and the approved period ends on the proposed date.

The client had two months of coaching last autumn (1 Sep - 31 Oct 2025). With the first period
12 Jan - 30 Apr 2026, a full four-month second period (1 May - 31 Aug) would give more than
8 months of coaching in 12 (R4); one ending 11 July is the longest lawful one."""
from __future__ import annotations

from polku.domain.models import Decision, Period
from tests.scenarios.conftest import at, rows
from tests.scenarios.test_coaching import started


def _due(case):
    case.week("2026-04-10")
    case.week("2026-04-17")
    assert case.ready() == ["propose_second_period"]


def _propose(case, end, **extra):
    return dict(second_period_needed=True, second_period_end=end, justification="Contract in negotiation", **extra)


def _refusal(case, end) -> str:
    """The one field error of a refused proposal (the CLI gives the rule's English text, or the DMN's Finnish)."""
    refused = case.refused("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), **_propose(case, end))
    [(field, message)] = refused["fields"].items()
    assert field == "second_period_end"
    return message


def test_the_full_period_breaking_r4_is_corrected_to_a_shorter_one_that_the_official_approves(refer, history,
                                                                                                db_engine):
    history("2025-09-01", "2025-10-31")
    case = started(refer)
    _due(case)
    # The full four months: a form error naming the latest lawful end date; nothing is recorded.
    assert _refusal(case, "2026-08-31") == ("With the client's earlier coaching this end would exceed 8 months of "
                                            "coaching in 12 months. The latest possible end date is 2026-07-11.")
    assert rows(db_engine, Decision, instance_id=case.id) == []
    assert case.ready() == ["propose_second_period"]
    # One day more than lawful is refused too; the latest lawful end goes to the official.
    assert _refusal(case, "2026-07-12").endswith("The latest possible end date is 2026-07-11.")
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), **_propose(case, "2026-07-11"))
    assert case.ready() == ["decide_second_period"]
    data = case.data
    assert (data["sp_start"], data["sp_end"], data["sp_days"]) == ("2026-05-01", "2026-07-11", 72)
    assert (data["sp_window_days_max"], data["sp_window_limit_days"], data["second_period_allowed"]) == \
        (242, 242, True)
    case.do("decide_second_period", "off1", now=at("2026-04-20"), decision="approve", reason="Agreed")
    proposal, decision = rows(db_engine, Decision, instance_id=case.id)
    assert (proposal.kind, proposal.period_start.isoformat(), proposal.period_end.isoformat()) == \
        ("second_period_proposal", "2026-05-01", "2026-07-11")
    assert (decision.kind, decision.decision, decision.period_end.isoformat()) == \
        ("second_period", "approved", "2026-07-11")
    # The first period runs to its hard end; the second follows with exactly the proposed dates.
    assert "fired 1" in case.polku("worker", "--once", now=at("2026-05-01", "00:01")).stdout
    first, second = rows(db_engine, Period, instance_id=case.id)
    assert (first.actual_end.isoformat(), first.end_reason) == ("2026-04-30", "second_period")
    assert (second.number, second.planned_start.isoformat(), second.planned_end.isoformat()) == \
        (2, "2026-05-01", "2026-07-11")
    assert (case.data["period_end"], case.ready()) == ("2026-07-11", ["weekly_review"])
    # Its hard-end timer follows the proposed end, not four months.
    case.week("2026-05-08", now=at("2026-05-08", "15:00"))
    # (The weeks left unrecorded since are flagged by the silent-week timer on the way: domain.weeks.)
    case.polku("worker", "--once", now=at("2026-07-11", "23:59"))
    assert rows(db_engine, Period, instance_id=case.id)[1].status != "ended"
    case.polku("worker", "--once", now=at("2026-07-12", "00:01"))
    second = rows(db_engine, Period, instance_id=case.id)[1]
    assert (second.status, second.end_reason, second.actual_end.isoformat()) == ("ended", "max_duration", "2026-07-11")
    assert case.ready() == ["closure"]


def test_r1_an_end_date_is_needed_and_the_period_lasts_two_weeks_to_four_months(refer, db_engine):
    case = started(refer)
    _due(case)
    assert _refusal(case, None) == "Anna ehdotetun jatkojakson päättymispäivä"
    short, long = "Jatkojakson on kestettävä vähintään kaksi viikkoa", "Jatkojakso voi kestää enintään neljä kuukautta"
    assert _refusal(case, "2026-05-13") == short  # 13 days from 1 May
    assert _refusal(case, "2026-04-20") == short  # before it would start
    assert _refusal(case, "2026-09-01") == long   # four months end on 31 Aug
    assert rows(db_engine, Decision, instance_id=case.id) == []
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), **_propose(case, "2026-05-14"))
    assert case.ready() == ["decide_second_period"] and case.data["sp_days"] == 14


def test_no_end_date_is_needed_when_no_second_period_is(refer, db_engine):
    case = started(refer)
    _due(case)
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=False,
            justification="Goals reached")
    assert rows(db_engine, Period, instance_id=case.id)[0].second_period_decision == "not_needed"


def test_when_no_date_fits_r4_the_need_is_recorded_as_not_possible_with_the_figures(refer, history, db_engine):
    history("2025-09-01", "2025-12-31")  # four months: not even two more weeks fit in 8 of 12
    case = started(refer)
    _due(case)
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), **_propose(case, "2026-05-31"))
    assert (case.data["second_period_allowed"], case.data["second_period_reason"]) == (False, "R4")
    assert case.data["sp_window_days_max"] > case.data["sp_window_limit_days"]
    assert case.ready() == ["note_second_period_refused"]
