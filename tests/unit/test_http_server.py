"""The web role's waitress server: the I/O loop does not busy-wait on a response that its
request thread is still sending, and every response still gets out."""

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from bot.roles.http_server import make_server


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["PATH_INFO"].encode() * 50
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@contextmanager
def _serving(app: Any, threads: int) -> Iterator[int]:
    """`app` served on a loopback port (yielded) by a running server, closed afterwards."""
    server = make_server(app, "127.0.0.1", 0, threads)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield server.effective_port
    finally:
        server.close()


def test_a_connection_whose_request_thread_is_sending_does_not_ask_to_be_written() -> None:
    server = make_server(_app, "127.0.0.1", 0, 2)
    ours, theirs = socket.socketpair()
    try:
        channel = server.channel_class(server, ours, ("127.0.0.1", 1), server.adj, map={})
        assert not channel.writable()  # nothing to send
        channel.requests = [object()]  # a request thread is answering
        channel.total_outbufs_len = 10  # and has written part of its answer
        assert channel.writable()  # the lock is free: the I/O thread can send it
        holding, release = threading.Event(), threading.Event()

        def sender() -> None:  # the request thread, sending under the output lock
            with channel.outbuf_lock:
                holding.set()
                release.wait(5)

        thread = threading.Thread(target=sender)
        thread.start()
        holding.wait(5)
        assert not channel.writable()  # waitress's own answer here is True: a busy loop
        channel.will_close = True
        assert channel.writable()  # closing stays waitress's business
        channel.will_close = False
        release.set()
        thread.join(5)
        assert channel.writable()
    finally:
        theirs.close()
        server.close()


def test_every_request_of_a_burst_is_answered() -> None:
    def get(i: int) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", f"/r{i}")
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    with _serving(_app, 4) as port, ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(get, range(200)))
    assert answers == [(200, f"/r{i}".encode() * 50) for i in range(200)]


def test_a_response_larger_than_the_socket_takes_at_once_gets_out_whole() -> None:
    big = b"x" * (8 * 2**20)  # far more than a loopback socket's buffer

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", str(len(big)))])
        return [big[: len(big) // 2], big[len(big) // 2 :]]

    with _serving(app, 2) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/big")
        assert conn.getresponse().read() == big
        conn.close()


def test_what_the_socket_did_not_take_is_sent_while_the_request_thread_works_on() -> None:
    first = b"y" * (8 * 2**20)
    finish = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", str(len(first) + 1))])
        yield first  # more than the socket takes: the rest waits in waitress's buffer
        finish.wait(20)  # the request thread is busy with something else meanwhile
        yield b"!"

    with _serving(app, 2) as port:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/stream")
            response = conn.getresponse()
            started = time.monotonic()
            assert response.read(len(first)) == first  # all of it, before the last byte is written
            assert time.monotonic() - started < 5
            finish.set()
            assert response.read() == b"!"
            conn.close()
        finally:
            finish.set()  # never leave the request thread waiting
