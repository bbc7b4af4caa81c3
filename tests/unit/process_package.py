"""Shared by the process-package tests: the files, the designed topics and types, and a stub
runtime (no-op service handlers, pass-through custom types: no database)."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from polku.engine import bpmn_xml

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
TRANSLATIONS = PROCESSES / "translations"
BPMN_FILES = sorted(PROCESSES.glob("*.bpmn"))
DMN_FILES = sorted(PROCESSES.glob("*.dmn"))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "task",
    "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway",
}
TOPICS = {
    "coaching_history", "record_refusal", "record_referral", "escalate_start_notice", "record_start", "record_goals",
    "record_hard_end", "record_week", "record_second_period", "second_period_history", "record_redirection",
    "record_decision", "record_interruption", "load_period_state", "start_second_period", "record_closure",
    "send_statement", "send_end_notification", "record_feedback", "register_provider", "record_follow_up",
    "open_week", "flag_silent_weeks",
}
CUSTOM_TYPES = {"hetu", "provider", "goal_list", "meeting_list", "goal_results", "category_list"}
VALIDATION_DECISIONS = {"referral_form_rules", "start_notice_rules", "weekly_review_rules", "closure_rules",
                        "statement_rules", "second_period_proposal_rules"}


def local(el) -> str:
    return etree.QName(el).localname


def tree(path: Path):
    return etree.parse(str(path))


def by_name(path_name: str) -> Path:
    return PROCESSES / path_name


def used_topics() -> set[str]:
    return {
        ext["handler"]
        for path in BPMN_FILES
        for ext in bpmn_xml.read_extensions(tree(path)).values()
        if "handler" in ext
    }


def used_field_types() -> set[str]:
    return {ff.get("type") for path in BPMN_FILES for ff in tree(path).iterfind(".//camunda:formField", NS)}


# Data the decision-table tests and the path tests share: a clean coaching history, two goals.
HISTORY_OK = {"planned_days": 90, "planned_end_ok": True, "history_active": False, "history_consecutive": 0,
              "window_days_max": 100, "window_limit_days": 243}
GOALS = [{"category": "job_search", "description": "CV", "verification": "CV sent"},
         {"category": "employment", "description": "job", "verification": "contract"}]
