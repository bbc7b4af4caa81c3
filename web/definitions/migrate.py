"""Moving running instances to a newer version, from the web (engine.migration; issue 11).

The page is the dry run: every instance still on an older version of the process, whether it can
move to the chosen version and why not, and what moving does. Posting moves the chosen ones (or
all that can), each in its own transaction as `polku migrate` does; the page then says how many
moved and how many stayed, and why. Designers and admins; the page shows instance ids, versions
and elements, never client data. The list holds the oldest LISTED instances; the command line
moves any number.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from polku.engine import migration
from polku.engine.version_diff import element_facts, process_versions, version_sources

from ..codes import instance_status
from ..context import reading, runtime, unit_of_work
from ..i18n import gettext as _
from ..i18n import lazy_gettext, ngettext, process_label
from . import bp

LISTED = 100


# What changed in a completed element, in SpiffWorkflow's words (its serialized spec's attributes).
CHANGED_PARTS = {"form": lazy_gettext("form fields"), "script": lazy_gettext("script"),
                 "typename": lazy_gettext("type"), "cond_task_specs": lazy_gettext("conditions"),
                 "default_task_spec": lazy_gettext("default flow"), "event_definition": lazy_gettext("event"),
                 "extensions": lazy_gettext("properties"), "decision_ref": lazy_gettext("decision"),
                 "lane": lazy_gettext("lane"), "data_input_associations": lazy_gettext("inputs"),
                 "data_output_associations": lazy_gettext("outputs")}


def reason_text(reason: dict, key: str, names: dict[str, str | None]) -> str:
    """A dry run's sentence in the user's language: its N_-marked template, then its values, the
    element named as the diagram names it and the changed parts in words. Plain text: the page
    escapes it once."""
    params = dict(reason["params"])
    element = params.get("element")
    if element and names.get(element):
        params["element"] = f"“{process_label(key, element, names[element])}” ({element})"
    if "what" in params:
        params["what"] = ", ".join(str(CHANGED_PARTS.get(part, part)) for part in params["what"].split(", "))
    return _(reason["template"]) % params


def _target() -> int | None:
    chosen = request.values.get("to", "")
    return int(chosen) if chosen.isdigit() and len(chosen) < 10 else None


@bp.get("/<key>/migrate")
def migrate_page(key: str):
    with reading() as uow:
        target, found = migration.candidates(uow, g.user.username, key, _target())
        target, verdicts = migration.dry_run(uow, runtime(), g.user.username, key, found[:LISTED], target)
        process_name = next(iter(process_versions(uow, g.user.username, key)), {}).get("name")
        # Elements named as their versions name them: the target's, and a removed one by its old version.
        names: dict[str, str | None] = {}
        for version in [*sorted({v.version for v in verdicts}), target]:
            names.update({e: f.get("name") for e, f in
                          element_facts(version_sources(uow, g.user.username, key, version)).items()})
    rows = [{**v.to_dict(), "at_names": [(e, names.get(e)) for e in v.at]} for v in verdicts]
    return render_template("definitions/migrate.html", key=key, process_name=process_name, target=target,
                           rows=rows, total=len(found), listed=LISTED, movable=sum(v.movable for v in verdicts),
                           reason_text=reason_text, names=names, status_word=instance_status)


@bp.post("/<key>/migrate")
def migrate_post(key: str):
    target = _target()
    if target is None:
        abort(400)
    with reading() as uow:
        _target_version, found = migration.candidates(uow, g.user.username, key, target)
    listed = found[:LISTED]
    if request.form.get("scope") == "all":
        chosen = listed
    else:
        chosen = [int(i) for i in request.form.getlist("instance") if i.isdigit() and int(i) in set(found)]
        if not chosen:
            flash(_("Choose the instances to move, or move all that can move."), "warning")
            return redirect(url_for("definitions.migrate_page", key=key, to=target))
    verdicts = migration.move_each(unit_of_work, runtime(), g.user.username, key, chosen, target)
    moved = sum(v.moved for v in verdicts)
    stayed = len(verdicts) - moved
    flash(ngettext("%(num)d instance moved to version %(version)s.", "%(num)d instances moved to version %(version)s.",
                   moved, version=target), "success" if moved else "warning")
    if stayed:
        flash(ngettext("%(num)d instance stayed on its version: the list says why.",
                       "%(num)d instances stayed on their version: the list says why.", stayed), "warning")
    return redirect(url_for("definitions.migrate_page", key=key, to=target))
