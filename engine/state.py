"""How an instance's SpiffWorkflow state is stored: the one place that knows the format.

The spec is not stored with the instance (it lives once per definition version), so a stored
state is the task tree and data only, JSON compressed with zlib. Loading reuses the spec
objects the runtime already holds for that version instead of rebuilding them every step.
"""
from __future__ import annotations

import json
import zlib
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow


class StateCodec:
    def __init__(self, serializer: BpmnWorkflowSerializer):
        self._serializer = serializer
        self._registry = serializer.registry
        # The library's workflow converter, reused for everything but the spec.
        # (registered as partial(_obj_from_dict, converter.from_dict)).
        self._converter = self._registry.convert_from_dict["BpmnWorkflow"].args[0].__self__

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        # Mirrors BpmnWorkflowConverter.to_dict minus the spec, which it would convert (and
        # we would throw away) on every step.
        conv = self._converter
        dct = WorkflowConverter.to_dict(conv, workflow)
        dct["subprocesses"] = conv.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self._registry.convert(workflow.bpmn_events)
        dct[BpmnWorkflowSerializer.VERSION_KEY] = self._serializer.VERSION
        return zlib.compress(orjson.dumps(dct), 1)

    def load(self, blob: bytes, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        dct = orjson.loads(zlib.decompress(blob))
        version = dct.pop(BpmnWorkflowSerializer.VERSION_KEY, None)
        if version in MIGRATIONS:
            MIGRATIONS[version](dct)
        # Mirrors BpmnWorkflowConverter.from_dict, with the spec objects handed in.
        conv = self._converter
        workflow: BpmnWorkflow = conv.target_class(spec, subprocess_specs, script_engine=script_engine,
                                                   deserializing=True)
        workflow.tasks = conv.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        conv.set_default_attributes(workflow, dct)
        conv.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self._registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def dump_spec(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        return json.dumps(
            {
                "spec": self._registry.convert(spec),
                "subprocess_specs": {k: self._registry.convert(v) for k, v in subprocess_specs.items()},
            }
        )

    def load_spec(self, text: str) -> tuple[Any, dict[str, Any]]:
        dct = json.loads(text)
        spec = self._registry.restore(dct["spec"])
        subs = {k: self._registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        return spec, subs
