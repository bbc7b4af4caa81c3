"""CamundaParser with Polku's clocked timers, and the serializer that knows them.

Subclasses only: SpiffWorkflow's own parser tables and serializer config stay untouched.
"""
from __future__ import annotations

from copy import copy
from typing import TYPE_CHECKING, Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG

from .bpmn_xml import RefusedXML, is_dmn, parse_xml
from .timers import CLOCKED

if TYPE_CHECKING:
    from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine


class _ClockedTimers:
    def parse_timer_event(self, event: Any) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]  # a mixin before the parser class
        clocked = CLOCKED.get(type(definition))
        if clocked is not None:
            # Same attributes, clock-aware behaviour: the subclass adds methods only.
            definition.__class__ = clocked
        return definition


class StartEventParser(_ClockedTimers, CamundaStartEventParser):
    pass


class IntermediateCatchEventParser(_ClockedTimers, CamundaIntermediateCatchEventParser):
    pass


class BoundaryEventParser(_ClockedTimers, CamundaBoundaryEventParser):
    pass


class PolkuParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = dict(CamundaParser.OVERRIDE_PARSER_CLASSES)
    for _tag, _parser in (
        ("startEvent", StartEventParser),
        ("intermediateCatchEvent", IntermediateCatchEventParser),
        ("boundaryEvent", BoundaryEventParser),
    ):
        OVERRIDE_PARSER_CLASSES[full_tag(_tag)] = (_parser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag(_tag)][1])
    del _tag, _parser

    def __init__(self) -> None:
        super().__init__(validator=BpmnValidator())


def make_serializer() -> BpmnWorkflowSerializer:
    config = copy(CAMUNDA_CONFIG)
    for clocked in CLOCKED.values():
        config[clocked] = TimerConditionalEventDefinitionConverter
    # SpiffWorkflow 3.2's config has no entry for the plain ServiceTask the parser produces.
    config[ServiceTask] = BpmnTaskSpecConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def decision_engine(sources: dict[str, str], decision_id: str) -> DMNEngine:
    """A decision's engine, built at run time from a definition's stored sources with the parser
    deploy uses (bpmn_xml.parse_xml): a stored text altered after deploy to declare entities, or
    to be malformed, is RefusedXML naming the file, never expanded."""
    parser = PolkuParser()
    for name, xml in sources.items():
        try:
            tree = parse_xml(xml)
        except (RefusedXML, etree.XMLSyntaxError) as exc:
            raise RefusedXML(f"the stored definition file {name} could not be read: {exc}") from exc
        if is_dmn(tree):
            parser.add_dmn_xml(tree.getroot(), filename=name)
    return parser.get_engine(decision_id, None)
