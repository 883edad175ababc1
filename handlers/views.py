"""Modals: the replica name."""

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
        problem = workflow.rename_draft(str(view.get("private_metadata")), body["user"]["id"], name)
        if problem:
            ack(response_action="errors", errors={messages.BLOCK_NAME_INPUT: f"That name won't work: {problem}."})
            return
        ack()
