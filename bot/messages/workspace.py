"""Workspace settings an admin sees in the App Home (the Tavus key), and what a person hears
while no key is connected. Pure functions."""

from __future__ import annotations

from typing import Any

from .base import escape, modal, section

__all__ = [
    "ACTION_OPEN_SETTINGS",
    "ACTION_REMOVE_TAVUS_KEY",
    "ACTION_TAVUS_KEY_INPUT",
    "BLOCK_TAVUS_KEY",
    "VIEW_TAVUS_KEY",
    "no_tavus_key_text",
    "settings_blocks",
    "tavus_key_modal",
    "tavus_key_saved_text",
]

ACTION_OPEN_SETTINGS = "open_workspace_settings"
ACTION_REMOVE_TAVUS_KEY = "remove_tavus_key"
VIEW_TAVUS_KEY = "tavus_key_modal"
BLOCK_TAVUS_KEY = "tavus_key"
ACTION_TAVUS_KEY_INPUT = "tavus_key_value"


def _key_line(source: str, shown: str | None, set_by: str | None) -> str:
    if source == "workspace":
        return f"*Tavus key:* `{escape(shown or '')}`" + (f", connected by <@{set_by}>" if set_by else "")
    if source == "environment":
        return f"*Tavus key:* the server's default key (`{escape(shown or '')}`)"
    return "*Tavus key:* not connected — nobody here can create replicas until one is."


def settings_blocks(source: str, shown: str | None, set_by: str | None) -> list[dict[str, Any]]:
    """The App Home's settings section, for admins only."""
    buttons: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": ACTION_OPEN_SETTINGS,
            "text": {"type": "plain_text", "text": "Replace Tavus key" if source == "workspace" else "Connect Tavus"},
        }
    ]
    if source == "workspace":
        buttons.append(
            {
                "type": "button",
                "action_id": ACTION_REMOVE_TAVUS_KEY,
                "style": "danger",
                "text": {"type": "plain_text", "text": "Remove key"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Remove the Tavus key?"},
                    "text": {"type": "plain_text", "text": "Nobody here can create replicas until a key is connected."},
                    "confirm": {"type": "plain_text", "text": "Remove"},
                    "deny": {"type": "plain_text", "text": "Keep"},
                },
            }
        )
    return [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Settings (admins)"}},
        section(_key_line(source, shown, set_by), block_id="workspace_settings"),
        {"type": "actions", "block_id": "workspace_settings_actions", "elements": buttons},
    ]


def tavus_key_modal(shown: str | None) -> dict[str, Any]:
    """The settings modal: the Tavus key (optional once one is saved). The admins besides
    Slack's own are listed in the Policy modal."""
    hint = (
        f"Leave empty to keep the key ending {shown}; a new one replaces it."
        if shown
        else "Find it in the Tavus portal under API keys."
    )
    key = {
        "type": "input",
        "block_id": BLOCK_TAVUS_KEY,
        "label": {"type": "plain_text", "text": "Tavus API key"},
        "hint": {"type": "plain_text", "text": hint},
        "optional": bool(shown),
        "element": {"type": "plain_text_input", "action_id": ACTION_TAVUS_KEY_INPUT, "max_length": 200},
    }
    intro = section(
        "Paste this workspace's Tavus API key. I try it against Tavus before saving it; "
        "it is stored encrypted and shown back only as its last four characters."
    )
    return modal(VIEW_TAVUS_KEY, "Workspace settings", [intro, key])


def tavus_key_saved_text(shown: str) -> str:
    return f"Tavus is connected for this workspace (key `{escape(shown)}`). People can create replicas now."


def no_tavus_key_text(admins: list[str]) -> str:
    who = ", ".join(f"<@{a}>" for a in admins[:10]) if admins else "a workspace admin"
    return (
        "Nothing was created: this workspace has not connected its Tavus account yet. "
        f"An admin must connect it first in my App Home (Settings): {who}. "
        "Your photo and voice are kept; press create again once it is connected."
    )
