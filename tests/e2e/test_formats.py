"""Phone and browser photos end to end: each format becomes the upright sRGB JPEG that the
fake Tavus downloads from S3 and opens; the checklist says what was converted."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from PIL import Image

from tests import photo_formats as pf
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import block_of, checklist_ts, ready_update, updates_of
from .harness import BotProcess, file_share_event, wait_for

MIMES = {"HEIC": "image/heic", "AVIF": "image/avif", "BMP": "image/bmp"}


def test_every_still_format_becomes_the_jpeg_tavus_opens(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    bot.send_command("voice anna")
    threads = {}
    for n, (name, make) in enumerate({**pf.ACCEPTED, **pf.REFUSED}.items()):
        mime = MIMES.get(name.split(",")[0], "image/webp" if "WebP" in name else "image/tiff")
        file_obj = fake_slack.add_file(f"F0FMT{n}", f"photo{n}", make(), mime)
        thread = f"1740000{n:03d}.000100"
        bot.send_event(file_share_event(file_obj, ts=thread), f"EvFmt{n}")
        threads[name] = thread

    refused = checklist_ts(fake_slack, threads["WebP, animated"])
    wait_for(lambda: any("animated WebP" in json.dumps(u["blocks"]) for u in updates_of(fake_slack, refused)))

    for name in pf.ACCEPTED:
        ts = checklist_ts(fake_slack, threads[name])
        offer = ready_update(fake_slack, ts)
        checklist = json.dumps(block_of(offer, "checklist"))
        if name.startswith(("HEIC", "AVIF", "WebP", "TIFF", "BMP")):
            assert "to JPEG" in checklist, (name, checklist)
        before = set(fake_tavus.replicas)
        bot.click("create_replica", block_of(offer, "draft_actions")["elements"][0]["value"], ts)  # type: ignore[index]
        wait_for(lambda known=before: set(fake_tavus.replicas) - known)
        (replica_id,) = set(fake_tavus.replicas) - before
        with Image.open(io.BytesIO(fake_tavus.replicas[replica_id].image_bytes)) as img:
            assert img.format == "JPEG" and img.mode == "RGB", name
            assert img.size == pf.SIZE, (name, img.size)  # upright, full size
            assert not img.getexif() and "icc_profile" not in img.info, name
            if name in (*pf.WIDE_GAMUT, *pf.HDR):  # colours converted (by the profile or the name), not dropped
                r, g, b = img.getpixel((20, 20))
                expected = pf.patch_in_srgb(name)
                assert abs(b - expected[2]) <= 8 and abs(r - expected[0]) <= 8, (name, (r, g, b), expected)
    assert len(fake_tavus.replicas) == len(pf.ACCEPTED)
