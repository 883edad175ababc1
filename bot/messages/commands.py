"""What `/replica …` answers: help, voices, names, status, cancel, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .base import ACTION_DELETE, Message, escape, section

# One source of truth for the commands: /replica help, the unknown-command hint and the
# README (a test keeps them in step) all read this.
COMMANDS_HELP = (
    ("help", "this help"),
    ("voices", "list the stock voices"),
    ("voice <name>", "choose the voice for your next replica"),
    ("name <text>", "the replica name for your next photo"),
    ("status", "your photos and replicas"),
    ("cancel", "cancel photos not yet sent to Tavus"),
    ("delete <replica_id>", "delete one of your replicas at Tavus"),
)
PHOTO_RULES = (
    "a still photo (JPEG, PNG, HEIC, AVIF, WebP, TIFF or BMP; I convert it to JPEG for Tavus), at least "
    "512×512, one adult facing the camera, head and shoulders in frame, "
    "even light, no glasses, hats or anything over the face."
)


def help_text() -> str:
    commands = "\n".join(f"• `/replica {c}` — {what}" for c, what in COMMANDS_HELP)
    return (
        "*Turn one photo into a Tavus replica, right here.*\n"
        "1. Pick a voice: `/replica voice anna` (see `/replica voices`).\n"
        "2. Upload a headshot to this DM.\n"
        "3. I check it against Tavus's photo rules and tell you what to fix.\n"
        "4. Press the consent button; I send it to Tavus.\n"
        "5. Training takes 3–4 hours; I reply in the photo's thread when it's done.\n"
        f"*Photo rules:* {PHOTO_RULES}\n"
        f"{commands}"
    )


def voices_text(voices: list[dict[str, Any]], live: bool) -> str:
    """One line a voice: its slug, its tags as a short description, a preview link."""
    lines = []
    for v in voices:
        about = ", ".join(escape(t) for t in v.get("tags") or [] if t)
        preview = f" <{v['audio_url']}|preview>" if str(v.get("audio_url") or "").startswith("https://") else ""
        lines.append(f"• `{escape(v['voice_name'])}`" + (f" — {about}" if about else "") + preview)
    note = "" if live else "\n_(Tavus could not be reached; these are its documented examples.)_"
    return "*Stock voices*\n" + "\n".join(lines) + f"\nChoose one with `/replica voice <name>`.{note}"


def voice_set_text(name: str) -> str:
    return f"Your voice is now `{escape(name)}`. Upload a photo to this DM to make a replica."


def unknown_voice_text(slug: str, suggestions: list[str]) -> str:
    shown = escape(slug[:60])
    if suggestions:
        options = " or ".join(f"`{escape(s)}`" for s in suggestions)
        return f"I don't know the voice `{shown}`. Did you mean {options}?"
    return f"I don't know the voice `{shown}`. See `/replica voices` for the list."


def name_set_text(name: str) -> str:
    return f"Your next replica will be called *{escape(name)}*. You can still change it before you create it."


def name_invalid_text(problem: str) -> str:
    return f"That name won't work: {problem}. Use 1–60 letters, digits, spaces and - _ . ' ( )."


def unknown_command_text(word: str, suggestion: str | None) -> str:
    hint = f" Did you mean `/replica {suggestion}`?" if suggestion else ""
    return f"I don't know `{escape(word[:40])}`.{hint}\n\n{help_text()}"


def command_failed_text() -> str:
    return "Sorry, I could not do that just now. Please try again in a moment."


def _age(created_at: str | None, now: datetime | None = None) -> str:
    if not created_at:
        return ""
    try:
        then = datetime.fromisoformat(created_at)
    except ValueError:
        return ""
    minutes = int(((now or datetime.now(UTC)) - then).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


STATUS_WORDS = {
    "received": "received",
    "checking": "checking",
    "needs_fix": "needs a new photo",
    "ready": "draft, waiting for you",
    "submitting": "sending to Tavus",
    "training": "training",
    "completed": "ready",
    "failed": "failed",
    "cancelled": "cancelled",
    "deleted": "deleted",
    "awaiting_approval": "waiting for approval",
    "denied": "denied",
}


# Every field `status_line` reads: the status command reads only these from the database.
STATUS_FIELDS = ("display_name", "file_name", "status", "replica_id", "training_progress", "created_at")


def status_line(r: dict[str, Any]) -> str:
    name = escape(r.get("display_name") or r.get("file_name") or "photo")
    parts = [f"*{name}*", STATUS_WORDS.get(r["status"], r["status"])]
    if r.get("replica_id"):
        parts.append(f"replica `{escape(r['replica_id'])}`")
    if r.get("status") == "training" and r.get("training_progress"):
        parts.append(f"progress {escape(r['training_progress'])}")
    age = _age(r.get("created_at"))
    if age:
        parts.append(age)
    return "• " + " · ".join(parts)


def status_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "You have no photos or replicas yet. Upload a photo to this DM to start."
    return "*Your photos and replicas*\n" + "\n".join(status_line(r) for r in rows)


def cancelled_text(count: int) -> str:
    if count == 0:
        return "You have no drafts waiting to be sent."
    return f"Cancelled {count} draft{'s' if count != 1 else ''}. Nothing was sent to Tavus."


def delete_confirm_message(replica_id: str, name: str | None) -> Message:
    shown = f"*{escape(name)}* (`{escape(replica_id)}`)" if name else f"`{escape(replica_id)}`"
    text = f"Delete the replica {shown} at Tavus? This cannot be undone."
    button = {
        "type": "button",
        "action_id": ACTION_DELETE,
        "style": "danger",
        "text": {"type": "plain_text", "text": "Delete it"},
        "value": replica_id,
        "confirm": {
            "title": {"type": "plain_text", "text": "Delete replica?"},
            "text": {"type": "plain_text", "text": "Tavus will delete it for good."},
            "confirm": {"type": "plain_text", "text": "Delete"},
            "deny": {"type": "plain_text", "text": "Keep it"},
        },
    }
    return Message(text, [section(text), {"type": "actions", "block_id": "delete", "elements": [button]}])


def delete_refused_text(replica_id: str) -> str:
    return f"`{escape(replica_id[:40])}` is not one of your replicas, so I can't delete it."


def deleted_text(replica_id: str) -> str:
    return f"Deleted replica `{escape(replica_id)}` at Tavus."


def delete_failed_text(reason: str) -> str:
    return f":x: Tavus did not delete it: {escape(reason[:300])}. Try again in a minute."


def no_worker_text() -> str:
    """A command's ack while no worker runs: it is stored, and answered when one starts."""
    return (
        ":hourglass: Got it, but the part of replica-bot that answers is not running right now. "
        "Your command is saved: I'll answer here as soon as it is back (Slack lets me for "
        "30 minutes; after that, please send it again). If this keeps happening, tell whoever "
        "runs replica-bot."
    )


def upload_waits_text() -> str:
    """A photo stored while no worker runs: it is checked when one starts."""
    return (
        ":hourglass: Got your photo, but the part of replica-bot that checks photos is not "
        "running right now. It is saved: I'll check it here as soon as that is back. If this "
        "keeps happening, tell whoever runs replica-bot."
    )


def plain_dm_text() -> str:
    return "Hi! Upload a headshot photo here to make a Tavus replica, or type `/replica help`."


def welcome_text() -> str:
    return "Welcome! I turn one headshot into a Tavus replica.\n\n" + help_text()
