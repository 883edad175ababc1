"""The stock-voice catalog: Tavus's `GET /v2/voices`, kept in the database for every process.

A worker fetches the list (all pages) now and then and stores it; every process reads the
stored list, so the web role answers `/replica voices` without calling Tavus. Before the
first fetch, or when Tavus cannot be reached, the documented example slugs stand in.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from storage import Repository, clock

from .tavus import TavusError, Voice

log = logging.getLogger(__name__)

# The example slugs in Tavus's docs; used when the live list cannot be fetched.
FALLBACK_VOICES = ("anna", "benjamin", "ivy", "james", "julia", "liam")
CACHE_SECONDS = 3600.0  # how old the stored list may get before a worker fetches it again
READ_TTL_SECONDS = 2.0  # how long a process reuses what it read from the database


def account_of(api_key: str) -> str:
    """Names a Tavus account in storage without storing its key."""
    return "tavus:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def no_voices() -> list[Voice]:
    """The fetch of a workspace with no Tavus key: the documented stock voices are offered."""
    raise TavusError(None, "no Tavus key is connected for this workspace")


class VoiceCatalog:
    def __init__(
        self,
        fetch: Callable[[], list[Voice]],
        repo: Repository,
        account: str,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._fetch = fetch
        self._repo = repo
        self._account = account
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Voice], bool] | None = None  # read at, voices, live
        self._refreshing = False

    # --- fetching (workers) -------------------------------------------------------------
    def refresh(self) -> bool:
        """Fetch the live list now and store it; keep the stored list if Tavus cannot be reached."""
        with self._lock:
            if self._refreshing:  # one fetch at a time in this process
                return False
            self._refreshing = True
        try:
            voices = self._fetch()
        except TavusError as exc:
            log.warning("event=voices_fetch_failed error=%s", exc)
            return False
        finally:
            with self._lock:
                self._refreshing = False
        if voices:
            self._repo.save_voices(self._account, [asdict(v) for v in voices])
            with self._lock:
                self._cached = None
        log.info("event=voices_fetched count=%d", len(voices))
        return True

    def refresh_if_stale(self) -> bool:
        stored = self._repo.load_voices(self._account)
        if stored is not None and _age_seconds(stored[1]) < CACHE_SECONDS:
            return False
        return self.refresh()

    # --- reading (every process) --------------------------------------------------------
    def _current(self) -> tuple[list[Voice], bool]:
        with self._lock:
            if self._cached and self._clock() - self._cached[0] < READ_TTL_SECONDS:
                return self._cached[1], self._cached[2]
        stored = self._repo.load_voices(self._account)
        if stored and stored[0]:
            voices = sorted((Voice(**v) for v in stored[0]), key=lambda v: v.voice_name.lower())
            live = True
        else:
            voices, live = [Voice(v) for v in FALLBACK_VOICES], False
        with self._lock:
            self._cached = (self._clock(), voices, live)
        return voices, live

    @property
    def is_live(self) -> bool:
        return self._current()[1]

    def voices(self) -> list[Voice]:
        return list(self._current()[0])

    def names(self) -> list[str]:
        return [v.voice_name for v in self.voices()]

    def resolve(self, slug: str) -> str | None:
        """The catalog's spelling of a slug, matched case-insensitively; None if unknown."""
        wanted = slug.strip().lower()
        for name in self.names():
            if name.lower() == wanted:
                return name
        return None

    def suggest(self, slug: str, limit: int = 3) -> list[str]:
        names = self.names()
        lowered = {n.lower(): n for n in names}
        close = difflib.get_close_matches(slug.strip().lower(), list(lowered), n=limit, cutoff=0.6)
        return [lowered[c] for c in close]


def _age_seconds(stamp: str) -> float:
    try:
        return (clock.now() - datetime.fromisoformat(stamp)).total_seconds()  # stamped by the database's clock
    except ValueError:
        return float("inf")
