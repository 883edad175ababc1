"""Shared pieces of every message: Slack's limits, the ids handlers rely on, escaping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_SELECT_OPTIONS = 100  # Slack's limit per static_select
MAX_SECTION_TEXT = 3000

# Action and block ids: the contract between these builders and handlers/actions.py.
ACTION_CREATE = "create_replica"
ACTION_CANCEL = "cancel_draft"
ACTION_VOICE = "voice_select"
ACTION_AUTOFIX = "autofix_toggle"
BLOCK_VOICE = "voice"
BLOCK_AUTOFIX = "autofix"
BLOCK_ACTIONS = "draft_actions"

CONSENT_BUTTON_TEXT = "I have the rights to this likeness — create the replica"
CONSENT_FIXED_TEXT = "I have the rights to this likeness — create it from the fixed photo"
CONSENT_MINE_TEXT = "I have the rights to this likeness — create it from my photo"
# The bot's fixed version of a photo beside the person's own (bot/preview/).
ACTION_USE_FIXED = "use_fixed_photo"
ACTION_KEEP_MINE = "keep_my_photo"
BLOCK_VERSIONS = "versions"
BLOCK_VERSION_ACTIONS = "version_actions"
_ICONS = {"pass": ":white_check_mark:", "fail": ":x:", "warn": ":warning:", "info": ":bulb:"}
# Ids of the delete confirmation, the name modal and App Home.
ACTION_DELETE = "delete_replica"
ACTION_EDIT_NAME = "edit_name"
ACTION_HOME_VOICE = "home_voice_select"
VIEW_NAME = "replica_name_modal"
BLOCK_NAME_INPUT = "name_input"
ACTION_NAME_INPUT = "name_value"
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_BUTTON_TEXT = 75


@dataclass
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Treat user-provided text as data: no mentions, links or broadcasts can be injected."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]},
    }
    if block_id:
        block["block_id"] = block_id
    return block


def modal(
    callback_id: str, title: str, blocks: list[dict[str, Any]], submit: str = "Save", metadata: str | None = None
) -> dict[str, Any]:
    """A modal view with Slack's submit and Cancel buttons (`metadata`: its private_metadata)."""
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id}
    if metadata is not None:
        view["private_metadata"] = metadata
    view.update(
        {
            "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": submit},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks,
        }
    )
    return view


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}]}
