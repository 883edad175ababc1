"""The bot's Slack clients, and when a request may be sent again after a connection error.

slack-sdk's ConnectionErrorRetryHandler sends a request again after any connection error,
also after a reset or a close that came once the request had gone out: Slack may have acted
on it, and a message posted again is a second notice in the person's thread. Here such a
request is sent again only when doing it twice is harmless (a read, an edit, a Home tab);
a post raises instead, and the outbox looks in the thread before it posts again
(workflow/output.py). A request that never went out whole is always sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from .config import Settings

# Web API methods that add something each time they run.
ONCE_ONLY_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.upload",
        "files.completeUploadExternal",
    }
)
CONNECTION_RETRIES = 2
RATE_LIMIT_RETRIES = 3


def may_have_arrived(error: Exception) -> bool:
    """Whether the request may have reached Slack whole before `error`. urllib wraps every
    failure before the request is handed over (connecting, TLS, sending) in URLError; a
    failure while waiting for or reading the answer comes as it is."""
    return not isinstance(error, URLError)


def once_only_api_call(request: HttpRequest) -> bool:
    method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return method in ONCE_ONLY_METHODS


class ResendWhenHarmless(ConnectionErrorRetryHandler):
    """ConnectionErrorRetryHandler, except for a once-only request that may have arrived."""

    def __init__(self, max_retry_count: int, once_only: Callable[[HttpRequest], bool]):
        super().__init__(max_retry_count=max_retry_count)
        self._once_only = once_only

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return not (error is not None and may_have_arrived(error) and self._once_only(request))


def api_retry_handlers() -> list[RetryHandler]:
    return [
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ResendWhenHarmless(CONNECTION_RETRIES, once_only_api_call),
    ]


def reply_retry_handlers() -> list[RetryHandler]:
    """For posts to a command's `response_url`: each one is a message."""
    return [
        ResendWhenHarmless(CONNECTION_RETRIES, lambda request: True),
        RateLimitErrorRetryHandler(max_retry_count=2),
    ]


def make_slack_client(settings: Settings, token: str | None) -> WebClient:
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=15, retry_handlers=api_retry_handlers())
