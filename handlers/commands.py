"""`/replica …`: every answer is ephemeral and computed without slow calls, so it acks at once."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot import messages
from bot.workflow import Workflow

log = logging.getLogger(__name__)

SUBCOMMANDS = ("help", "voices", "voice", "status", "cancel")


def answer(workflow: Workflow, text: str, team_id: str, user_id: str) -> str:
    """The reply to `/replica <text>` for one person."""
    word, _, rest = text.strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in {"", "help"}:
        return messages.help_text()
    if word == "voices":
        return messages.voices_text(workflow.s.voices.names(), workflow.s.voices.is_live)
    if word == "voice":
        if not rest:
            current = workflow.s.repo.get_voice(team_id, user_id)
            return (f"Your voice is `{current}`. " if current else "") + "Set one with `/replica voice <name>`."
        resolved = workflow.s.voices.resolve(rest)
        if resolved is None:
            return messages.unknown_voice_text(rest, workflow.s.voices.suggest(rest))
        workflow.s.repo.set_voice(team_id, user_id, resolved)
        return messages.voice_set_text(resolved)
    if word == "status":
        rows = [vars(s) for s in workflow.s.repo.for_user(team_id, user_id)]
        return messages.status_text(rows)
    if word == "cancel":
        return messages.cancelled_text(workflow.cancel_drafts(team_id, user_id))
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    return messages.unknown_command_text(word, close[0] if close else None)


def register(app: App, workflow: Workflow) -> None:
    def on_replica(ack: Ack, command: dict[str, Any]) -> None:
        text = answer(workflow, command.get("text") or "", command["team_id"], command["user_id"])
        log.info("event=command user=%s sub=%s", command["user_id"], (command.get("text") or "").split(" ")[0][:20])
        ack(text=text, response_type="ephemeral")

    handler: Callable[..., None] = on_replica
    app.command("/replica")(handler)
