"""The door (which requests are stored and answered at once) and the replay of a stored
request through Bolt, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier

from bot.inbox import REFUSED, STORED, Door, Replay, command_deferral, deferral
from bot.inbox.follow_up import reply_body
from bot.inbox.uploads import photo_upload
from bot.jobs.kinds import slack_request
from handlers import STORED_ACTIONS, STORED_EVENTS, commands
from storage import Repository
from storage.jobs import Job, JobStore
from tests.fakes.slack_api import FakeSlack

SECRET = "door-secret"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def event_body(event_id: str = "Ev1", kind: str = "message", **event: Any) -> str:
    return json.dumps(
        {"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": {"type": kind, **event}}
    )


def click_body(action_id: str, response_url: str | None = None) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "trigger_id": "t",
        "actions": [{"action_id": action_id, "value": "s1", "type": "button"}],
    }
    if response_url:  # a click in a message has one; a click in App Home has none
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def headers(body: str, content_type: str, timestamp: float | None = None) -> dict[str, str]:
    ts = str(int(time.time() if timestamp is None else timestamp))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": signature}


def defer(body: str, content_type: str) -> Any:
    return deferral(body, content_type, STORED_EVENTS, STORED_ACTIONS, frozenset({"/replica"}))


def test_events_and_storing_clicks_may_wait_the_rest_goes_to_bolt() -> None:
    event = defer(event_body("Ev9", subtype="file_share"), JSON)
    assert event is not None and event.dedupe_key == "slack-event:Ev9" and event.max_attempts == 3
    assert defer(event_body(kind="app_home_opened"), JSON) is not None
    click = defer(click_body("create_replica"), FORM)
    assert click is not None and click.dedupe_key is None and click.max_attempts == 1
    command = defer(command_body("status"), FORM)
    assert command is not None and command.what == "command:/replica" and command.max_attempts == 1
    # Bolt answers these as they come: unknown events, Slack's URL check, a click that opens
    # a modal (its trigger_id lasts 3 s), a menu that only acks, a command with nowhere to
    # send its reply, modals, junk.
    assert defer(event_body(kind="reaction_added"), JSON) is None
    assert defer(json.dumps({"type": "url_verification", "challenge": "c"}), JSON) is None
    assert defer(click_body("edit_name"), FORM) is None
    assert defer(click_body("voice_select"), FORM) is None
    assert defer(urlencode({"command": "/replica", "text": "status"}), FORM) is None
    view = urlencode({"payload": json.dumps({"type": "view_submission", "view": {}})})
    assert defer(view, FORM) is None
    assert defer("{not json", JSON) is None and defer("payload=%7Bnot", FORM) is None
    assert defer(event_body(), "text/plain") is None


def stored_jobs(jobs: JobStore) -> list[Job]:
    return jobs.claim("test", [slack_request.QUEUE], 30, limit=50)


def test_a_burst_is_recorded_in_shared_transactions_each_sender_told_after_its_commit(database_url: str) -> None:
    """Thirty threads record at once: every job is in the database when its `record`
    returns (seen from another connection), events keep their key, and the burst took
    fewer transactions than requests. A job that cannot be stored fails its own sender
    only; the others of its batch are stored one by one."""
    import threading

    from bot.inbox.recorder import Recorder
    from storage.jobs import JobSpec

    repo = Repository(database_url)
    if not repo.db.is_postgres:
        repo.db.group_writes()  # as in the web role

    class FirstBatchSlow(JobStore):
        """The first transaction takes a while, as under load: the others queue meanwhile."""

        batches: list[int] = []

        def enqueue_all(self, specs: Any) -> None:
            if not self.batches:
                time.sleep(0.3)
            self.batches.append(len(specs))
            super().enqueue_all(specs)

    jobs = FirstBatchSlow(repo.db)
    recorder = Recorder(jobs)
    seen_after_return: list[bool] = []
    start = threading.Barrier(30)

    def send(i: int) -> None:
        start.wait()
        key = f"slack-event:Ev{i % 25}"  # five of them a retry of another's event
        recorder.record(JobSpec(kind="noop", queue="burst", dedupe_key=key, args={"i": i}))
        with repo.db.read() as tx:
            seen_after_return.append(tx.first("SELECT 1 FROM jobs WHERE dedupe_key = :k", {"k": key}) is not None)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen_after_return == [True] * 30
    with repo.db.read() as tx:
        assert tx.scalars("SELECT COUNT(*) FROM jobs WHERE queue = 'burst'") == [25]
    assert sum(jobs.batches) == 30 and recorder.transactions == len(jobs.batches) <= 3

    jobs.batches.clear()
    recorder = Recorder(jobs)
    errors: list[BaseException] = []
    gate = threading.Barrier(6)

    def send_one(spec: JobSpec) -> None:
        gate.wait()
        try:
            recorder.record(spec)
        except Exception as exc:
            errors.append(exc)

    bad = JobSpec(kind="noop", queue="mixed", args={"not": object()})  # cannot be stored
    specs = [bad] + [JobSpec(kind="noop", queue="mixed", args={"i": i}) for i in range(5)]
    threads = [threading.Thread(target=send_one, args=(spec,)) for spec in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(errors) == 1 and isinstance(errors[0], TypeError)
    assert max(jobs.batches) > 1  # the bad job was in a shared batch, which then went one by one
    with repo.db.read() as tx:
        assert tx.scalars("SELECT COUNT(*) FROM jobs WHERE queue = 'mixed'") == [5]


def test_a_request_that_cannot_be_recorded_is_not_answered(database_url: str) -> None:
    repo = Repository(database_url)
    jobs = JobStore(repo.db)
    with repo.db.write() as tx:
        tx.execute("DROP TABLE jobs")
    body = event_body("Ev5", subtype="file_share")
    door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS)
    with pytest.raises(Exception, match="jobs"):  # answered 500; Slack sends it again
        door.answer(body.encode(), headers(body, JSON))


def test_the_door_stores_verified_requests_once_and_refuses_forged_ones(database_url: str) -> None:
    jobs = JobStore(Repository(database_url).db)
    door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS)
    body = event_body("Ev1", subtype="file_share", user="U1")
    assert door.answer(body.encode(), headers(body, JSON)) == STORED
    assert door.answer(body.encode(), headers(body, JSON)) == STORED  # Slack's retry: same job
    click = click_body("cancel_draft")
    assert door.answer(click.encode(), headers(click, FORM)) == STORED
    forged = event_body("Ev2")
    assert door.answer(forged.encode(), {**headers(forged, JSON), "x-slack-signature": "v0=00"}) == REFUSED
    stale = event_body("Ev3")
    assert door.answer(stale.encode(), headers(stale, JSON, timestamp=time.time() - 600)) == REFUSED
    command = urlencode({"command": "/replica", "text": "status"})
    assert door.answer(command.encode(), headers(command, FORM)) is None  # no commands given: Bolt's
    stored = stored_jobs(jobs)
    assert sorted(j.args["body"] for j in stored) == sorted([body, click])
    assert {j.max_attempts for j in stored} == {3, 1}


def command_body(
    text: str, command: str = "/replica", response_url: str = "https://hooks.example/r", **extra: str
) -> str:
    fields = {"command": command, "text": text, "team_id": "T1", "user_id": "U1", "channel_id": "D1", **extra}
    return urlencode({**fields, "response_url": response_url, "trigger_id": "t"})


def test_only_the_named_slash_commands_with_a_response_url_are_picked_out() -> None:
    names = frozenset({"/replica"})

    def form(body: str) -> dict[str, list[str]]:
        return parse_qs(body, keep_blank_values=True)

    assert command_deferral(form(command_body("voice anna")), names) is not None
    assert command_deferral(form(command_body("")), names) is not None  # a blank text is help
    assert command_deferral(form(command_body("status", command="/other")), names) is None
    assert command_deferral(form(command_body("status", ssl_check="1")), names) is None  # Slack's URL check
    assert command_deferral(form(click_body("create_replica")), names) is None
    assert command_deferral(form(command_body("status")), frozenset()) is None
    # nowhere to post the reply: Bolt answers it in the ack, as it arrives
    assert command_deferral(form(command_body("status", response_url="")), names) is None
    assert command_deferral(form(command_body("status", response_url="file:///etc/passwd")), names) is None


def test_the_door_stores_a_signed_slash_command_and_acks_it_empty(database_url: str) -> None:
    jobs = JobStore(Repository(database_url).db)
    door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS, commands=frozenset({"/replica"}))
    body = command_body("status")
    assert door.answer(body.encode(), headers(body, FORM)) == STORED  # Slack shows nothing for it
    forged = command_body("delete r1")
    assert door.answer(forged.encode(), {**headers(forged, FORM), "x-slack-signature": "v0=00"}) == REFUSED
    unsigned = {"content-type": FORM}  # no timestamp or signature at all
    assert door.answer(forged.encode(), unsigned) == REFUSED
    garbled = {"content-type": JSON, "x-slack-request-timestamp": "soon"}
    assert door.answer(event_body("Ev8").encode(), garbled) == REFUSED
    as_json = command_body("status")  # a command's form under another content type
    assert door.answer(as_json.encode(), headers(as_json, JSON)) is None
    other = command_body("status", command="/other")
    assert door.answer(other.encode(), headers(other, FORM)) is None  # Bolt's
    (job,) = stored_jobs(jobs)
    assert job.args["body"] == body and job.max_attempts == 1 and job.dedupe_key is None
    assert job.args["response_url"] == "https://hooks.example/r"  # taken out once, at the door
    assert defer(click_body("cancel_draft"), FORM).response_url is None
    assert defer(event_body(subtype="file_share"), JSON).response_url is None


def test_what_a_command_ack_posts_to_its_response_url() -> None:
    assert reply_body('{"text": "hi", "response_type": "ephemeral"}') == {"text": "hi", "response_type": "ephemeral"}
    assert reply_body('{"text": "hi"}') == {"text": "hi", "response_type": "ephemeral"}  # never in channel by default
    assert reply_body("Please reinstall") == {"text": "Please reinstall", "response_type": "ephemeral"}
    assert reply_body("") is None and reply_body("  ") is None


def test_a_failing_command_gets_a_friendly_ephemeral_reply() -> None:
    def broken(*_: Any) -> Any:
        raise OSError("database went away")

    workflow = SimpleNamespace(s=SimpleNamespace(repo=SimpleNamespace(for_user=broken)))
    fields = {"command": "/replica", "text": "status", "team_id": "T1", "user_id": "U1"}
    body = commands.reply(workflow, fields)  # type: ignore[arg-type]
    assert body["response_type"] == "ephemeral" and "try again" in body["text"]
    help_body = commands.reply(workflow, {**fields, "text": "help"})  # type: ignore[arg-type]
    assert "/replica voice" in help_body["text"] and help_body["response_type"] == "ephemeral"


def bolt_app(seen: list[dict[str, Any]]) -> App:
    app = App(
        signing_secret=SECRET,
        request_verification_enabled=False,
        process_before_response=True,
        authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1", bot_user_id="UBOT", bot_token="xoxb-1"),
    )

    @app.event("message")
    def on_message(event: dict[str, Any]) -> None:
        if event.get("text") == "boom":
            raise RuntimeError("listener failed")
        seen.append(event)

    @app.action("cancel_draft")
    def on_cancel(ack: Any, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    @app.command("/replica")
    def on_replica(ack: Any, command: dict[str, Any]) -> None:
        seen.append(command)
        if command["text"] == "quiet":
            ack()
        else:
            ack({"text": f"you said {command['text']}", "response_type": "ephemeral"})

    return app


def test_a_stored_command_runs_through_bolt_and_its_reply_goes_to_its_response_url(database_url: str) -> None:
    slack = FakeSlack("xoxb-1").start()
    try:
        jobs = JobStore(Repository(database_url).db)
        door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS, commands=frozenset({"/replica"}))
        for text, key in [("status", "k1"), ("quiet", "k2")]:
            body = command_body(text, response_url=slack.response_url(key))
            assert door.answer(body.encode(), headers(body, FORM)) == STORED
        gone = command_body("status", response_url="http://127.0.0.1:9/commands/gone")  # nobody listens
        assert door.answer(gone.encode(), headers(gone, FORM)) == STORED
        seen: list[dict[str, Any]] = []
        flow = SimpleNamespace(s=SimpleNamespace(replay=Replay(bolt_app(seen))))
        for job in stored_jobs(jobs):
            slack_request.perform(flow, job)  # type: ignore[arg-type]  # an unreachable URL is logged, not raised
        assert sorted(c["text"] for c in seen) == ["quiet", "status", "status"]
        assert slack.replies_to("k1") == [{"text": "you said status", "response_type": "ephemeral"}]
        assert slack.replies_to("k2") == []  # an empty ack posts nothing
    finally:
        slack.stop()


def test_a_request_given_up_tells_the_person_where_slack_lets_us(database_url: str) -> None:
    slack = FakeSlack("xoxb-1").start()
    try:
        jobs = JobStore(Repository(database_url).db)
        door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS, commands=frozenset({"/replica"}))
        photo = {"user": "U1", "channel": "D1", "channel_type": "im", "ts": "1710.000100", "files": [{"id": "F1"}]}
        stored = [
            (command_body("status", response_url=slack.response_url("cmd")), FORM),
            (click_body("cancel_draft", response_url=slack.response_url("click")), FORM),
            (click_body("cancel_draft"), FORM),  # from App Home: nowhere to answer
            (event_body("Ev9", user="U1", text="hi"), JSON),  # not a photo: nothing to say
            (event_body("Ev10", subtype="file_share", **photo), JSON),  # a photo uploaded in the DM
        ]
        for body, kind in stored:
            assert door.answer(body.encode(), headers(body, kind)) == STORED
        posted: list[tuple[Any, ...]] = []
        flow = SimpleNamespace(post=lambda *args: posted.append(args))
        whys = ["workers_died", "kept_failing", "workers_died", "workers_died", "kept_failing"]
        for job, why in zip(stored_jobs(jobs), whys, strict=True):
            slack_request.give_up(flow, job, why)  # type: ignore[arg-type]
        (command_reply,) = slack.replies_to("cmd")
        assert command_reply["response_type"] == "ephemeral" and command_reply["replace_original"] is False
        assert "restarted" in command_reply["text"] and "send it again" in command_reply["text"]
        (click_reply,) = slack.replies_to("click")
        assert click_reply["replace_original"] is False  # the message with the button stays
        assert "went wrong" in click_reply["text"] and "click again" in click_reply["text"]
        assert sum(len(v) for v in slack.responses.values()) == 2  # nothing for App Home or events
        ((channel, thread_ts, message, key, team),) = posted
        assert (channel, thread_ts, key, team) == ("D1", "1710.000100", "upload-missed:Ev10", "T1")
        assert "upload it again" in message.text
    finally:
        slack.stop()


def test_only_a_photo_uploaded_in_the_dm_is_a_lost_upload() -> None:
    def stored(**event: Any) -> dict[str, str]:
        return {"body": event_body("Ev1", **event), "content_type": JSON}

    base = {"user": "U1", "channel": "D1", "channel_type": "im", "ts": "1.1", "files": [{"id": "F1"}]}
    assert photo_upload(stored(**base)) is not None
    assert photo_upload(stored(**{**base, "thread_ts": "0.5"})).thread_ts == "0.5"  # type: ignore[union-attr]
    assert photo_upload(stored(**{**base, "channel_type": "channel"})) is None
    assert photo_upload(stored(**{**base, "files": []})) is None
    assert photo_upload(stored(**{**base, "type": "app_home_opened"})) is None
    assert photo_upload({"body": "not json", "content_type": JSON}) is None
    assert photo_upload(stored(**{**base, "bot_id": "B1"})) is None  # a bot's
    pdf = {"id": "F2", "mimetype": "application/pdf"}
    assert photo_upload(stored(**{**base, "files": [pdf]})) is None  # surely not a photo
    assert photo_upload(stored(**{**base, "files": [pdf, {"id": "F3", "mimetype": "image/heic"}]})) is not None
    ours = json.loads(event_body("Ev1", **{**base, "user": "UBOT"}))
    ours["authorizations"] = [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]
    assert photo_upload({"body": json.dumps(ours), "content_type": JSON}) is None  # our own preview
    assert photo_upload({"body": click_body("cancel_draft"), "content_type": FORM}) is None


def test_a_stored_request_runs_through_bolt_and_its_listener(database_url: str) -> None:
    jobs = JobStore(Repository(database_url).db)
    door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS)
    # The stored request carries no signature: however late a worker runs it, it runs.
    for body, kind in [(event_body("Ev1", user="U1", text="hi"), JSON), (click_body("cancel_draft"), FORM)]:
        assert door.answer(body.encode(), headers(body, kind)) == STORED
    seen: list[dict[str, Any]] = []
    flow = SimpleNamespace(s=SimpleNamespace(replay=Replay(bolt_app(seen))))
    for job in stored_jobs(jobs):
        slack_request.perform(flow, job)  # type: ignore[arg-type]
    assert [x.get("text") or x["actions"][0]["action_id"] for x in seen] == ["hi", "cancel_draft"]
    own = event_body("Ev4", user="UBOT", text="our own upload")  # Bolt still drops our own events
    assert door.answer(own.encode(), headers(own, JSON)) == STORED
    slack_request.perform(flow, stored_jobs(jobs)[0])  # type: ignore[arg-type]
    assert len(seen) == 2


def test_a_listener_that_fails_fails_the_job_so_it_is_tried_again(database_url: str) -> None:
    jobs = JobStore(Repository(database_url).db)
    door = Door(jobs, SECRET, STORED_EVENTS, STORED_ACTIONS)
    body = event_body("Ev5", user="U1", text="boom")
    assert door.answer(body.encode(), headers(body, JSON)) == STORED
    (job,) = stored_jobs(jobs)
    flow = SimpleNamespace(s=SimpleNamespace(replay=Replay(bolt_app([]))))
    with pytest.raises(RuntimeError, match="listener failed"):
        slack_request.perform(flow, job)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no Bolt app"):
        slack_request.perform(SimpleNamespace(s=SimpleNamespace(replay=None)), job)  # type: ignore[arg-type]
