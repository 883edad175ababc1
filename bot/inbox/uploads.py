"""A photo uploaded in a DM with the bot, as a stored Slack event shows it (pure).

Where to say something about it before (or instead of) its check: in the photo's thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .bodies import JSON, event_callback


@dataclass(frozen=True)
class Upload:
    """A photo's message in a DM, from a stored event: where to reply about it."""

    team_id: str | None
    channel: str
    thread_ts: str
    event_id: str


def photo_upload(stored: Mapping[str, Any]) -> Upload | None:
    """The DM photo upload a stored request (`body`, `content_type`) carries, or None for
    any other request, for files that are surely not images (a PDF), and for the bot's own
    uploads (its previews)."""
    if not str(stored.get("content_type") or "").startswith(JSON):
        return None
    callback = event_callback(str(stored.get("body") or ""))
    if callback is None:
        return None
    doc, event = callback
    if event.get("type") != "message" or not event.get("files"):
        return None
    channel, ts = event.get("channel"), event.get("thread_ts") or event.get("ts")
    if event.get("channel_type") != "im" or not isinstance(channel, str) or not isinstance(ts, str):
        return None
    files = [f for f in event["files"] if isinstance(f, dict)]
    kinds = [f.get("mimetype") for f in files]
    known = [k for k in kinds if isinstance(k, str)]
    if files and len(known) == len(kinds) and not any(k.startswith("image/") for k in known):
        return None  # no image among them (a thin file object, id only, may be one: kept)
    ours = {a.get("user_id") for a in doc.get("authorizations") or [] if isinstance(a, dict) and a.get("is_bot")}
    if event.get("bot_id") or event.get("user") in ours:
        return None
    team = doc.get("team_id")
    return Upload(team if isinstance(team, str) else None, channel, ts, str(doc.get("event_id") or ts))
