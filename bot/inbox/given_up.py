"""What a person hears when a request the door stored will not be run again (pure).

A worker gives a stored request up when its last attempt failed or the processes that held
it kept dying (bot/jobs/runner.py). A command or a click is answered at its `response_url`;
a photo uploaded in a DM gets a reply in its thread; anything else (App Home clicks, other
events) has nowhere to be answered and is only logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from .bodies import FORM, interaction


def reply_url(stored: Mapping[str, Any]) -> str | None:
    """Where a stored request can be answered: a command's `response_url`, taken out at the
    door, or the one in a click's payload; None for events and App Home clicks."""
    if stored.get("response_url"):
        return str(stored["response_url"])
    if not str(stored.get("content_type") or "").startswith(FORM):
        return None
    doc = interaction(parse_qs(str(stored.get("body") or "")))
    url = doc.get("response_url") if doc is not None else None
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def interrupted_reply(stored: Mapping[str, Any], *, restarted: bool) -> dict[str, Any]:
    """A command's or a click's reply. A click's must not replace the message that holds
    the button."""
    command = bool(stored.get("response_url"))  # taken out at the door for commands only
    what = "that command" if command else "that click"
    again = "send it again" if command else "click again"
    cause = "I was restarted while handling" if restarted else "Something went wrong on my side with"
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f":warning: {cause} {what}, so it may not have gone through. Please {again}.",
    }
