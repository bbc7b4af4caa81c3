"""Every UI string has a Finnish and a Swedish translation (English is the msgid itself), and
the compiled catalogs the app loads are up to date with the .po files."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
# N_ marks the msgids of the field types' widgets and messages and of the domain codes.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
SOURCES = (WEB, ROOT / "domain", ROOT / "engine")  # as scripts/i18n.sh extracts them


def _extracted():
    for folder in SOURCES:
        yield from extract_from_dir(str(folder), METHODS, keywords=KEYWORDS)


def ui_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in _extracted():
        if isinstance(message, (tuple, list)):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def test_the_ui_has_strings_to_translate():
    assert len(ui_strings()) > 50


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_ui_string_is_translated(lang):
    po_path = WEB / "translations" / lang / "LC_MESSAGES" / "messages.po"
    assert po_path.exists(), f"{po_path} missing: run scripts/i18n.sh"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    # A plural entry is one message with several ids: every id is covered by it.
    translated = {i: m for m in catalog if m.id for i in ([m.id] if isinstance(m.id, str) else m.id)}
    missing = sorted(s for s in ui_strings() if s not in translated
                     or not all(translated[s].string if isinstance(translated[s].string, tuple)
                                else [translated[s].string])
                     or translated[s].fuzzy)
    assert not missing, f"{len(missing)} UI strings lack a {lang} translation: {missing[:20]}"


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_compiled_catalog_matches_the_po_file(lang):
    folder = WEB / "translations" / lang / "LC_MESSAGES"
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    with (folder / "messages.po").open("rb") as handle:
        po = {key(m.id): key(m.string) for m in read_po(handle, locale=lang) if m.id and not m.fuzzy}
    with (folder / "messages.mo").open("rb") as handle:
        mo = {key(m.id): key(m.string) for m in read_mo(handle) if m.id}
    assert mo == po, "web/translations is out of date: run scripts/i18n.sh"
