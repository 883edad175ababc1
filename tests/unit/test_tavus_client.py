"""The Tavus client against httpx.MockTransport: retries, errors, parsing."""

import json

import httpx
import pytest

from bot.tavus import TavusClient, TavusError, TavusNotFound


def client(handler, retries: int = 3) -> tuple[TavusClient, list[float]]:  # type: ignore[no-untyped-def]
    slept: list[float] = []
    c = TavusClient(
        "key",
        "http://tavus.test",
        max_retries=retries,
        backoff_seconds=0.01,
        transport=httpx.MockTransport(handler),
        sleep=slept.append,
    )
    return c, slept


def test_create_sends_fields_and_key() -> None:
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["key"] = request.headers["x-api-key"]
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"replica_id": "r90bbd427f71", "status": "started"})

    c, _ = client(handler)
    replica = c.create_replica(train_image_url="http://s3/x?sig", voice_name="anna", replica_name="n [s1]")
    assert replica.replica_id == "r90bbd427f71" and replica.status == "started"
    assert seen["key"] == "key"
    assert seen["body"] == {
        "train_image_url": "http://s3/x?sig",
        "voice_name": "anna",
        "replica_name": "n [s1]",
    }


def test_429_honours_retry_after_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow down"}),
            httpx.Response(503),
            httpx.Response(200, json={"replica_id": "r1", "status": "completed"}),
        ]
    )
    c, slept = client(lambda r: next(answers))
    assert c.get_replica("r1").succeeded
    assert slept[0] == 7 and len(slept) == 2


def test_4xx_is_not_retried_and_carries_tavus_text() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, json={"error": "Either train_video_url or train_image_url must be provided."})

    c, _ = client(handler)
    with pytest.raises(TavusError) as err:
        c.create_replica(train_image_url="", voice_name="anna", replica_name="x")
    assert err.value.status == 400 and "train_image_url" in err.value.message and not err.value.retryable
    assert len(calls) == 1


def test_401_message_and_404_type() -> None:
    c, _ = client(lambda r: httpx.Response(401, json={"message": "Invalid access token"}))
    with pytest.raises(TavusError, match="Invalid access token"):
        c.get_replica("r1")
    c, _ = client(lambda r: httpx.Response(404, json={"error": "Invalid replica_id"}))
    with pytest.raises(TavusNotFound):
        c.get_replica("r1")


def test_exhausted_retries_and_malformed_json_are_retryable_errors() -> None:
    c, slept = client(lambda r: httpx.Response(500, text="oops"), retries=2)
    with pytest.raises(TavusError) as err:
        c.get_replica("r1")
    assert err.value.retryable and len(slept) == 2
    c, _ = client(lambda r: httpx.Response(200, text="{not json"), retries=0)
    with pytest.raises(TavusError, match="malformed JSON"):
        c.get_replica("r1")


def test_connection_errors_are_retried() -> None:
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"data": [{"replica_id": "r1", "status": "started"}], "total_count": 1})

    c, _ = client(handler)
    assert [r.replica_id for r in c.list_replicas(replica_ids=["r1"])] == ["r1"]


def test_voices_pages_until_total() -> None:
    names = [f"v{i}" for i in range(12)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        chunk = names[(page - 1) * 5 : page * 5]
        return httpx.Response(200, json={"data": [{"voice_name": n} for n in chunk], "total_count": 12})

    c, _ = client(handler)
    assert [v.voice_name for v in c.list_voices()] == names


def test_create_is_never_retried_when_tavus_may_have_acted() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"error": "busy"})

    c, slept = client(handler)
    with pytest.raises(TavusError) as err:
        c.create_replica(train_image_url="u", voice_name="anna", replica_name="n")
    assert err.value.retryable and len(calls) == 1 and slept == []

    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"replica_id": "r1"})])
    c, slept = client(lambda r: next(answers))
    assert c.create_replica(train_image_url="u", voice_name="anna", replica_name="n").replica_id == "r1"
    assert slept == [2.0]  # 429 means Tavus did nothing: safe to send again


def _listing(names: list[str], page_cap: int = 100, with_total: bool = True, shrink_after: int | None = None):  # type: ignore[no-untyped-def]
    """A Tavus list endpoint over `names` that gives at most `page_cap` per page; after
    `shrink_after` pages one entry already read is deleted (the rest move up a place)."""
    served: list[int] = []
    items = list(names)

    def handler(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["page"]), min(int(request.url.params["limit"]), page_cap)
        served.append(page)
        if shrink_after is not None and len(served) == shrink_after + 1:
            del items[0]
        data = [{"replica_id": f"r-{n}", "replica_name": n} for n in items[(page - 1) * limit : page * limit]]
        return httpx.Response(200, json={"data": data, **({"total_count": len(items)} if with_total else {})})

    return handler, served


def test_find_replica_by_name_pages_through_the_list() -> None:
    names = [f"n{i}" for i in range(205)]
    handler, served = _listing(names)
    c, _ = client(handler)
    assert c.find_replica_by_name("n204").replica_id == "r-n204"  # type: ignore[union-attr]
    served.clear()
    assert c.find_replica_by_name("missing") is None
    assert served == [1, 2, 3]  # total_count says the third page was the last


def test_a_short_page_is_not_taken_for_the_end_of_the_list() -> None:
    # Tavus may give fewer than asked: the replica on a later page must still be found, or
    # reconciling a lost create would make a second replica.
    names = [f"n{i}" for i in range(120)]
    for with_total in (True, False):
        handler, served = _listing(names, page_cap=50, with_total=with_total)
        c, _ = client(handler)
        assert c.find_replica_by_name("n110").replica_id == "r-n110"  # type: ignore[union-attr]
        served.clear()
        assert c.find_replica_by_name("missing") is None
        assert served == ([1, 2, 3] if with_total else [1, 2, 3, 4])  # without a total: up to an empty page


def test_a_list_that_cannot_be_read_whole_is_no_answer() -> None:
    names = [f"n{i}" for i in range(300)]
    handler, _ = _listing(names, shrink_after=1)  # an entry on page 2 moves onto page 1 unread
    c, _ = client(handler)
    with pytest.raises(TavusError) as err:
        c.find_replica_by_name("n100")
    assert err.value.retryable and "deleted" in err.value.message
    handler, _ = _listing(names)
    c, _ = client(handler)
    with pytest.raises(TavusError) as err:
        c.find_replica_by_name("missing", max_pages=2)
    assert err.value.retryable
