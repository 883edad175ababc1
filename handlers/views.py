"""Modals: the replica name; for admins, the Tavus key, the policy and a denial's reason."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import messages
from bot.workflow import Workflow
from bot.workflow.policy import PolicyForm

from .payloads import ack_view, team_of


def _field(values: dict[str, Any], block: str) -> dict[str, Any]:
    return dict((values.get(block) or {}).get(messages.POLICY_INPUT) or {})


def policy_form(values: dict[str, Any]) -> PolicyForm:
    """The Policy modal's state.values, read into plain values (checked by the workflow)."""
    who = (_field(values, messages.BLOCK_POLICY_WHO).get("selected_option") or {}).get("value")
    groups = _field(values, messages.BLOCK_POLICY_GROUPS).get("selected_options") or []
    admins = (values.get(messages.BLOCK_POLICY_ADMINS) or {}).get(messages.POLICY_INPUT)
    return PolicyForm(
        who=str(who) if who else None,
        people=[str(u) for u in _field(values, messages.BLOCK_POLICY_PEOPLE).get("selected_users") or []],
        groups=[str(g.get("value")) for g in groups],
        quota=_field(values, messages.BLOCK_POLICY_QUOTA).get("value"),
        max_training=_field(values, messages.BLOCK_POLICY_MAX_TRAINING).get("value"),
        approval=bool(_field(values, messages.BLOCK_POLICY_APPROVAL).get("selected_options")),
        channel=_field(values, messages.BLOCK_POLICY_CHANNEL).get("selected_conversation") or None,
        admins=None if admins is None else [str(u) for u in admins.get("selected_users") or []],
    )


def register(app: App, workflow: Workflow) -> None:
    @app.view(messages.VIEW_NAME)
    def on_name(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        name = str(values[messages.BLOCK_NAME_INPUT][messages.ACTION_NAME_INPUT].get("value") or "")
        problem = workflow.rename_draft(str(view.get("private_metadata")), body["user"]["id"], name, team_of(body))
        ack_view(ack, {messages.BLOCK_NAME_INPUT: f"That name won't work: {problem}."} if problem else None)

    @app.view(messages.VIEW_TAVUS_KEY)
    def on_tavus_key(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        key = str(values.get(messages.BLOCK_TAVUS_KEY, {}).get(messages.ACTION_TAVUS_KEY_INPUT, {}).get("value") or "")
        ack_view(ack, workflow.save_settings(team_of(body), body["user"]["id"], key))  # checks the admin again

    @app.view(messages.VIEW_POLICY)
    def on_policy(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = policy_form(view["state"]["values"])
        ack_view(ack, workflow.save_policy(team_of(body), body["user"]["id"], form))  # checks the admin again

    @app.view(messages.VIEW_DENY)
    def on_deny(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = str(_field(view["state"]["values"], messages.BLOCK_DENY_REASON).get("value") or "")
        submission_id = str(view.get("private_metadata"))
        problem = workflow.deny(team_of(body), submission_id, body["user"]["id"], reason)  # checks the admin again
        ack_view(ack, {messages.BLOCK_DENY_REASON: problem} if problem else None)
