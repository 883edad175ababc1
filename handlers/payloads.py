"""What the listeners read from Slack's interaction payloads, and how they answer a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack


def team_of(body: dict[str, Any]) -> str:
    """The workspace of a block action or view submission."""
    return str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")


def ack_view(ack: Ack, errors: dict[str, str] | None) -> None:
    """Close the modal, or keep it open with each field's error shown beside it."""
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()
