"""Every user task of both processes has a due date when it becomes ready, the day its limit in
processes/coaching_limits.dmn names (docs/tyohonvalmennus.md, "Deadlines"), read back from
`polku tasks --json` as a user would. Due times are the end of the day in Helsinki: 21:59:59 UTC
in winter, 20:59:59 UTC in summer."""
from __future__ import annotations

import json

from lxml import etree

from tests.scenarios.conftest import PROCESSES, REVISED_GOALS, at

ACTORS = ("coach1", "off1", "boss")
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def user_tasks() -> set[str]:
    found = set()
    for path in PROCESSES.glob("*.bpmn"):
        found |= {el.get("id") for el in etree.parse(str(path)).iter(f"{{{BPMN}}}userTask")}
    return found


class DueLog:
    """The due date of every task seen ready, by task id, collected after each step."""

    def __init__(self, polku):
        self.polku, self.seen = polku, {}

    def collect(self, instance_id: int, actors=ACTORS) -> None:
        for actor in actors:
            for task in self.polku.json("tasks", "--as", actor, "--instance", instance_id):
                self.seen.setdefault(task["id"], (task["element_id"], task["due_at"]))

    def of(self, element_id: str) -> list[str | None]:
        return [due for element, due in self.seen.values() if element == element_id]

    def elements(self) -> set[str]:
        return {element for element, _ in self.seen.values()}


def test_every_user_task_of_both_processes_gets_its_due_date(refer, history, coaching):
    log = DueLog(coaching)

    # A whole case: late start notice, a second period, closure and a feedback discussion.
    case = refer(now=at("2026-01-05"))  # Monday; Tuesday 6 January is Epiphany
    step = lambda: log.collect(case.id)  # noqa: E731
    step()
    case.polku("worker", "--once", now=at("2026-01-14", "00:01"))  # the start notice is late
    step()
    case.do("follow_up_start_notice", "boss", now=at("2026-01-14", "10:00"), note="Called the provider")
    case.accept(now=at("2026-01-14", "11:00"))  # actual start Monday 12 January
    step()
    case.set_goals(now=at("2026-01-14", "12:00"))
    step()
    case.week("2026-01-16")
    step()
    case.week("2026-04-10")  # the third week's review, recorded late
    step()
    case.week("2026-04-17")  # past the reassessment date
    step()
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=True,
            second_period_end="2026-08-31", justification="Employment contract in negotiation")
    step()
    case.do("decide_second_period", "off1", now=at("2026-04-17", "17:00"), decision="approve", reason="Agreed")
    case.week("2026-04-24", end_period=True)  # the second period starts on Saturday 25 April
    step()
    case.week("2026-05-01", end_period=True)
    step()
    case.close(now=at("2026-05-04"))
    step()
    case.statement(now=at("2026-05-05"))
    step()
    case.do("review_end", "off1", now=at("2026-05-06"), feedback_discussion="schedule",
            feedback_planned_on="2026-06-01")
    step()

    # Notices and the official's decisions on them.
    case = refer(now=at("2026-02-02"), client_hetu="010594Y9021", planned_start="2026-02-02",
                 planned_end="2026-05-31")
    case.accept(actual_start="2026-02-02", now=at("2026-02-02", "10:00"))
    case.set_goals(now=at("2026-02-02", "11:00"))
    case.week("2026-02-06", interruption_justified=True)  # Friday
    step()
    case.do("decide_interruption", "off1", now=at("2026-02-09"), decision="continue", ground="other",
            reason="Situation resolved")
    case.week("2026-02-13", other_service_need=True)
    step()
    case.do("record_redirection", "coach1", now=at("2026-02-16"), target_service="health",
            description="Needs an occupational health check")
    step()
    case.do("decide_redirection", "off1", now=at("2026-02-17"), decision="pause", reason="Health check first")
    step()
    case.do("resume_after_pause", "off1", now=at("2026-03-02"), resume_on="2026-03-02")
    case.week("2026-03-06", goals_unrealistic=True)
    step()
    case.do("decide_goals", "off1", now=at("2026-03-09"), decision="revise", reason="Smaller steps")
    step()
    case.do("revise_goals", "coach1", now=at("2026-03-10"), goals=REVISED_GOALS)

    # A second period the rules forbid (R3): the official is told.
    history("2025-11-01", "2026-01-11", hetu="020505A902P")
    case = refer(client_hetu="020505A902P")
    case.accept()
    case.set_goals()
    case.week("2026-04-10")
    case.week("2026-04-17")
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=True,
            second_period_end="2026-08-31",
            justification="More time needed")
    step()

    # The provider follow-up: the contract and a follow-up meeting.
    values = {"provider": "Valmennus Oy", "methods": "Individual coaching", "municipalities": "Helsinki",
              "non_stop": True}
    provider = coaching.json("start", "provider_follow_up", "--as", "boss", "--data", json.dumps(values),
                             now=at("2026-01-05"))["id"]
    coaching("worker", "--once", now=at("2026-04-06"))  # three months on: a follow-up meeting
    log.collect(provider, ("boss",))

    assert log.elements() == user_tasks()
    assert [element for element, due in log.seen.values() if due is None] == []

    winter, summer = "T21:59:59+00:00", "T20:59:59+00:00"
    # Start notice: 5 business days from Mon 5 Jan, skipping Epiphany: 7, 8, 9, 12, 13 January.
    assert log.of("accept_referral")[0] == "2026-01-13" + winter
    # The late start notice, 3 business days from Wed 14 Jan; the goals, 5 business days from it.
    assert log.of("follow_up_start_notice") == ["2026-01-19" + winter]
    assert log.of("set_goals")[0] == "2026-01-21" + winter
    # Weekly reviews: the Sunday ending each calendar week from the actual start (Mon 12 Jan); in the
    # second period (from Sat 25 Apr) the first week is the one that Saturday falls in.
    assert log.of("weekly_review")[:3] == ["2026-01-18" + winter, "2026-01-25" + winter, "2026-02-01" + winter]
    assert "2026-04-26" + summer in log.of("weekly_review")
    # The coach's reassessment and the official's decision: 5 business days from Fri 17 April.
    assert log.of("propose_second_period")[0] == "2026-04-24" + summer
    assert log.of("decide_second_period") == ["2026-04-24" + summer]
    # Interruption decision: 5 business days from Fri 6 February.
    assert log.of("decide_interruption") == ["2026-02-13" + winter]
    # Closure 14 days after the period ended (Fri 1 May), the statement 14 days after the closure.
    assert log.of("closure")[0] == "2026-05-15" + summer
    assert log.of("final_statement")[0] == "2026-05-18" + summer
    # The end review: 10 business days from Tue 5 May, skipping Ascension Day (Thu 14 May).
    assert log.of("review_end")[0] == "2026-05-20" + summer
    assert log.of("record_feedback_discussion") == ["2026-06-01" + summer]  # the day agreed
    assert log.of("resume_after_pause") == ["2026-03-19" + winter]  # 30 days from 17 February
    assert log.of("record_follow_up_meeting") == ["2026-05-06" + summer]  # 30 days from 6 April
    assert log.of("contract_active") == ["2027-01-05T09:00:00+00:00"]  # P12M: the follow-up cycle's year
