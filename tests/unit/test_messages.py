"""Block Kit builders: stable ids, Slack's limits, escaping."""

import json

from bot import messages
from tests.blockkit import problems_in, problems_in_call

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
    assert problems_in(blocks) == []


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
    rows = [{"status": "training", "replica_id": f"r{i}", "file_name": "<me>.jpg"} for i in range(300)]
    view = messages.home_view(rows, "anna", [f"v{i}" for i in range(300)])
    assert view["type"] == "home" and problems_in(view["blocks"], view=True) == []
    assert "&lt;me&gt;" in str(view) and "<me>" not in str(view)
    voice = next(b for b in view["blocks"] if b.get("block_id") == "home_voice")["accessory"]
    assert voice["action_id"] == messages.ACTION_HOME_VOICE and voice["initial_option"]["value"] == "anna"


def test_every_builder_stays_within_slack_limits() -> None:
    long = "x" * 5000
    findings = [{"code": f"c{i}", "severity": "warn", "message": long, "advice": long} for i in range(30)]
    built = [
        messages.needs_fix_message(findings, ["format"]),
        messages.ready_message("s1", findings, [], [f"v{i}" for i in range(500)], None, True, long),
        messages.delete_confirm_message("r1", long),
        messages.training_message("r1", "anna", "42/100"),
        messages.failed_message("U1", long),
        messages.completed_message("U1", "r1"),
    ]
    for msg in built:
        assert problems_in_call("chat.postMessage", {"text": msg.text, "blocks": msg.blocks}) == []
    assert problems_in_call("views.open", {"view": messages.name_modal("s1", long)}) == []


def test_the_validator_catches_what_slack_would_refuse() -> None:
    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    assert problems_in(too_many)
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "y" * 80}}
    assert problems_in([{"type": "actions", "elements": [button]}])


def test_policy_messages_fit_block_kit_and_the_modal_reads_back() -> None:
    from bot.policy import Policy
    from bot.workflow.policy import PolicyForm, policy_from_form

    policy = Policy("groups", (), ("S1",), 3, 2, True, "C1")
    modal = messages.policy_modal(policy.as_dict(), ["U9"], [("S1", "design"), ("S2", "x" * 90)])
    assert problems_in_call("views.open", {"view": modal}) == []
    ids = [b.get("block_id") for b in modal["blocks"]]
    assert messages.BLOCK_POLICY_GROUPS in ids and messages.BLOCK_POLICY_ADMINS in ids
    without_groups = messages.policy_modal(Policy().as_dict(), [], [])
    assert messages.BLOCK_POLICY_GROUPS not in [b.get("block_id") for b in without_groups["blocks"]]
    request = messages.approval_request_message("s1", "U1", "anna", "passed every check", "ab" * 32, "Ada <@U2>")
    assert problems_in_call("chat.postMessage", {"text": request.text, "blocks": request.blocks}) == []
    assert "&lt;@U2&gt;" in json.dumps(request.blocks)  # a replica name cannot mention anyone
    section = messages.policy_section(policy.as_dict(), ("U9", "2026-11-26T10:00:00+00:00"), [], [("U1", 2)], [])
    assert problems_in(section, view=True) == []
    assert "3 per 30 days" in json.dumps(section) and "<!subteam^S1>" in json.dumps(section)
    form = PolicyForm(who="groups", groups=["S1"], quota="3", max_training="2", approval=True, channel="C1")
    assert policy_from_form(form) == (policy, {})
    bad, errors = policy_from_form(PolicyForm(who="listed", quota="-1", max_training="x", approval=True))
    assert bad is None and set(errors) == {"policy_people", "policy_quota", "policy_max_training", "policy_channel"}


class _Watched(dict[str, object]):
    """A row that remembers which fields were read."""

    read: set[str]

    def __getitem__(self, key: str) -> object:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)


def test_the_status_list_reads_only_the_fields_the_status_command_fetches() -> None:
    from dataclasses import fields

    from storage.records import Submission

    every = {f.name: f"value of {f.name}" for f in fields(Submission)}
    read: set[str] = set()
    for status in ("checking", "ready", "training", "completed", "failed"):
        for name in ("Ann's twin", None):
            row = _Watched({**every, "status": status, "display_name": name, "created_at": "2026-11-01T10:00:00+00:00"})
            row.read = read
            line = messages.status_line(row)
            assert line == messages.status_line({k: row[k] for k in messages.STATUS_FIELDS})
    assert read <= set(messages.STATUS_FIELDS), read - set(messages.STATUS_FIELDS)
    assert {"status", "replica_id", "training_progress", "display_name", "file_name", "created_at"} <= read
