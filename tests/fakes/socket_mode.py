"""A fake of Slack's Socket Mode: the WebSocket the app connects to, on 127.0.0.1.

The app asks the Web API for a URL (`apps.connections.open`, answered by FakeSlack with
`url_for_connection`), connects, and gets a `hello`. Envelopes then carry what HTTP mode
would POST: `events_api`, `slash_commands`, `interactive`, each with an `envelope_id` the
app must acknowledge — slash commands with the response payload. `disconnect` asks the app
to reconnect (Slack does this every few hours); envelopes not acknowledged on a connection
are delivered again after a reconnect, with `retry_attempt` raised.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    acked: threading.Event = field(default_factory=threading.Event)
    ack: dict[str, Any] | None = None

    def message(self) -> str:
        return json.dumps(
            {
                "envelope_id": self.envelope_id,
                "type": self.type,
                "payload": self.payload,
                "accepts_response_payload": self.accepts_response_payload,
                "retry_attempt": self.retry_attempt,
                "retry_reason": "timeout" if self.retry_attempt else "",
            }
        )


class FakeSocketMode:
    def __init__(self, app_token: str):
        self.app_token = app_token
        self.tickets: set[str] = set()
        self.connections: list[ServerConnection] = []
        self.connects = 0  # how many times the app connected (reconnects included)
        self.envelopes: dict[str, Envelope] = {}
        self.lock = threading.Lock()
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def url_for_connection(self) -> str:
        """What apps.connections.open answers: a one-time URL."""
        ticket = secrets.token_hex(8)
        with self.lock:
            self.tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"

    # --- the WebSocket ------------------------------------------------------------------
    def _handle(self, conn: ServerConnection) -> None:
        ticket = (conn.request.path.split("ticket=", 1) + [""])[1] if conn.request else ""
        with self.lock:
            if ticket not in self.tickets:
                conn.close(code=1008, reason="invalid ticket")
                return
            self.tickets.discard(ticket)
            self.connections.append(conn)
            self.connects += 1
            pending = [e for e in self.envelopes.values() if not e.acked.is_set()]
        conn.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        for envelope in pending:  # not acknowledged on the last connection: delivered again
            envelope.retry_attempt += 1
            conn.send(envelope.message())
        try:
            for raw in conn:
                self._on_message(raw if isinstance(raw, str) else raw.decode())
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                if conn in self.connections:
                    self.connections.remove(conn)

    def _on_message(self, raw: str) -> None:
        data = json.loads(raw)
        envelope = self.envelopes.get(str(data.get("envelope_id")))
        if envelope is not None and not envelope.acked.is_set():
            envelope.ack = data
            envelope.acked.set()

    # --- test controls ------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        with self.lock:
            return bool(self.connections)

    def deliver(self, kind: str, payload: dict[str, Any], accepts_response_payload: bool = False) -> Envelope:
        envelope = Envelope(secrets.token_hex(12), kind, payload, accepts_response_payload)
        with self.lock:
            self.envelopes[envelope.envelope_id] = envelope
            conn = self.connections[-1]
        conn.send(envelope.message())
        return envelope

    def ask_to_reconnect(self) -> None:
        with self.lock:
            conn = self.connections[-1]
        conn.send(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))

    def wait_ack(self, envelope: Envelope, timeout: float = 10) -> dict[str, Any]:
        if not envelope.acked.wait(timeout):
            raise AssertionError(f"envelope {envelope.type} was not acknowledged within {timeout}s")
        return envelope.ack or {}

    def wait_connects(self, count: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connects >= count and self.connected:
                return
            time.sleep(0.05)
        raise AssertionError(f"the app connected {self.connects} times, expected {count}")
