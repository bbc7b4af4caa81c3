"""Inbox and task pages."""
from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates")


from . import inbox, task_page  # noqa: E402,F401  (the route modules register on bp, so they follow it)
