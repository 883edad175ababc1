"""Block Kit builders: stable ids, Slack's limits, escaping."""

from bot import messages

FINDINGS = [
    {
        "code": "resolution",
        "severity": "fail",
        "message": "The photo is 300×300 px",
        "advice": "Send the original.",
    },
    {"code": "reminders", "severity": "info", "message": "Please also check: jewelry"},
]


def _check_limits(blocks: list[dict]) -> None:
    assert len(blocks) <= 50
    for b in blocks:
        text = (b.get("text") or {}).get("text", "")
        assert len(text) <= 3000
        for el in (b.get("elements") or []) + ([b["accessory"]] if "accessory" in b else []):
            if el.get("type") == "button":
                assert len(el["text"]["text"]) <= 75
            if el.get("type") == "static_select":
                assert len(el["options"]) <= 100


def test_ready_message_has_select_preset_and_consent_button() -> None:
    voices = [f"voice{i}" for i in range(150)] + ["anna"]
    msg = messages.ready_message("s1", FINDINGS[1:], ["format", "resolution"], voices, "anna")
    _check_limits(msg.blocks)
    select = next(b for b in msg.blocks if b.get("block_id") == messages.BLOCK_VOICE)["accessory"]
    assert select["action_id"] == messages.ACTION_VOICE and select["initial_option"]["value"] == "anna"
    assert select["options"][0]["value"] == "anna" and len(select["options"]) == 100
    actions = next(b for b in msg.blocks if b.get("block_id") == messages.BLOCK_ACTIONS)["elements"]
    assert [a["action_id"] for a in actions] == [messages.ACTION_CREATE, messages.ACTION_CANCEL]
    assert actions[0]["value"] == "s1" and actions[0]["style"] == "primary"


def test_ready_without_voice_asks_for_one() -> None:
    msg = messages.ready_message("s1", [], [], ["anna"], None)
    block = next(b for b in msg.blocks if b.get("block_id") == messages.BLOCK_VOICE)
    assert "initial_option" not in block["accessory"] and "choose" in block["text"]["text"]


def test_needs_fix_lists_each_problem_with_fix() -> None:
    msg = messages.needs_fix_message(FINDINGS, ["format"])
    _check_limits(msg.blocks)
    body = msg.blocks[0]["text"]["text"]
    assert ":x: The photo is 300×300 px" in body and "Send the original." in body
    assert all(b.get("block_id") != messages.BLOCK_ACTIONS for b in msg.blocks)


def test_user_text_is_escaped() -> None:
    assert "<!channel>" not in messages.unknown_voice_text("<!channel>", [])
    assert "<@U1>" not in messages.extra_files_text(["<@U1>.jpg"])
    assert messages.escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_failure_advice_translates_tavus_errors() -> None:
    assert "only you" in messages.error_advice("Multiple faces detected")
    assert "glasses" in messages.error_advice("Sunglasses detected").lower()
    assert "another photo" in messages.error_advice("something odd")


def test_home_view_within_limits() -> None:
    view = messages.home_view([{"status": "training", "replica_id": "r1", "file_name": "<me>.jpg"}], "anna")
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "&lt;me&gt;" in str(view)
