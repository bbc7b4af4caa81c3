"""The managers' pages (issue 10) in the browser: the instance list, the instance page with its
actions, where cases stand and the dashboard, in fi, sv and en, at 1280 px and on a phone (390 px):
the page never scrolls sideways (wide tables and the diagram scroll in their own regions), and axe
finds nothing. Screenshots: tests/screenshots/manager-<page>-<width>-<lang>.png."""
from __future__ import annotations

import pytest

from tests.browser.test_narrow import PHONE, fits, phone  # noqa: F401  (phone: the fixture)

PAGES = {"instances": "/instances", "heatmap": "/heatmap", "dashboard": "/dashboard?from=2026-01-01&to=2026-12-31",
         # the cases behind a dashboard number (its "at a glance" headline is at the dashboard's top)
         "cases-behind": "/instances?kpi=clients&row=total&kpi_from=2026-01-01&kpi_to=2026-12-31"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_managers_pages_fit_and_pass_axe(phone, lang):  # noqa: F811
    manager = phone("esihenkilo", lang)
    manager.go("/instances")
    manager.page.wait_for_selector("#instance-table")
    first = manager.page.locator("#instance-table tbody tr:first-child th a").get_attribute("href")
    pages = {**PAGES, "instance": first}
    problems: list[str] = []
    for name, path in pages.items():
        manager.go(path)
        manager.page.wait_for_selector("h1")
        for width, height in ((1280, 900), (PHONE["width"], PHONE["height"])):
            manager.page.set_viewport_size({"width": width, "height": height})
            problems += fits(manager, "h1", f"{path} ({lang})", width=width, height=None)
            manager.shot(f"manager-{name}-{width}-{lang}")
            problems += manager.violations(f"{path} at {width} px ({lang})")
    # The instance page opens on where the case stands: its interventions are folded, each by its name.
    manager.go(first)
    assert manager.page.locator("details.intervention[open]").count() == 0
    assert manager.page.locator("details.intervention > summary").count() >= 2
    assert not problems, "\n".join(problems)
