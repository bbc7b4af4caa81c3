"""Where a task's "Open the case" leads. A job-coaching task's instance is a case: the case page. An
instance of another process (a provider's contract follow-up, say) has no case page, so its tasks
lead its managers to the managers' instance page and show no link to anyone else (the case page
answered 404 to all, the link a dead end). Either page still checks access itself."""
from __future__ import annotations

from flask import g, url_for

from polku.domain.casefile import CASE_PROCESS

INSTANCE_PAGE_ROLES = frozenset({"manager", "admin"})


def case_url(process_key: str, instance_id: int) -> str | None:
    if process_key == CASE_PROCESS:
        return url_for("cases.show", instance_id=instance_id)
    if g.user.roles & INSTANCE_PAGE_ROLES:
        return url_for("cases.instance", instance_id=instance_id)
    return None
