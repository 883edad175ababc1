"""The whole story, end to end: a photo in a DM becomes a replica announced in its thread."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import audit_trail, block_of, checklist_ts, ready_update, thread_messages, updates_of
from .harness import BOT_TOKEN, OTHER_USER, USER, BotProcess, file_share_event, wait_for


def test_photo_to_trained_replica(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    # 1. choose a voice; a typo gets a suggestion
    assert "`anna`" in bot.send_command("voice annna").json()["text"]
    # the live list arrives in the background: 12 voices in pages of 5, the last is olivia
    wait_for(lambda: "`olivia`" in bot.send_command("voices").json()["text"])
    assert fake_tavus.requests["GET /v2/voices"] == 3
    command_started = time.monotonic()
    reply = bot.send_command("voice Charlotte")
    command_ms = (time.monotonic() - command_started) * 1000
    assert reply.status_code == 200 and "`charlotte`" in reply.json()["text"]

    # 2. upload a photo carrying GPS and a rotation tag; the retried delivery is ignored
    photo = photo_samples.with_gps_exif(photo_samples.astronaut().resize((900, 700)), orientation=6)
    file_obj = fake_slack.add_file("F0PHOTO1", "me.jpg", photo)
    event = file_share_event(file_obj, ts="1700000100.000200")
    started = time.monotonic()
    assert bot.send_event(event, "Ev01").status_code == 200
    assert bot.send_event(event, "Ev01", retry_num=1).status_code == 200
    ts = checklist_ts(fake_slack, "1700000100.000200")
    ready = ready_update(fake_slack, ts)
    first_reply_ms = (time.monotonic() - started) * 1000
    assert len(thread_messages(fake_slack, "1700000100.000200")) == 1  # the retry did nothing
    assert fake_slack.file_downloads[0]["authorization"] == f"Bearer {BOT_TOKEN}"
    select = block_of(ready, "voice")["accessory"]
    assert select["initial_option"]["value"] == "charlotte"
    create = block_of(ready, "draft_actions")["elements"][0]
    assert create["action_id"] == "create_replica" and "rights to this likeness" in create["text"]["text"]
    assert fake_tavus.requests["POST /v2/replicas"] == 0  # nothing sent before consent
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

    # 3. someone else cannot press it; the owner can, twice, and one replica is made
    bot.click("create_replica", create["value"], ts, user=OTHER_USER)
    wait_for(lambda: fake_slack.calls_to("chat.postEphemeral"))
    assert fake_slack.calls_to("chat.postEphemeral")[0].args["user"] == OTHER_USER
    clicked = time.monotonic()
    bot.click("create_replica", create["value"], ts, voice="julia")
    bot.click("create_replica", create["value"], ts, voice="julia")
    training = wait_for(lambda: next((u for u in updates_of(fake_slack, ts) if "Training started" in u["text"]), None))
    create_ms = (time.monotonic() - clicked) * 1000
    assert len(fake_tavus.replicas) == 1
    replica = next(iter(fake_tavus.replicas.values()))
    assert replica.replica_id in training["text"]
    body = fake_tavus.create_bodies[0]
    assert body["voice_name"] == "julia"
    assert create["value"] in body["replica_name"]  # the name carries our submission id
    assert "X-Amz-Signature" in body["train_image_url"]
    assert "X-Amz-Expires=172800" in body["train_image_url"]
    # what Tavus downloaded: upright (orientation 6 → 700×900), no metadata at all
    assert replica.image_size == (700, 900)
    assert replica.image_info["exif_tags"] == 0
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(replica.image_info["keys"])
    assert b"Secret" not in replica.image_bytes
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1
    head = s3_client.head_object(Bucket=bucket, Key=keys[0])
    assert head.get("ServerSideEncryption") == "AES256"

    # 4. the poller sees completion; the thread gets one message that mentions the person
    fake_tavus.finish(replica.replica_id, "completed")
    finished = time.monotonic()
    done = wait_for(
        lambda: next((m for m in thread_messages(fake_slack, "1700000100.000200") if "is ready" in m["text"]), None)
    )
    assert f"<@{USER}>" in done["text"] and replica.replica_id in done["text"]
    announce_ms = (time.monotonic() - finished) * 1000
    wait_for(lambda: s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0)
    time.sleep(2.5)  # two more poll cycles: nothing is posted twice
    assert sum("is ready" in m["text"] for m in thread_messages(fake_slack, "1700000100.000200")) == 1
    # 5. the audit trail says who consented to which image, once, and what came of it
    trail = [(e["action"], e["actor"], e["subject"]) for e in audit_trail(bot, "T1")]
    assert trail == [
        ("consent", USER, create["value"]),
        ("replica_created", USER, replica.replica_id),
        ("training_finished", "tavus", replica.replica_id),
    ]
    print(
        f"\nstory timings: /replica voice {command_ms:.0f} ms; upload→offer {first_reply_ms:.0f} ms; "
        f"click→training {create_ms:.0f} ms; completed→announced {announce_ms:.0f} ms (1 s poll interval)"
    )


def test_too_small_and_non_image_never_reach_s3_or_tavus(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    small = fake_slack.add_file("F0SMALL", "small.png", photo_samples.tiny_png(), "image/png")
    bot.send_event(file_share_event(small, ts="1700000200.000100"), "Ev10")
    text_file = fake_slack.add_file("F0TEXT", "notes.jpg", b"just some words, not a photo", "image/jpeg")
    bot.send_event(file_share_event(text_file, ts="1700000201.000100"), "Ev11")
    wait_for(lambda: len([u for u in fake_slack.calls_to("chat.update") if "can't be used" in u.args["text"]]) == 2)
    texts = " ".join(str(u.args["blocks"]) for u in fake_slack.calls_to("chat.update"))
    assert "300×300" in texts and "512×512" in texts
    assert "could not read this file" in texts
    assert fake_tavus.requests["POST /v2/replicas"] == 0
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_restart_while_training_still_announces_completion(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    bot.send_command("voice anna")
    file_obj = fake_slack.add_file("F0PHOTO2", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1700000300.000100"), "Ev20")
    ts = checklist_ts(fake_slack, "1700000300.000100")
    create = block_of(ready_update(fake_slack, ts), "draft_actions")["elements"][0]
    bot.click("create_replica", create["value"], ts)
    wait_for(lambda: fake_tavus.replicas)
    wait_for(lambda: any("Training started" in u.args["text"] for u in fake_slack.calls_to("chat.update")))
    assert bot.terminate() == 0  # graceful stop on SIGTERM
    replica_id = next(iter(fake_tavus.replicas))
    fake_tavus.finish(replica_id, "error", "Multiple faces detected in the training image")
    start_bot()
    failed = wait_for(
        lambda: next(
            (m for m in thread_messages(fake_slack, "1700000300.000100") if "could not train" in m["text"]),
            None,
        )
    )
    assert f"<@{USER}>" in failed["text"] and "only you" in failed["text"]
    assert len(fake_tavus.replicas) == 1
    wait_for(lambda: s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0)


def test_channel_upload_is_redirected_to_dm(start_bot: Callable[..., BotProcess], fake_slack: FakeSlack) -> None:
    bot = start_bot()
    file_obj = fake_slack.add_file("F0CHAN", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1700000400.000100", channel_type="channel", channel="C0TEAM"), "Ev30")
    msg = wait_for(lambda: next(iter(thread_messages(fake_slack, "1700000400.000100")), None))
    assert "direct message" in msg["text"]
    assert fake_slack.file_downloads == []
