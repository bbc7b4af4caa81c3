"""Languages: Finnish by default, Swedish and English complete (R11).

UI strings go through Babel catalogs (web/translations); BPMN labels through the process
catalog beside the processes (processes/translations/{sv,en}.json: Finnish is the BPMN itself).
The chosen language is kept on the user (and in the session before login).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from babel.dates import format_date, format_time, get_datetime_format, get_timezone
from babel.numbers import format_decimal
from flask import Blueprint, current_app, g, redirect, request, session
from flask_babel import Babel, get_locale, get_translations, lazy_gettext  # noqa: F401  (re-exported for blueprints)

LOCALES = ("fi", "sv", "en")
# Whose conventions dates and numbers follow in each UI language, and the date width: Swedish here is
# Finland-Swedish (sv_FI: 1.12.2026 and 11.05, not Sweden's 2026-12-01 and 11:05); sv_FI's "medium"
# date spells the month ("1 dec. 2026"), so Swedish takes the numeric "short" one, as Finnish has.
CONVENTIONS = {"fi": ("fi_FI", "medium"), "sv": ("sv_FI", "short"), "en": ("en", "medium")}
TIMEZONE = "Europe/Helsinki"

bp = Blueprint("i18n", __name__)


def _catalog():
    """This request's catalog, looked up once per request (kept on `g`, as Flask-Babel keeps the
    request's locale): Flask-Babel resolves its context, the locale and the cache on every call,
    and the inbox alone makes over 200 calls (a tenth of its CPU, issue 12)."""
    try:
        return g._polku_catalog
    except AttributeError:
        found = g._polku_catalog = get_translations()
        return found
    except RuntimeError:  # no app context: Flask-Babel's own answer (a catalog that translates nothing)
        return get_translations()


def locale_name() -> str:
    """The request's language code ("fi", "sv", "en"), worked out once per request (Flask-Babel
    keeps the locale for the request; its text is made here once, not for every label)."""
    try:
        return g._polku_locale
    except AttributeError:
        found = g._polku_locale = str(get_locale())
        return found
    except RuntimeError:
        return str(get_locale())


def gettext(text: str, **variables) -> str:
    """As Flask-Babel's gettext: the translation, formatted only when given variables."""
    found = _catalog().ugettext(text)
    return found if not variables else found % variables


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """As Flask-Babel's ngettext (`num` is a variable of the format too)."""
    variables.setdefault("num", num)
    return _catalog().ungettext(singular, plural, num) % variables


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or "fi"


def init_app(app) -> None:
    Babel(app, locale_selector=select_locale, default_locale="fi", default_timezone=TIMEZONE)
    # The templates' _() and ngettext() read the request's catalog once, as the Python side does.
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _catalog().ugettext(text),
        ngettext=lambda singular, plural, num: _catalog().ungettext(singular, plural, num),
        pgettext=lambda context, text: _catalog().upgettext(context, text),
        npgettext=lambda context, singular, plural, num: _catalog().unpgettext(context, singular, plural, num),
        newstyle=True)
    folder = app.config.get("PROCESS_CATALOG_DIR")  # given by the composition root
    app.extensions["polku_process_catalog"] = _load_process_catalog(Path(folder)) if folder else {}
    app.jinja_env.globals.update(locale=locale_name, LOCALES=LOCALES, plabel=process_label)
    app.jinja_env.filters.update(date=format_day, datetime=format_instant, number=format_number)


def _load_process_catalog(folder: Path) -> dict:
    catalogs = {}
    for locale in LOCALES[1:]:
        path = folder / f"{locale}.json"
        catalogs[locale] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return catalogs


def process_label(process_key: str, key: str, finnish: str | None) -> str:
    """A BPMN label (element name, field label, option, rule message) in the user's language."""
    locale = locale_name()
    if locale == "fi":
        return finnish or ""
    catalog = current_app.extensions["polku_process_catalog"].get(locale, {})
    return catalog.get(process_key, {}).get(key) or finnish or ""


def conventions() -> tuple[str, str]:
    """(formatting locale, date width) of the user's language."""
    return CONVENTIONS.get(locale_name(), CONVENTIONS["fi"])


def format_day(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    locale, width = conventions()
    return format_date(value, format=width, locale=locale)


def format_instant(value) -> str:
    """A moment in Finnish time (a naive one is UTC, as stored): the day as format_day writes it,
    then the time to the minute (seconds are noise to a reader of a case), joined as the locale joins them."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(get_timezone(TIMEZONE))
    locale, width = conventions()
    pattern = get_datetime_format("medium", locale=locale)
    return pattern.replace("{1}", format_date(local, format=width, locale=locale)).replace(
        "{0}", format_time(local, format="short", locale=locale))


def format_number(value) -> str:
    """A number as the language writes it (fi, sv_FI: 12 345,5; en: 12,345.5)."""
    if value is None or value == "":
        return ""
    return format_decimal(value, locale=conventions()[0])


@bp.post("/language")
def set_language():
    locale = request.form.get("locale")
    if locale in LOCALES:
        session["locale"] = locale
        if g.get("user") is not None:
            from polku.engine.accounts import set_locale

            from .context import unit_of_work

            with unit_of_work() as uow:
                set_locale(uow, g.user.username, locale)
                uow.commit()
    from .redirects import safe_next

    return redirect(safe_next(request.form.get("next"), login_page=True))
