from bot.tavus import TavusError, Voice
from bot.voices import FALLBACK_VOICES, VoiceCatalog, account_of
from storage import Repository


def test_fallback_until_live_list_arrives_then_live_for_every_process(database_url: str) -> None:
    repo = Repository(database_url)
    worker = VoiceCatalog(lambda: [Voice("Zed"), Voice("anna")], repo, "acct")
    web = VoiceCatalog(lambda: [], repo, "acct", clock=lambda: 0.0)  # never fetches; reads storage
    assert worker.names() == list(FALLBACK_VOICES) and not worker.is_live
    assert worker.refresh()
    assert worker.names() == ["anna", "Zed"] and worker.is_live
    assert VoiceCatalog(lambda: [], repo, "acct").names() == ["anna", "Zed"]  # another process sees it
    assert VoiceCatalog(lambda: [], repo, "other").names() == list(FALLBACK_VOICES)  # per Tavus account
    assert not worker.refresh_if_stale()  # fresh: no second fetch
    assert web.resolve("ANNA") == "anna"


def test_case_insensitive_resolve_and_suggestions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    catalog = VoiceCatalog(lambda: [], Repository(str(tmp_path / "db")), "acct")
    assert catalog.resolve("ANNA") == "anna"
    assert catalog.resolve("annna") is None
    assert catalog.suggest("annna")[0] == "anna"
    assert catalog.suggest("qqqq") == []


def test_unreachable_tavus_keeps_fallback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def boom() -> list[Voice]:
        raise TavusError(None, "down", retryable=True)

    catalog = VoiceCatalog(boom, Repository(str(tmp_path / "db")), "acct")
    assert not catalog.refresh()
    assert catalog.resolve("liam") == "liam" and not catalog.is_live


def test_the_account_name_never_holds_the_key() -> None:
    assert "secret-key" not in account_of("secret-key") and account_of("a") != account_of("b")
