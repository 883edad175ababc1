"""Persistent state on SQLite or PostgreSQL: submissions, processed events, preferences, outbox.

The only place with SQL. `Database` picks the engine; `Repository` reads and writes.
"""

from .clock import seconds_ago, seconds_from_now, utc_now
from .engine import Database, describe
from .records import OutboxMessage, Submission
from .repository import Repository

__all__ = [
    "Database",
    "OutboxMessage",
    "Repository",
    "Submission",
    "describe",
    "seconds_ago",
    "seconds_from_now",
    "utc_now",
]
