"""The processes page's content (web.definitions): the latest version of each deployed process,
and the page itself with the upload form's error and report (web.definitions.upload)."""
from __future__ import annotations

from flask import g, render_template

from polku.engine.version_diff import process_versions

from ..i18n import lazy_gettext

SOURCES = {"cli": lazy_gettext("command line"), "web": lazy_gettext("web"), "modeler": lazy_gettext("Camunda Modeler")}


def deployed_processes(uow) -> list[dict]:
    """The latest version of each deployed process with its counts; Forbidden for anyone but
    designers and admins (engine.version_diff.process_versions checks)."""
    latest: dict[str, dict] = {}
    for v in process_versions(uow, g.user.username):  # newest first within each key
        if v["key"] not in latest:
            latest[v["key"]] = {**v, "versions": 0, "running_all": 0}
        latest[v["key"]]["versions"] += 1
        latest[v["key"]]["running_all"] += v["running"]
    return list(latest.values())


def render_index(processes: list[dict], status: int = 200, **shown):
    """The processes page; `upload` (web.definitions.upload) gives the upload form's error and the
    validation report when a check or a deploy answers on this page."""
    page = render_template("definitions/index.html", processes=processes, sources=SOURCES,
                           upload_error=shown.get("error"), report=shown.get("report"),
                           action=shown.get("action"), names=shown.get("names") or [])
    return page, status
