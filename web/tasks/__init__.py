"""Inbox and task pages."""
from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates")


@bp.get("/")
@bp.get("/tasks")
def inbox():
    return "inbox"
