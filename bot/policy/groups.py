"""Slack user groups: whether a person is in one of the policy's groups, and the workspace's
groups for the Policy modal (both need the `usergroups:read` scope)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class GroupsUnknown(Exception):
    """Slack would not say who is in a group (a missing scope, a deleted group, an outage)."""


def in_any_group(client: WebClient, groups: Iterable[str], user_id: str) -> bool:
    """Asked at each decision (memberships change; the call is one per group)."""
    for group in groups:
        try:
            users = client.usergroups_users_list(usergroup=group).get("users") or []
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error == "no_such_subteam":
                continue  # a deleted group has no members
            raise GroupsUnknown(error) from exc
        if user_id in users:
            return True
    return False


def workspace_groups(client: WebClient) -> list[tuple[str, str]]:
    """(id, handle) of the workspace's user groups; empty when Slack will not list them."""
    try:
        found = client.usergroups_list().get("usergroups") or []
    except SlackApiError as exc:
        log.warning("event=usergroups_unavailable error=%s", exc.response.get("error"))
        return []
    return sorted((str(g["id"]), str(g.get("handle") or g.get("name") or g["id"])) for g in found)
