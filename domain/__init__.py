"""The job-coaching (työhönvalmennus) domain: the service card's rules as pure functions
(rules, calendar, identity), the form field types built on them, and the domain tables.

Submodules are not imported here: the pure modules must stay importable without the
database layer that ``domain.models`` pulls in.
"""
