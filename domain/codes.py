"""Domain codes the domain itself shows (as field widgets): each code with its English msgid.

The web's one catalog per code (``web/codes.py``) translates these through the Babel catalog;
``N_`` only marks them for extraction. The codes are the card's (domain.rules; a unit test keeps the two lists equal).
"""
from __future__ import annotations

from polku.engine.fieldtypes import N_

# The card's outcome areas (R5), in the card's order.
OUTCOME_CATEGORY_NAMES: dict[str, str] = {
    "employment_or_education": N_("Employment or starting education"),
    "job_search_skills": N_("Improved job-search skills"),
    "job_opportunities": N_("Mapping job opportunities"),
    "working_life_readiness": N_("Improved working-life readiness"),
    "employment_support": N_("Support in concluding and stabilising an employment relationship"),
    "realistic_plan": N_("A realistic decision and plan to apply for education or work"),
}

# Kinds of coaching meeting (R2).
MEETING_KINDS: dict[str, str] = {
    "individual": N_("Individual meeting"),
    "group": N_("Group meeting"),
}
