"""Run the real bot process against local fakes, and talk to it exactly as Slack does."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-test-1234567890-secret"
SIGNING_SECRET = "test-signing-secret-8d1f"
TAVUS_KEY = "tavus-test-key-5be2"
AWS_KEY, AWS_SECRET = "AKIATESTKEY", "aws-test-secret-9f0a"
TEAM, CHANNEL, USER, OTHER_USER = "T1", "D0BOTDM1", "U0PERSON1", "U0STRANGER"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class BotProcess:
    """The real bot as a child process: `python -m bot` (all roles), or `web` / `worker`."""

    def __init__(self, env: dict[str, str], log_path: Path, role: str = "run"):
        self.env = env
        self.role = role
        self.port = int(env["PORT"])
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_start = 0
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def launch(self) -> BotProcess:
        """Start the process without waiting for it to be ready (see wait_ready)."""
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", self.role], cwd=REPO_ROOT, env=self.env, stdout=log, stderr=log
            )
        return self

    def wait_ready(self) -> BotProcess:
        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.logs()}")
            if self.role == "worker":  # no HTTP server: its log says when it takes jobs
                return "event=worker_ready" in self.logs()[self._log_start :]
            if self.env.get("SLACK_APP_TOKEN"):  # Socket Mode: no HTTP server either
                return "event=listening mode=socket" in self.logs()[self._log_start :]
            try:
                return self.http.get("/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=30)
        return self

    def start(self) -> BotProcess:
        return self.launch().wait_ready()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, like `kill -9` (and reap it, so its pid is gone)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(20)

    # --- requests as Slack sends them -----------------------------------------------------
    def submit_view(
        self, callback_id: str, values: dict[str, Any], user: str = USER, team: str = TEAM, metadata: str = ""
    ) -> httpx.Response:
        """A modal's view_submission, as Slack sends it when the person presses submit."""
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": "test"},
            "user": {"id": user, "username": "person", "team_id": team},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.4",
            "view": {
                "id": "VMODAL1",
                "team_id": team,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": metadata,
                "state": {"values": values},
            },
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post_signed(body, "application/x-www-form-urlencoded")

    def post_signed(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": content_type, **sign(body, timestamp), **(headers or {})}
        return self.http.post("/slack/events", content=body, headers=all_headers)

    def send_event(
        self, event: dict[str, Any], event_id: str, retry_num: int | None = None, team: str = TEAM
    ) -> httpx.Response:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(event_envelope(event, event_id, team)).encode()
        return self.post_signed(body, "application/json", headers)

    def send_command(self, text: str, user: str = USER, team: str = TEAM, timeout: float = 15) -> httpx.Response:
        """`/replica <text>`, and its reply: the ack when it carries one, else (the door stores
        commands) the first message a worker posts to the command's response_url, which lives
        at the fake Slack. Raises if neither comes within `timeout`."""
        key = uuid.uuid4().hex
        slack_base = self.env["SLACK_API_URL"].removesuffix("/").removesuffix("/api")
        hook = f"{slack_base}/commands/{key}"
        body = urlencode(command_form(text, user, team, response_url=hook)).encode()
        ack = self.post_signed(body, "application/x-www-form-urlencoded")
        if ack.status_code != 200 or ack.content.strip():
            return ack

        def replies() -> list[dict[str, Any]]:
            return list(httpx.get(hook, timeout=5).json()["replies"])

        return httpx.Response(200, json=wait_for(replies, timeout, interval=0.01)[0])

    def click(
        self,
        action_id: str,
        value: str,
        message_ts: str,
        user: str = USER,
        voice: str | None = None,
        thread_ts: str | None = None,
        team: str = TEAM,
    ) -> httpx.Response:
        payload = click_payload(action_id, value, message_ts, user, voice, thread_ts, team)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post_signed(body, "application/x-www-form-urlencoded")


# --- what Slack sends, the same over HTTP and over Socket Mode ------------------------------
def event_envelope(event: dict[str, Any], event_id: str, team: str = TEAM) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }


def command_form(
    text: str, user: str = USER, team: str = TEAM, response_url: str = "http://127.0.0.1:9/commands/never-used"
) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": team,
        "team_domain": "test",
        "channel_id": CHANNEL,
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": "person",
        "command": "/replica",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def click_payload(
    action_id: str,
    value: str,
    message_ts: str,
    user: str = USER,
    voice: str | None = None,
    thread_ts: str | None = None,
    team: str = TEAM,
) -> dict[str, Any]:
    """A button press in the offer (`voice`: the voice menu's choice at that moment)."""
    state: dict[str, Any] = {"values": {}}
    if voice:
        state["values"]["voice"] = {
            "voice_select": {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": voice}, "value": voice},
            }
        }
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "person", "team_id": team},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL, "is_ephemeral": False},
        "trigger_id": "1.2.3",
        "team": {"id": team, "domain": "test"},
        "channel": {"id": CHANNEL, "name": "directmessage"},
        "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "bot_id": "BBOT"},
        "state": state,
        "response_url": "http://127.0.0.1:9/actions/never-used",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "draft_actions",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def file_share_event(
    file_obj: dict[str, Any],
    ts: str,
    user: str = USER,
    channel_type: str = "im",
    channel: str = CHANNEL,
    extra_files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "file_share",
        "text": "",
        "user": user,
        "ts": ts,
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": ts,
        "files": [file_obj, *(extra_files or [])],
        "upload": False,
        "display_as_bot": False,
    }


def database_env(database_url: str) -> dict[str, str]:
    """The bot's database settings for a SQLite path or a PostgreSQL URL."""
    if "://" in database_url:
        return {"DATABASE_URL": database_url}
    return {"DATABASE_PATH": database_url}


def bot_env(tmp: Path, slack_api_url: str, tavus_url: str, s3_url: str, bucket: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TAVUS_", "AWS_", "S3_", "DATABASE_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        PORT=str(free_port()),
        TAVUS_API_KEY=TAVUS_KEY,
        TAVUS_API_URL=tavus_url,
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=s3_url,
        AWS_ACCESS_KEY_ID=AWS_KEY,
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        DATABASE_PATH=str(tmp / "bot.db"),
        POLL_INTERVAL_SECONDS="1",
        TAVUS_BACKOFF_SECONDS="0.05",
        RECONCILE_GRACE_SECONDS="3",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env
