"""A typed client for Tavus's replica and voice endpoints, with retries.

One `httpx.Client` for connection reuse; explicit timeouts; 429 (honouring Retry-After),
5xx, timeouts and connection errors are retried with jittered exponential backoff; other
4xx are raised at once as `TavusError` carrying Tavus's own `message`/`error` text.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Where the resource lives; Tavus's newer docs call it "faces" (`/v2/faces`, `face_id`).
RESOURCE_PATH = "/v2/replicas"
LIST_PAGE_LIMIT = 100  # Tavus's maximum page size; also the `replica_ids` batch we poll with


class TavusError(Exception):
    """Tavus refused or could not be reached; `message` is safe to show a person."""

    def __init__(self, status: int | None, message: str, *, retryable: bool = False):
        self.status = status
        self.message = message
        self.retryable = retryable
        super().__init__(f"Tavus {status or 'unreachable'}: {message}")


class TavusNotFound(TavusError):
    pass


@dataclass
class Replica:
    replica_id: str
    status: str  # started | completed | error (Tavus may also say training/ready)
    replica_name: str | None = None
    training_progress: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replica:
        if not isinstance(data, dict) or not isinstance(data.get("replica_id"), str):
            raise TavusError(None, "Tavus answered without a replica_id")
        return cls(
            replica_id=data["replica_id"],
            status=str(data.get("status") or "started").lower(),
            replica_name=data.get("replica_name"),
            training_progress=data.get("training_progress"),
            error_message=data.get("error_message"),
            raw=data,
        )

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "ready", "error", "failed"}

    @property
    def succeeded(self) -> bool:
        return self.status in {"completed", "ready"}


@dataclass
class Voice:
    voice_name: str
    audio_url: str | None = None
    tags: list[str] = field(default_factory=list)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class TavusClient:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._client = httpx.Client(
            base_url=base_url,
            headers={"x-api-key": api_key, "accept": "application/json"},
            timeout=timeout or httpx.Timeout(20.0, connect=5.0),
            transport=transport,
            follow_redirects=False,
        )
        self._max_retries = max_retries
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def _delay(self, attempt: int, hinted: float | None) -> float:
        if hinted is not None:
            return min(hinted, self._max_backoff)
        base = min(self._max_backoff, self._backoff * (2**attempt))
        return base / 2 + random.uniform(0, base / 2)  # jitter spreads retries apart

    def _request(self, method: str, path: str, *, idempotent: bool = True, **kwargs: Any) -> Any:
        """Send with retries. A non-idempotent request is retried only when Tavus surely did
        not act on it (429, or no connection made); a lost answer is raised as retryable."""
        last: TavusError | None = None
        for attempt in range(self._max_retries + 1):
            hinted: float | None = None
            safe_to_retry = idempotent
            try:
                response = self._client.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                last = TavusError(None, "could not connect to Tavus", retryable=True)
                safe_to_retry = True
            except httpx.TimeoutException:
                last = TavusError(None, "Tavus did not answer in time", retryable=True)
            except httpx.TransportError as exc:
                last = TavusError(None, f"could not reach Tavus ({type(exc).__name__})", retryable=True)
            else:
                if response.status_code == 429:
                    hinted = _retry_after(response)
                    last = TavusError(429, _error_text(response), retryable=True)
                    safe_to_retry = True
                elif response.status_code >= 500:
                    hinted = _retry_after(response)
                    last = TavusError(response.status_code, _error_text(response), retryable=True)
                elif response.status_code == 404:
                    raise TavusNotFound(404, _error_text(response))
                elif response.status_code >= 400:
                    raise TavusError(response.status_code, _error_text(response))
                else:
                    return self._json(response)
            if not safe_to_retry or attempt >= self._max_retries:
                break
            delay = self._delay(attempt, hinted)
            log.warning(
                "event=tavus_retry method=%s path=%s status=%s attempt=%d delay=%.2f",
                method,
                path,
                last.status,
                attempt + 1,
                delay,
            )
            self._sleep(delay)
        assert last is not None
        raise last

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise TavusError(response.status_code, "Tavus answered with malformed JSON", retryable=True) from exc

    # --- replicas -----------------------------------------------------------------------
    def create_replica(
        self,
        *,
        train_image_url: str,
        voice_name: str,
        replica_name: str,
        auto_fix_training_image: bool = False,
        callback_url: str | None = None,
    ) -> Replica:
        body: dict[str, Any] = {
            "train_image_url": train_image_url,
            "voice_name": voice_name,
            "replica_name": replica_name,
        }
        if auto_fix_training_image:
            body["auto_fix_training_image"] = True
        if callback_url:
            body["callback_url"] = callback_url
        # Not idempotent: a retry after a lost answer could make a second replica.
        return Replica.from_json(self._request("POST", RESOURCE_PATH, json=body, idempotent=False))

    def get_replica(self, replica_id: str) -> Replica:
        return Replica.from_json(self._request("GET", f"{RESOURCE_PATH}/{replica_id}"))

    def list_replicas(
        self, *, replica_ids: Iterable[str] | None = None, page: int = 1, limit: int = LIST_PAGE_LIMIT
    ) -> list[Replica]:
        return self._replica_page(page, limit, replica_ids)[0]

    def find_replica_by_name(self, replica_name: str, max_pages: int = 1000) -> Replica | None:
        """Search the account's replicas for an exact name (used to reconcile a crash).

        None only when the whole list was read: a wrong None makes a second replica, so a
        page shorter than asked (Tavus may cap its pages) is not taken for the end, and a
        list that lost entries while it was read (a later page's entries moved onto one
        already read) or that is too long to read raises a retryable TavusError instead."""
        first_total: int | None = None
        seen = 0
        for page in range(1, max_pages + 1):
            batch, total = self._replica_page(page)
            for replica in batch:
                if replica.replica_name == replica_name:
                    return replica
            seen += len(batch)
            if first_total is None:
                first_total = total
            elif total is not None and total < first_total:
                raise TavusError(None, "replicas were deleted while the list was searched", retryable=True)
            if not batch or (total is not None and seen >= total):
                return None
        raise TavusError(None, f"the replica list is longer than {max_pages} pages", retryable=True)

    def _replica_page(
        self, page: int, limit: int = LIST_PAGE_LIMIT, replica_ids: Iterable[str] | None = None
    ) -> tuple[list[Replica], int | None]:
        """One page of the account's replicas, and the list's `total_count` if Tavus gave it."""
        params: dict[str, Any] = {"limit": limit, "page": page, "replica_type": "user"}
        if replica_ids is not None:
            params["replica_ids"] = ",".join(replica_ids)
        body = self._request("GET", RESOURCE_PATH, params=params)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise TavusError(None, "Tavus's replica list had no data array")
        total = body.get("total_count")
        return [Replica.from_json(item) for item in data], total if isinstance(total, int) else None

    def delete_replica(self, replica_id: str) -> None:
        self._request("DELETE", f"{RESOURCE_PATH}/{replica_id}")

    def validate_image(self, data: bytes, mime_type: str = "image/jpeg", model: str = "phoenix-4") -> Any:
        """Tavus's image validator: the raw JSON answer (`passed`, `checks[]`, `details`)."""
        body = {"imageBase64": base64.b64encode(data).decode("ascii"), "mimeType": mime_type, "model": model}
        return self._request("POST", f"{RESOURCE_PATH}/image-validation", json=body)

    # --- voices -------------------------------------------------------------------------
    def list_voices(self, max_pages: int = 50) -> list[Voice]:
        voices: list[Voice] = []
        for page in range(1, max_pages + 1):
            body = self._request("GET", "/v2/voices", params={"limit": 100, "page": page})
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise TavusError(None, "Tavus's voice list had no data array")
            for item in data:
                if isinstance(item, dict) and isinstance(item.get("voice_name"), str):
                    tags = [t.get("tag_name", "") for t in item.get("tags") or [] if isinstance(t, dict)]
                    voices.append(Voice(item["voice_name"], item.get("audio_url"), tags))
            total = body.get("total_count")
            if not data:
                break
            if isinstance(total, int) and len(voices) >= total:
                break
            if not isinstance(total, int) and len(data) < 100:
                break
        return voices
