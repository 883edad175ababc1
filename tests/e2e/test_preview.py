"""The annotated preview and the fixed photo, end to end through the real bot, the fake Slack
(files_upload_v2: getUploadURLExternal, the upload URL, completeUploadExternal), the fake
Tavus (which opens the rehosted image) and S3, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable

from PIL import Image

from bot.photo import normalize_for_rehost
from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus
from tests.photos import build

from .flow import audit_trail, block_of, checklist_ts, ready_update, updates_of
from .harness import TEAM, BotProcess, file_share_event, wait_for


def loose_photo() -> bytes:
    """The astronaut far from the camera, as a 2600 px phone photo (a real photo, padded)."""
    img = build.apply(build.source("astro"), ["pad", 2.2, 2.2, 0.5, 0.5], "astro").resize((2600, 2600))
    return photo_samples.encode(img, "JPEG", quality=92)


def two_people() -> bytes:
    img = build.apply(build.apply(build.source("astro"), ["beside", "grace"], "astro"), ["scale", 1.5], "astro")
    return photo_samples.encode(img, "JPEG", quality=92)


class Uploads:
    def __init__(self, bot: BotProcess, slack: FakeSlack):
        self.bot, self.slack, self.n = bot, slack, 0

    def share(self, data: bytes, user: str = "U0PERSON1") -> str:
        self.n += 1
        ts = f"17300{self.n:05d}.000100"
        file_obj = self.slack.add_file(f"FPRV{self.n}", "me.jpg", data)
        self.bot.send_event(file_share_event(file_obj, ts=ts, user=user), f"EvPrv{self.n}")
        return ts


def previews_in(slack: FakeSlack, thread_ts: str) -> list[dict]:
    return [s for s in slack.shared if s["thread_ts"] == thread_ts]


def create_button(offer: dict) -> dict:
    return block_of(offer, "draft_actions")["elements"][0]  # type: ignore[index]


def image_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_previews_and_the_fixed_photo_from_upload_to_tavus(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    uploads = Uploads(bot, fake_slack)
    bot.send_command("voice anna")

    # --- a good photo: one preview in its own thread, no fix offered ------------------------
    good = uploads.share(photo_samples.headshot_jpeg())
    offer = ready_update(fake_slack, checklist_ts(fake_slack, good))
    assert block_of(offer, "versions") is None and create_button(offer)["value"].count(":") == 0
    shared = wait_for(lambda: previews_in(fake_slack, good), 20)
    assert len(shared) == 1 and shared[0]["channel_id"] == "D0BOTDM1" and shared[0]["team"] == TEAM
    assert len(shared[0]["data"]) < 1_000_000 and max(image_size(shared[0]["data"])) <= 768

    # --- a loose frame: the fixed version offered; choosing it rehosts the crop ------------
    loose = uploads.share(loose_photo())
    loose_ts = checklist_ts(fake_slack, loose)
    offer = ready_update(fake_slack, loose_ts)
    assert "cropped to head and shoulders" in block_of(offer, "versions")["text"]["text"]  # type: ignore[index]
    assert create_button(offer)["text"]["text"].endswith("from my photo")
    sid = create_button(offer)["value"].split(":")[0]
    wait_for(lambda: previews_in(fake_slack, loose), 20)
    assert "fixed version" in previews_in(fake_slack, loose)[0]["title"]
    bot.click("use_fixed_photo", sid, loose_ts)
    redrawn = wait_for(
        lambda: next((u for u in updates_of(fake_slack, loose_ts) if "from the fixed photo" in json.dumps(u)), None), 20
    )
    stale = bot.click("create_replica", f"{sid}:original", loose_ts, voice="anna")  # the old button: refused
    assert stale.status_code == 200
    wait_for(lambda: any("changed which photo" in t for t in fake_slack.texts("chat.postEphemeral")), 20)
    assert not fake_tavus.replicas
    bot.click("create_replica", create_button(redrawn)["value"], loose_ts, voice="anna")
    wait_for(lambda: len(fake_tavus.replicas) == 1, 30)
    fixed_replica = next(iter(fake_tavus.replicas.values()))
    width, height = image_size(fixed_replica.image_bytes)
    assert min(width, height) >= 512 and max(width, height) < 1000  # the crop, at the photo's full resolution

    assert (width, height) in [tuple(v["size"]) for v in fake_tavus.validations]  # Tavus checked the fix first

    # --- Tavus's validator refuses a fixed version: it is not offered -----------------------
    fake_tavus.next_verdicts.extend(
        [None, {"passed": False, "checks": [{"id": "face_detected", "label": "A face", "passed": False}]}]
    )
    refused = uploads.share(loose_photo())
    refused_offer = ready_update(fake_slack, checklist_ts(fake_slack, refused))
    assert block_of(refused_offer, "versions") is None and ":" not in create_button(refused_offer)["value"]

    # --- "Keep mine": the original is rehosted ---------------------------------------------
    kept = uploads.share(loose_photo())
    kept_ts = checklist_ts(fake_slack, kept)
    kept_sid = create_button(ready_update(fake_slack, kept_ts))["value"].split(":")[0]
    bot.click("use_fixed_photo", kept_sid, kept_ts)
    wait_for(lambda: any("from the fixed photo" in json.dumps(u) for u in updates_of(fake_slack, kept_ts)), 20)
    bot.click("keep_my_photo", kept_sid, kept_ts)
    mine = wait_for(
        lambda: next(
            (u for u in updates_of(fake_slack, kept_ts)[1:] if "from my photo" in json.dumps(u)),
            None,
        ),
        20,
    )
    bot.click("create_replica", create_button(mine)["value"], kept_ts, voice="anna")
    wait_for(lambda: len(fake_tavus.replicas) == 2, 30)
    kept_replica = [r for r in fake_tavus.replicas.values() if r is not fixed_replica][0]
    whole = image_size(normalize_for_rehost(loose_photo()))
    assert image_size(kept_replica.image_bytes) == whole and whole[0] > 1000  # the whole photo

    # --- two people: the annotated preview, and no fix offer (its upload waits out a 429) ----
    fake_slack.fail_next("files.getUploadURLExternal", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    two = uploads.share(two_people())
    two_ts = checklist_ts(fake_slack, two)
    wait_for(lambda: any("people" in u["text"] for u in updates_of(fake_slack, two_ts)), 20)
    wait_for(lambda: previews_in(fake_slack, two), 20)
    assert all(block_of(u, "versions") is None for u in updates_of(fake_slack, two_ts))

    # --- the preview upload fails (an install without files:write): the flow completes -----
    fake_slack.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"})
    fake_slack.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"})
    plain = uploads.share(photo_samples.headshot_jpeg())
    plain_again = uploads.share(photo_samples.headshot_jpeg())
    for ts in (plain, plain_again):
        ready_update(fake_slack, checklist_ts(fake_slack, ts))
    wait_for(lambda: bot.logs().count("event=preview_not_shared") >= 1, 20)
    time.sleep(1)
    assert not previews_in(fake_slack, plain) and not previews_in(fake_slack, plain_again)
    assert bot.logs().count("event=preview_not_shared") == 1  # said once, not per photo

    # --- the bot's own upload coming back as a file_share is not a new photo ----------------
    calls = len(fake_slack.calls_to("chat.postMessage"))
    own = fake_slack.add_file("FOWN1", "photo-check.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(own, ts="1730099999.000100", user="UBOT"), "EvOwnPreview")
    time.sleep(1.5)
    assert len(fake_slack.calls_to("chat.postMessage")) == calls

    # --- the consent names the version, and its SHA-256 is the image Tavus got ----------------
    consents = [e for e in audit_trail(bot, TEAM) if e["action"] == "consent"]
    by_subject = {e["subject"]: json.loads(e["details"]) for e in consents}
    fixed_consent, kept_consent = by_subject[sid], by_subject[kept_sid]
    assert fixed_consent["version"] == "fixed" and fixed_consent["consent_text"].endswith("from the fixed photo")
    assert fixed_consent["photo_sha256"] == hashlib.sha256(fixed_replica.image_bytes).hexdigest()
    assert kept_consent["version"] == "original"
    assert kept_consent["photo_sha256"] == hashlib.sha256(kept_replica.image_bytes).hexdigest()
