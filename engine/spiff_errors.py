"""SpiffWorkflow's exceptions in one readable line, with the element they concern."""
from __future__ import annotations

import re


def element_of(exc: BaseException) -> str | None:
    spec = getattr(exc, "task_spec", None)
    found: str | None = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    return found


def message_of(exc: BaseException) -> str:
    parts = [str(exc)]
    inner = getattr(exc, "exception", None)
    if inner is not None and str(inner) and str(inner) not in parts[0]:
        parts.append(f"{type(inner).__name__}: {inner}")
    parts.extend(n for n in getattr(exc, "notes", []) if n)
    # SpiffWorkflow appends ". " and its notes, and glues "NameError:name ..."; one clean line.
    text = "; ".join(p.strip().rstrip(".").strip() for p in parts if p.strip())
    return re.sub(r"\b([A-Z]\w*(?:Error|Exception|Violation)):(?=\S)", r"\1: ", text)
