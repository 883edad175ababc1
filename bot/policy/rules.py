"""A workspace's policy and the decision it makes about one request. Pure: the caller
supplies the facts (group membership, usage counted under the workspace's lock)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Who = Literal["everyone", "listed", "groups"]
WHO_CHOICES: tuple[Who, ...] = ("everyone", "listed", "groups")

QUOTA_WINDOW = timedelta(days=30)  # "per person per rolling 30 days"
APPROVAL_LAPSE = timedelta(days=7)  # an approval request (or approval) older than this lapses


@dataclass(frozen=True)
class Policy:
    who: Who = "everyone"
    people: tuple[str, ...] = ()  # Slack user ids, when who == "listed"
    groups: tuple[str, ...] = ()  # Slack user group ids, when who == "groups"
    quota_per_person: int | None = None  # replicas per person per QUOTA_WINDOW
    max_training: int | None = None  # replicas training at once in the workspace
    approval: bool = False
    approvers_channel: str | None = None

    def __post_init__(self) -> None:
        assert self.who in WHO_CHOICES, self.who

    @property
    def is_default(self) -> bool:
        return self == Policy()

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["people"], data["groups"] = list(self.people), list(self.groups)
        return data

    @classmethod
    def from_json(cls, text: str | None) -> Policy:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            who=data.get("who", "everyone"),
            people=tuple(data.get("people") or ()),
            groups=tuple(data.get("groups") or ()),
            quota_per_person=data.get("quota_per_person"),
            max_training=data.get("max_training"),
            approval=bool(data.get("approval")),
            approvers_channel=data.get("approvers_channel"),
        )

    def changes_from(self, before: Policy) -> dict[str, dict[str, Any]]:
        """{field: {"before": …, "after": …}} for the fields that differ (for the audit trail)."""
        old, new = before.as_dict(), self.as_dict()
        return {k: {"before": old[k], "after": new[k]} for k in new if old[k] != new[k]}


@dataclass(frozen=True)
class Usage:
    """Counted in one transaction under the workspace's lock."""

    created_in_window: list[str] = field(default_factory=list)  # timestamps, this person's, in QUOTA_WINDOW
    training_now: int = 0  # in the workspace, training or cleared and about to be


@dataclass(frozen=True)
class Refusal:
    code: str  # not_listed | not_in_group | quota | busy
    text: str  # what the person reads


def refusal_for(policy: Policy, user_id: str, in_groups: bool | None, usage: Usage, now: datetime) -> Refusal | None:
    """Why this person may not create a replica now, or None. `in_groups`: whether they are
    in one of the policy's user groups (None when the policy does not use groups)."""
    if policy.who == "listed" and user_id not in policy.people:
        return Refusal("not_listed", "you are not on this workspace's list of people who may create replicas")
    if policy.who == "groups" and not in_groups:
        return Refusal("not_in_group", "you are not in the allowed group" + ("s" if len(policy.groups) > 1 else ""))
    quota = policy.quota_per_person
    if quota is not None and len(usage.created_in_window) >= quota:
        if not usage.created_in_window:  # a quota of 0: nobody may create for now
            return Refusal("quota", "this workspace allows no new replicas per person at the moment")
        frees = min(datetime.fromisoformat(t) for t in usage.created_in_window) + QUOTA_WINDOW
        return Refusal(
            "quota",
            f"{len(usage.created_in_window)} of {quota} used in the last 30 days; "
            f"the next frees up on {frees.date().isoformat()}",
        )
    if policy.max_training is not None and usage.training_now >= policy.max_training:
        return Refusal(
            "busy",
            f"{usage.training_now} of {policy.max_training} replicas this workspace may train at once are "
            "training now; try again when one finishes (3–4 hours)",
        )
    return None


def window_start(now: datetime) -> datetime:
    return now - QUOTA_WINDOW
