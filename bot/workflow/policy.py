"""The admins' side of the policy: the App Home section, the Policy modal and the audit CSV.

Admins are Slack's workspace admins and owners plus the people listed in the policy; every
step asks again when it runs, so a crafted payload from anyone else changes nothing and
leaves nothing in the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from storage import clock
from storage.audit import AuditEvent

from .. import messages
from ..audit.export import to_csv
from ..jobs.kinds import refresh_home
from ..policy import Policy
from ..policy.groups import workspace_groups
from ..policy.rules import window_start
from .approval import ApprovalSteps

log = logging.getLogger(__name__)

LATEST_AUDIT_SHOWN = 10


@dataclass
class PolicyForm:
    """The Policy modal's values, as the handler read them from the view's state."""

    who: str | None = None
    people: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    quota: str | None = None
    max_training: str | None = None
    approval: bool = False
    channel: str | None = None
    admins: list[str] | None = None  # None: the modal had no admins field


def _count(text: str | None, block: str, lowest: int, errors: dict[str, str]) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        errors[block] = "A whole number, please (or leave it empty for no limit)."
        return None
    if value < lowest:
        errors[block] = f"At least {lowest} (or leave it empty for no limit)."
        return None
    return value


def policy_from_form(form: PolicyForm) -> tuple[Policy | None, dict[str, str]]:
    """The policy the modal describes, or the errors to show next to its fields."""
    errors: dict[str, str] = {}
    who = form.who or "everyone"
    if who not in ("everyone", "listed", "groups"):
        errors[messages.BLOCK_POLICY_WHO] = "Choose who may create replicas."
    if who == "listed" and not form.people:
        errors[messages.BLOCK_POLICY_PEOPLE] = "List at least one person (or let everyone create)."
    if who == "groups" and not form.groups:
        errors[messages.BLOCK_POLICY_WHO] = "Choose at least one user group (or let everyone create)."
    quota = _count(form.quota, messages.BLOCK_POLICY_QUOTA, 0, errors)
    limit = _count(form.max_training, messages.BLOCK_POLICY_MAX_TRAINING, 1, errors)
    if form.approval and not form.channel:
        errors[messages.BLOCK_POLICY_CHANNEL] = "Choose the channel where approvers get the requests."
    if errors:
        return None, errors
    policy = Policy(
        who=who,  # type: ignore[arg-type]
        people=tuple(sorted(set(form.people))) if who == "listed" else (),
        groups=tuple(sorted(set(form.groups))) if who == "groups" else (),
        quota_per_person=quota,
        max_training=limit,
        approval=form.approval,
        approvers_channel=form.channel if form.approval else None,
    )
    return policy, {}


class PolicySteps(ApprovalSteps):
    def admin_blocks(self, team_id: str, user_id: str) -> list[dict[str, Any]] | None:
        """The App Home's admin sections (the OAuth workspace's Tavus key; the policy)."""
        if not self.is_admin(team_id, user_id):
            return None  # (not a refusal: everyone's Home is drawn, most without these)
        blocks = self.settings_blocks(team_id, user_id) or []
        stored = self.s.repo.policy_of(team_id)
        policy = Policy.from_json(stored.text if stored else None)
        since = window_start(clock.now()).isoformat(timespec="seconds")
        latest = [
            messages.audit_line(e.at, e.actor, e.action, e.subject)
            for e in self.s.repo.audit_entries(team_id=team_id, limit=LATEST_AUDIT_SHOWN)
        ]
        blocks += messages.policy_section(
            policy.as_dict(),
            (stored.changed_by, stored.changed_at) if stored else None,
            self.s.workspaces.extra_admins(team_id),
            self.s.repo.usage_by_person(team_id, since),
            list(reversed(latest)),  # newest first
        )
        return blocks

    def open_policy_modal(self, team_id: str, user_id: str, trigger_id: str) -> bool:
        if not self.is_admin(team_id, user_id):
            log.warning("event=policy_refused step=open team=%s user=%s", team_id, user_id)
            return False
        client = self.slack_for(team_id)
        modal = messages.policy_modal(
            self.policy_for(team_id).as_dict(), self.s.workspaces.extra_admins(team_id), workspace_groups(client)
        )
        client.views_open(trigger_id=trigger_id, view=modal)
        return True

    def save_policy(self, team_id: str, user_id: str, form: PolicyForm) -> dict[str, str] | None:
        """The Policy modal's submission: checked, saved with its audit entries. Returns the
        modal's field errors, if any."""
        if not self.is_admin(team_id, user_id):
            log.warning("event=policy_refused step=save team=%s user=%s", team_id, user_id)
            return {messages.BLOCK_POLICY_WHO: "Only workspace admins can change the policy."}
        policy, errors = policy_from_form(form)
        if policy is None:
            return errors
        before = self.policy_for(team_id)
        changes = policy.changes_from(before)
        if changes:
            audit = AuditEvent(team_id, "policy_changed", user_id, None, changes)
            self.s.repo.set_policy(team_id, policy.to_json(), user_id, audit)
            log.info("event=policy_changed team=%s user=%s fields=%s", team_id, user_id, ",".join(sorted(changes)))
        if form.admins is not None:
            self.set_admins(team_id, user_id, form.admins)
        self.enqueue(refresh_home.spec(team_id, user_id))
        return None

    def send_audit_csv(self, team_id: str, user_id: str) -> None:
        """The audit trail as a CSV file in the admin's DM (a worker job; admins only)."""
        if not self.is_admin(team_id, user_id):
            log.warning("event=policy_refused step=export team=%s user=%s", team_id, user_id)
            return
        entries = self.s.repo.audit_entries(team_id=team_id)
        client = self.slack_for(team_id)
        day = datetime.now(UTC).date().isoformat()
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        try:
            client.files_upload_v2(
                channel=dm,
                content=to_csv(entries),
                filename=f"replica-bot-audit-{team_id}-{day}.csv",
                title=f"Replica audit trail, {day}",
                initial_comment=f"The audit trail of this workspace: {len(entries)} entries, oldest first.",
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            log.warning("event=audit_export_failed team=%s error=%s", team_id, error)
            if error != "missing_scope":
                raise  # the job retries with backoff
            # An install from before the files:write scope: say so rather than fail in silence.
            client.chat_postMessage(channel=dm, text=messages.audit_csv_needs_scope_text())
            return
        log.info("event=audit_exported team=%s user=%s entries=%d", team_id, user_id, len(entries))
