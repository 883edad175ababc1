"""A tiny threaded HTTP server base for the local fakes (loopback only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_UP = 0  # a `handle` status: close the connection without answering


class FakeServer:
    """Owns a ThreadingHTTPServer on 127.0.0.1 and routes requests to `handle`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _dispatch(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:
                    # The client died mid-request (a SIGKILLed bot): like a real server, act
                    # on nothing — a cut form body would otherwise read as a call missing fields.
                    self.close_connection = True
                    return
                status, headers, payload = outer.handle(self.command, self.path, dict(self.headers), body)
                if status == HANG_UP:  # acted on, and the answer is lost on the way back
                    self.close_connection = True
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if self.command == "HEAD":  # headers only; keep the length the server gave
                    self.end_headers()
                    return
                if not isinstance(payload, bytes):  # a stream: chunked, without a length
                    self._stream(payload)
                    return
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, chunks: Iterable[bytes]) -> None:
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client stopped reading: fine

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _dispatch

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hangs up (a killed bot) is not a test failure

        self.httpd = QuietServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[0], self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        """Answer (status, headers, body); a body that is not bytes is streamed in chunks."""
        raise NotImplementedError


def json_response(status: int, data: Any, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json", **(extra or {})}, json.dumps(data).encode()
