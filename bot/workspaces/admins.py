"""Who administers a workspace: Slack's own admins and owners (users.info / users.list)."""

from __future__ import annotations

import threading
import time
from typing import Any

from slack_sdk import WebClient

ADMIN_CACHE_SECONDS = 60.0  # a demoted admin loses the settings within a minute
MAX_LISTED_ADMINS = 10


def is_slack_admin(user: dict[str, Any]) -> bool:
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")) and not user.get(
        "deleted"
    )


class AdminDirectory:
    def __init__(self, clock: Any = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    def is_admin(self, client: WebClient, team_id: str, user_id: str) -> bool:
        """Asked of Slack (users.info), remembered a minute; any failure means no."""
        now = self._clock()
        with self._lock:
            cached = self._known.get((team_id, user_id))
        if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except Exception:  # Slack unreachable: not an admin for now (never a reason to allow)
            return False
        answer = is_slack_admin(user) and str(user.get("team_id") or team_id) == team_id
        with self._lock:
            self._known[(team_id, user_id)] = (now, answer)
        return answer

    @staticmethod
    def admins(client: WebClient) -> list[str]:
        """Up to ten admins or owners of the workspace (users.list, paged)."""
        found: list[str] = []
        cursor = None
        for _ in range(20):  # at most 20 pages of 200 people
            page = client.users_list(limit=200, cursor=cursor) if cursor else client.users_list(limit=200)
            for member in page.get("members") or []:
                if is_slack_admin(member) and not member.get("is_bot"):
                    found.append(str(member["id"]))
                    if len(found) >= MAX_LISTED_ADMINS:
                        return found
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found
