"""Dates and numbers follow the user's language: Finnish and Finland-Swedish (sv_FI) write 12.1.2026,
11.00 and 12 345,5; Sweden's 2026-01-12, 11:00:00 and its month abbreviations never appear."""
from __future__ import annotations

import re

import pytest
from flask import session

from polku.web.i18n import format_day, format_instant, format_number
from tests.web.test_cases import text

ISO_DAY = re.compile(r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}\b")


def in_language(b, locale: str):
    assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    return b


@pytest.mark.parametrize(("locale", "day", "instant", "number"), [
    ("fi", "1.12.2026", "1.12.2026 11.05", "12\xa0345,5"),
    ("sv", "1.12.2026", "1.12.2026 11.05", "12\xa0345,5"),
    ("en", "Dec 1, 2026", "Dec 1, 2026, 11:05\u202fAM", "12,345.5"),
])
def test_the_filters_write_dates_times_and_numbers_as_the_language_does(web_app, locale, day, instant, number):
    with web_app.test_request_context("/"):
        session["locale"] = locale
        assert format_day("2026-12-01") == day
        assert format_instant("2026-12-01T09:05:00+00:00") == instant  # Finnish time, winter: UTC+2
        assert format_number(12345.5) == number


def test_a_summer_instant_late_in_the_evening_is_the_next_day_in_finnish_time(web_app):
    with web_app.test_request_context("/"):
        session["locale"] = "sv"
        assert format_instant("2026-06-30T22:30:00+00:00") == "1.7.2026 1.30"  # UTC+3; CLDR sv_FI short time: H.mm


def test_the_swedish_case_page_writes_every_date_the_finland_swedish_way(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", meetings=1)
    page = text(in_language(browser("off1"), "sv").get(f"/cases/{case.id}"))
    assert "Period 1: 12.1.2026 – 30.4.2026" in page
    assert "16.1.2026" in page  # the week's meeting
    assert not ISO_DAY.findall(page), ISO_DAY.findall(page)
    assert not re.search(r"\b[0-9]{1,2} (jan|feb|mars|apr|maj|juni|juli|aug|sep|okt|nov|dec)\.? 2026", page)
    assert not re.search(r"\b[0-9]{2}:[0-9]{2}\b", page)  # times as 11.00, not 11:00
