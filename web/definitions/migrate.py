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
from polku.engine.errors import Conflict, NotFound, ValidationFailed
from polku.engine.version_diff import element_facts, process_versions, version_sources

from ..codes import instance_status
from ..context import reading, runtime, unit_of_work
from ..i18n import gettext as _
from ..i18n import ngettext
from . import bp

LISTED = 200


def reason_text(reason: dict, element_label) -> str:
    """A dry run's sentence in the user's language: its N_-marked template, then its values, the
    element named as the diagram names it (`element_label(id)`)."""
    params = dict(reason["params"])
    if "element" in params:
        params["element"] = element_label(params["element"])
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
    moved, stayed = 0, 0
    for instance_id in chosen:
        try:
            with unit_of_work() as uow:  # one instance, one transaction
                verdict = migration.move(uow, runtime(), g.user.username, key, instance_id, target)
                if verdict.moved:
                    uow.commit()
        except (Conflict, NotFound, ValidationFailed):  # ended or moved meanwhile: it stays as it is
            stayed += 1
            continue
        moved += verdict.moved
        stayed += not verdict.moved
    flash(ngettext("%(num)d instance moved to version %(version)s.", "%(num)d instances moved to version %(version)s.",
                   moved, version=target), "success" if moved else "warning")
    if stayed:
        flash(ngettext("%(num)d instance stayed on its version: the list says why.",
                       "%(num)d instances stayed on their version: the list says why.", stayed), "warning")
    return redirect(url_for("definitions.migrate_page", key=key, to=target))
