"""Every word a person reads, and the Block Kit that carries it. Pure functions only.

Builders return `Message(text, blocks)`: `text` is Slack's notification fallback, the
blocks are what the client shows. Tests assert on block/action ids and finding codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .photo.findings import Finding, Severity

MAX_SELECT_OPTIONS = 100  # Slack's limit per static_select
MAX_SECTION_TEXT = 3000

# Action and block ids: the contract between these builders and handlers/actions.py.
ACTION_CREATE = "create_replica"
ACTION_CANCEL = "cancel_draft"
ACTION_VOICE = "voice_select"
ACTION_AUTOFIX = "autofix_toggle"
BLOCK_VOICE = "voice"
BLOCK_AUTOFIX = "autofix"
BLOCK_ACTIONS = "draft_actions"

CONSENT_BUTTON_TEXT = "I have the rights to this likeness — create the replica"
_ICONS = {"pass": ":white_check_mark:", "fail": ":x:", "warn": ":warning:", "info": ":bulb:"}


@dataclass
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Treat user-provided text as data: no mentions, links or broadcasts can be injected."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]},
    }
    if block_id:
        block["block_id"] = block_id
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}]}


# --- commands --------------------------------------------------------------------------
COMMANDS_HELP = (
    ("help", "this help"),
    ("voices", "list the stock voices"),
    ("voice <name>", "choose the voice for your next replica"),
    ("status", "your photos and replicas"),
    ("cancel", "cancel photos not yet sent to Tavus"),
)


def help_text() -> str:
    commands = "\n".join(f"• `/replica {c}` — {what}" for c, what in COMMANDS_HELP)
    return (
        "*Turn one photo into a Tavus replica, right here.*\n"
        "1. Pick a voice: `/replica voice anna` (see `/replica voices`).\n"
        "2. Upload a headshot to this DM.\n"
        "3. I check it against Tavus's photo rules and tell you what to fix.\n"
        "4. Press the consent button; I send it to Tavus.\n"
        "5. Training takes 3–4 hours; I reply in the photo's thread when it's done.\n"
        "*Photo rules:* JPEG or PNG, at least 512×512, one adult facing the camera, head and "
        "shoulders in frame, even light, no glasses, hats or anything over the face.\n"
        f"{commands}"
    )


def voices_text(names: list[str], live: bool) -> str:
    listed = ", ".join(f"`{escape(n)}`" for n in names)
    note = "" if live else "\n_(Tavus could not be reached; these are its documented examples.)_"
    return f"*Stock voices:* {listed}\nChoose one with `/replica voice <name>`.{note}"


def voice_set_text(name: str) -> str:
    return f"Your voice is now `{escape(name)}`. Upload a photo to this DM to make a replica."


def unknown_voice_text(slug: str, suggestions: list[str]) -> str:
    shown = escape(slug[:60])
    if suggestions:
        options = " or ".join(f"`{escape(s)}`" for s in suggestions)
        return f"I don't know the voice `{shown}`. Did you mean {options}?"
    return f"I don't know the voice `{shown}`. See `/replica voices` for the list."


def unknown_command_text(word: str, suggestion: str | None) -> str:
    hint = f" Did you mean `/replica {suggestion}`?" if suggestion else ""
    return f"I don't know `{escape(word[:40])}`.{hint}\n\n{help_text()}"


def status_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "You have no photos or replicas yet. Upload a photo to this DM to start."
    lines = []
    for r in rows:
        replica = f" · replica `{r['replica_id']}`" if r.get("replica_id") else ""
        progress = f" · {r['training_progress']}" if r.get("training_progress") else ""
        name = escape(r.get("file_name") or "photo")
        lines.append(f"• {name}: *{r['status']}*{replica}{progress} · {r.get('created_at', '')}")
    return "*Your photos and replicas*\n" + "\n".join(lines)


def cancelled_text(count: int) -> str:
    if count == 0:
        return "You have no drafts waiting to be sent."
    return f"Cancelled {count} draft{'s' if count != 1 else ''}. Nothing was sent to Tavus."


# --- the photo thread --------------------------------------------------------------------
def checking_message() -> Message:
    text = ":mag: Checking your photo…"
    return Message(text, [_section(text)])


def _finding_line(f: dict[str, Any]) -> str:
    line = f"{_ICONS.get(f['severity'], '')} {escape(f['message'])}"
    if f.get("measured") and f.get("threshold"):
        line += f" ({escape(str(f['measured']))}; aim for {escape(str(f['threshold']))})"
    if f.get("advice"):
        line += f" _{escape(f['advice'])}_"
    return line


def checklist_blocks(findings: list[dict[str, Any]], passed: list[str]) -> list[dict[str, Any]]:
    lines = [_finding_line(f) for f in findings if f["severity"] in {"fail", "warn"}]
    passed_line = ", ".join(_PASSED_TEXT.get(name, name) for name in passed)
    if passed_line:
        lines.append(f"{_ICONS['pass']} Passed: {passed_line}.")
    blocks = [_section("*Photo checklist*\n" + "\n".join(lines), block_id="checklist")]
    reminders = [f["message"] for f in findings if f["severity"] == "info"]
    if reminders:
        blocks.append(_context(f"{_ICONS['info']} " + " ".join(reminders)))
    return blocks


_PASSED_TEXT = {
    "format": "JPEG or PNG",
    "resolution": "at least 512×512",
    "face": "a face is visible",
    "people": "one person",
    "framing": "head and shoulders framed",
    "pose": "facing the camera",
    "lighting": "even light",
    "exposure": "good exposure",
    "blur": "sharp",
    "glasses": "no glasses",
    "headwear": "no hat",
    "face_covered": "face uncovered",
    "tavus": "Tavus's own validator",
}

VALIDATOR_UNAVAILABLE = Finding(
    code="tavus_validator_unavailable",
    severity=Severity.WARN,
    message="Tavus's photo validator could not be reached, so only our checks were run.",
    advice="You can go ahead; Tavus will still judge the photo when training starts.",
)


def fixable_by_autofix(finding: Finding) -> Finding:
    """A Tavus failure its AI Image Fixer can repair: shown as a warning, fixer switched on."""
    return replace(
        finding,
        severity=Severity.WARN,
        advice=f"{finding.advice} Tavus's AI Image Fixer is switched on below to adjust this.",
    )


def needs_fix_message(findings: list[dict[str, Any]], passed: list[str]) -> Message:
    blocking = [f for f in findings if f["severity"] == "fail"]
    text = f"This photo can't be used yet: {blocking[0]['message']}" if blocking else "Photo checked."
    blocks = checklist_blocks(findings, passed)
    blocks.append(_section("Fix the items marked :x: and upload a new photo to this DM."))
    return Message(text, blocks)


def _voice_option(name: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": name[:75]}, "value": name[:150]}


def voice_select(voices: list[str], preset: str | None) -> dict[str, Any]:
    ordered = ([preset] if preset else []) + [v for v in voices if v != preset]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ACTION_VOICE,
        "placeholder": {"type": "plain_text", "text": "Choose a voice"},
        "options": [_voice_option(v) for v in ordered[:MAX_SELECT_OPTIONS]],
    }
    if preset:
        element["initial_option"] = _voice_option(preset)
    return {
        "type": "section",
        "block_id": BLOCK_VOICE,
        "text": {"type": "mrkdwn", "text": "*Voice*" + ("" if preset else " — please choose one")},
        "accessory": element,
    }


AUTOFIX_OPTION = {
    "text": {"type": "mrkdwn", "text": "*Let Tavus's AI Image Fixer adjust the photo*"},
    "description": {"type": "mrkdwn", "text": "Helps with framing, light and glasses; off leaves it as is."},
    "value": "on",
}


def autofix_block(preset: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": ACTION_AUTOFIX,
        "options": [AUTOFIX_OPTION],
    }
    if preset:
        element["initial_options"] = [AUTOFIX_OPTION]
    return {"type": "actions", "block_id": BLOCK_AUTOFIX, "elements": [element]}


def ready_message(
    submission_id: str,
    findings: list[dict[str, Any]],
    passed: list[str],
    voices: list[str],
    preset_voice: str | None,
    autofix: bool = False,
) -> Message:
    blocks = checklist_blocks(findings, passed)
    blocks.append(voice_select(voices, preset_voice))
    blocks.append(autofix_block(autofix))
    blocks.append(
        {
            "type": "actions",
            "block_id": BLOCK_ACTIONS,
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_CREATE,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": CONSENT_BUTTON_TEXT},
                    "value": submission_id,
                },
                {
                    "type": "button",
                    "action_id": ACTION_CANCEL,
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": submission_id,
                },
            ],
        }
    )
    blocks.append(_context("Nothing is sent to Tavus until you press the button."))
    return Message("Your photo passed the checks. Choose a voice and create the replica.", blocks)


def choose_voice_first_text() -> str:
    return "Please choose a voice in the menu above first (or set one with `/replica voice <name>`)."


def creating_message(voice: str) -> Message:
    text = f":hourglass_flowing_sand: Sending your photo to Tavus with the voice `{escape(voice)}`…"
    return Message(text, [_section(text)])


def training_message(replica_id: str, voice: str, progress: str | None = None) -> Message:
    text = (
        f":rocket: Training started: replica `{replica_id}` with the voice `{escape(voice)}`. "
        "It usually takes 3–4 hours; I'll reply here when it's done."
    )
    blocks = [_section(text)]
    if progress:
        blocks.append(_context(f"Progress: {escape(progress)}"))
    return Message(text, blocks)


def completed_message(user_id: str, replica_id: str) -> Message:
    text = (
        f"<@{user_id}> :tada: Your replica `{replica_id}` is ready. Use it in Tavus to "
        "generate videos or start a conversation."
    )
    return Message(text, [_section(text)])


_ERROR_ADVICE = (
    (("multiple", "people", "faces"), "Use a photo with only you in it — crop others out."),
    (("glasses", "sunglasses"), "Take the photo without glasses."),
    (("frame", "framing", "head not fully"), "Keep your head and shoulders fully in frame, centred."),
    (("light", "dark", "quality", "blur"), "Use even, bright light and a sharp photo."),
    (("resolution", "small"), "Send a larger original photo (at least 512×512)."),
    (("url", "download", "expired", "access"), "Tavus could not fetch the photo; please try again."),
    (("looking", "camera", "pose"), "Face the camera directly with a neutral pose."),
)


def error_advice(error_message: str) -> str:
    lowered = error_message.lower()
    for keywords, advice in _ERROR_ADVICE:
        if any(k in lowered for k in keywords):
            return advice
    return "Try another photo that follows the photo rules (`/replica help`)."


def failed_message(user_id: str, error_message: str) -> Message:
    reason = escape(error_message[:500]) or "no reason given"
    text = (
        f"<@{user_id}> :x: Tavus could not train this replica: {reason}\n"
        f"{error_advice(error_message)} Upload another photo to this DM to try again."
    )
    return Message(text, [_section(text)])


def create_failed_message(reason: str) -> Message:
    text = f":x: Tavus refused the request: {escape(reason[:500])}\n{error_advice(reason)}"
    return Message(text, [_section(text)])


def retrying_text(what: str) -> str:
    return f":hourglass: {what} is not answering right now; I'll keep trying and update this message."


def internal_error_text() -> str:
    return ":x: Something went wrong while checking this photo. Please upload it again."


def draft_expired_text() -> str:
    return "This draft expired without being sent to Tavus. Upload the photo again to make a replica."


def long_training_message(replica_id: str, hours: int) -> Message:
    text = (
        f":hourglass_flowing_sand: Replica `{replica_id}` has been training for over {hours} hours, "
        "longer than usual. I'm still watching it and will reply here when it's done."
    )
    return Message(text, [_section(text)])


def cancelled_message() -> Message:
    text = "Cancelled. Nothing was sent to Tavus; upload another photo any time."
    return Message(text, [_section(text)])


def not_in_dm_text() -> str:
    return "Please send your photo to me in a direct message, so it stays private."


def download_failed_text(reason: str) -> str:
    return f":x: I couldn't fetch that file: {escape(reason)}"


def extra_files_text(names: list[str]) -> str:
    listed = ", ".join(escape(n[:80]) for n in names)
    return f"I check one photo per message; I took the first and skipped: {listed}."


def plain_dm_text() -> str:
    return "Hi! Upload a headshot photo here to make a Tavus replica, or type `/replica help`."


def welcome_text() -> str:
    return "Welcome! I turn one headshot into a Tavus replica.\n\n" + help_text()


def home_view(rows: list[dict[str, Any]], voice: str | None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Replica bot"}},
        _section(f"*Your voice:* `{escape(voice)}`" if voice else "*Your voice:* not chosen yet"),
        _section(status_text(rows[:20])),
        {"type": "divider"},
        _section(help_text()),
    ]
    return {"type": "home", "blocks": blocks}
