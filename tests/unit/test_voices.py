from bot.tavus import TavusError, Voice
from bot.voices import FALLBACK_VOICES, VoiceCatalog


def test_fallback_until_live_list_arrives_then_live() -> None:
    catalog = VoiceCatalog(lambda: [Voice("Zed"), Voice("anna")])
    assert catalog.names() == list(FALLBACK_VOICES) or catalog.is_live
    assert catalog.refresh()
    assert catalog.names() == ["anna", "Zed"] and catalog.is_live


def test_case_insensitive_resolve_and_suggestions() -> None:
    catalog = VoiceCatalog(lambda: [])
    assert catalog.resolve("ANNA") == "anna"
    assert catalog.resolve("annna") is None
    assert catalog.suggest("annna")[0] == "anna"
    assert catalog.suggest("qqqq") == []


def test_unreachable_tavus_keeps_fallback() -> None:
    def boom() -> list[Voice]:
        raise TavusError(None, "down", retryable=True)

    catalog = VoiceCatalog(boom)
    assert not catalog.refresh()
    assert catalog.resolve("liam") == "liam" and not catalog.is_live
