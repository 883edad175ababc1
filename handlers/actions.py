"""Buttons and menus: in the photo thread, the delete confirmation, and App Home."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import messages
from bot.jobs.kinds import approve_request, delete_replica, export_audit, refresh_home
from bot.workflow import Workflow

from .payloads import team_of

log = logging.getLogger(__name__)

# The clicks whose listeners only store and enqueue: the web role may answer them at the door
# and let a worker run them (bot/inbox/). Not those that open a modal (a trigger_id lasts 3 s),
# nor the menus that only ack.
STORED_ACTIONS = frozenset(
    {
        messages.ACTION_CREATE,
        messages.ACTION_USE_FIXED,
        messages.ACTION_KEEP_MINE,
        messages.ACTION_CANCEL,
        messages.ACTION_DELETE,
        messages.ACTION_HOME_VOICE,
        messages.ACTION_EXPORT_AUDIT,
        messages.ACTION_APPROVE,
    }
)


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


def _channel(body: dict[str, Any]) -> str:
    container = body.get("container") or {}
    return str(container.get("channel_id") or (body.get("channel") or {}).get("id"))


def tell_clicker(workflow: Workflow, body: dict[str, Any], text: str) -> None:
    """An ephemeral answer to the person who clicked, sent by a worker."""
    thread_ts = (body.get("message") or {}).get("thread_ts")
    workflow.tell(team_of(body), _channel(body), body["user"]["id"], text, thread_ts)


def register(app: App, workflow: Workflow) -> None:
    # Each listener acks and does its quick storage step; Slack replies and slow work become
    # jobs that a worker runs, so the HTTP answer is never held up.
    @app.action(messages.ACTION_CREATE)
    def on_create(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        reply = workflow.request_create(
            str(action.get("value")), body["user"]["id"], chosen_voice(body), chosen_autofix(body), team_of(body)
        )
        if reply:
            tell_clicker(workflow, body, reply)

    @app.action(messages.ACTION_USE_FIXED)
    @app.action(messages.ACTION_KEEP_MINE)
    def on_version(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        version = "fixed" if action.get("action_id") == messages.ACTION_USE_FIXED else "original"
        reply = workflow.choose_version(str(action.get("value")), body["user"]["id"], version, team_of(body))
        if reply:
            tell_clicker(workflow, body, reply)

    @app.action(messages.ACTION_CANCEL)
    def on_cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        reply = workflow.request_cancel(str(action.get("value")), body["user"]["id"], team_of(body))
        if reply:
            tell_clicker(workflow, body, reply)

    @app.action(messages.ACTION_EDIT_NAME)
    def on_edit_name(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        sub = workflow.s.repo.get(str(action.get("value")))
        if sub is None or sub.user_id != body["user"]["id"] or sub.team_id != team_of(body):
            tell_clicker(workflow, body, "Only the person who uploaded this photo can rename it.")
            return
        modal = messages.name_modal(sub.id, sub.display_name)
        # A trigger_id lasts 3 seconds: the modal opens from here, not from a queued job.
        workflow.in_modal_pool(lambda: client.views_open(trigger_id=body["trigger_id"], view=modal))

    @app.action(messages.ACTION_DELETE)
    def on_delete(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        thread_ts = (body.get("message") or {}).get("thread_ts")
        spec = delete_replica.spec(
            team_of(body), body["user"]["id"], str(action.get("value")), _channel(body), thread_ts
        )
        workflow.enqueue(spec)

    @app.action(messages.ACTION_HOME_VOICE)
    def on_home_voice(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        chosen = str((action.get("selected_option") or {}).get("value") or "")
        voice = workflow.voices_for(team_of(body)).resolve(chosen)
        if voice:
            workflow.s.repo.set_voice(team_of(body), body["user"]["id"], voice)
            workflow.enqueue(refresh_home.spec(team_of(body), body["user"]["id"]))

    @app.action(messages.ACTION_OPEN_SETTINGS)
    def on_open_settings(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team, user, trigger = team_of(body), body["user"]["id"], body["trigger_id"]
        # users.info (is this an admin?) and views.open both run off the request thread.
        workflow.in_modal_pool(lambda: workflow.open_key_modal(team, user, trigger))

    @app.action(messages.ACTION_REMOVE_TAVUS_KEY)
    def on_remove_key(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team, user = team_of(body), body["user"]["id"]
        workflow.in_modal_pool(lambda: workflow.remove_tavus_key(team, user))

    # --- the policy (admins; each step checks the admin again where it runs) ----------------
    @app.action(messages.ACTION_OPEN_POLICY)
    def on_open_policy(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        team, user, trigger = team_of(body), body["user"]["id"], body["trigger_id"]
        workflow.in_modal_pool(lambda: workflow.open_policy_modal(team, user, trigger))

    @app.action(messages.ACTION_EXPORT_AUDIT)
    def on_export_audit(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        workflow.enqueue(export_audit.spec(team_of(body), body["user"]["id"]))

    @app.action(messages.ACTION_APPROVE)
    def on_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        spec = approve_request.spec(team_of(body), str(action.get("value")), body["user"]["id"], _channel(body))
        workflow.enqueue(spec)

    @app.action(messages.ACTION_DENY)
    def on_deny(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team, user, trigger = team_of(body), body["user"]["id"], body["trigger_id"]
        submission_id, channel = str(action.get("value")), _channel(body)

        def open_reason() -> None:
            problem = workflow.may_deny(team, submission_id, user)
            if problem:
                workflow.tell(team, channel, user, problem)
                return
            client.views_open(trigger_id=trigger, view=messages.deny_modal(submission_id))

        # (the admin check asks Slack; it and views.open run off the request thread, within 3 s)
        workflow.in_modal_pool(open_reason)

    # The choices inside the offer are read from state.values when "create" is pressed.
    for passive in (messages.ACTION_VOICE, messages.ACTION_AUTOFIX):
        app.action(passive)(lambda ack: ack())
