from pathlib import Path

from storage import Repository, Submission


def sub(sid: str, file_id: str = "F1", ts: str = "1.1") -> Submission:
    return Submission(
        id=sid,
        team_id="T",
        user_id="U",
        channel_id="D",
        message_ts=ts,
        thread_ts=ts,
        file_id=file_id,
        status="checking",
    )


def test_state_survives_reopen_and_one_submission_per_photo(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    repo = Repository(path)
    assert repo.create_submission(sub("s1"))
    assert not repo.create_submission(sub("s2"))  # same photo
    assert repo.create_submission(sub("s3", file_id="F2"))
    assert repo.record_event("Ev1") and not repo.record_event("Ev1")
    repo.set_voice("T", "U", "anna")
    repo.close()
    again = Repository(path)  # migrations are not re-applied; data is there
    assert again.get("s1").status == "checking" and again.get("s2") is None
    assert not again.record_event("Ev1") and again.get_voice("T", "U") == "anna"


def test_transition_is_compare_and_set(tmp_path: Path) -> None:
    repo = Repository(str(tmp_path / "db.sqlite"))
    repo.create_submission(sub("s1"))
    assert repo.transition("s1", ["checking"], "ready", voice_name="anna")
    assert not repo.transition("s1", ["checking"], "ready")
    assert repo.transition("s1", ["ready"], "submitting")
    assert not repo.transition("s1", ["ready"], "submitting")  # a second click
    assert repo.get("s1").voice_name == "anna"


def test_notice_is_queued_with_the_transition_and_only_once(tmp_path: Path) -> None:
    repo = Repository(str(tmp_path / "db.sqlite"))
    repo.create_submission(sub("s1"))
    repo.transition("s1", ["checking"], "training")
    notice = {"dedupe_key": "completed:s1", "channel_id": "D", "text": "done"}
    assert repo.transition_with_notice("s1", ["training"], "completed", [notice])
    assert not repo.transition_with_notice("s1", ["training"], "completed", [notice])
    (pending,) = repo.pending_notices()
    repo.mark_notice_failed(pending.id, "ratelimited")
    assert repo.pending_notices()[0].attempts == 1
    repo.mark_notice_sent(pending.id)
    assert repo.pending_notices() == []


def test_photo_bytes_and_welcome_once(tmp_path: Path) -> None:
    repo = Repository(str(tmp_path / "db.sqlite"))
    repo.save_photo("s1", b"abc")
    assert repo.load_photo("s1") == b"abc"
    repo.delete_photo("s1")
    assert repo.load_photo("s1") is None
    assert repo.mark_welcomed("T", "U") and not repo.mark_welcomed("T", "U")


def test_concurrent_deliveries_post_each_notice_once(tmp_path: Path) -> None:
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor
    from unittest.mock import MagicMock

    from bot.workflow import Services, Workflow

    repo = Repository(str(tmp_path / "db.sqlite"))
    for i in range(5):
        repo.queue_notice({"dedupe_key": f"n{i}", "channel_id": "D", "text": f"notice {i}"})
    posted: list[str] = []
    slack = MagicMock()

    def post(**kwargs: object) -> dict:
        time.sleep(0.01)  # a slow Slack call: the window in which a second delivery could race
        posted.append(str(kwargs["text"]))
        return {"ok": True}

    slack.chat_postMessage.side_effect = post
    services = Services(
        settings=MagicMock(),
        repo=repo,
        slack=slack,
        downloader=MagicMock(),
        rehost=MagicMock(),
        tavus=MagicMock(),
        voices=MagicMock(),
        executor=ThreadPoolExecutor(1),
    )
    flow = Workflow(services)
    threads = [threading.Thread(target=flow.deliver_notices) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(posted) == [f"notice {i}" for i in range(5)]
