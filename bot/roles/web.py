"""The web role: verify Slack's requests, record them, enqueue their work, answer at once.

HTTP mode serves Bolt's WSGI adapter under waitress on `$PORT` (`/slack/events`) with a
`/healthz` that answers 200 only while the database answers, `/healthz/workers` that answers
200 only while a worker is alive and keeping up (bot/health/: for monitors, not load
balancers), and Tavus's training
callbacks (`/tavus/callback/<token>`, see bot/callbacks/); Socket Mode opens Slack's
WebSocket with the app-level token instead. Nothing here downloads, decodes, or calls Tavus
or S3: listeners write rows and jobs, and workers do the rest. Events and most clicks do
not even reach Bolt here: the door (bot/inbox/) verifies, stores and answers them, and a
worker runs them through Bolt.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from storage import Database, Repository
from storage.jobs import JobStore

from ..callbacks import CALLBACK_PATH, handle_callback
from ..callbacks.endpoint import MAX_BODY_BYTES
from ..config import Settings
from ..health import WorkerWatch
from ..inbox import Door
from ..traffic import RequestGauge

log = logging.getLogger(__name__)

HTTP_THREADS = 16


def wsgi_app(
    bolt_app: App,
    db: Database | None,
    gauge: RequestGauge | None = None,
    repo: Repository | None = None,
    door: Door | None = None,
    watch: WorkerWatch | None = None,
) -> Any:
    slack_handler = SlackRequestHandler(bolt_app, path="/slack/events")

    def slack(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if door is not None and environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/slack/events":
            answered = _at_the_door(door, environ, start_response)
            if answered is not None:
                return answered
        return slack_handler(environ, start_response)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO") or "")
        if path == "/healthz":
            healthy = db is None or db.ping()
            start_response("200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"ok" if healthy else b"database unreachable"]
        if path == "/healthz/workers" and watch is not None:
            return _workers_health(watch, start_response)
        if path.startswith(CALLBACK_PATH) and repo is not None:
            return _tavus_callback(environ, start_response, repo, path[len(CALLBACK_PATH) :])
        if gauge is None:
            return slack(environ, start_response)
        with gauge.request():  # this process's jobs hold back until this is answered
            return slack(environ, start_response)

    return application


def _at_the_door(door: Door, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Answer a request the door stores; otherwise None, with the body put back for Bolt."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    headers = {
        "content-type": str(environ.get("CONTENT_TYPE") or ""),
        "x-slack-request-timestamp": str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""),
        "x-slack-signature": str(environ.get("HTTP_X_SLACK_SIGNATURE") or ""),
        "x-slack-retry-num": str(environ.get("HTTP_X_SLACK_RETRY_NUM") or ""),
        "x-slack-retry-reason": str(environ.get("HTTP_X_SLACK_RETRY_REASON") or ""),
    }
    try:
        answer = door.answer(body, headers)
    except Exception as exc:  # not recorded: Slack sends an event again after a 5xx
        log.error("event=request_not_recorded error=%s", type(exc).__name__)
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"not recorded; try again"]
    if answer is None:
        return None
    start_response(
        f"{answer.status} {HTTPStatus(answer.status).phrase}",
        [("Content-Type", answer.content_type), ("Content-Length", str(len(answer.body)))],
    )
    return [answer.body]


def _workers_health(watch: WorkerWatch, start_response: Callable[..., Any]) -> Any:
    """200 while a worker is alive and due work has not waited past the backlog limit, else
    503; either way what waits for a worker, as JSON."""
    try:
        status = watch.check()
    except Exception as exc:
        log.warning("event=worker_health_failed error=%s", type(exc).__name__)
        start_response("503 Service Unavailable", [("Content-Type", "application/json")])
        return [json.dumps({"error": "database unreachable"}).encode()]
    limit = watch.backlog_alert_seconds
    backlogged = status.backlogged(limit)
    ok = status.healthy and not backlogged
    body = {**status.as_dict(), "backlogged": backlogged, "backlog_alert_seconds": limit}
    start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def _tavus_callback(environ: dict[str, Any], start_response: Callable[..., Any], repo: Repository, token: str) -> Any:
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")])
        return [b"POST only"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES + 1)) if length > 0 else b""
    if length > MAX_BODY_BYTES:
        body = b" " * (MAX_BODY_BYTES + 1)  # refused for its size; the rest is never read
    answer = handle_callback(repo, JobStore(repo.db), token, body)
    start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", [("Content-Type", "application/json")])
    return [json.dumps({"ok": answer.status < 300, "detail": answer.reason}).encode()]


class WebRole:
    def __init__(
        self,
        bolt_app: App,
        settings: Settings,
        repo: Repository,
        gauge: RequestGauge | None = None,
        door: Door | None = None,
        watch: WorkerWatch | None = None,
    ):
        self._app = bolt_app
        self._door = door
        self._watch = watch
        self._settings = settings
        self._repo = repo
        self._db = repo.db
        self._gauge = gauge
        self._stop: Callable[[], None] | None = None

    def start(self) -> WebRole:
        self._db.group_writes()  # a burst's acks share commits (storage/group_commit.py)
        self._db.warm(HTTP_THREADS)
        if self._settings.socket_mode:
            # Envelopes' `/replica status` answers are read on the listener threads, which then
            # share queries (storage/read_batch.py); over HTTP the door stores commands instead.
            self._repo.batch_latest_reads()
            self._start_socket_mode()
        else:
            self._start_http()
        return self

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()
        if self._stop is not None:
            self._stop()

    def _start_http(self) -> None:
        from .http_server import make_server

        app = wsgi_app(self._app, self._db, self._gauge, self._repo, self._door, self._watch)
        server = make_server(app, host="0.0.0.0", port=self._settings.port, threads=HTTP_THREADS, ident="replica-bot")
        threading.Thread(target=server.run, name="http", daemon=True).start()
        self._stop = server.close
        log.info("event=listening mode=http port=%d path=/slack/events", self._settings.port)

    def _start_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert self._settings.slack_app_token
        handler = SocketModeHandler(self._app, self._settings.slack_app_token)
        handler.connect()
        self._stop = handler.close
        log.info("event=listening mode=socket")
