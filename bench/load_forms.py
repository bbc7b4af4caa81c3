"""What bench/web_load.py's sessions read off the pages to complete tasks as a browser would: the
task page's form as it would be posted (with the required inputs filled), and the inbox's tasks
due after this week (a weekly review of a week not begun, which the process refuses)."""
from __future__ import annotations

import re
from datetime import date
from html import unescape

_TASK_FORM = re.compile(r'<form method="post" action="(/tasks/[0-9a-fA-F-]{16,})" class="form"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r"<input\b([^>]*)>", re.S)
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
_OPTION = re.compile(r"<option\b([^>]*)>", re.S)
_TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S)
_ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')
# A required repeated group (its rows' count in a hidden `<field>-rows` input): not filled here.
_REQUIRED_GROUP = re.compile(r'<legend>[^<]*<span class="required-mark">[^<]*</span></legend>\s*'
                             r'<input type="hidden" name="[\w-]+-rows"')

_ROW = re.compile(r'<tr id="task-[^"]+">\s*<th scope="row"><a href="(/tasks/[^"]+)">.*?</tr>', re.S)
_DUE = re.compile(r'<time datetime="(\d{4}-\d{2}-\d{2})')


def later_tasks(inbox: str) -> set[str]:
    """The inbox's tasks due after this week's Sunday: a weekly review of a week not yet begun,
    which the process refuses to complete (such a task is opened, not completed)."""
    today = date.today()
    sunday = date.fromordinal(today.toordinal() + 6 - today.weekday()).isoformat()
    later = set()
    for row in _ROW.finditer(inbox):
        due = _DUE.search(row.group(0))
        if due and due.group(1) > sunday:
            later.add(row.group(1))
    return later


def _attrs(text: str) -> dict[str, str]:
    return {k: unescape(v or "") for k, v in _ATTR.findall(text)}


def task_form(page: str) -> tuple[str, dict[str, str]] | None:
    """The task page's form as a browser would post it, with its required inputs filled (the
    action and the fields), or None when it has none or needs a required repeated group."""
    found = _TASK_FORM.search(page)
    if not found or _REQUIRED_GROUP.search(found.group(2)):
        return None
    action, body = found.groups()
    fields: dict[str, str] = {}
    radios: dict[str, str] = {}  # a required radio group's first choice, if none is checked
    for raw in _INPUT.findall(body):
        a = _attrs(raw)
        name, kind, value = a.get("name"), a.get("type", "text"), a.get("value", "")
        if not name:
            continue
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                fields[name] = value
            elif kind == "radio" and "required" in a:
                radios.setdefault(name, value)
            continue
        if not value and "required" in a:
            value = {"date": date.today().isoformat(), "number": a.get("min") or "1"}.get(kind, "bench")
        fields[name] = value
    for name, value in radios.items():
        fields.setdefault(name, value)
    for raw, options in _SELECT.findall(body):
        a = _attrs(raw)
        choices = [_attrs(o) for o in _OPTION.findall(options)]
        chosen = next((o for o in choices if "selected" in o), None)
        if chosen is None:  # a choice still to make ("Choose…"): the first real one
            chosen = next((o for o in choices if o.get("value")), None)
        if a.get("name"):
            fields[a["name"]] = (chosen or (choices[0] if choices else {})).get("value", "")
    for raw, text in _TEXTAREA.findall(body):
        a = _attrs(raw)
        if a.get("name"):
            # A row's text (e.g. each goal's evidence at closure) is written; a lone optional one is not.
            filled = "required" in a or re.search(r"-\d+-", a["name"])
            fields[a["name"]] = unescape(text) or ("bench" if filled else "")
    return action, fields
