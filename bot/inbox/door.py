"""The door: which requests are stored and answered at once, and the storing itself.

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
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from storage.jobs import JobSpec, JobStore

from ..jobs.kinds import slack_request
from ..messages.commands import no_worker_text
from .bodies import FORM, JSON, event_callback, interaction
from .recorder import Recorder
from .uploads import Upload, photo_upload

log = logging.getLogger(__name__)

# Slack's bodies are a few KB; anything larger is left to Bolt as it arrives.
MAX_STORED_BYTES = 256 * 1024
# An event gets as many tries as Slack itself would give it; a click or a command is not
# retried by Slack either (the listeners' own steps are compare-and-set, but replies are not).
EVENT_ATTEMPTS = 3
ACTION_ATTEMPTS = 1
COMMAND_ATTEMPTS = 1


@dataclass(frozen=True)
class Answer:
    """What the door answers with."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"


STORED = Answer(200)  # Slack reads no body here, as Bolt's empty ack
REFUSED = Answer(401, b'{"error": "invalid request"}', "application/json")
# A command stored while no worker runs: said at once, instead of a silence until one starts.
STORED_NO_WORKER = Answer(200, json.dumps({"response_type": "ephemeral", "text": no_worker_text()}).encode(), JSON)


@dataclass(frozen=True)
class Deferral:
    """How a request that may wait is stored."""

    what: str  # "event:<type>", "action:<action_id>" or "command:<name>", for the logs
    dedupe_key: str | None
    max_attempts: int
    response_url: str | None = None  # a command's: where its worker posts the reply


def deferral(
    body: str,
    content_type: str,
    events: frozenset[str],
    actions: frozenset[str],
    commands: frozenset[str] = frozenset(),
) -> Deferral | None:
    """Whether this request may be answered now and run later (pure): an event of a type in
    `events`, a click on a button or menu in `actions`, or a slash command in `commands`.
    Anything else, or anything not shaped as Slack sends it, is None: Bolt handles it (and
    answers it) as it arrives."""
    if content_type.startswith(JSON):
        callback = event_callback(body)
        if callback is None or callback[1].get("type") not in events:
            return None
        doc, event = callback
        event_id = doc.get("event_id")
        key = f"slack-event:{event_id}" if isinstance(event_id, str) and event_id else None
        return Deferral(f"event:{event['type']}", key, EVENT_ATTEMPTS)
    if content_type.startswith(FORM):
        fields = parse_qs(body, keep_blank_values=True)
        return command_deferral(fields, commands) or click_deferral(fields, actions)
    return None


def click_deferral(fields: Mapping[str, list[str]], actions: Collection[str]) -> Deferral | None:
    """`deferral` for a form Slack sent (its parsed `fields`): a click in `actions`, or None."""
    doc = interaction(fields)
    if doc is None or doc.get("type") != "block_actions":
        return None
    clicked = doc.get("actions")
    if not isinstance(clicked, list) or not clicked:
        return None
    ids = [a.get("action_id") if isinstance(a, dict) else None for a in clicked]
    if not all(i in actions for i in ids):
        return None
    return Deferral(f"action:{ids[0]}", None, ACTION_ATTEMPTS)


def command_deferral(fields: Mapping[str, list[str]], commands: Collection[str]) -> Deferral | None:
    """`deferral` for a form Slack sent: a slash command named in `commands` that carries a
    `response_url` (where its worker posts the reply), or None. Slack's `ssl_check` is None:
    Bolt answers it."""
    names = fields.get("command") or []
    if len(names) != 1 or names[0] not in commands or "ssl_check" in fields or "payload" in fields:
        return None
    urls = fields.get("response_url") or []
    if len(urls) != 1 or not urls[0].startswith(("https://", "http://")):
        return None
    return Deferral(f"command:{names[0]}", None, COMMAND_ATTEMPTS, urls[0])


class Door:
    """Verifies, stores and answers the requests `deferral` picks; None for the others (Bolt's)."""

    def __init__(
        self,
        jobs: JobStore,
        signing_secret: str,
        events: frozenset[str],
        actions: frozenset[str],
        commands: frozenset[str] = frozenset(),
        workers_alive: Callable[[], bool] | None = None,
        upload_waits: Callable[[Upload], None] | None = None,
    ):
        # A burst's requests are stored by one thread, many per statement (recorder.py), in
        # the web role and the one-process bot alike. (The one-process bot used to store each
        # on its request thread; since a batch is one statement, alternating runs measured
        # per-burst p99 1.33–1.47× the bare app with the recorder against 1.41–1.88×.)
        self._record: Callable[[JobSpec], object] = Recorder(jobs).record
        self._verifier = SignatureVerifier(signing_secret)
        self._events = events
        self._actions = actions
        # A slash command's reply reads the database (`/replica status` lists rows), and under
        # a burst on PostgreSQL that read's wait for a connection cost the web role its p99
        # (README, issue 10): a worker computes the reply and posts it to `response_url`.
        self._commands = commands
        # A web role's watch on workers (bot/health/); None where this process runs jobs itself.
        self._workers_alive = workers_alive
        # Told (quickly: it hands the work off) of a photo stored while no worker is alive,
        # so the person hears it waits rather than nothing (the ack of an event shows nothing).
        self._upload_waits = upload_waits

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
        chosen = deferral(text, content_type, self._events, self._actions, self._commands)
        if chosen is None:
            return None
        timestamp = headers.get("x-slack-request-timestamp", "")
        if not self._signed(body, timestamp, headers.get("x-slack-signature", "")):
            log.warning("event=request_refused reason=signature what=%s", chosen.what)
            return REFUSED
        spec = slack_request.spec(
            text,
            content_type,
            retry_num=headers.get("x-slack-retry-num"),
            retry_reason=headers.get("x-slack-retry-reason"),
            dedupe_key=chosen.dedupe_key,
            max_attempts=chosen.max_attempts,
            response_url=chosen.response_url,
        )
        self._record(spec)  # the same event already waiting is answered alike
        if self._workers_alive is None:
            return STORED  # this process runs the jobs itself
        if chosen.response_url is not None:
            if self._workers_alive():
                return STORED
            log.warning("event=command_stored_without_worker what=%s", chosen.what)
            return STORED_NO_WORKER
        waits = self._upload_waits
        if waits is None or headers.get("x-slack-retry-num") or self._workers_alive():
            return STORED  # (a retry: its first copy was told)
        upload = photo_upload({"body": text, "content_type": content_type})
        if upload is not None:
            log.warning("event=upload_stored_without_worker event_id=%s", upload.event_id)
            waits(upload)
        return STORED

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except ValueError:  # no timestamp, or not a number: unsigned, as Bolt treats it
            return False
