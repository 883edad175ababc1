"""The batched reader: one fetch answers every key asked for while the previous one ran."""

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.read_batch import ReadBatcher
from tests.e2e.harness import wait_for


def test_keys_asked_for_while_a_fetch_runs_share_the_next_fetch() -> None:
    first_running, release_first = threading.Event(), threading.Event()
    calls: list[list[int]] = []

    def fetch(keys: list[int]) -> Mapping[int, str]:
        calls.append(keys)
        if len(calls) == 1:
            first_running.set()
            release_first.wait(5)
        return {k: f"v{k}" for k in keys}

    batcher: ReadBatcher[int, str] = ReadBatcher(fetch, name="test-reads")
    with ThreadPoolExecutor(max_workers=12) as pool:
        first = pool.submit(batcher.get, 0)
        assert first_running.wait(5)
        rest = [pool.submit(batcher.get, k % 5) for k in range(1, 11)]  # keys 1–4 and 0, twice each
        wait_for(lambda: batcher._queue.qsize() == 10, timeout=5, interval=0.005)  # all queued behind the running fetch
        release_first.set()
        assert first.result(5) == "v0"
        assert [f.result(5) for f in rest] == [f"v{k % 5}" for k in range(1, 11)]
    assert calls == [[0], [1, 2, 3, 4, 0]]  # the second fetch: each key once, in asking order
    assert batcher.queries == 2


def test_a_failed_fetch_fails_its_askers_and_the_reader_goes_on() -> None:
    fail = threading.Event()
    fail.set()

    def fetch(keys: list[str]) -> Mapping[str, int]:
        if fail.is_set():
            raise ConnectionError("database gone")
        return {k: len(k) for k in keys if k != "missing"}

    batcher: ReadBatcher[str, int] = ReadBatcher(fetch, name="test-reads")
    with pytest.raises(ConnectionError):
        batcher.get("abc")
    fail.clear()
    assert batcher.get("abcd") == 4  # the reading thread outlived the error
    with pytest.raises(KeyError):
        batcher.get("missing")  # a key the fetch left out is not answered with None
