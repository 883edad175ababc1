"""App Home and the name modal."""

from __future__ import annotations

from typing import Any

from .base import (
    ACTION_HOME_VOICE,
    ACTION_NAME_INPUT,
    BLOCK_NAME_INPUT,
    MAX_BLOCKS_VIEW,
    VIEW_NAME,
    escape,
    modal,
    section,
)
from .commands import PHOTO_RULES, help_text, status_line
from .thread import voice_menu

HOME_ROWS = 20


def home_view(
    rows: list[dict[str, Any]], voice: str | None, voices: list[str], settings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The App Home; `settings` (the workspace settings and policy sections) only for admins."""
    drafts = [r for r in rows if r["status"] in ("ready", "received", "checking", "needs_fix", "awaiting_approval")]
    replicas = [r for r in rows if r not in drafts]
    select = voice_menu(ACTION_HOME_VOICE, voices, voice)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your Tavus replicas"}},
        {
            "type": "section",
            "block_id": "home_voice",
            "text": {
                "type": "mrkdwn",
                "text": f"*Your voice:* `{escape(voice)}`" if voice else "*Your voice:* not chosen",
            },
            "accessory": select,
        },
        {"type": "divider"},
        section("*Replicas*\n" + ("\n".join(status_line(r) for r in replicas[:HOME_ROWS]) or "None yet.")),
        section("*Drafts*\n" + ("\n".join(status_line(r) for r in drafts[:HOME_ROWS]) or "None.")),
        {"type": "divider"},
        section(f"*Photo rules:* {PHOTO_RULES}"),
        section(help_text()),
        *(settings or []),
    ]
    assert len(blocks) <= MAX_BLOCKS_VIEW
    return {"type": "home", "blocks": blocks}


def name_modal(submission_id: str, current: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ACTION_NAME_INPUT,
        "max_length": 60,
        "min_length": 1,
    }
    if current:
        element["initial_value"] = current[:60]
    name = {
        "type": "input",
        "block_id": BLOCK_NAME_INPUT,
        "label": {"type": "plain_text", "text": "What should Tavus call this replica?"},
        "element": element,
    }
    return modal(VIEW_NAME, "Replica name", [name], metadata=submission_id)
