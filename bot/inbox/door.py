"""The door: which requests are stored and answered at once, and the storing itself; and
slash commands whose reply it computes itself, without Bolt.

Recorded before acknowledged still holds: the 200 goes out after the commit that holds the
request (one thread writes a burst's requests together, recorder.py).
Slack retries an event it got no 200 for; a retry while the first copy still waits is the
same job (its key is the event id), and one that comes later is dropped by the listener's
own event-id record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from storage.jobs import JobSpec, JobStore

from ..jobs.kinds import slack_request
from .recorder import Recorder

log = logging.getLogger(__name__)

# Slack's bodies are a few KB; anything larger is left to Bolt as it arrives.
MAX_STORED_BYTES = 256 * 1024
# An event gets as many tries as Slack itself would give it; a click is not retried by
# Slack either (the listener's own steps are compare-and-set, but its replies are not).
EVENT_ATTEMPTS = 3
ACTION_ATTEMPTS = 1
FORM = "application/x-www-form-urlencoded"  # slash commands and interactions


# A slash command's reply: its Slack fields in, the ack's JSON body out.
CommandReply = Callable[[Mapping[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Answer:
    """What the door answers with."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"


STORED = Answer(200)  # Slack reads no body here, as Bolt's empty ack
REFUSED = Answer(401, b'{"error": "invalid request"}', "application/json")


@dataclass(frozen=True)
class Deferral:
    """How a request that may wait is stored."""

    what: str  # "event:<type>" or "action:<action_id>", for the logs
    dedupe_key: str | None
    max_attempts: int


def deferral(body: str, content_type: str, events: frozenset[str], actions: frozenset[str]) -> Deferral | None:
    """Whether this request may be answered now and run later (pure): an event of a type in
    `events`, or a click on a button or menu in `actions`. Anything else, or anything not
    shaped as Slack sends it, is None: Bolt handles it (and answers it) as it arrives."""
    if content_type.startswith("application/json"):
        try:
            doc = json.loads(body)
        except ValueError:
            return None
        event = doc.get("event") if isinstance(doc, dict) and doc.get("type") == "event_callback" else None
        if not isinstance(event, dict) or event.get("type") not in events:
            return None
        event_id = doc.get("event_id")
        key = f"slack-event:{event_id}" if isinstance(event_id, str) and event_id else None
        return Deferral(f"event:{event['type']}", key, EVENT_ATTEMPTS)
    if content_type.startswith(FORM):
        return click_deferral(parse_qs(body), actions)
    return None


def click_deferral(fields: Mapping[str, list[str]], actions: Collection[str]) -> Deferral | None:
    """`deferral` for a form Slack sent (its parsed `fields`): a click in `actions`, or None."""
    payloads = fields.get("payload") or []
    try:
        doc = json.loads(payloads[0]) if len(payloads) == 1 else None
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("type") != "block_actions":
        return None
    clicked = doc.get("actions")
    if not isinstance(clicked, list) or not clicked:
        return None
    ids = [a.get("action_id") if isinstance(a, dict) else None for a in clicked]
    if not all(i in actions for i in ids):
        return None
    return Deferral(f"action:{ids[0]}", None, ACTION_ATTEMPTS)


def slash_command(fields: Mapping[str, list[str]], commands: Collection[str]) -> dict[str, str] | None:
    """The fields of a slash command named in `commands`, from a form's parsed `fields`
    (pure); None for anything else, Slack's `ssl_check` and clicks included."""
    names = fields.get("command") or []
    if len(names) != 1 or names[0] not in commands or "ssl_check" in fields or "payload" in fields:
        return None
    return {k: v[0] for k, v in fields.items()}


class Door:
    """Verifies, stores and answers the requests `deferral` picks, and answers the slash
    commands in `commands` with their reply; None for the others (Bolt's)."""

    def __init__(
        self,
        jobs: JobStore,
        signing_secret: str,
        events: frozenset[str],
        actions: frozenset[str],
        commands: Mapping[str, CommandReply] | None = None,
    ):
        # A burst's requests are stored by one thread, many per statement (recorder.py), in
        # the web role and the one-process bot alike. (The one-process bot used to store each
        # on its request thread; since a batch is one statement, alternating runs measured
        # per-burst p99 1.33–1.47× the bare app with the recorder against 1.41–1.88×.)
        self._record: Callable[[JobSpec], object] = Recorder(jobs).record
        self._verifier = SignatureVerifier(signing_secret)
        self._events = events
        self._actions = actions
        # Bolt's routing, middleware and context cost as much CPU as the reply itself: a
        # `/replica status` took 0.70 ms with 16 threads at once through Bolt, 0.40 ms here.
        self._commands = dict(commands or {})

    def answer(self, body: bytes, headers: Mapping[str, str]) -> Answer | None:
        """The answer, once the request is stored or replied to (200) or refused (401);
        None when Bolt should handle it. `headers` are lower-case."""
        if len(body) > MAX_STORED_BYTES:
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        content_type = headers.get("content-type", "")
        command, chosen = None, None
        if content_type.startswith(FORM):  # parsed once, for a command or a click
            fields = parse_qs(text, keep_blank_values=True)
            command = slash_command(fields, self._commands)
            if command is None:
                chosen = click_deferral(fields, self._actions)
        else:
            chosen = deferral(text, content_type, self._events, self._actions)
        if command is not None:
            what = f"command:{command['command']}"
        elif chosen is not None:
            what = chosen.what
        else:
            return None
        timestamp = headers.get("x-slack-request-timestamp", "")
        if not self._signed(body, timestamp, headers.get("x-slack-signature", "")):
            log.warning("event=request_refused reason=signature what=%s", what)
            return REFUSED
        if command is not None:
            reply = self._commands[command["command"]](command)
            return Answer(200, json.dumps(reply).encode(), "application/json")
        assert chosen is not None
        spec = slack_request.spec(
            text,
            content_type,
            retry_num=headers.get("x-slack-retry-num"),
            retry_reason=headers.get("x-slack-retry-reason"),
            dedupe_key=chosen.dedupe_key,
            max_attempts=chosen.max_attempts,
        )
        self._record(spec)  # the same event already waiting is answered alike
        return STORED

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except ValueError:  # no timestamp, or not a number: unsigned, as Bolt treats it
            return False
