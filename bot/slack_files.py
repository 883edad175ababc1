"""Download a file a person shared with the bot, without leaking the bot token.

The token is sent only to Slack's file hosts (or, when `SLACK_API_URL` points elsewhere,
as in tests, to that URL's host). Redirects are followed by hand, and only to hosts that
may see the token; the body is streamed and cut off at a size cap.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

import httpx

MAX_REDIRECTS = 3
SLACK_FILE_HOST_SUFFIXES = (".slack.com", ".slack-edge.com", ".slack-files.com")


class DownloadError(Exception):
    """The file could not be fetched safely; `reason` is a sentence for the person."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _origin(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.scheme, (parsed.netloc or "").lower()


class SlackFileDownloader:
    def __init__(self, bot_token: str, slack_api_url: str, max_bytes: int, timeout: float = 20.0):
        self._token = bot_token
        self._max_bytes = max_bytes
        api_scheme, api_netloc = _origin(slack_api_url)
        self._api_origin = (api_scheme, api_netloc)
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def may_send_token(self, url: str) -> bool:
        scheme, netloc = _origin(url)
        if (scheme, netloc) == self._api_origin:
            return True
        host = urlparse(url).hostname or ""
        return scheme == "https" and (host == "slack.com" or host.endswith(SLACK_FILE_HOST_SUFFIXES))

    def download(self, url: str, token: str | None = None) -> bytes:
        """`token`: the workspace's bot token (OAuth installs); the default one otherwise."""
        token = token or self._token
        for _ in range(MAX_REDIRECTS + 1):
            if not self.may_send_token(url):
                raise DownloadError(
                    "that file is hosted outside Slack, so I won't fetch it with my Slack "
                    "credentials. Please upload the photo directly into this DM."
                )
            with self._client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                return self._read(response)
        raise DownloadError("Slack redirected the download too many times; please try again.")

    def _read(self, response: httpx.Response) -> bytes:
        if response.status_code != 200:
            raise DownloadError(f"Slack answered {response.status_code} when I fetched the file.")
        # Without a valid token Slack answers 200 with its HTML login page.
        if response.headers.get("content-type", "").startswith("text/html"):
            raise DownloadError("Slack sent a web page instead of the file; I may lack access to it.")
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise DownloadError(self._too_large())
        chunks: list[bytes] = []
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > self._max_bytes:
                raise DownloadError(self._too_large())
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> str:
        return (
            f"the file is larger than {self._max_bytes / 1_000_000:.0f} MB; "
            "a headshot photo needs far less. Please send a smaller photo."
        )
