"""A worker's side of the door: run a stored request through Bolt and our listeners.

The Bolt app used here skips request verification: the request was verified when it came
in, and its timestamp may since have grown older than the five minutes a live one may be.
Everything else — authorization, ignoring our own events, matching a listener — is Bolt's,
as for a request just received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from slack_bolt import App, BoltRequest


class Replayed(NamedTuple):
    """What Bolt answered a stored request with (the body of a slash command's ack is its reply)."""

    status: int
    body: str


class Replay:
    def __init__(self, app: App):
        self._app = app

    def __call__(self, stored: Mapping[str, Any]) -> Replayed:
        """Dispatch one stored request (a `slack_request` job's args)."""
        headers: dict[str, str | Sequence[str]] = {"content-type": [str(stored.get("content_type") or "")]}
        for name in ("x-slack-retry-num", "x-slack-retry-reason"):
            if stored.get(name):
                headers[name] = [str(stored[name])]
        response = self._app.dispatch(BoltRequest(body=str(stored["body"]), headers=headers))
        return Replayed(int(response.status), str(response.body or ""))
