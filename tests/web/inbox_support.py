"""Reading the inbox page in tests: its table, client names and notices."""
from __future__ import annotations

import lxml.html

# Valid identity codes from ../shared/domain.md (distinct people).
CLIENTS = [("131052-308T", "Aino Aaltonen"), ("010594Y9021", "Bertta Berg"), ("020505A902P", "Cecilia Castrén")]


def page(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def rows(doc) -> list[dict]:
    """The inbox table as dicts keyed by column header (plus the task id and link)."""
    headers = [th.text_content().strip() for th in doc.xpath('//table[@id="inbox-table"]/thead/tr/th')]
    found = []
    for tr in doc.xpath('//table[@id="inbox-table"]/tbody/tr'):
        cells = [" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
        row = dict(zip(headers, cells))
        row["id"] = tr.get("id").removeprefix("task-")
        row["href"] = tr.xpath("./th/a/@href")[0]
        row["forms"] = [f.get("action") for f in tr.xpath(".//form")]
        found.append(row)
    return found


def clients(doc) -> list[str]:
    return [r["Client"] for r in rows(doc)]


def notices(doc, category=None) -> list[str]:
    cls = f"notice-{category}" if category else "notice"
    return [" ".join(n.text_content().split()) for n in doc.xpath(f'//div[contains(@class, "{cls}")]')]
