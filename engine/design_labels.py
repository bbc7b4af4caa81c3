"""Labels a reader would see in Finnish while the page is in Swedish or English: the BPMN holds
the Finnish, the process catalog beside the files (``translations/{sv,en}.json``: process key →
label key → text, read by web.i18n.process_label) the other languages. Keys as the web asks
for them: ``<element>`` for a name, ``<element>.<field>`` for a form field's label,
``<element>.<field>.<option>`` for an enum option, ``<element>.<field>.help`` for a field's help,
``<element>.submit`` for a task's ``submit_label``.

Checked only when the catalog folder is there: a bundle read from files (``polku check``,
``polku deploy``) has the ``translations`` folder beside them; an upload (the web, the Modeler's
REST API) brings bytes alone and is not checked, since no catalog comes with it.
Each missing (language, label) is one warning: the text shows in Finnish, nothing breaks.
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


def load_catalogs(folder: Path | None) -> dict[str, dict[str, Any]] | None:
    """{language: catalog} from `folder`, or None when there is no catalog folder to compare with
    (a language whose file is missing has an empty catalog: every label lacks it)."""
    if folder is None or not folder.is_dir():
        return None
    catalogs = {}
    for language in LANGUAGES:
        path = folder / f"{language}.json"
        try:
            catalogs[language] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (ValueError, UnicodeDecodeError):
            catalogs[language] = {}
    return catalogs


def translation_problems(name: str, tree: Tree, folder: Path | None) -> list[DeployProblem]:
    """A warning for every label of the file's executable processes that a language lacks."""
    catalogs = load_catalogs(folder)
    if catalogs is None:
        return []
    found = []
    for proc in tree.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS):
        key = proc.get("id")
        for owner, at, label, message, params in _labels(proc):
            for language, words in LANGUAGES.items():
                known = catalogs[language].get(key)
                if isinstance(known, dict) and (known.get(label) or "").strip():
                    continue
                file = f"{folder.name}/{language}.json" if folder is not None else f"{language}.json"
                found.append(DeployProblem(
                    name, message, owner, at.sourceline, severity="warning",
                    hint=N_('add "%(key)s" under "%(process)s" in %(file)s, the %(language)s for "%(text)s"'),
                    params={**params, "element": owner, "language": Msg(words)},
                    hint_params={"key": label, "process": key, "file": file, "language": Msg(words),
                                 "text": params["text"]}))
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
