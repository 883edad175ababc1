"""Slack's request bodies, read the one way the door and the workers both need (pure).

The door reads them to decide what to store; a worker reads the stored copy again to find
where to answer a request it gives up, or the photo an upload event carries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

JSON = "application/json"  # Events API callbacks
FORM = "application/x-www-form-urlencoded"  # slash commands and interactions


def event_callback(body: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """An Events API callback's envelope and its event, or None for anything else."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    event = doc.get("event") if isinstance(doc, dict) and doc.get("type") == "event_callback" else None
    return (doc, event) if isinstance(event, dict) else None


def interaction(fields: Mapping[str, list[str]]) -> dict[str, Any] | None:
    """An interaction's payload (a click, a form submitted) from a form Slack sent, given
    its parsed `fields`; None when there is not exactly one payload of JSON."""
    payloads = fields.get("payload") or []
    try:
        doc = json.loads(payloads[0]) if len(payloads) == 1 else None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
