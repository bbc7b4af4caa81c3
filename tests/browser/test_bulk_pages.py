"""The bulk interventions' pages (web/cases/bulk.py) in the browser, as a manager uses them: the
list's folded form, the cases to confirm (also with the form's error), the summary; in fi, sv and
en, at 1280 px and on a phone (390 px): no sideways page scroll, axe finds nothing. Screenshots:
tests/screenshots/manager-bulk-<page>-<width>-<lang>.png."""
from __future__ import annotations

import pytest

from tests.browser.test_narrow import PHONE, fits, phone  # noqa: F401  (phone: the fixture)


def _checked(manager, name: str, lang: str) -> list[str]:
    problems: list[str] = []
    for width, height in ((1280, 900), (PHONE["width"], PHONE["height"])):
        manager.page.set_viewport_size({"width": width, "height": height})
        problems += fits(manager, "h1", f"{name} ({lang})", width=width, height=None)
        manager.shot(f"manager-bulk-{name}-{width}-{lang}")
        problems += manager.violations(f"{name} at {width} px ({lang})")
    return problems


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_bulk_pages_fit_and_pass_axe(phone, lang):  # noqa: F811
    manager = phone("esihenkilo", lang)
    manager.go("/instances?status=running")
    manager.page.wait_for_selector("#bulk details.intervention")
    assert manager.page.locator("#bulk details.intervention[open]").count() == 0  # folded
    manager.page.click("#bulk summary")
    manager.page.check("#bulk-action")  # suspend, the first
    manager.page.click("#bulk-form button[type=submit]")  # no reason: the browser's own check stops it
    assert manager.page.locator("#bulk-table").count() == 0
    manager.page.fill("#bulk-reason", "  ")  # only spaces: the server's error
    manager.page.click("#bulk-form button[type=submit]")
    manager.page.wait_for_selector("#error-summary")
    problems = _checked(manager, "form-error", lang)
    manager.page.fill("#bulk-reason", "The provider's premises are closed")
    manager.page.click("#bulk-form button[type=submit]")
    manager.page.wait_for_selector("#bulk-table")
    listed = manager.page.locator("#bulk-table tbody tr").count()
    assert listed >= 3
    problems += _checked(manager, "confirm", lang)
    manager.page.click("#bulk-confirm-form button[type=submit]")
    manager.page.wait_for_selector("#bulk-summary")
    assert manager.page.locator("#bulk-done li").count() == listed
    problems += _checked(manager, "summary", lang)
    assert not problems, "\n".join(problems)
