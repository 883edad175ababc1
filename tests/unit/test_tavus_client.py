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


def test_find_replica_by_name_pages_through_the_list() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        data = [{"replica_id": f"r{page}-{i}", "replica_name": f"n{page}-{i}"} for i in range(100 if page < 3 else 5)]
        return httpx.Response(200, json={"data": data, "total_count": 205})

    c, _ = client(handler)
    assert c.find_replica_by_name("n3-4").replica_id == "r3-4"  # type: ignore[union-attr]
    assert c.find_replica_by_name("missing") is None
