"""Events: photos shared in the DM, plain DM text, and the App Home tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot import messages
from bot.jobs.kinds import refresh_home
from bot.workflow import Workflow

log = logging.getLogger(__name__)

# Message subtypes that are our own edits or system notices, never a person's upload.
_IGNORED_SUBTYPES = {"message_changed", "message_deleted", "bot_message", "channel_join"}
# Every event listened to here only stores and enqueues: the web role may answer them at the
# door and let a worker run them (bot/inbox/).
STORED_EVENTS = frozenset({"message", "app_uninstalled", "tokens_revoked", "app_home_opened"})


def register(app: App, workflow: Workflow) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Our own uploads (a photo's preview) come back as file_share events from our bot
        # user: Bolt's self-event filter (on by default) drops them before this listener.
        subtype = event.get("subtype")
        if event.get("bot_id") or subtype in _IGNORED_SUBTYPES or not event.get("user"):
            return
        if subtype == "file_share" or event.get("files"):
            team, enterprise = str(body.get("team_id") or ""), body.get("enterprise_id")
            workflow.accept_file_share(event, body.get("event_id"), team, enterprise)
            return
        if event.get("channel_type") == "im" and not event.get("thread_ts"):
            if body.get("event_id") and not workflow.s.repo.record_event(body["event_id"]):
                return
            workflow.say(str(body.get("team_id") or ""), str(event.get("channel")), messages.plain_dm_text())

    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    def on_uninstalled(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens were revoked: the bot still works here
        team_id = str(body.get("team_id") or "")
        workflow.uninstall(team_id, body.get("enterprise_id"))

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], body: dict[str, Any]) -> None:
        team_id, user_id = str(body.get("team_id") or ""), event["user"]
        if event.get("tab") == "messages":
            if workflow.s.repo.mark_welcomed(team_id, user_id):
                workflow.say(team_id, event["channel"], messages.welcome_text())
            return
        workflow.s.repo.mark_home_seen(team_id, user_id)
        workflow.enqueue(refresh_home.spec(team_id, user_id))
