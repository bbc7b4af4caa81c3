"""Text no database can store (NUL, a lone surrogate) is refused before any route sees it, in the
path (a key or an id in the URL), the query string (searches), a posted form (the login, reasons,
task forms) or a JSON body, with the field's name: 400, nothing read or saved. JSON bodies are
parsed within the engine's bounds (engine.jsonvalues): nesting, digits, NaN; past them a body reads
as malformed."""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.json.provider import DefaultJSONProvider

from polku.engine.fieldtypes import unstorable_fields
from polku.engine.jsonvalues import parse_json

from .i18n import gettext as _


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s, **kwargs)


def init_app(app) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(refuse_unstorable_text)


def _fields() -> list[str]:
    bad = unstorable_fields(request.view_args or {})  # path segments: /definitions/<key>, …
    bad += unstorable_fields({k: request.args.getlist(k) for k in request.args})
    if request.method != "GET":
        bad += unstorable_fields({k: request.form.getlist(k) for k in request.form})
        if request.is_json:
            body = request.get_json(silent=True)
            bad += unstorable_fields(body if isinstance(body, dict) else {"body": body})
    return list(dict.fromkeys(bad))


def refuse_unstorable_text():
    bad = _fields()
    if not bad:
        return None
    from .errors import wants_json

    messages = {name: _("contains a character that is not allowed") for name in bad}
    message = _("The field %(field)s contains a character that is not allowed. Nothing was saved.", field=bad[0])
    if wants_json():
        return {"error": message, "code": "validation", "fields": messages}, 400
    return render_template("error.html", title=_("The form could not be saved"), message=message), 400
