"""BPMN diagrams drawn on the server: a file's DI as SVG, with an instance's states (completed,
active, error) and an optional heat map. Pure: no Flask, no SpiffWorkflow (see docs/diagram.md)."""
from __future__ import annotations

from .parse import DiagramRefused, Model, parse
from .render import CHANGES, STATES, Rendered, render, state_list

__all__ = ["CHANGES", "STATES", "DiagramRefused", "Model", "Rendered", "parse", "render", "state_list"]
