"""Persistent state in SQLite (sqlite-utils): submissions, processed events, preferences, outbox."""

from .repository import OutboxMessage, Repository, Submission, seconds_ago, utc_now

__all__ = ["OutboxMessage", "Repository", "Submission", "seconds_ago", "utc_now"]
