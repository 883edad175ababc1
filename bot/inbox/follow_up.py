"""A stored slash command's reply, posted where Slack said to: the command's `response_url`.

The door answered the command with an empty 200 (Slack shows nothing); the worker that ran
it through Bolt posts the ack's body — the ephemeral reply — to `response_url`, which Slack
honours for 30 minutes. The URL is a credential of sorts (anyone holding it can post into the
person's view), so it is never logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.webhook import WebhookClient

from ..slack_client import reply_retry_handlers

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


def reply_body(ack_body: str) -> dict[str, Any] | None:
    """What to post for an ack's body (pure): its JSON as is, plain text as an ephemeral
    message, nothing for an empty ack (the listener, or Bolt, answered some other way)."""
    if not ack_body.strip():
        return None
    try:
        doc = json.loads(ack_body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return {"text": ack_body, "response_type": "ephemeral"}
    return {"response_type": "ephemeral", **doc}


def post_reply(response_url: str, body: Mapping[str, Any]) -> bool:
    """Post one reply; False (logged) when Slack turned it down or could not be reached.
    Not raised: the command's own steps are done, and running it again would repeat them."""
    client = WebhookClient(
        response_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=reply_retry_handlers(),
    )
    try:
        response = client.send_dict(dict(body))
    except Exception as exc:  # connection refused, timed out after the retries
        log.warning("event=command_reply_failed error=%s", type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("event=command_reply_failed status=%d body=%s", response.status_code, response.body[:100])
        return False
    return True
