"""The stock-voice catalog: Tavus's `GET /v2/voices`, cached, with the documented fallback."""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable

from .tavus import TavusError, Voice

log = logging.getLogger(__name__)

# The example slugs in Tavus's docs; used when the live list cannot be fetched.
FALLBACK_VOICES = ("anna", "benjamin", "ivy", "james", "julia", "liam")
CACHE_SECONDS = 3600.0
RETRY_FAILED_FETCH_SECONDS = 60.0


class VoiceCatalog:
    def __init__(self, fetch: Callable[[], list[Voice]], clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._voices: list[Voice] = [Voice(v) for v in FALLBACK_VOICES]
        self._live = False
        self._fetched_at: float | None = None
        self._refreshing = False

    @property
    def is_live(self) -> bool:
        return self._live

    def refresh(self) -> bool:
        """Fetch the live list now; keep the previous list if Tavus cannot be reached."""
        with self._lock:
            if self._refreshing:  # one fetch at a time; the running one will update the cache
                return False
            self._refreshing = True
        return self._fetch_now()

    def _fetch_now(self) -> bool:
        try:
            voices = self._fetch()
        except TavusError as exc:
            log.warning("event=voices_fetch_failed error=%s", exc)
            with self._lock:
                # Try again sooner than a full cache period after a failure.
                self._fetched_at = self._clock() - CACHE_SECONDS + RETRY_FAILED_FETCH_SECONDS
                self._refreshing = False
            return False
        with self._lock:
            if voices:
                self._voices = sorted(voices, key=lambda v: v.voice_name.lower())
                self._live = True
            self._fetched_at = self._clock()
            self._refreshing = False
        log.info("event=voices_fetched count=%d", len(voices))
        return True

    def voices(self) -> list[Voice]:
        """The cached list; a stale cache is refreshed in the background, never inline."""
        with self._lock:
            stale = self._fetched_at is None or self._clock() - self._fetched_at > CACHE_SECONDS
            start = stale and not self._refreshing
            if start:
                self._refreshing = True
            current = list(self._voices)
        if start:
            threading.Thread(target=self._fetch_now, name="voices-refresh", daemon=True).start()
        return current

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
