"""Steps of the story as reusable helpers: upload, wait for the offer, create, finish."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys

import httpx

from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .harness import BotProcess, file_share_event, wait_for


def thread_messages(slack: FakeSlack, thread_ts: str) -> list[dict]:
    """Messages Slack accepted into a thread (refused attempts are not messages)."""
    return [
        c.args
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == thread_ts and c.response.get("ok")
    ]


def updates_of(slack: FakeSlack, ts: str) -> list[dict]:
    return [c.args for c in slack.calls_to("chat.update") if c.args.get("ts") == ts]


def block_of(args: dict, block_id: str) -> dict | None:
    return next((b for b in args.get("blocks") or [] if b.get("block_id") == block_id), None)


def checklist_ts(slack: FakeSlack, thread_ts: str, timeout: float = 20) -> str:
    """The ts of the bot's first reply in the thread: the checklist that edits itself."""

    def first_reply() -> str | None:
        for call in slack.calls_to("chat.postMessage"):
            if call.args.get("thread_ts") == thread_ts and call.response.get("ts"):
                return str(call.response["ts"])
        return None

    return wait_for(first_reply, timeout)


def ready_update(slack: FakeSlack, ts: str, timeout: float = 20) -> dict:
    """The offer on the checklist message `ts`: an edit of it, or the message itself when it
    was first posted with the offer (the "Checking…" step was cut short by a crash)."""

    def offer() -> dict | None:
        for update in updates_of(slack, ts):
            if block_of(update, "draft_actions"):
                return update
        for call in slack.calls_to("chat.postMessage"):
            if call.response.get("ts") == ts and block_of(call.args, "draft_actions"):
                return call.args
        return None

    return wait_for(offer, timeout)


def upload(bot: BotProcess, slack: FakeSlack, n: int, event_id: str | None = None) -> str:
    """Share photo number n in the DM; returns the photo message's ts."""
    ts = f"17000{n:05d}.000100"
    file_obj = slack.add_file(f"F0N{n}", "me.jpg", photo_samples.headshot_jpeg())
    with contextlib.suppress(httpx.HTTPError):  # the bot may die on purpose before answering
        bot.send_event(file_share_event(file_obj, ts=ts), event_id or f"EvN{n}")
    return ts


def offer(slack: FakeSlack, photo_ts: str) -> tuple[str, str]:
    """Wait for the ready message; returns (checklist ts, submission id)."""
    ts = checklist_ts(slack, photo_ts)
    create = block_of(ready_update(slack, ts), "draft_actions")["elements"][0]  # type: ignore[index]
    return ts, str(create["value"])


def training_replica(slack: FakeSlack, tavus: FakeTavus, ts: str, timeout: float = 30) -> str:
    wait_for(lambda: any("Training started" in u["text"] for u in updates_of(slack, ts)), timeout)
    assert len(tavus.replicas) == 1, tavus.replicas
    return next(iter(tavus.replicas))


def start_training(bot: BotProcess, slack: FakeSlack, tavus: FakeTavus, n: int) -> tuple[str, str, str, str]:
    """Choose a voice, share photo number n and consent: returns the photo's ts, the
    checklist's ts, the submission id and the replica id once training has started."""
    bot.send_command("voice anna")
    photo_ts = upload(bot, slack, n)
    ts, sid = offer(slack, photo_ts)
    bot.click("create_replica", sid, ts)
    return photo_ts, ts, sid, training_replica(slack, tavus, ts)


def ready_notices(slack: FakeSlack, photo_ts: str) -> list[dict]:
    return [m for m in thread_messages(slack, photo_ts) if "is ready" in m["text"]]


def audit_trail(bot: BotProcess, team: str) -> list[dict[str, str]]:
    """`replica-bot audit` for one workspace, as JSON and as CSV: both must say the same."""
    runs = {}
    for fmt in ("json", "csv"):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "audit", "--team", team, "--format", fmt],
            env=bot.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        runs[fmt] = done.stdout
    rows = json.loads(runs["json"])
    assert list(csv.DictReader(io.StringIO(runs["csv"]))) == [{k: str(v) for k, v in r.items()} for r in rows]
    return rows


def policy_values(
    who: str = "everyone",
    people: list[str] | None = None,
    groups: list[str] | None = None,
    quota: int | None = None,
    max_training: int | None = None,
    approval: bool = False,
    channel: str | None = None,
    admins: list[str] | None = None,
) -> dict[str, dict]:
    """The Policy modal's state.values as Slack sends them on submit."""

    def one(kind: str, **value: object) -> dict[str, dict]:
        return {"value": {"type": kind, **value}}

    values = {
        "policy_who": one("radio_buttons", selected_option={"value": who}),
        "policy_people": one("multi_users_select", selected_users=people or []),
        "policy_groups": one("multi_static_select", selected_options=[{"value": g} for g in groups or []]),
        "policy_quota": one("number_input", value=None if quota is None else str(quota)),
        "policy_max_training": one("number_input", value=None if max_training is None else str(max_training)),
        "policy_approval": one("checkboxes", selected_options=[{"value": "on"}] if approval else []),
        "policy_channel": one("conversations_select", selected_conversation=channel),
    }
    if admins is not None:
        values["policy_admins"] = one("multi_users_select", selected_users=admins)
    return values
