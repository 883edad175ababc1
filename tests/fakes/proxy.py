"""An HTTP reverse proxy that can be switched off: "S3 is unavailable for a while".

While down it answers 503 SlowDown in S3's XML error format; while up it forwards every
request (method, path, headers including Host, body) to the real server behind it.
"""

from __future__ import annotations

import httpx

from .http import FakeServer

_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class ToggleProxy(FakeServer):
    def __init__(self, target: str):
        super().__init__()
        self.target = target.rstrip("/")
        self.down = False
        self.refused = 0
        self._client = httpx.Client(timeout=30)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.down:
            with self.lock:
                self.refused += 1
            return 503, {"content-type": "application/xml"}, _SLOW_DOWN
        skip = {"content-length", "transfer-encoding", "connection"}
        forwarded = {k: v for k, v in headers.items() if k.lower() not in skip}
        response = self._client.request(method, self.target + path, headers=forwarded, content=body)
        drop = {"transfer-encoding", "connection", "content-encoding"}
        if method != "HEAD":
            drop.add("content-length")  # recomputed from the body we pass on
        keep = {k: v for k, v in response.headers.items() if k.lower() not in drop}
        return response.status_code, keep, response.content
