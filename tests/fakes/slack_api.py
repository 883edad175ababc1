"""A fake Slack Web API and file host, speaking Slack's wire format.

Web API methods answer at `/api/<method>` (form-encoded or JSON bodies, bearer token),
and files are served at `/files/<id>/<name>` only with a bot token of the file's workspace:
without it, like Slack, the answer is 200 with an HTML login page. Every call is recorded,
with the workspace its token belongs to. For OAuth installs, `grant()` makes a code that
`oauth.v2.access` (client id and secret in HTTP Basic auth) exchanges for a new bot token
of that workspace — with a refresh token and an expiry when token rotation is on — and
`grant_type=refresh_token` exchanges a refresh token for a new access token.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlparse

from .http import HANG_UP, FakeServer, json_response


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    team: str | None = None  # the workspace of the token it carried


class FakeSlack(FakeServer):
    def __init__(self, bot_token: str, host: str = "127.0.0.1"):
        super().__init__(host)
        self.bot_token = bot_token
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes, str]] = {}  # id -> (name, bytes, mimetype)
        self.file_downloads: list[dict[str, str | None]] = []
        self.forced: dict[str, deque[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self.answers_lost: dict[str, int] = {}  # method: how many more answers to lose
        self.messages: list[dict[str, Any]] = []  # what chat.postMessage stored, for conversations.replies
        self.streamed: set[str] = set()  # files served chunked, without a length
        self.bytes_served: dict[str, int] = {}
        self.stream_totals: dict[str, int] = {}
        self.redirects: dict[str, str] = {}  # file id -> Location to answer with
        self.socket_mode: Any = None  # a FakeSocketMode, for apps.connections.open
        self.tokens: dict[str, str] = {bot_token: "T1"}  # bot token -> its workspace
        self.admins: set[str] = set()  # user ids that users.info calls admins
        self.file_teams: dict[str, str] = {}  # file id -> workspace (default T1)
        self.client_credentials: tuple[str, str] | None = None  # the app's OAuth client id/secret
        self.codes: dict[str, dict[str, Any]] = {}  # OAuth code -> what it installs
        self.refresh_tokens: dict[str, dict[str, Any]] = {}  # refresh token -> its grant
        self.expires_in = 43_200  # of the tokens an install gives
        self.refreshed_expires_in = 43_200  # of the tokens a refresh gives
        self.usergroups: dict[str, tuple[str, list[str]]] = {}  # id -> (handle, members)
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> what files.getUploadURLExternal promised
        self.shared: list[dict[str, Any]] = []  # files completed into a channel (and thread)
        self.not_in: set[str] = set()  # channels the bot was not invited to
        # response_url key -> (arrival, body) of what was posted there, as Slack's hooks take it
        self.responses: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self._issued = 0
        self._ts = 1_700_000_000.000100

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # --- test controls ------------------------------------------------------------------
    def add_file(
        self,
        file_id: str,
        name: str,
        data: bytes,
        mimetype: str = "image/jpeg",
        stream: bool = False,
        stream_total: int | None = None,
    ) -> dict[str, Any]:
        """Register a file and return its Slack file object, as an event would carry it.

        `stream` serves it chunked without a length; `stream_total` repeats `data` until
        that many bytes, generated as they are sent (a file too big to keep in memory)."""
        self.files[file_id] = (name, data, mimetype)
        if stream:
            self.streamed.add(file_id)
        if stream_total:
            self.stream_totals[file_id] = stream_total
        url = f"{self.url}/files/{file_id}/{name}"
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1].lower(),
            "size": len(data),
            "mode": "hosted",
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def grant(
        self,
        code: str,
        team_id: str,
        *,
        enterprise_id: str | None = None,
        installer: str = "UADMIN",
        rotation: bool = False,
    ) -> None:
        """Make an OAuth code, as Slack does when an admin approves the install."""
        with self.lock:
            self.codes[code] = {
                "team": team_id,
                "enterprise": enterprise_id,
                "installer": installer,
                "rotation": rotation,
            }

    def revoke(self, team_id: str) -> None:
        """The workspace uninstalled the app: its tokens stop working."""
        with self.lock:
            for token in [t for t, team in self.tokens.items() if team == team_id]:
                del self.tokens[token]

    def tokens_of(self, team_id: str) -> list[str]:
        with self.lock:
            return [t for t, team in self.tokens.items() if team == team_id]

    def calls_from(self, team_id: str, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.team == team_id and method in (None, c.method)]

    def _issue(self, grant: dict[str, Any], refreshed: bool = False) -> dict[str, Any]:
        with self.lock:
            self._issued += 1
            token = f"xoxb-{grant['team']}-{self._issued}-{secrets.token_hex(8)}"
            self.tokens[token] = grant["team"]
            answer: dict[str, Any] = {
                "ok": True,
                "app_id": "A1",
                "authed_user": {"id": grant["installer"]},
                "scope": "chat:write,commands,files:read,im:history,im:read,im:write,users:read",
                "token_type": "bot",
                "access_token": token,
                "bot_user_id": f"UBOT{grant['team']}",
                "team": {"id": grant["team"], "name": f"Team {grant['team']}"},
                "enterprise": {"id": grant["enterprise"], "name": "Grid"} if grant["enterprise"] else None,
                "is_enterprise_install": False,
            }
            if grant["rotation"]:
                refresh = f"xoxe-1-{secrets.token_hex(12)}"
                self.refresh_tokens[refresh] = grant
                answer.update(
                    refresh_token=refresh, expires_in=self.refreshed_expires_in if refreshed else self.expires_in
                )
            return answer

    def _oauth_access(self, authorization: str | None, args: dict[str, Any]) -> dict[str, Any]:
        client_id, client_secret = str(args.get("client_id") or ""), str(args.get("client_secret") or "")
        if authorization and authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if self.client_credentials is None or (client_id, client_secret) != self.client_credentials:
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("grant_type") == "refresh_token":
            with self.lock:
                grant = self.refresh_tokens.pop(str(args.get("refresh_token")), None)
            return self._issue(grant, refreshed=True) if grant else {"ok": False, "error": "invalid_refresh_token"}
        with self.lock:
            grant = self.codes.pop(str(args.get("code")), None)  # a code works once
        return self._issue(grant) if grant else {"ok": False, "error": "invalid_code"}

    def lose_answer_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` do what they ask, but their answers never reach
        the caller: the connection closes first (a reset on the way back from Slack)."""
        with self.lock:
            self.answers_lost[method] = self.answers_lost.get(method, 0) + times

    def fail_next(self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.forced.setdefault(method, deque()).append((status, body, headers or {}))

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def texts(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [str(c.args.get("text", "")) for c in self.calls if method in (None, c.method)]

    # --- wire ---------------------------------------------------------------------------
    def _next_ts(self) -> str:
        with self.lock:
            self._ts += 0.000100
            return f"{self._ts:.6f}"

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        answer = self._act(method, path, headers, body)
        api_method = urlparse(path).path.removeprefix("/api/")
        with self.lock:
            if self.answers_lost.get(api_method):
                self.answers_lost[api_method] -= 1
                return HANG_UP, {}, b""
        return answer

    def _act(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parsed = urlparse(path)
        lower = {k.lower(): v for k, v in headers.items()}
        if parsed.path.startswith("/files/"):
            return self._serve_file(parsed.path, lower.get("authorization"))
        if parsed.path.startswith("/upload/"):
            return self._receive_upload(parsed.path.split("/")[-1], body)
        if parsed.path.startswith("/commands/"):
            return self._response_url(method, parsed.path.removeprefix("/commands/"), body)
        if not parsed.path.startswith("/api/"):
            return json_response(404, {"ok": False, "error": "unknown_path"})
        api_method = parsed.path[len("/api/") :]
        args = {**dict(parse_qsl(parsed.query)), **self._parse_args(lower.get("content-type", ""), body)}
        call = Call(api_method, args)
        with self.lock:
            self.calls.append(call)
            forced = self.forced.get(api_method)
            if forced:
                status, resp, extra = forced.popleft()
                return json_response(status, resp, extra)
        if api_method == "apps.connections.open":  # the app-level token, not the bot token
            return json_response(200, self._open_socket(lower.get("authorization"), args))
        if api_method == "oauth.v2.access":
            answer = self._oauth_access(lower.get("authorization"), args)
            with self.lock:
                call.response = answer
            return json_response(200, answer)
        token = (lower.get("authorization") or "").removeprefix("Bearer ") or str(args.get("token") or "")
        with self.lock:
            team = self.tokens.get(token)
            call.team = team
        if team is None:
            return json_response(200, {"ok": False, "error": "invalid_auth"})
        answer = self._answer(api_method, args, team)
        with self.lock:
            call.response = answer
        return json_response(200, answer)

    def response_url(self, key: str) -> str:
        """A `response_url` for one slash command (Slack's are hooks.slack.com/commands/…)."""
        return f"{self.url}/commands/{key}"

    def replies_to(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for _, body in self.responses.get(key, [])]

    def _response_url(self, method: str, key: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """POST: a reply, as Slack takes it (JSON; 200 with body "ok"; 400 "no_text" without
        text or blocks). GET: what was posted there, for tests in other processes (not Slack's)."""
        if method == "GET":
            return json_response(200, {"replies": self.replies_to(key)})
        try:
            doc = json.loads(body)
        except ValueError:
            return 400, {"Content-Type": "text/plain"}, b"invalid_payload"
        if not isinstance(doc, dict) or not (doc.get("text") or doc.get("blocks")):
            return 400, {"Content-Type": "text/plain"}, b"no_text"
        with self.lock:
            self.responses.setdefault(key, []).append((time.monotonic(), doc))
        return 200, {"Content-Type": "text/plain"}, b"ok"

    def _open_socket(self, authorization: str | None, args: dict[str, Any]) -> dict[str, Any]:
        token = (authorization or "").removeprefix("Bearer ") or str(args.get("token") or "")
        if self.socket_mode is None or token != self.socket_mode.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode.url_for_connection()}

    @staticmethod
    def _parse_args(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        if "json" in content_type:
            return dict(json.loads(body))
        args: dict[str, Any] = dict(parse_qsl(body.decode()))
        if isinstance(args.get("blocks"), str):
            args["blocks"] = json.loads(args["blocks"])
        return args

    def _answer(self, api_method: str, args: dict[str, Any], team: str = "T1") -> dict[str, Any]:
        if api_method == "auth.test":
            suffix = "" if team == "T1" else team
            return {
                "ok": True,
                "url": self.url + "/",
                "team": "Test",
                "user": "replica-bot",
                "team_id": team,
                "user_id": f"UBOT{suffix}",
                "bot_id": f"BBOT{suffix}",
            }
        if api_method == "users.list":
            members = [{"id": a, "name": a.lower(), "is_admin": True, "team_id": team} for a in sorted(self.admins)]
            members.append({"id": "UNOTADMIN", "name": "someone", "team_id": team})
            return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
        if api_method == "chat.postMessage" and args.get("channel") in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        if api_method == "chat.postMessage":
            ts = self._next_ts()
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            with self.lock:
                self.messages.append(
                    {
                        "channel": args.get("channel"),
                        "ts": ts,
                        "thread_ts": args.get("thread_ts"),
                        "text": args.get("text"),
                        "metadata": metadata,
                    }
                )
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts, "thread_ts": args.get("thread_ts")},
            }
        if api_method == "chat.update":
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": args.get("text"),
            }
        if api_method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if api_method == "views.publish":
            return (
                {"ok": True, "view": {"id": "V1", **(args.get("view") or {})}}
                if isinstance(args.get("view"), dict)
                else {"ok": True}
            )
        if api_method == "conversations.replies":
            channel, root = args.get("channel"), args.get("ts")
            with self.lock:
                found = [
                    dict(m) for m in self.messages if m["channel"] == channel and root in (m["ts"], m["thread_ts"])
                ]
            if not args.get("include_all_metadata"):
                for m in found:
                    m.pop("metadata", None)
            return {"ok": True, "messages": found, "has_more": False}
        if api_method == "users.info":
            user = str(args.get("user"))
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "team_id": team,
                    "is_admin": user in self.admins,
                    "name": "ada",
                    "real_name": "Ada Lovelace",
                    "profile": {"real_name": "Ada Lovelace", "display_name": "ada"},
                },
            }
        if api_method == "views.open":
            view = args.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            return {"ok": True, "view": {"id": "VMODAL1", **(view or {})}}
        if api_method == "files.info":
            file_id = str(args.get("file"))
            if file_id not in self.files:
                return {"ok": False, "error": "file_not_found"}
            name, data, mimetype = self.files[file_id]
            return {"ok": True, "file": self.add_file(file_id, name, data, mimetype)}
        if api_method in ("usergroups.list", "usergroups.users.list", "conversations.open"):
            return self._groups_and_dms(api_method, args)
        if api_method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            return self._upload_step(api_method, args, team)
        return {"ok": True}

    def _groups_and_dms(self, api_method: str, args: dict[str, Any]) -> dict[str, Any]:
        if api_method == "usergroups.list":
            groups = [{"id": g, "handle": h, "name": h} for g, (h, _) in sorted(self.usergroups.items())]
            return {"ok": True, "usergroups": groups}
        if api_method == "usergroups.users.list":
            group = self.usergroups.get(str(args.get("usergroup")))
            return {"ok": True, "users": list(group[1])} if group else {"ok": False, "error": "no_such_subteam"}
        users = str(args.get("users") or "")
        return {"ok": True, "channel": {"id": "D" + users.replace(",", "")}}

    # --- files_upload_v2: get a URL, POST the bytes there, complete into a channel -----------
    def _upload_step(self, api_method: str, args: dict[str, Any], team: str) -> dict[str, Any]:
        if api_method == "files.getUploadURLExternal":
            if not args.get("filename") or not str(args.get("length") or "").isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"FUP{len(self.uploads) + 1:05d}"
            with self.lock:
                self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        files = json.loads(str(args.get("files") or "[]"))
        done = []
        for f in files:
            upload = self.uploads.get(str(f.get("id")))
            if upload is None or upload["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            done.append({"id": f["id"], "title": f.get("title"), "name": upload["filename"]})
            with self.lock:
                self.shared.append(
                    {
                        "file_id": f["id"],
                        "title": f.get("title"),
                        "filename": upload["filename"],
                        "data": upload["data"],
                        "channel_id": args.get("channel_id"),
                        "thread_ts": args.get("thread_ts"),
                        "initial_comment": args.get("initial_comment"),
                        "team": team,
                    }
                )
        return {"ok": True, "files": done}

    def _receive_upload(self, file_id: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404, {"Content-Type": "text/plain"}, b"unknown upload"
            upload["data"] = body
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(body)}".encode()

    def _serve_file(self, path: str, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        parts = path.split("/")
        file_id = parts[2] if len(parts) > 2 else ""
        with self.lock:
            self.file_downloads.append({"file_id": file_id, "authorization": authorization})
        token = (authorization or "").removeprefix("Bearer ")
        with self.lock:
            allowed = self.tokens.get(token) == self.file_teams.get(file_id, "T1")
        if not allowed:
            page = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
            return 200, {"content-type": "text/html; charset=utf-8"}, page
        if file_id in self.redirects:
            return 302, {"location": self.redirects[file_id], "content-type": "text/plain"}, b"moved"
        if file_id not in self.files:
            return 404, {"content-type": "text/plain"}, b"not found"
        _, data, mimetype = self.files[file_id]
        if file_id in self.streamed:
            return 200, {"content-type": mimetype}, self._chunks(file_id, data)
        with self.lock:
            self.bytes_served[file_id] = len(data)
        return 200, {"content-type": mimetype}, data

    def _chunks(self, file_id: str, data: bytes) -> Iterator[bytes]:
        total = self.stream_totals.get(file_id, len(data))
        block = (data * (65536 // max(1, len(data)) + 1))[:65536] if total > len(data) else data
        sent = 0
        while sent < total:
            chunk = block[: min(65536, total - sent)] if total > len(data) else data[sent : sent + 65536]
            sent += len(chunk)
            with self.lock:
                self.bytes_served[file_id] = sent
            yield chunk
