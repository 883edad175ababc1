"""What the policy says to people: refusals, the approvers' request, the thread's news while
a request waits, and the admins' Policy section and modal. Pure functions."""

from __future__ import annotations

from typing import Any

from .base import ACTION_CANCEL, Message, context, escape, modal, section

__all__ = [
    "ACTION_APPROVE",
    "ACTION_DENY",
    "ACTION_EXPORT_AUDIT",
    "ACTION_OPEN_POLICY",
    "BLOCK_DENY_REASON",
    "BLOCK_POLICY_ADMINS",
    "BLOCK_POLICY_APPROVAL",
    "BLOCK_POLICY_CHANNEL",
    "BLOCK_POLICY_GROUPS",
    "BLOCK_POLICY_MAX_TRAINING",
    "BLOCK_POLICY_PEOPLE",
    "BLOCK_POLICY_QUOTA",
    "BLOCK_POLICY_WHO",
    "POLICY_INPUT",
    "VIEW_DENY",
    "VIEW_POLICY",
    "approval_decided_message",
    "audit_csv_needs_scope_text",
    "audit_line",
    "approval_request_message",
    "approved_thread_text",
    "awaiting_approval_message",
    "denied_thread_text",
    "deny_modal",
    "lapsed_thread_text",
    "policy_lines",
    "policy_modal",
    "policy_section",
    "refused_text",
]

ACTION_APPROVE = "approve_request"
ACTION_DENY = "deny_request"
ACTION_OPEN_POLICY = "open_policy"
ACTION_EXPORT_AUDIT = "export_audit_csv"
VIEW_DENY = "deny_reason_modal"
VIEW_POLICY = "policy_modal"
BLOCK_DENY_REASON = "deny_reason"
BLOCK_POLICY_WHO = "policy_who"
BLOCK_POLICY_PEOPLE = "policy_people"
BLOCK_POLICY_GROUPS = "policy_groups"
BLOCK_POLICY_QUOTA = "policy_quota"
BLOCK_POLICY_MAX_TRAINING = "policy_max_training"
BLOCK_POLICY_APPROVAL = "policy_approval"
BLOCK_POLICY_CHANNEL = "policy_channel"
BLOCK_POLICY_ADMINS = "policy_admins"
POLICY_INPUT = "value"  # every policy input's action_id (its block_id says which)

WHO_TEXT = {
    "everyone": "Everyone in the workspace",
    "listed": "Only the people listed",
    "groups": "Members of chosen user groups",
}


def _people(users: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"<@{u}>" for u in users[:20]) + ("…" if len(users) > 20 else "") if users else "nobody"


def _groups(groups: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"<!subteam^{g}>" for g in groups[:20]) if groups else "none chosen"


# --- the requester's thread -----------------------------------------------------------------
def refused_text(reason: str) -> str:
    return (
        f":no_entry: Nothing was created: {reason}. Your photo and choices are kept here; "
        "press the button again once that changes."
    )


def awaiting_approval_message(channel: str, replica_name: str | None, submission_id: str) -> Message:
    text = (
        f":hourglass_flowing_sand: Waiting for approval: I asked the approvers in <#{channel}> to approve "
        f"*{escape(replica_name or 'your replica')}*. You will hear here when someone decides; "
        "a request nobody answers lapses after 7 days. Nothing is sent to Tavus until it is approved."
    )
    withdraw = {
        "type": "button",
        "action_id": ACTION_CANCEL,
        "text": {"type": "plain_text", "text": "Withdraw the request"},
        "value": submission_id,
    }
    return Message(
        text,
        [
            section(text, block_id="awaiting_approval"),
            {"type": "actions", "block_id": "awaiting_actions", "elements": [withdraw]},
        ],
    )


def approved_thread_text(approver: str) -> str:
    return f":white_check_mark: <@{approver}> approved your request. Creating your replica now."


def denied_thread_text(approver: str, reason: str) -> str:
    return (
        f":no_entry: <@{approver}> denied your request: “{escape(reason)}”. Nothing was sent to Tavus and "
        "your photo was deleted. Upload a new photo to ask again."
    )


def lapsed_thread_text() -> str:
    return (
        ":hourglass: Nobody answered your approval request within 7 days, so it lapsed. "
        "Nothing was sent to Tavus; press the button again to ask again."
    )


# --- the approvers' channel -----------------------------------------------------------------
def _request_fields(requester: str, voice: str, outcome: str, sha256: str, name: str | None) -> str:
    return (
        f"*Requester:* <@{requester}>\n*Replica name:* {escape(name or '')}\n*Voice:* `{escape(voice)}`\n"
        f"*Photo checklist:* {escape(outcome)}\n*Photo SHA-256:* `{sha256}`"
    )


def approval_request_message(
    submission_id: str, requester: str, voice: str, outcome: str, sha256: str, name: str | None
) -> Message:
    """Posted in the approvers channel; the buttons carry only the submission id."""
    text = f"<@{requester}> asks to create a Tavus replica of their likeness."
    return Message(
        text,
        [
            section(f":raising_hand: {text}"),
            section(_request_fields(requester, voice, outcome, sha256, name), block_id="request"),
            {
                "type": "actions",
                "block_id": "approval_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_APPROVE,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Approve"},
                        "value": submission_id,
                    },
                    {
                        "type": "button",
                        "action_id": ACTION_DENY,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Deny"},
                        "value": submission_id,
                    },
                ],
            },
            context("Admins decide; nobody can approve their own request. Requests lapse after 7 days."),
        ],
    )


def approval_decided_message(
    requester: str, voice: str, outcome: str, sha256: str, name: str | None, decision: str
) -> Message:
    """The approvers' message once decided: the buttons are gone, the decision shown."""
    text = f"Replica request from <@{requester}>: {decision}"
    return Message(
        text,
        [section(text, block_id="decision"), section(_request_fields(requester, voice, outcome, sha256, name))],
    )


def deny_modal(submission_id: str) -> dict[str, Any]:
    reason = {
        "type": "input",
        "block_id": BLOCK_DENY_REASON,
        "label": {"type": "plain_text", "text": "Reason (the requester sees it)"},
        "element": {
            "type": "plain_text_input",
            "action_id": POLICY_INPUT,
            "multiline": True,
            "min_length": 3,
            "max_length": 500,
        },
    }
    return modal(VIEW_DENY, "Deny the request", [reason], submit="Deny", metadata=submission_id)


# --- the admins' App Home section -----------------------------------------------------------
def policy_lines(policy: dict[str, Any]) -> list[str]:
    who = WHO_TEXT[policy["who"]]
    if policy["who"] == "listed":
        who += f": {_people(policy['people'])}"
    elif policy["who"] == "groups":
        who += f": {_groups(policy['groups'])}"
    quota = policy["quota_per_person"]
    limit = policy["max_training"]
    approval = f"on, requests go to <#{policy['approvers_channel']}>" if policy["approval"] else "off"
    return [
        f"*Who may create:* {who}",
        f"*Per person:* {'no limit' if quota is None else f'{quota} per 30 days'}",
        f"*Training at once:* {'no limit' if limit is None else limit}",
        f"*Approval:* {approval}",
    ]


def policy_section(
    policy: dict[str, Any],
    changed: tuple[str, str] | None,
    admins: list[str],
    usage: list[tuple[str, int]],
    latest: list[str],
) -> list[dict[str, Any]]:
    """Admins only: the policy, who changed it, per-person usage and the latest audit entries."""
    changed_line = f"Last changed by <@{changed[0]}> on {changed[1][:10]}." if changed else "Never changed."
    used = "\n".join(f"<@{u}>: {n}" for u, n in usage[:15]) or "No replicas in the last 30 days."
    trail = "\n".join(latest) or "Nothing recorded yet."
    return [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Policy (admins)"}},
        section("\n".join(policy_lines(policy)), block_id="policy_summary"),
        context(f"{changed_line} Admins besides Slack's admins and owners: {_people(admins)}."),
        {
            "type": "actions",
            "block_id": "policy_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_OPEN_POLICY,
                    "text": {"type": "plain_text", "text": "Edit policy"},
                },
                {
                    "type": "button",
                    "action_id": ACTION_EXPORT_AUDIT,
                    "text": {"type": "plain_text", "text": "Send me the audit trail (CSV)"},
                },
            ],
        },
        section(f"*Replicas per person, last 30 days*\n{used}", block_id="policy_usage"),
        section(f"*Latest audit entries*\n{trail}", block_id="policy_audit"),
    ]


def audit_line(at: str, actor: str, action: str, subject: str | None) -> str:
    who = actor if actor in ("replica-bot", "tavus", "slack") else f"<@{actor}>"
    return f"`{at[:16].replace('T', ' ')}` {who} {action.replace('_', ' ')}" + (
        f" `{escape(subject)}`" if subject else ""
    )


def audit_csv_needs_scope_text() -> str:
    return (
        "I could not send the audit trail as a file: this install of the app lacks the `files:write` "
        "scope. Reinstall the app from its current manifest, or run `replica-bot audit` on the server."
    )


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": POLICY_INPUT},
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def policy_modal(policy: dict[str, Any], admins: list[str], groups: list[tuple[str, str]]) -> dict[str, Any]:
    """The Policy modal. `groups`: the workspace's user groups (id, name), if Slack gave them."""
    who_options = [_option(k, v) for k, v in WHO_TEXT.items()]
    who: dict[str, Any] = {"type": "radio_buttons", "options": who_options}
    who["initial_option"] = next(o for o in who_options if o["value"] == policy["who"])
    people: dict[str, Any] = {"type": "multi_users_select"}
    if policy["people"]:
        people["initial_users"] = list(policy["people"])
    blocks: list[dict[str, Any]] = [
        _input(BLOCK_POLICY_WHO, "Who may create replicas", who),
        _input(BLOCK_POLICY_PEOPLE, "People (when only the people listed may)", people),
    ]
    if groups:
        group_options = [_option(gid, f"@{name}") for gid, name in groups[:100]]
        select: dict[str, Any] = {"type": "multi_static_select", "options": group_options}
        chosen = [o for o in group_options if o["value"] in policy["groups"]]
        if chosen:
            select["initial_options"] = chosen
        blocks.append(_input(BLOCK_POLICY_GROUPS, "User groups (when members of groups may)", select))
    else:
        blocks.append(context("User groups: Slack listed none here (or I lack the usergroups:read scope)."))
    quota: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": False, "min_value": "0"}
    if policy["quota_per_person"] is not None:
        quota["initial_value"] = str(policy["quota_per_person"])
    limit: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": False, "min_value": "1"}
    if policy["max_training"] is not None:
        limit["initial_value"] = str(policy["max_training"])
    approval_option = _option("on", "Someone must approve each replica")
    approval: dict[str, Any] = {"type": "checkboxes", "options": [approval_option]}
    if policy["approval"]:
        approval["initial_options"] = [approval_option]
    channel: dict[str, Any] = {"type": "conversations_select", "filter": {"include": ["public", "private"]}}
    if policy["approvers_channel"]:
        channel["initial_conversation"] = policy["approvers_channel"]
    admin_select: dict[str, Any] = {"type": "multi_users_select"}
    if admins:
        admin_select["initial_users"] = admins
    blocks += [
        _input(BLOCK_POLICY_QUOTA, "Replicas per person per 30 days", quota, "Empty: no limit."),
        _input(BLOCK_POLICY_MAX_TRAINING, "Replicas training at once (workspace)", limit, "Empty: no limit."),
        _input(BLOCK_POLICY_APPROVAL, "Approval", approval),
        _input(BLOCK_POLICY_CHANNEL, "Approvers channel", channel, "Invite me to it; requests are posted there."),
        _input(
            BLOCK_POLICY_ADMINS,
            "Also admins here",
            admin_select,
            "Besides Slack's workspace admins and owners, these people may change settings and approve.",
        ),
    ]
    return modal(VIEW_POLICY, "Replica policy", blocks)
