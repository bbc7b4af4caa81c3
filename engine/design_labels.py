"""Labels a reader would see in Finnish while the page is in Swedish or English: the BPMN holds
the Finnish, the process catalog beside the files (``translations/{sv,en}.json``: process key →
label key → text, read by web.i18n.process_label) the other languages. Keys as the web asks
for them: ``<element>`` for a name, ``<element>.<field>`` for a form field's label,
``<element>.<field>.<option>`` for an enum option, ``<element>.<field>.help`` for a field's help,
``<element>.submit`` for a task's ``submit_label``.

Checked only when the catalog folder is there: a bundle read from files (``polku check``,
``polku deploy``) has the ``translations`` folder beside them; an upload (the web, the Modeler's
REST API) brings bytes alone and is not checked, since no catalog comes with it.
Each missing (language, label) is one warning: the text shows in Finnish, nothing breaks. So is a
translation that is not a text (a number, a list: read as missing), and a catalog file that is not
JSON or not an object (one warning naming it; its language is not looked for).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .bpmn_xml import BPMN, CAMUNDA, NS, Element, Tree
from .errors import DeployProblem
from .fieldtypes import N_, Msg

LANGUAGES = {"sv": N_("Swedish"), "en": N_("English")}


def load_catalogs(folder: Path | None) -> tuple[dict[str, dict[str, Any]], dict[str, Msg]] | None:
    """({language: catalog}, {language: why its file cannot be read}) from `folder`, or None when
    there is no catalog folder to compare with (a language whose file is missing has an empty
    catalog: every label lacks it; one that is not JSON, or not an object, is left out)."""
    if folder is None or not folder.is_dir():
        return None
    catalogs: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, Msg] = {}
    for language, words in LANGUAGES.items():
        path = folder / f"{language}.json"
        shown = f"{folder.name}/{path.name}"
        try:
            catalog = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            unreadable[language] = Msg(N_("%(file)s is not valid JSON (%(detail)s): none of its %(language)s "
                                          "translations can be read"),
                                       {"file": shown, "detail": exc, "language": Msg(words)})
            continue
        if not isinstance(catalog, dict):
            unreadable[language] = Msg(N_("%(file)s does not hold an object (process key, label key, text): none "
                                          "of its %(language)s translations can be read"),
                                       {"file": shown, "language": Msg(words)})
            continue
        catalogs[language] = catalog
    return catalogs, unreadable


def translation_problems(name: str, tree: Tree, folder: Path | None) -> list[DeployProblem]:
    """A warning for every label of the file's executable processes that a language lacks, for
    every translation that is not a text, and for a catalog file that cannot be read."""
    loaded = load_catalogs(folder)
    if loaded is None:
        return []
    catalogs, unreadable = loaded
    found = [DeployProblem(name, msg, severity="warning",
                           hint=N_("fix the file: one JSON object of process keys, each an object of label keys "
                                   "and their texts"))
             for msg in unreadable.values()]
    for proc in tree.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS):
        key = proc.get("id")
        for owner, at, label, message, params in _labels(proc):
            for language, words in LANGUAGES.items():
                if language not in catalogs:
                    continue  # reported once above
                known = catalogs[language].get(key)
                value = known.get(label) if isinstance(known, dict) else None
                if isinstance(value, str) and value.strip():
                    continue
                file = f"{folder.name}/{language}.json" if folder is not None else f"{language}.json"
                hint_params = {"key": label, "process": key, "file": file, "language": Msg(words),
                               "text": params["text"]}
                if value is not None and not isinstance(value, str):  # a number, a list...: read as missing
                    found.append(DeployProblem(
                        name, N_('the %(language)s translation of %(element)s ("%(key)s" under "%(process)s" in '
                                 "%(file)s) is not a text: it shows in Finnish"), owner, at.sourceline,
                        severity="warning", hint=N_('write it as a text in quotes: "%(key)s": "…", the '
                                                    '%(language)s for "%(text)s"'),
                        params={"element": owner, **hint_params}, hint_params=hint_params))
                    continue
                found.append(DeployProblem(
                    name, message, owner, at.sourceline, severity="warning",
                    hint=N_('add "%(key)s" under "%(process)s" in %(file)s, the %(language)s for "%(text)s"'),
                    params={**params, "element": owner, "language": Msg(words)}, hint_params=hint_params))
    return found


def _labels(proc: Element) -> Iterator[tuple[str, Element, str, str, dict[str, Any]]]:
    """(element id, the XML element the label is on, catalog key, message, params) of each label."""
    for el in proc.iter(f"{{{BPMN}}}*"):
        owner = el.get("id")
        if not owner:
            continue
        if (el.get("name") or "").strip():
            yield owner, el, owner, N_("the name of %(element)s has no %(language)s translation"), {
                "text": el.get("name")}
        for prop in el.xpath("./bpmn:extensionElements/camunda:properties/camunda:property[@name='submit_label']",
                             namespaces=NS):
            if (prop.get("value") or "").strip():
                yield owner, prop, f"{owner}.submit", N_("the submit button of %(element)s has no %(language)s "
                                                         "translation"), {"text": prop.get("value")}
        for field in el.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NS):
            fid = field.get("id")
            if not fid:
                continue
            base = f"{owner}.{fid}"
            if (field.get("label") or "").strip():
                yield owner, field, base, N_("the form field %(field)s of %(element)s has no %(language)s "
                                             "translation"), {"field": fid, "text": field.get("label")}
            for value in field.iter(f"{{{CAMUNDA}}}value"):
                if value.get("id") and (value.get("name") or "").strip():
                    yield owner, value, f"{base}.{value.get('id')}", N_(
                        "the option %(option)s of the form field %(field)s of %(element)s has no %(language)s "
                        "translation"), {"field": fid, "option": value.get("id"), "text": value.get("name")}
            for prop in field.xpath("./camunda:properties/camunda:property[@id='help']", namespaces=NS):
                if (prop.get("value") or "").strip():
                    yield owner, prop, f"{base}.help", N_("the help text of the form field %(field)s of %(element)s "
                                                          "has no %(language)s translation"), {
                        "field": fid, "text": prop.get("value")}
