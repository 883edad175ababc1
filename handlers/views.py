"""Modals: the replica name, and the workspace's Tavus key (admins)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import messages
from bot.workflow import Workflow


def register(app: App, workflow: Workflow) -> None:
    @app.view(messages.VIEW_NAME)
    def on_name(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        name = str(values[messages.BLOCK_NAME_INPUT][messages.ACTION_NAME_INPUT].get("value") or "")
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        problem = workflow.rename_draft(str(view.get("private_metadata")), body["user"]["id"], name, team)
        if problem:
            ack(response_action="errors", errors={messages.BLOCK_NAME_INPUT: f"That name won't work: {problem}."})
            return
        ack()

    @app.view(messages.VIEW_TAVUS_KEY)
    def on_tavus_key(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        key = str(values.get(messages.BLOCK_TAVUS_KEY, {}).get(messages.ACTION_TAVUS_KEY_INPUT, {}).get("value") or "")
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        admins_block = values.get(messages.BLOCK_ADMINS, {}).get(messages.ACTION_ADMINS_INPUT)
        admins = None if admins_block is None else [str(u) for u in admins_block.get("selected_users") or []]
        errors = workflow.save_settings(team, body["user"]["id"], key, admins)  # checks the admin again
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
