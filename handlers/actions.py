"""Buttons and menus in the photo thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import messages
from bot.workflow import Workflow

log = logging.getLogger(__name__)


def chosen_voice(body: dict[str, Any]) -> str | None:
    """The voice currently selected in the message's menu, if any."""
    values = (body.get("state") or {}).get("values") or {}
    selected = (values.get(messages.BLOCK_VOICE) or {}).get(messages.ACTION_VOICE) or {}
    option = selected.get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None


def chosen_autofix(body: dict[str, Any]) -> bool | None:
    """The AI Image Fixer checkbox as the person left it; None when the message has none."""
    values = (body.get("state") or {}).get("values") or {}
    box = (values.get(messages.BLOCK_AUTOFIX) or {}).get(messages.ACTION_AUTOFIX)
    if box is None:
        return None
    return bool(box.get("selected_options"))


def _tell_clicker(client: WebClient, body: dict[str, Any], text: str) -> None:
    container = body.get("container") or {}
    client.chat_postEphemeral(
        channel=str(container.get("channel_id") or (body.get("channel") or {}).get("id")),
        user=body["user"]["id"],
        text=text,
        thread_ts=(body.get("message") or {}).get("thread_ts"),
    )


def register(app: App, workflow: Workflow) -> None:
    @app.action(messages.ACTION_CREATE)
    def on_create(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        reply = workflow.request_create(
            str(action.get("value")), body["user"]["id"], chosen_voice(body), chosen_autofix(body)
        )
        if reply:
            _tell_clicker(client, body, reply)

    @app.action(messages.ACTION_CANCEL)
    def on_cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        reply = workflow.request_cancel(str(action.get("value")), body["user"]["id"])
        if reply:
            _tell_clicker(client, body, reply)

    @app.action(messages.ACTION_VOICE)
    def on_voice(ack: Ack) -> None:
        ack()  # the choice is read from state.values when the create button is pressed

    @app.action(messages.ACTION_AUTOFIX)
    def on_autofix(ack: Ack) -> None:
        ack()  # likewise read from state.values
