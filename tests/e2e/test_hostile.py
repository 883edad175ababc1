"""Hostile input and secrets: the corpus, token hygiene, signatures, authorization, escaping."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

from tests import photo_samples
from tests.corpus import CorpusFile, build
from tests.fakes.http import FakeServer
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import checklist_ts, thread_messages, updates_of
from .harness import (
    AWS_SECRET,
    BOT_TOKEN,
    OTHER_USER,
    SIGNING_SECRET,
    TAVUS_KEY,
    BotProcess,
    file_share_event,
    sign,
    wait_for,
)

CAP = 3_000_000


def _event_for(slack: FakeSlack, n: int, item: CorpusFile) -> dict:
    file_id = f"F0C{n:03d}"
    obj = slack.add_file(
        file_id, item.name, item.data, item.mimetype, stream=item.stream, stream_total=item.stream_total
    )
    if item.declared_size is not None:
        obj["size"] = item.declared_size
    if item.thin:
        obj = {"id": file_id, "mode": "file_access"}
    extra = [slack.add_file(f"{file_id}x{i}", name, b"x") for i, name in enumerate(item.extra)]
    channel_type = "channel" if item.expect == "channel" else "im"
    channel = "C0TEAM" if item.expect == "channel" else "D0BOTDM1"
    return file_share_event(
        obj, ts=f"17100{n:05d}.000100", channel_type=channel_type, channel=channel, extra_files=extra
    )


def _answer(slack: FakeSlack, thread: str, item: CorpusFile) -> str:
    """Everything the bot said in the photo's thread once it has finished with it."""

    def done() -> str | None:
        posts = thread_messages(slack, thread)
        if item.expect == "channel":
            return json.dumps(posts, ensure_ascii=False) if posts else None
        if not posts:
            return None
        edits = [u for c in [posts[0]] for u in updates_of(slack, _ts_of(slack, thread))]
        final = [e for e in edits if "Checking" not in e["text"]]
        return json.dumps(posts + final, ensure_ascii=False) if final else None

    return str(wait_for(done, 30))


def _ts_of(slack: FakeSlack, thread: str) -> str:
    return checklist_ts(slack, thread, timeout=30)


def test_every_kind_in_the_corpus_gets_a_clear_answer(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot(DOWNLOAD_MAX_BYTES=str(CAP))
    corpus = build()
    assert len(corpus) >= 30
    started = time.monotonic()
    for n, item in enumerate(corpus):
        assert bot.send_event(_event_for(fake_slack, n, item), f"EvC{n}").status_code == 200
    report = []
    for n, item in enumerate(corpus):
        answer = _answer(fake_slack, f"17100{n:05d}.000100", item)
        expected = {
            "ready": "draft_actions",
            "unreadable": "could not read",
            "format": "not a still photo I can use",
            "resolution": "512×512",
            "download": "couldn",
            "channel": "direct message",
            "several": "draft_actions",
        }[item.expect]
        assert expected in answer, (item.kind, answer[:500])
        assert item.words in answer, (item.kind, item.words, answer[:500])
        report.append(f"| {item.kind} | {item.expect} |")
    elapsed = time.monotonic() - started
    assert bot.proc is not None and bot.proc.poll() is None  # still up
    assert fake_tavus.requests["POST /v2/replicas"] == 0
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    streamed = next(n for n, item in enumerate(corpus) if item.stream_total)
    served = fake_slack.bytes_served[f"F0C{streamed:03d}"]
    assert served < 20 * CAP, served  # refused at the cap, not after reading 200 MB
    ready = sum(item.expect in ("ready", "several") for item in corpus)
    assert len(fake_tavus.validations) == ready  # only photos that passed our checks went to Tavus
    print(f"\n{len(corpus)} kinds answered in {elapsed:.1f} s\n" + "\n".join(report))


def test_bot_token_never_leaves_slack_hosts(start_bot: Callable[..., BotProcess], fake_slack: FakeSlack) -> None:
    recorder = _Recorder().start()  # another loopback address: "someone else's server"
    try:
        bot = start_bot()
        outside = {
            "id": "F0OUT",
            "name": "me.jpg",
            "mimetype": "image/jpeg",
            "url_private_download": f"{recorder.url}/files/F0OUT/me.jpg",
        }
        bot.send_event(file_share_event(outside, ts="1720000000.000100"), "EvT1")
        fake_slack.add_file("F0RED", "me.jpg", photo_samples.headshot_jpeg())
        fake_slack.redirects["F0RED"] = f"{recorder.url}/steal"
        redirected = fake_slack.add_file("F0RED", "me.jpg", photo_samples.headshot_jpeg())
        bot.send_event(file_share_event(redirected, ts="1720000001.000100"), "EvT2")
        for thread in ("1720000000.000100", "1720000001.000100"):
            ts = checklist_ts(fake_slack, thread)
            wait_for(lambda ts=ts: any("outside Slack" in u["text"] for u in updates_of(fake_slack, ts)))
        assert recorder.seen == []  # not even a request, let alone an Authorization header
    finally:
        recorder.stop()


class _Recorder(FakeServer):
    def __init__(self) -> None:
        super().__init__(host="127.0.0.2")
        self.seen: list[dict[str, str]] = []

    def handle(self, method, path, headers, body):  # type: ignore[no-untyped-def]
        self.seen.append({"path": path, "authorization": headers.get("Authorization", "")})
        return 200, {"content-type": "image/jpeg"}, photo_samples.headshot_jpeg()


def test_unsigned_stale_and_tampered_requests_are_refused(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack
) -> None:
    bot = start_bot()
    body = urlencode(
        {
            "command": "/replica",
            "text": "voice anna",
            "user_id": "U1",
            "team_id": "T1",
            "channel_id": "D1",
            "response_url": "http://127.0.0.1:9/x",
            "trigger_id": "t",
        }
    ).encode()
    form = "application/x-www-form-urlencoded"
    unsigned = bot.http.post("/slack/events", content=body, headers={"Content-Type": form})
    stale = bot.post_signed(body, form, timestamp=int(time.time()) - 6 * 60)
    headers = {"Content-Type": form, **sign(body)}
    tampered = bot.http.post("/slack/events", content=body.replace(b"anna", b"liam"), headers=headers)
    wrong_secret = bot.http.post(
        "/slack/events", content=body, headers={"Content-Type": form, **sign(body, secret="not-" + SIGNING_SECRET)}
    )
    assert [r.status_code for r in (unsigned, stale, tampered, wrong_secret)] == [401] * 4
    assert bot.post_signed(body, form).status_code == 200  # the same request, signed, works
    time.sleep(0.5)
    assert [c.method for c in fake_slack.calls if c.method != "auth.test"] == []


def test_only_the_uploader_can_act_and_user_text_is_escaped(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    answer = bot.send_command("voice <!channel> <@U0BOSS>").json()["text"]
    assert "<!channel>" not in answer and "&lt;!channel&gt;" in answer
    answer = bot.send_command("<!everyone>").json()["text"]
    assert "<!everyone>" not in answer
    file_obj = fake_slack.add_file("F0AUTH", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1730000000.000100"), "EvA1")
    ts = checklist_ts(fake_slack, "1730000000.000100")
    offer = wait_for(lambda: next((u for u in updates_of(fake_slack, ts) if "draft_actions" in str(u["blocks"])), None))
    sid = next(b for b in offer["blocks"] if b.get("block_id") == "draft_actions")["elements"][0]["value"]
    bot.click("cancel_draft", sid, ts, user=OTHER_USER)
    bot.click("create_replica", sid, ts, user=OTHER_USER, voice="anna")
    refusals = wait_for(
        lambda: (
            [c.args for c in fake_slack.calls_to("chat.postEphemeral") if c.args.get("user") == OTHER_USER]
            if len(fake_slack.calls_to("chat.postEphemeral")) >= 2
            else None
        )
    )
    assert all("Only the person who uploaded" in r["text"] for r in refusals)
    time.sleep(0.5)
    assert fake_tavus.requests["POST /v2/replicas"] == 0
    assert not any("Cancelled" in u["text"] for u in updates_of(fake_slack, ts))


def test_no_secret_in_logs_or_messages(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    bot.send_command("voice anna")
    file_obj = fake_slack.add_file("F0SEC", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1740000000.000100"), "EvS1")
    ts = checklist_ts(fake_slack, "1740000000.000100")
    offer = wait_for(lambda: next((u for u in updates_of(fake_slack, ts) if "draft_actions" in str(u["blocks"])), None))
    sid = next(b for b in offer["blocks"] if b.get("block_id") == "draft_actions")["elements"][0]["value"]
    bot.click("create_replica", sid, ts)
    wait_for(lambda: fake_tavus.replicas)
    fake_tavus.finish(next(iter(fake_tavus.replicas)), "error", "train_image_url expired")
    wait_for(lambda: any("could not train" in m["text"] for m in thread_messages(fake_slack, "1740000000.000100")))
    signature = fake_tavus.create_bodies[0]["train_image_url"].split("X-Amz-Signature=")[1][:64]
    logs = bot.logs()
    said = json.dumps([c.args for c in fake_slack.calls])
    for secret in (BOT_TOKEN, SIGNING_SECRET, TAVUS_KEY, AWS_SECRET, signature, "X-Amz-Signature"):
        assert secret not in logs, secret
        assert secret not in said, secret
