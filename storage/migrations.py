"""Schema, as migrations applied once each at start-up (sqlite-utils' Migrations)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("replica-bot")


@migrations()
def m001_initial(db: Database) -> None:
    db.table("submissions").create(
        {
            "id": str,
            "team_id": str,
            "user_id": str,
            "channel_id": str,
            "message_ts": str,  # the photo message
            "thread_ts": str,  # where we reply
            "file_id": str,
            "file_name": str,
            "status": str,
            "findings_json": str,
            "voice_name": str,
            "replica_name": str,
            "replica_id": str,
            "s3_key": str,
            "s3_deleted_at": str,
            "checklist_ts": str,  # our message in the thread that edits itself
            "consent_user_id": str,
            "consent_at": str,
            "training_progress": str,
            "error_message": str,
            "autofix": int,
            "created_at": str,
            "updated_at": str,
            "submitted_at": str,
            "finished_at": str,
        },
        pk="id",
        not_null={"team_id", "user_id", "channel_id", "message_ts", "file_id", "status"},
    )
    # One job per photo: the same file in the same message is never a second submission.
    db.table("submissions").create_index(
        ["team_id", "channel_id", "message_ts", "file_id"], unique=True, index_name="one_per_photo"
    )
    db.table("submissions").create_index(["status"])
    db.table("submissions").create_index(["team_id", "user_id"])
    db.table("photos").create({"submission_id": str, "data": bytes}, pk="submission_id")
    db.table("processed_events").create({"event_id": str, "received_at": str}, pk="event_id")
    db.table("user_prefs").create(
        {"team_id": str, "user_id": str, "voice_name": str, "welcomed_at": str, "updated_at": str},
        pk=("team_id", "user_id"),
    )
    db.table("outbox").create(
        {
            "id": int,
            "dedupe_key": str,  # e.g. "completed:<submission>": a notice is queued once
            "submission_id": str,
            "channel_id": str,
            "thread_ts": str,
            "update_ts": str,  # set: chat.update that message instead of posting
            "text": str,
            "blocks_json": str,
            "created_at": str,
            "sent_at": str,
            "attempts": int,
            "last_error": str,
        },
        pk="id",
    )
    db.table("outbox").create_index(["dedupe_key"], unique=True)


@migrations()
def m002_resumable_intake_and_notices(db: Database) -> None:
    # Intake is resumable: the file object is stored with the submission before any work.
    db.table("submissions").add_column("file_json", str)
    db.table("submissions").add_column("channel_type", str)
    db.table("submissions").add_column("long_training_noted_at", str)
    # A notice whose post may have reached Slack before a crash is checked, not re-posted.
    db.table("outbox").add_column("sending_at", str)


@migrations()
def m003_names_and_deletion(db: Database) -> None:
    db.table("user_prefs").add_column("replica_name", str)  # default name for the next photo
    db.table("submissions").add_column("display_name", str)  # the name shown at Tavus
    db.table("submissions").add_column("deleted_at", str)
    db.table("submissions").create_index(["replica_id"])


@migrations()
def m004_home_seen(db: Database) -> None:
    # App Home is republished on changes only for people who have opened it.
    db.table("user_prefs").add_column("home_seen_at", str)
