"""The process roles: `web` answers Slack, `worker` does the slow work; `all` is both.

`python -m bot` runs every role in one process (embedded SQLite by default); teams run
any number of `python -m bot web` and `python -m bot worker` on one PostgreSQL database.
"""

from .web import WebRole
from .worker import WorkerRole

ROLES = ("all", "web", "worker")

__all__ = ["ROLES", "WebRole", "WorkerRole"]
