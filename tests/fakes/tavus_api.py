"""A fake Tavus API: replicas and voices, with Tavus's wire format and errors.

`POST /v2/replicas` downloads `train_image_url` exactly as Tavus would (a plain GET, no
credentials) and opens it with Pillow; a URL that cannot be fetched or is not an image
is refused. Tests move replicas through training with `finish()`.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from PIL import Image

from .http import FakeServer, json_response

DEFAULT_VOICES = [
    "anna",
    "benjamin",
    "charlotte",
    "daniel",
    "emma",
    "ivy",
    "james",
    "julia",
    "liam",
    "lucas",
    "mia",
    "olivia",
]


@dataclass
class FakeReplica:
    replica_id: str
    replica_name: str
    voice_name: str
    status: str = "started"
    training_progress: str = "0/100"
    error_message: str | None = None
    image_size: tuple[int, int] = (0, 0)
    image_bytes: bytes = b""
    image_info: dict[str, Any] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    callback_url: str | None = None
    account: str = ""  # the API key that created it: each key sees only its own account's

    def public(self) -> dict[str, Any]:
        data = {
            "replica_id": self.replica_id,
            "replica_name": self.replica_name,
            "status": self.status,
            "training_progress": self.training_progress,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "model_name": "phoenix-4",
            "thumbnail_video_url": None,
        }
        if self.error_message:
            data["error_message"] = self.error_message
        return data


class FakeTavus(FakeServer):
    def __init__(self, api_key: str, voices: list[str] | None = None, voice_page_cap: int = 5):
        super().__init__()
        self.api_key = api_key
        self.voices = voices or list(DEFAULT_VOICES)
        self.voice_page_cap = voice_page_cap  # forces clients to page through the list
        self.replicas: dict[str, FakeReplica] = {}
        self.create_bodies: list[dict[str, Any]] = []
        self.requests: Counter[str] = Counter()
        self.forced: dict[str, deque[tuple[int, Any, dict[str, str]]]] = {}
        self.validations: list[dict[str, Any]] = []  # what the validator was sent (decoded)
        self.next_verdicts: deque[dict[str, Any]] = deque()  # verdicts to give, else a pass
        self.delays: dict[str, deque[float]] = {}  # route -> seconds to stall the next answers
        self.create_after_delay = True  # a stalled create still creates (the answer is lost)
        self.answer_delays: dict[str, deque[float]] = {}  # route -> seconds to hold answers, having acted
        self.callbacks: list[dict[str, Any]] = []  # what was called back, and the answer
        self.accounts: set[str] = {api_key}  # every key this Tavus accepts (one account each)
        self._caller = threading.local()

    def add_account(self, api_key: str) -> None:
        with self.lock:
            self.accounts.add(api_key)

    def _mine(self, replica: FakeReplica) -> bool:
        """Whether the caller's account owns it (replicas a test adds by hand are the main key's)."""
        key = self._caller.key
        return replica.account == key or (not replica.account and key == self.api_key)

    def replicas_of(self, api_key: str) -> list[FakeReplica]:
        with self.lock:
            return [r for r in self.replicas.values() if r.account == api_key]

    # --- test controls ------------------------------------------------------------------
    def finish(self, replica_id: str, status: str = "completed", error_message: str | None = None) -> None:
        """Training ends; like Tavus, call the replica's callback_url (from another thread)
        with the documented body: status "ready", or "error" with the error_message."""
        with self.lock:
            replica = self.replicas[replica_id]
            replica.status = status
            replica.training_progress = "100/100" if status == "completed" else replica.training_progress
            replica.error_message = error_message
            url = replica.callback_url
        if url:
            body: dict[str, Any] = {"replica_id": replica_id, "status": "ready" if status == "completed" else "error"}
            if status != "completed":
                body["error_message"] = error_message or "Training failed"
            threading.Thread(target=self._call_back, args=(url, body), daemon=True).start()

    def _call_back(self, url: str, body: dict[str, Any]) -> None:
        try:
            answer = httpx.post(url, json=body, timeout=10)
            status: int | str = answer.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        with self.lock:
            self.callbacks.append({"url": url, "body": body, "status": status})

    def stall_next(self, route: str, seconds: float) -> None:
        """Hold the next answer on `route` for `seconds` (past the client's timeout)."""
        with self.lock:
            self.delays.setdefault(route, deque()).append(seconds)

    def hold_answer_next(self, route: str, seconds: float) -> None:
        """Act on the next request on `route` at once, but answer it `seconds` later."""
        with self.lock:
            self.answer_delays.setdefault(route, deque()).append(seconds)

    def fail_next(self, route: str, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer the next request on `route` (e.g. "POST /v2/replicas") with this instead."""
        with self.lock:
            self.forced.setdefault(route, deque()).append((status, body, headers or {}))

    # --- wire ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        answer = self._act(method, path, headers, body)
        with self.lock:
            held = self.answer_delays.get(f"{method} {self._route_of(urlparse(path).path)}")
            hold = held.popleft() if held else 0.0
        if hold:
            time.sleep(hold)
        return answer

    def _act(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parsed = urlparse(path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        lower = {k.lower(): v for k, v in headers.items()}
        route = f"{method} {self._route_of(parsed.path)}"
        with self.lock:
            self.requests[route] += 1
            stalls = self.delays.get(route)
            stall = stalls.popleft() if stalls else 0.0
        if stall:
            time.sleep(stall)
        with self.lock:
            forced = self.forced.get(route)
            if forced:
                status, resp, extra = forced.popleft()
                if isinstance(resp, bytes):
                    return status, {"content-type": "application/json", **extra}, resp
                return json_response(status, resp, extra)
        if lower.get("x-api-key") not in self.accounts:
            return json_response(401, {"message": "Invalid access token"})
        self._caller.key = lower.get("x-api-key")
        if route == "POST /v2/replicas":
            return self._create(body)
        if route == "POST /v2/replicas/{id}" and parsed.path.endswith("/image-validation"):
            return self._validate(body)
        if route == "GET /v2/replicas":
            return self._list(query)
        if route == "GET /v2/replicas/{id}":
            return self._get(parsed.path.rsplit("/", 1)[-1])
        if route == "DELETE /v2/replicas/{id}":
            return self._delete(parsed.path.rsplit("/", 1)[-1])
        if route == "GET /v2/voices":
            return self._voices(query)
        return json_response(404, {"error": "Not found"})

    @staticmethod
    def _route_of(path: str) -> str:
        if path.startswith("/v2/replicas/") and path.count("/") == 3:
            return "/v2/replicas/{id}"
        return path

    def _create(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            data = json.loads(body)
        except ValueError:
            return json_response(400, {"error": "Invalid JSON body"})
        with self.lock:
            self.create_bodies.append(data)
        url, voice = data.get("train_image_url"), data.get("voice_name")
        if not url and not data.get("train_video_url"):
            return json_response(400, {"error": "Either train_video_url or train_image_url must be provided."})
        if not voice:
            return json_response(400, {"error": "voice_name is required when training from an image."})
        if str(voice).lower() not in self.voices:
            return json_response(400, {"error": f"Invalid voice_name: {voice}"})
        try:  # Tavus fetches the photo itself, with no credentials but the URL's own
            fetched = httpx.get(url, timeout=10)
        except httpx.HTTPError as exc:
            return json_response(400, {"error": f"Could not download train_image_url ({type(exc).__name__})"})
        if fetched.status_code != 200:
            return json_response(400, {"error": f"Could not download train_image_url (HTTP {fetched.status_code})"})
        try:
            with Image.open(io.BytesIO(fetched.content)) as img:
                img.load()
                size, info = img.size, dict(img.info)
                exif = img.getexif()
        except Exception:
            return json_response(400, {"error": "train_image_url is not a valid image"})
        replica = FakeReplica(
            replica_id="r" + secrets.token_hex(6)[:11],
            replica_name=str(data.get("replica_name") or ""),
            voice_name=str(voice),
            image_size=size,
            image_bytes=fetched.content,
            image_info={"keys": sorted(info), "exif_tags": len(exif)},
            callback_url=data.get("callback_url"),
            account=str(self._caller.key),
        )
        with self.lock:
            self.replicas[replica.replica_id] = replica
        return json_response(200, {"replica_id": replica.replica_id, "status": "started"})

    def _validate(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            data = json.loads(body)
            raw = base64.b64decode(data["imageBase64"], validate=True)
            with Image.open(io.BytesIO(raw)) as img:
                img.load()
                size = img.size
        except Exception:
            return json_response(400, {"error": "imageBase64 must be a base64-encoded JPEG or PNG"})
        with self.lock:
            self.validations.append({"size": size, "mime": data.get("mimeType"), "model": data.get("model")})
            verdict = self.next_verdicts.popleft() if self.next_verdicts else None
        if verdict is None:
            checks = [
                {"id": "face_detected", "label": "A face is visible", "passed": True},
                {"id": "single_person", "label": "Only one person", "passed": True},
            ]
            verdict = {"passed": True, "checks": checks, "details": {"image_size": list(size)}}
        return json_response(200, verdict)

    def _get(self, replica_id: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            replica = self.replicas.get(replica_id)
            if replica is None or not self._mine(replica):
                return json_response(404, {"error": "Invalid replica_id"})
            return json_response(200, replica.public())

    def _list(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        limit = min(int(query.get("limit", 10)), 100)
        page = max(int(query.get("page", 1)), 1)
        with self.lock:
            items = [r for r in self.replicas.values() if self._mine(r)]
        if query.get("replica_ids"):
            wanted = set(query["replica_ids"].split(","))
            items = [r for r in items if r.replica_id in wanted]
        chunk = items[(page - 1) * limit : page * limit]
        return json_response(200, {"data": [r.public() for r in chunk], "total_count": len(items)})

    def _delete(self, replica_id: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            replica = self.replicas.get(replica_id)
            if replica is None or not self._mine(replica):
                return json_response(404, {"error": "Invalid replica_id"})
            del self.replicas[replica_id]
        return 200, {}, b""

    def _voices(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        limit = min(int(query.get("limit", 10)), 100, self.voice_page_cap)
        page = max(int(query.get("page", 1)), 1)
        chunk = self.voices[(page - 1) * limit : page * limit]
        data = [
            {
                "voice_name": v,
                "replica_id": None,
                "audio_url": f"{self.url}/audio/{v}.mp3",
                "tags": [{"tag_name": "english"}],
            }
            for v in chunk
        ]
        return json_response(200, {"data": data, "total_count": len(self.voices), "page": page, "limit": limit})
