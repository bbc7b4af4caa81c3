"""Deploy from the web (issue 11): the processes page's upload form posts one or several ``.bpmn`` /
``.dmn`` files with one of two buttons.

- "Check" validates as a deploy would (``engine.bundle.check_bundle``) and shows the report on the
  page: every error and warning with its file, line, element, problem and fix, in the user's
  language (``DeployProblem.msg`` / ``hint_msg`` are msgids with parameters). Nothing is stored.
- "Deploy" deploys when no error remains (warnings do not stop it), source "web", audited by
  ``engine.deploy``; then Post/Redirect/Get to the process's versions page with a flash naming the
  new version, or saying nothing changed when the bytes were those of the latest version. With an
  error the report is shown (400) and nothing is deployed.

A diagram uploaded alone may use the decisions already deployed (``with_deployed_decisions``, as the
Modeler's deploy does). Bad uploads (no file, another extension, an empty file, a file that is not
UTF-8, two files of one name, a request over MAX_CONTENT_LENGTH) are the page again with the field's
error, and nothing is checked or stored. Designers and admins only: the access check is the
processes list's own (anyone else: the 404 page), made before the files are read.
"""
from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from flask import current_app, flash, g, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from polku.engine import deploy as deploy_mod
from polku.engine.bundle import BundleFile, check_bundle
from polku.engine.design_checks import ERROR
from polku.engine.errors import DeployFailed, DeployProblem, PolkuError

from ..codes import translate
from ..context import reading, runtime, unit_of_work
from ..errors import too_large
from ..i18n import gettext as _
from ..i18n import ngettext, process_label
from .listing import deployed_processes, render_index

EXTENSIONS = (".bpmn", ".dmn")
ACTIONS = ("check", "deploy")
MAX_NAME = 200  # characters of a file name kept (it is stored with the version and shown)


class BadUpload(ValueError):
    """The upload field's error, in the user's language."""


def upload():
    """POST /definitions: check or deploy the uploaded files."""
    action = request.form.get("action")
    with reading() as uow:
        processes = deployed_processes(uow)  # the access check, before anything is read
        if action not in ACTIONS:
            return render_index(processes, 400, error=_("Choose Check or Deploy."))
        try:
            files = uploaded_files()
        except BadUpload as exc:
            return render_index(processes, 400, error=str(exc), action=action)
        bundle = deploy_mod.with_deployed_decisions(uow, files)
    problems = check_bundle(bundle, runtime())
    names = [f.name for f in files]
    if action == "check" or any(p.severity == ERROR for p in problems):
        status = 200 if action == "check" else 400
        return render_index(processes, status, report=report(problems), action=action, names=names)
    try:
        with unit_of_work() as uow:
            results = deploy_mod.deploy(uow, runtime(), g.user.username, deploy_mod.with_deployed_decisions(uow, files),
                                        source="web")
            uow.commit()
    except DeployFailed as exc:  # the files changed nothing since the check; the deployed decisions might have
        return render_index(processes, 400, report=report(exc.problems), action=action, names=names)
    for result in results:
        process = f"{process_label(result.key, result.key, result.name) or result.key} ({result.key})"
        if result.status == "new":
            flash(_("%(process)s: version %(version)s was deployed.", process=process, version=result.version),
                  "success")
        else:
            flash(_("%(process)s: nothing changed, version %(version)s is the same and remains the latest.",
                    process=process, version=result.version), "info")
    warnings = sum(p.severity != ERROR for p in problems)
    if warnings:
        flash(ngettext("The files had %(num)d warning: check them again to see it.",
                       "The files had %(num)d warnings: check them again to see the list.", warnings), "warning")
    shown = next((r for r in results if r.status == "new"), results[0])
    return redirect(url_for("definitions.versions", key=shown.key))


def uploaded_files() -> list[BundleFile]:
    """The posted files, or BadUpload naming what is wrong with them."""
    uploads = [u for u in request.files.getlist("files") if u.filename]
    if not uploads:
        raise BadUpload(_("Choose one or more .bpmn or .dmn files."))
    files: list[BundleFile] = []
    for upload in uploads:
        # A browser sends the base name; some send a whole path (either kind of separator).
        name = PureWindowsPath(PurePosixPath(upload.filename or "").name).name[:MAX_NAME]
        if not name.lower().endswith(EXTENSIONS):
            raise BadUpload(_("%(name)s is not a .bpmn or .dmn file: only those can be checked and deployed.",
                              name=name))
        if any(f.name == name for f in files):
            raise BadUpload(_("Two files are named %(name)s: a bundle holds each name once.", name=name))
        data = upload.read()
        if not data.strip():
            raise BadUpload(_("%(name)s is empty.", name=name))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadUpload(_("%(name)s is not UTF-8 text: save it as UTF-8 (Camunda Modeler does) and upload it "
                              "again.", name=name)) from None
        files.append(BundleFile(name, data))
    return files


def report(problems: list[DeployProblem]) -> list[dict]:
    """The report's rows in the user's language, errors before warnings within each file."""
    return [{"severity": p.severity, "file": p.file, "line": p.line, "element_id": p.element_id,
             "problem": translate(p.msg), "fix": translate(p.hint_msg) if p.hint_msg is not None else ""}
            for p in problems]


def upload_too_large(error: RequestEntityTooLarge):
    """Files over the request limit: the upload field's error (413), nothing read."""
    if request.endpoint != "definitions.upload" or getattr(g, "user", None) is None:
        return too_large(error)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        with reading() as uow:
            processes = deployed_processes(uow)
    except PolkuError:  # not a designer: the answer anyone gets
        return too_large(error)
    return render_index(processes, 413, error=_("The files are too large: together they may be at most %(size)s kB.",
                                                 size=limit // 1024))
