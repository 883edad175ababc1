"""The photo thread: the checklist that edits itself, the offer, progress and results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..photo.findings import Finding, Severity
from .base import (
    ACTION_AUTOFIX,
    ACTION_CANCEL,
    ACTION_CREATE,
    ACTION_EDIT_NAME,
    ACTION_KEEP_MINE,
    ACTION_USE_FIXED,
    ACTION_VOICE,
    BLOCK_ACTIONS,
    BLOCK_AUTOFIX,
    BLOCK_VERSION_ACTIONS,
    BLOCK_VERSIONS,
    BLOCK_VOICE,
    CONSENT_BUTTON_TEXT,
    CONSENT_FIXED_TEXT,
    CONSENT_MINE_TEXT,
    MAX_SELECT_OPTIONS,
    Message,
    context,
    escape,
    section,
)

ICONS = {
    "pass": ":white_check_mark:",
    "fail": ":x:",
    "warn": ":warning:",
    "info": ":bulb:",
    "news": ":information_source:",
}
# Info findings that are news about this photo (shown in the checklist), not reminders.
NEWS_CODES = frozenset({"converted"})


# --- the photo thread --------------------------------------------------------------------
def checking_message() -> Message:
    text = ":mag: Checking your photo…"
    return Message(text, [section(text)])


def _finding_line(f: dict[str, Any]) -> str:
    line = f"{ICONS.get(f['severity'], '')} {escape(f['message'])}"
    if f.get("measured") and f.get("threshold"):
        line += f" ({escape(str(f['measured']))}; aim for {escape(str(f['threshold']))})"
    if f.get("advice"):
        line += f" _{escape(f['advice'])}_"
    return line


def checklist_blocks(findings: list[dict[str, Any]], passed: list[str]) -> list[dict[str, Any]]:
    lines = [_finding_line(f) for f in findings if f["severity"] in {"fail", "warn"}]
    lines += [f"{ICONS['news']} {escape(f['message'])}" for f in findings if f["code"] in NEWS_CODES]
    passed_line = ", ".join(_PASSED_TEXT.get(name, name) for name in passed)
    if passed_line:
        lines.append(f"{ICONS['pass']} Passed: {passed_line}.")
    blocks = [section("*Photo checklist*\n" + "\n".join(lines), block_id="checklist")]
    reminders = [f["message"] for f in findings if f["severity"] == "info" and f["code"] not in NEWS_CODES]
    if reminders:
        blocks.append(context(f"{ICONS['info']} " + " ".join(reminders)))
    return blocks


_PASSED_TEXT = {
    "format": "a photo format Tavus takes (or one I convert)",
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
    blocks.append(section("Fix the items marked :x: and upload a new photo to this DM."))
    return Message(text, blocks)


def _voice_option(name: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": name[:75]}, "value": name[:150]}


def voice_options(voices: list[str], preset: str | None) -> list[dict[str, Any]]:
    """Options for a voice menu: the preset first, at most Slack's 100."""
    ordered = ([preset] if preset else []) + [v for v in voices if v != preset]
    return [_voice_option(v) for v in ordered[:MAX_SELECT_OPTIONS]]


def voice_menu(action_id: str, voices: list[str], preset: str | None) -> dict[str, Any]:
    """A voice select (in the photo's offer and on App Home), preset to the person's voice."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": "Choose a voice"},
        "options": voice_options(voices, preset),
    }
    if preset:
        element["initial_option"] = _voice_option(preset)
    return element


def voice_select(voices: list[str], preset: str | None) -> dict[str, Any]:
    element = voice_menu(ACTION_VOICE, voices, preset)
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


def name_block(submission_id: str, display_name: str | None) -> dict[str, Any]:
    return {
        "type": "section",
        "block_id": "name",
        "text": {"type": "mrkdwn", "text": f"*Name:* {escape((display_name or 'replica-bot')[:200])}"},
        "accessory": {
            "type": "button",
            "action_id": ACTION_EDIT_NAME,
            "text": {"type": "plain_text", "text": "Change name"},
            "value": submission_id,
        },
    }


def consent_text(version: str | None) -> str:
    """The consent button's words (recorded with the consent): they name the photo it sends
    when the bot offered a fixed version beside the person's own."""
    if version == "fixed":
        return CONSENT_FIXED_TEXT
    if version == "original":
        return CONSENT_MINE_TEXT
    return CONSENT_BUTTON_TEXT


def consent_value(submission_id: str, version: str | None) -> str:
    """What the consent button carries: the submission, and the version it names."""
    return f"{submission_id}:{version}" if version else submission_id


def versions_blocks(submission_id: str, what: list[str], version: str, original_allowed: bool) -> list[dict[str, Any]]:
    """The fixed version beside the person's own: what was done, and the choice."""
    done = ", ".join(what) or "fixed"
    if original_allowed:
        text = (
            f":sparkles: *I can fix this myself:* {escape(done)} (nothing retouched, nothing added). "
            "The preview in this thread shows both. "
            + ("*Using the fixed photo.*" if version == "fixed" else "*Using your photo as it is.*")
        )
    else:
        text = (
            f":sparkles: *Your photo can't be used as it is, but I fixed it:* {escape(done)} "
            "(nothing retouched, nothing added). The preview in this thread shows both; "
            "*the fixed photo is the one I would send.*"
        )
    blocks: list[dict[str, Any]] = [section(text, block_id=BLOCK_VERSIONS)]
    if original_allowed:
        buttons = [
            ("Use the fixed photo", ACTION_USE_FIXED, version == "fixed"),
            ("Keep mine", ACTION_KEEP_MINE, version != "fixed"),
        ]
        elements = []
        for label, action, chosen in buttons:
            button: dict[str, Any] = {
                "type": "button",
                "action_id": action,
                "text": {"type": "plain_text", "text": ("✓ " if chosen else "") + label},
                "value": submission_id,
            }
            if chosen:
                button["style"] = "primary"
            elements.append(button)
        blocks.append({"type": "actions", "block_id": BLOCK_VERSION_ACTIONS, "elements": elements})
    return blocks


def ready_message(
    submission_id: str,
    findings: list[dict[str, Any]],
    passed: list[str],
    voices: list[str],
    preset_voice: str | None,
    autofix: bool = False,
    display_name: str | None = None,
    fix: dict[str, Any] | None = None,
) -> Message:
    """The offer. `fix`: {"what": [...], "version": "original" | "fixed", "original_allowed": bool}
    when the bot offers a fixed version of the photo."""
    blocks = checklist_blocks(findings, passed)
    version = None
    if fix:
        version = str(fix["version"])
        blocks += versions_blocks(submission_id, list(fix["what"]), version, bool(fix["original_allowed"]))
    blocks.append(voice_select(voices, preset_voice))
    blocks.append(name_block(submission_id, display_name))
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
                    "text": {"type": "plain_text", "text": consent_text(version)},
                    "value": consent_value(submission_id, version),
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
    blocks.append(context("Nothing is sent to Tavus until you press the button."))
    if fix and not fix["original_allowed"]:
        return Message("I fixed your photo so that it can be used. Choose a voice and create the replica.", blocks)
    return Message("Your photo passed the checks. Choose a voice and create the replica.", blocks)


def version_changed_text() -> str:
    return "You changed which photo to use a moment ago; press the button again once the message has updated."


def choose_voice_first_text() -> str:
    return "Please choose a voice in the menu above first (or set one with `/replica voice <name>`)."


def creating_message(voice: str) -> Message:
    text = f":hourglass_flowing_sand: Sending your photo to Tavus with the voice `{escape(voice)}`…"
    return Message(text, [section(text)])


def training_message(replica_id: str, voice: str, progress: str | None = None) -> Message:
    text = (
        f":rocket: Training started: replica `{replica_id}` with the voice `{escape(voice)}`. "
        "It usually takes 3–4 hours; I'll reply here when it's done."
    )
    blocks = [section(text)]
    if progress:
        blocks.append(context(f"Progress: {escape(progress)}"))
    return Message(text, blocks)


def completed_message(user_id: str, replica_id: str) -> Message:
    text = (
        f"<@{user_id}> :tada: Your replica `{replica_id}` is ready. Use it in Tavus to "
        "generate videos or start a conversation."
    )
    return Message(text, [section(text)])


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
    return Message(text, [section(text)])


def create_failed_message(reason: str) -> Message:
    text = f":x: Tavus refused the request: {escape(reason[:500])}\n{error_advice(reason)}"
    return Message(text, [section(text)])


def retrying_text(what: str) -> str:
    return f":hourglass: {what} is not answering right now; I'll keep trying and update this message."


def internal_error_text() -> str:
    return ":x: Something went wrong while checking this photo. Please upload it again."


def photo_set_aside_text(tries: int) -> str:
    """A photo whose check stopped the checker every time: set aside, not tried again."""
    return (
        f":x: I couldn't check this photo: checking it stopped my photo checker {tries} times, "
        "so I've set it aside rather than keep trying. Please save it again as a JPEG "
        "(or take a screenshot of it) and upload that."
    )


def upload_missed_text() -> str:
    """A photo upload whose event could not be handled (given up after its tries)."""
    return (
        ":warning: I may have missed this photo because of a problem on my side. "
        "If I haven't answered it here in a minute, please upload it again."
    )


def draft_expired_text() -> str:
    return "This draft expired without being sent to Tavus. Upload the photo again to make a replica."


def long_training_message(replica_id: str, hours: int) -> Message:
    text = (
        f":hourglass_flowing_sand: Replica `{replica_id}` has been training for over {hours} hours, "
        "longer than usual. I'm still watching it and will reply here when it's done."
    )
    return Message(text, [section(text)])


def replica_lost_message(user_id: str, replica_id: str, reason: str) -> Message:
    """Polling cannot find the replica any more: not a training failure (the photo is not to
    blame), so no advice about photos."""
    text = f"<@{user_id}> :x: I can't follow replica `{replica_id}` any more: {escape(reason)}"
    return Message(text, [section(text)])


def unfollowable_message(replica_id: str, why: str) -> Message:
    """Training goes on at Tavus, but the bot cannot ask about it (`why`: the key's trouble)."""
    text = (
        f":warning: I can't check on replica `{replica_id}` right now: {why}. Training goes on at "
        "Tavus. Ask whoever manages this bot to connect a working Tavus key; I'll reply here when "
        "training ends."
    )
    return Message(text, [section(text)])


def cancelled_message() -> Message:
    text = "Cancelled. Nothing was sent to Tavus; upload another photo any time."
    return Message(text, [section(text)])


def not_in_dm_text() -> str:
    return "Please send your photo to me in a direct message, so it stays private."


def download_failed_text(reason: str) -> str:
    return f":x: I couldn't fetch that file: {escape(reason)}"


def extra_files_text(names: list[str]) -> str:
    listed = ", ".join(escape(n[:80]) for n in names)
    return f"I check one photo per message; I took the first and skipped: {listed}."
