"""A small BPMN file with every kind of element the diagram draws (two pools, a message flow,
events of each definition, every task type, gateways, an annotation), and helpers to read the
SVG the renderer makes of it."""
from __future__ import annotations

from lxml import etree

SVG = "http://www.w3.org/2000/svg"
NS = {"s": SVG}

# (id, xml of the element, bounds x, y, w, h)
NODES = [
    ("start", '<bpmn:startEvent id="start" name="Start"><bpmn:messageEventDefinition/></bpmn:startEvent>',
     100, 100, 36, 36),
    ("user", '<bpmn:userTask id="user" name="{user_name}"/>', 180, 78, 100, 80),
    ("service", '<bpmn:serviceTask id="service" name="Service"/>', 320, 78, 100, 80),
    ("script", '<bpmn:scriptTask id="script" name="Script"/>', 460, 78, 100, 80),
    ("rule", '<bpmn:businessRuleTask id="rule" name="Rule"/>', 600, 78, 100, 80),
    ("send", '<bpmn:sendTask id="send" name="Send"/>', 740, 78, 100, 80),
    ("receive", '<bpmn:receiveTask id="receive" name="Receive"/>', 880, 78, 100, 80),
    ("manual", '<bpmn:manualTask id="manual" name="Manual"/>', 1020, 78, 100, 80),
    ("call", '<bpmn:callActivity id="call" name="Call" calledElement="other"/>', 1160, 78, 100, 80),
    ("xor", '<bpmn:exclusiveGateway id="xor" name="Which?" default="flow_xor_and"/>', 1300, 93, 50, 50),
    ("and", '<bpmn:parallelGateway id="and"/>', 1390, 93, 50, 50),
    ("or", '<bpmn:inclusiveGateway id="or"/>', 1480, 93, 50, 50),
    ("evt", '<bpmn:eventBasedGateway id="evt"/>', 1570, 93, 50, 50),
    ("wait", '<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition/>'
             '</bpmn:intermediateCatchEvent>', 1660, 100, 36, 36),
    ("boom", '<bpmn:boundaryEvent id="boom" name="Boom" attachedToRef="service"><bpmn:errorEventDefinition/>'
             '</bpmn:boundaryEvent>', 352, 140, 36, 36),
    ("late", '<bpmn:boundaryEvent id="late" name="Late" attachedToRef="user" cancelActivity="false">'
             '<bpmn:timerEventDefinition/></bpmn:boundaryEvent>', 212, 140, 36, 36),
    ("sub", '<bpmn:subProcess id="sub" name="Sub"/>', 1740, 78, 100, 80),
    ("end", '<bpmn:endEvent id="end" name="End"><bpmn:terminateEventDefinition/></bpmn:endEvent>',
     1880, 100, 36, 36),
]
CHAIN = [node[0] for node in NODES if node[0] not in ("boom", "late")]
FLOWS = [(f"flow_{a}_{b}", a, b) for a, b in zip(CHAIN, CHAIN[1:])]


def _centre(node_id: str) -> tuple[float, float]:
    _, _, x, y, w, h = next(n for n in NODES if n[0] == node_id)
    return x + w / 2, y + h / 2


def _expanded(node_id: str) -> str:
    return ' isExpanded="false"' if node_id == "sub" else ""


def sample(*, user_name: str = "User", without_di: tuple[str, ...] = (), prolog: str = "") -> bytes:
    nodes = "".join(xml.replace("{user_name}", user_name) for _, xml, *_ in NODES)
    flows = "".join(f'<bpmn:sequenceFlow id="{i}" sourceRef="{a}" targetRef="{b}"/>' for i, a, b in FLOWS)
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"{_expanded(i)}>'
        f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>'
        for i, _, x, y, w, h in NODES if i not in without_di)
    edges = "".join(
        f'<bpmndi:BPMNEdge id="{i}_di" bpmnElement="{i}"><di:waypoint x="{_centre(a)[0]}" y="{_centre(a)[1]}"/>'
        f'<di:waypoint x="{_centre(b)[0]}" y="{_centre(b)[1]}"/></bpmndi:BPMNEdge>'
        for i, a, b in FLOWS if i not in without_di)
    text = f"""<?xml version="1.0" encoding="UTF-8"?>{prolog}
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="http://example.org">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool_main" name="Main" processRef="main"/>
    <bpmn:participant id="pool_other" name="Other"/>
    <bpmn:messageFlow id="msg" name="Letter" sourceRef="send" targetRef="pool_other"/>
    <bpmn:textAnnotation id="note"><bpmn:text>A note</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="note_link" sourceRef="user" targetRef="note"/>
  </bpmn:collaboration>
  <bpmn:process id="main" name="Main process" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_a" name="Lane A"/></bpmn:laneSet>
    {nodes}{flows}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="collab">
    <bpmndi:BPMNShape id="pool_main_di" bpmnElement="pool_main" isHorizontal="true">
      <dc:Bounds x="40" y="40" width="1920" height="200"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="lane_a_di" bpmnElement="lane_a" isHorizontal="true">
      <dc:Bounds x="70" y="40" width="1890" height="200"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="pool_other_di" bpmnElement="pool_other" isHorizontal="true">
      <dc:Bounds x="40" y="320" width="1920" height="60"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="note_di" bpmnElement="note"><dc:Bounds x="200" y="260" width="100" height="30"/>
    </bpmndi:BPMNShape>
    {shapes}{edges}
    <bpmndi:BPMNEdge id="msg_di" bpmnElement="msg"><di:waypoint x="790" y="158"/><di:waypoint x="790" y="320"/>
      <bpmndi:BPMNLabel><dc:Bounds x="800" y="280" width="40" height="14"/></bpmndi:BPMNLabel></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="note_link_di" bpmnElement="note_link"><di:waypoint x="230" y="158"/>
      <di:waypoint x="230" y="260"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""
    return text.encode("utf-8")


def svg_tree(svg: str):
    return etree.fromstring(svg.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))


def group(root, element_id: str):
    found = root.xpath("//s:g[@data-element-id=$id]", namespaces=NS, id=element_id)
    assert len(found) == 1, f"{element_id}: {len(found)} groups"
    return found[0]


def classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def marker_classes(g) -> set[str]:
    """The classes of everything drawn inside an element's group."""
    return set().union(*(classes(el) for el in g.iter() if el is not g))
