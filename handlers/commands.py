"""`/replica …`: every answer is ephemeral and computed without slow calls; it is the ack's body.

Over HTTP the door (bot/inbox/) stores the command and acks it empty; a worker runs it through
this listener and posts the ack's body to the command's `response_url`. In Socket Mode the
listener runs as the envelope arrives and the ack carries the reply.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from slack_bolt import Ack, App

from bot import messages
from bot.messages import Message
from bot.workflow import Workflow

log = logging.getLogger(__name__)

COMMAND = "/replica"
SUBCOMMANDS = tuple(c.split(" ")[0] for c, _ in messages.COMMANDS_HELP)


def answer(workflow: Workflow, text: str, team_id: str, user_id: str) -> Message:
    """The reply to `/replica <text>` for one person."""
    word, _, rest = text.strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in {"", "help"}:
        return Message(messages.help_text())
    if word == "voices":
        catalog = workflow.voices_for(team_id)
        return Message(messages.voices_text([asdict(v) for v in catalog.voices()], catalog.is_live))
    if word == "voice":
        return Message(_voice(workflow, rest, team_id, user_id))
    if word == "name":
        if not rest:
            current = workflow.s.repo.get_default_name(team_id, user_id)
            shown = f"Your next replica will be called *{messages.escape(current)}*. " if current else ""
            return Message(shown + "Set a name with `/replica name <text>`.")
        return Message(workflow.set_default_name(team_id, user_id, rest))
    if word == "status":
        return Message(messages.status_text(workflow.s.repo.latest_for_user(team_id, user_id, messages.STATUS_FIELDS)))
    if word == "cancel":
        return Message(messages.cancelled_text(workflow.cancel_drafts(team_id, user_id)))
    if word == "delete":
        replica_id = rest.split(" ")[0]
        if not replica_id:
            return Message("Which replica? `/replica delete <replica_id>` (see `/replica status`).")
        if not workflow.owns_replica(team_id, user_id, replica_id):
            return Message(messages.delete_refused_text(replica_id))
        sub = workflow.s.repo.by_replica_id(replica_id)
        return messages.delete_confirm_message(replica_id, sub.display_name if sub else None)
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    return Message(messages.unknown_command_text(word, close[0] if close else None))


def _voice(workflow: Workflow, slug: str, team_id: str, user_id: str) -> str:
    if not slug:
        current = workflow.s.repo.get_voice(team_id, user_id)
        return (f"Your voice is `{current}`. " if current else "") + "Set one with `/replica voice <name>`."
    catalog = workflow.voices_for(team_id)
    resolved = catalog.resolve(slug)
    if resolved is None:
        return messages.unknown_voice_text(slug, catalog.suggest(slug))
    workflow.s.repo.set_voice(team_id, user_id, resolved)
    return messages.voice_set_text(resolved)


def reply(workflow: Workflow, command: Mapping[str, Any]) -> dict[str, Any]:
    """The whole answer to one `/replica` request (Slack's slash-command fields), as the
    JSON body of the ack. A failure is answered too, ephemerally: Slack retries nothing."""
    text = str(command.get("text") or "")
    user = str(command.get("user_id") or "")
    log.info("event=command user=%s sub=%s", user, text.split(" ")[0][:20])
    try:
        message = answer(workflow, text, str(command.get("team_id") or ""), user)
    except Exception as exc:  # a database hiccup: say so, never a bare "failed" from Slack
        log.error("event=command_failed user=%s error=%s", user, type(exc).__name__)
        message = Message(messages.command_failed_text())
    body: dict[str, Any] = {"text": message.text, "response_type": "ephemeral"}
    if message.blocks:
        body["blocks"] = message.blocks
    return body


def register(app: App, workflow: Workflow) -> None:
    @app.command(COMMAND)
    def on_replica(ack: Ack, command: dict[str, Any]) -> None:
        ack(reply(workflow, command))
