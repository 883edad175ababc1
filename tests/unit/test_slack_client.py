"""The bot's Slack clients against a real socket that takes a request whole and then hangs
up without answering (Slack acted, its answer was lost): a post is not sent again, a read is."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.config import load_settings
from bot.inbox.follow_up import post_reply
from bot.slack_client import ResendWhenHarmless, make_slack_client, may_have_arrived, once_only_api_call


@dataclass
class HangingUpSlack:
    """Reads each request whole, then hangs up unanswered the first `hang_ups` times."""

    hang_ups: int
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                length = next(
                    int(v) for k, _, v in (line.partition(":") for line in lines) if k.lower() == "content-length"
                )
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests.append(lines[0].split()[1])
                if len(self.requests) <= self.hang_ups:
                    continue  # acted on, never answered
                answer = json.dumps({"ok": True, "messages": [], "ts": "1.2"}).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                    b"connection: close\r\n\r\n%s" % (len(answer), answer)
                )

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def slack() -> Iterator[HangingUpSlack]:
    server = HangingUpSlack(hang_ups=2)
    yield server
    server.close()


def client_for(server: HangingUpSlack) -> WebClient:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "TAVUS_API_KEY": "k", "S3_BUCKET": "b"}
    env["SLACK_API_URL"] = server.url
    return make_slack_client(load_settings(env), "xoxb-test")


def test_a_post_whose_answer_was_lost_is_not_sent_again(slack: HangingUpSlack) -> None:
    client = client_for(slack)
    with pytest.raises(OSError):  # the outbox takes it from here (it looks in the thread first)
        client.chat_postMessage(channel="D1", text="Your replica is ready")
    assert slack.requests == ["/api/chat.postMessage"]  # once: Slack may have posted it


def test_a_read_whose_answer_was_lost_is_asked_again(slack: HangingUpSlack) -> None:
    client = client_for(slack)
    assert client.conversations_replies(channel="D1", ts="1.1")["ok"]
    assert slack.requests == ["/api/conversations.replies"] * 3  # two hang-ups, then the answer


def test_a_reply_at_response_url_whose_answer_was_lost_is_not_sent_again(slack: HangingUpSlack) -> None:
    assert not post_reply(f"http://127.0.0.1:{slack.port}/commands/T1/1/abc", {"text": "Voice set"})
    assert slack.requests == ["/commands/T1/1/abc"]


def test_a_request_that_never_went_out_is_sent_again_even_a_post() -> None:
    handler = ResendWhenHarmless(2, once_only_api_call)
    post = HttpRequest(method="POST", url="https://slack.com/api/chat.postMessage", headers={}, data=b"")
    refused = URLError(ConnectionRefusedError(111, "Connection refused"))
    assert not may_have_arrived(refused)
    assert handler.can_retry(state=RetryState(), request=post, error=refused)
    assert not handler.can_retry(state=RetryState(), request=post, error=ConnectionResetError(104, "reset"))
    edit = HttpRequest(method="POST", url="https://slack.com/api/chat.update", headers={}, data=b"")
    assert handler.can_retry(state=RetryState(), request=edit, error=ConnectionResetError(104, "reset"))
