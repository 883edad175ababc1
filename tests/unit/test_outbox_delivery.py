"""Delivering the outbox (queued Slack notices) on SQLite and PostgreSQL: what a notice that
Slack will not take does to the others. One person's archived DM, or a workspace that left,
must not hold back everyone else's ready notices."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import MagicMock

import pytest
from slack_sdk.errors import SlackApiError

from bot.messages import Message
from bot.workflow import Workflow
from bot.workspaces.directory import WorkspaceGone
from storage import Repository, Submission
from storage.clock import seconds_ago
from tests.unit.workflow_on import workflow_on


def slack_error(code: str, status: int = 200) -> SlackApiError:
    """What slack-sdk raises for Slack's answer `{"ok": false, "error": code}` (HTTP `status`)."""
    return SlackApiError("failed", MagicMock(status_code=status, get=lambda k, d=None: code if k == "error" else d))


class Slack:
    """chat.postMessage / chat.update that fail as told per channel, and record what went."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.teams: list[str | None] = []  # the workspaces spoken for, call by call
        self.messages: list[dict[str, Any]] = []  # as the thread now shows them
        self.answer_lost: set[str] = set()  # channels where a post goes through but its answer is lost
        self.refuse: dict[str, str | Exception] = {}  # channel → Slack's error code, or a raised error
        # channel → (HTTP status, Slack's error code) answered for a post that went through
        self.posted_but: dict[str, tuple[int, str]] = {}

    def _refuse_if_told(self, channel: str) -> None:
        refusal = self.refuse.get(channel)
        if isinstance(refusal, Exception):
            raise refusal
        if refusal:
            raise slack_error(refusal)

    def chat_postMessage(self, *, channel: str, text: str, **kwargs: Any) -> dict[str, Any]:  # noqa: N802
        self._refuse_if_told(channel)
        ts = f"2.{len(self.messages)}"
        self.posted.append((channel, text))
        self.messages.append({"channel": channel, "ts": ts, "text": text, "metadata": kwargs.get("metadata")})
        if channel in self.answer_lost:
            raise TimeoutError("The read operation timed out")
        if channel in self.posted_but:
            status, error = self.posted_but[channel]
            raise slack_error(error, status)
        return {"ok": True, "ts": ts}

    def chat_update(self, *, channel: str, ts: str, text: str, **_: Any) -> dict[str, Any]:
        self._refuse_if_told(channel)
        self.posted.append((channel, text))
        for message in self.messages:
            if message["ts"] == ts:
                message["text"] = text
        return {"ok": True, "ts": ts}

    def views_publish(self, *, user_id: str, **_: Any) -> dict[str, Any]:
        self._refuse_if_told(f"home:{user_id}")
        return {"ok": True}

    def conversations_replies(self, *, channel: str, **_: Any) -> dict[str, Any]:
        return {"ok": True, "messages": [m for m in self.messages if m["channel"] == channel]}


def workflow(database_url: str, slack: Slack, gone: frozenset[str] = frozenset()) -> tuple[Workflow, Repository]:
    repo = Repository(database_url)
    workspaces = MagicMock()

    def slack_for(team_id: str | None) -> Slack:
        slack.teams.append(team_id)
        if team_id in gone:
            raise WorkspaceGone(f"not installed in {team_id}")
        return slack

    workspaces.slack_for.side_effect = slack_for
    return workflow_on(repo, workspaces=workspaces, process_id="p1"), repo


def queue(repo: Repository, key: str, channel: str, team: str | None = "T1") -> None:
    repo.queue_notice({"dedupe_key": key, "channel_id": channel, "thread_ts": "1.0", "text": key, "team_id": team})


def pending(repo: Repository) -> list[str]:
    return [n.dedupe_key for n in repo.pending_notices()]


def test_a_notice_slack_refuses_for_good_is_dropped_and_holds_back_no_one(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    queue(repo, "ready:archived", "D-archived")
    queue(repo, "ready:other", "D-other")
    slack.refuse["D-archived"] = "is_archived"
    with caplog.at_level(logging.WARNING):
        assert flow.deliver_notices() == 1
    assert slack.posted == [("D-other", "ready:other")] and pending(repo) == []
    assert "event=notice_dropped" in caplog.text and "is_archived" in caplog.text
    flow.deliver_notices()
    assert slack.posted == [("D-other", "ready:other")]  # not tried again


def test_a_notice_that_fails_for_now_waits_with_its_conversation_only(database_url: str) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    queue(repo, "ready:a", "D-a")
    queue(repo, "ready-edit:a", "D-a")  # after the first, in the same conversation
    queue(repo, "ready:b", "D-b")
    slack.refuse["D-a"] = "internal_error"
    assert flow.deliver_notices() == 1
    assert slack.posted == [("D-b", "ready:b")]
    assert pending(repo) == ["ready:a", "ready-edit:a"]
    del slack.refuse["D-a"]
    assert flow.deliver_notices() == 2
    assert slack.posted[1:] == [("D-a", "ready:a"), ("D-a", "ready-edit:a")]  # in their order


def test_a_notice_failing_for_a_day_is_given_up(database_url: str) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    queue(repo, "ready:old", "D-a")
    with repo.db.write() as tx:
        tx.execute("UPDATE outbox SET created_at = :t", {"t": seconds_ago(25 * 3600)})
    queue(repo, "ready:new", "D-b")
    slack.refuse.update({"D-a": "internal_error", "D-b": "internal_error"})
    assert flow.deliver_notices() == 0
    assert pending(repo) == ["ready:new"]  # the day-old one was tried once more, then dropped


def test_a_notice_for_a_workspace_that_left_is_dropped_and_others_go(database_url: str) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack, gone=frozenset({"T-gone"}))
    queue(repo, "upload-missed:1", "D-gone", team="T-gone")
    queue(repo, "ready:stays", "D-1", team="T1")
    assert flow.deliver_notices() == 1
    assert slack.posted == [("D-1", "ready:stays")] and pending(repo) == []


def test_slack_unreachable_ends_the_round_and_keeps_every_notice(database_url: str) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    for n in range(5):
        queue(repo, f"ready:{n}", f"D-{n}")
        slack.refuse[f"D-{n}"] = ConnectionError("connection refused")
    assert flow.deliver_notices() == 0
    assert pending(repo) == [f"ready:{n}" for n in range(5)]
    slack.refuse.clear()
    assert flow.deliver_notices() == 5


def test_a_post_queued_when_slack_failed_is_delivered_as_its_workspace(database_url: str) -> None:
    """A message outside any submission (a missed upload's note) queued in the outbox keeps
    its workspace: delivered later with that workspace's token, not the default one (which,
    with OAuth installs, does not exist)."""
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    slack.refuse["D-2"] = "ratelimited"
    assert flow.post("D-2", "1.0", Message("upload again"), "upload-missed:Ev1", "T2") is None
    (queued,) = repo.pending_notices()
    assert (queued.team_id, queued.submission_id, queued.text) == ("T2", None, "upload again")
    del slack.refuse["D-2"]
    slack.teams.clear()
    assert flow.deliver_notices() == 1
    assert slack.posted == [("D-2", "upload again")] and slack.teams == ["T2"]


def test_a_checklist_queued_when_slack_failed_is_posted_once(database_url: str) -> None:
    """The checklist's first post fails and is queued; the next step shows the checklist again
    (now the offer): one checklist message in the thread, showing the latest content."""
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    repo.create_submission(Submission("s1", "T1", "U1", "D-1", "1.0", "1.0", "F1", "checking"))
    slack.refuse["D-1"] = "internal_error"
    flow.show(repo.get("s1"), Message("checking your photo"), "checking")  # type: ignore[arg-type]
    del slack.refuse["D-1"]
    flow.show(repo.get("s1"), Message("the offer"), "offer")  # type: ignore[arg-type]
    flow.deliver_notices()
    flow.deliver_notices()
    assert [m["text"] for m in slack.messages] == ["the offer"]


def test_a_checklist_shown_again_while_its_post_still_waits_goes_out_once_with_the_newest_content(
    database_url: str,
) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    repo.create_submission(Submission("s1", "T1", "U1", "D-1", "1.0", "1.0", "F1", "checking"))
    slack.refuse["D-1"] = "internal_error"
    flow.show(repo.get("s1"), Message("checking your photo"), "checking")  # type: ignore[arg-type]
    flow.show(repo.get("s1"), Message("the offer"), "offer")  # type: ignore[arg-type]  # fails too
    assert [n.text for n in repo.pending_notices()] == ["the offer"]  # one notice, the newest content
    del slack.refuse["D-1"]
    assert flow.deliver_notices() == 1
    flow.show(repo.get("s1"), Message("sending to Tavus"), "sending")  # type: ignore[arg-type]  # an edit
    assert [m["text"] for m in slack.messages] == ["sending to Tavus"]
    # Once sent, queuing the key again changes nothing (the outbox's guard against doubles).
    repo.queue_notice({"dedupe_key": "checklist:s1", "channel_id": "D-1", "text": "stale"})
    assert repo.pending_notices() == []


@pytest.mark.parametrize("posted", [True, False], ids=["answer-lost", "never-arrived"])
def test_a_post_slack_did_not_answer_is_queued_and_appears_once(database_url: str, posted: bool) -> None:
    """No answer from Slack (a timeout, a refused connection): the message may or may not be
    in the thread. It is queued, and delivery looks in the thread before posting it."""
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    if posted:
        slack.answer_lost.add("D-1")
    else:
        slack.refuse["D-1"] = ConnectionRefusedError("connection refused")
    assert flow.post("D-1", "1.0", Message("training done"), "news:s1", "T1") is None
    (queued,) = repo.pending_notices()
    assert queued.last_error == "no answer from Slack"
    slack.answer_lost.clear()
    slack.refuse.clear()
    assert flow.deliver_notices() == (0 if posted else 1)
    assert [m["text"] for m in slack.messages] == ["training done"] and repo.pending_notices() == []


def test_a_delivery_slack_did_not_answer_is_not_posted_again_if_it_arrived(database_url: str) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    queue(repo, "ready:s1", "D-1")
    slack.answer_lost.add("D-1")  # the delivery goes through, its answer does not
    assert flow.deliver_notices() == 0
    slack.answer_lost.clear()
    flow.deliver_notices()
    assert [m["text"] for m in slack.messages] == ["ready:s1"] and repo.pending_notices() == []


@pytest.mark.parametrize(
    "answer",
    [(200, "internal_error"), (200, "fatal_error"), (504, "Received a response in a non-JSON format: <html>")],
    ids=["internal_error", "fatal_error", "gateway-timeout"],
)
def test_a_post_slack_may_have_done_despite_its_error_is_not_posted_twice(
    database_url: str, answer: tuple[int, str]
) -> None:
    """Slack's internal_error and fatal_error say "it's possible some aspect of the operation
    succeeded"; a gateway's 5xx page stands in for an answer that never came. Such a post is
    looked for in the thread before it is sent again."""
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    slack.posted_but["D-1"] = answer
    assert flow.post("D-1", "1.0", Message("training done"), "news:s1", "T1") is None  # queued
    queue(repo, "ready:s1", "D-1")
    assert flow.deliver_notices() == 0  # the delivery too went through, answered alike
    del slack.posted_but["D-1"]
    flow.deliver_notices()
    assert [m["text"] for m in slack.messages] == ["training done", "ready:s1"] and repo.pending_notices() == []


def test_a_checklist_edit_slack_did_not_answer_is_queued_and_delivered(database_url: str) -> None:
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    repo.create_submission(Submission("s1", "T1", "U1", "D-1", "1.0", "1.0", "F1", "checking"))
    flow.show(repo.get("s1"), Message("checking your photo"), "checking")  # type: ignore[arg-type]
    slack.refuse["D-1"] = ConnectionResetError("connection reset")
    flow.show(repo.get("s1"), Message("the offer"), "offer")  # type: ignore[arg-type]
    del slack.refuse["D-1"]
    assert flow.deliver_notices() == 1
    assert [m["text"] for m in slack.messages] == ["the offer"]


def test_an_app_home_slack_did_not_answer_fails_no_step(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """The Home tab is refreshed after the thread is shown; no answer to that refresh must not
    fail the step (before, only Slack's own error answers were let pass)."""
    slack = Slack()
    flow, repo = workflow(database_url, slack)
    repo.create_submission(Submission("s1", "T1", "U1", "D-1", "1.0", "1.0", "F1", "ready"))
    repo.mark_home_seen("T1", "U1")
    slack.refuse["home:U1"] = TimeoutError("The read operation timed out")
    with caplog.at_level(logging.WARNING):
        flow.show(repo.get("s1"), Message("expired"), "expired")  # type: ignore[arg-type]
    assert [m["text"] for m in slack.messages] == ["expired"]
    assert "event=home_publish_failed user=U1 error=no answer from Slack" in caplog.text
