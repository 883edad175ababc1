"""Tavus's image validator in the flow: blocking, fixable, and unreachable."""

from __future__ import annotations

from collections.abc import Callable

from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import block_of, checklist_ts, updates_of
from .harness import BotProcess, file_share_event, wait_for


def _final_update(slack: FakeSlack, ts: str, marker: str) -> dict:
    return wait_for(lambda: next((u for u in updates_of(slack, ts) if marker in str(u.get("blocks"))), None))


def test_validator_verdicts_fold_into_the_checklist(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    # 1. a rejection Tavus's fixer cannot repair blocks the photo
    fake_tavus.next_verdicts.append(
        {"passed": False, "checks": [{"id": "subject", "label": "AppearsUnder18Error", "passed": False}]}
    )
    file_obj = fake_slack.add_file("F0V1", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1700000500.000100"), "EvV1")
    ts = checklist_ts(fake_slack, "1700000500.000100")
    blocked = _final_update(fake_slack, ts, "AppearsUnder18Error")
    assert block_of(blocked, "draft_actions") is None and "adults" in str(blocked["blocks"])
    assert fake_tavus.validations[0]["mime"] == "image/jpeg"

    # 2. a fixable one is offered with the AI Image Fixer ticked, and the create call uses it
    fake_tavus.next_verdicts.append({"passed": False, "details": {"code": "HeadNotFullyInFrameError"}})
    file_obj = fake_slack.add_file("F0V2", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1700000501.000100"), "EvV2")
    ts2 = checklist_ts(fake_slack, "1700000501.000100")
    offered = _final_update(fake_slack, ts2, "draft_actions")
    fixer = block_of(offered, "autofix")["elements"][0]
    assert fixer["initial_options"][0]["value"] == "on"
    create = block_of(offered, "draft_actions")["elements"][0]
    bot.click("create_replica", create["value"], ts2, voice="anna")
    wait_for(lambda: fake_tavus.create_bodies)
    assert fake_tavus.create_bodies[0]["auto_fix_training_image"] is True

    # 3. an unreachable validator is said, and our checks alone decide
    for _ in range(6):
        fake_tavus.fail_next("POST /v2/replicas/{id}", 503, {"message": "unavailable"})
    file_obj = fake_slack.add_file("F0V3", "me.jpg", photo_samples.headshot_jpeg())
    bot.send_event(file_share_event(file_obj, ts="1700000502.000100"), "EvV3")
    ts3 = checklist_ts(fake_slack, "1700000502.000100")
    ready = _final_update(fake_slack, ts3, "draft_actions")
    assert "could not be reached" in str(ready["blocks"])
