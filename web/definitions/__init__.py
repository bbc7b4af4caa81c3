"""The designers' pages (issue 11): the deployed processes and each one's versions, with the
version's diagram drawn on the server and what changed against the version before it
(``engine.version_diff``). Designers and admins; anyone else gets the 404 every refused page gives.
The process files hold no client data: nothing is audited."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from polku.engine.diagram import CHANGES, parse, render
from polku.engine.errors import NotFound
from polku.engine.version_diff import main_file, process_versions, version_diff, version_sources

from ..cases.instance_page import natural_size
from ..context import reading
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from . import upload
from .listing import SOURCES, deployed_processes, render_index

bp = Blueprint("definitions", __name__, template_folder="templates", url_prefix="/definitions")
# Deploy from the web: the upload form posts to the processes page (web.definitions.upload).
bp.add_url_rule("", "upload", upload.upload, methods=["POST"])
bp.register_error_handler(RequestEntityTooLarge, upload.upload_too_large)
FACTS = {"type": lazy_gettext("type"), "name": lazy_gettext("name"), "lane": lazy_gettext("lane"),
         "candidate groups": lazy_gettext("who may work on it"), "form": lazy_gettext("form fields"),
         "condition": lazy_gettext("condition"), "flow": lazy_gettext("where the flow leads"),
         "timer": lazy_gettext("timer")}


@bp.get("")
def index():
    with reading() as uow:
        processes = deployed_processes(uow)
    return render_index(processes)


@bp.get("/<key>")
def versions(key: str):
    chosen = request.args.get("version", "")
    with reading() as uow:
        rows = process_versions(uow, g.user.username, key)
        if not rows:
            raise NotFound(f"no deployed process {key!r}")
        number = int(chosen) if chosen.isdigit() and len(chosen) < 10 else rows[0]["version"]
        earlier, version, changes = version_diff(uow, key, number)
        sources = version_sources(uow, g.user.username, key, version)
    shown = next(r for r in rows if r["version"] == version)
    diagram = not_drawn = None
    bpmn = main_file(sources, key)
    if bpmn is not None:
        marked = {c.element_id: c.change for c in changes if c.change in CHANGES} if earlier is not None else {}
        drawn = render(parse(bpmn), marked, state_labels={"added": _("added"), "changed": _("changed")},
                       title=_("Diagram of version %(version)s", version=version), id_prefix="version-diagram")
        diagram, not_drawn = Markup(natural_size(drawn.svg)), drawn.not_drawn
    listed = [{"change": c.change, "element_id": c.element_id, "name": c.name,
               "what": ", ".join(str(FACTS[w]) for w in c.what)} for c in changes]
    older = sum(r["running"] for r in rows[1:])  # instances that could move to the latest version
    return render_template("definitions/versions.html", key=key, rows=rows, shown=shown, earlier=earlier,
                           changes=listed, diagram=diagram, not_drawn=not_drawn, sources=SOURCES,
                           latest=rows[0]["version"], older=older)


from . import migrate  # noqa: E402,F401  (moving instances between versions)
