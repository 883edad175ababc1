"""Tavus's own image validator, folded into our checklist as findings with advice.

`POST /v2/replicas/image-validation` answers `passed` and `checks[]`; the check ids are not
published, and the documented rejection codes may appear anywhere in the answer, so each
code is looked for in the whole text and mapped to advice and, where one matches, our code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .photo.findings import Finding, Severity


@dataclass(frozen=True)
class Rejection:
    our_code: str | None  # the check of ours that sees the same problem
    advice: str
    autofix: bool  # Tavus's AI Image Fixer can plausibly repair it


# Every rejection code in Tavus's replica FAQ.
REJECTIONS: dict[str, Rejection] = {
    "LookingStraightAtCameraError": Rejection(
        "not_frontal", "Look straight into the lens, face and eyes toward the camera.", False
    ),
    "HeadNotFullyInFrameError": Rejection(
        "framing", "Keep your whole head in frame, from the top of your hair to your chin.", True
    ),
    "ImageQualityError": Rejection("blur", "Use a sharp, well-lit photo in which you fill more of the frame.", True),
    "PoseNotSuitableError": Rejection("not_frontal", "Sit upright with a neutral pose, facing the camera.", False),
    "HeadphonesError": Rejection("headwear", "Take off headphones and earbuds.", False),
    "CelebrityFoundError": Rejection(
        None, "Tavus does not accept photos of public figures; use a photo of yourself.", False
    ),
    "AppearsUnder18Error": Rejection(None, "Replicas can only be made of adults.", False),
    "Phx4NonHumanLikeSubjectError": Rejection(
        "no_face", "Use a photo of a real person (not an animal, object or mascot).", False
    ),
    "Phx4MultipleForegroundPeopleError": Rejection(
        "multiple_people", "Only you may be in the photo, including printed or painted faces.", False
    ),
    "Phx4FaceObscuredError": Rejection(
        "face_covered", "Nothing may cover your face: no hands, objects or headscarf.", False
    ),
    "Phx4CenterFaceNotVisibleError": Rejection("framing", "Centre your face and keep it fully visible.", True),
}


@dataclass
class TavusVerdict:
    passed: bool
    findings: list[Finding]
    autofix_helps: bool  # every failure is one the AI Image Fixer can repair


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def verdict_from_answer(answer: Any) -> TavusVerdict:
    """Translate the validator's JSON answer into findings (pure)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("passed"), bool):
        raise ValueError("the validator's answer has no boolean 'passed'")
    checks = [c for c in answer.get("checks") or [] if isinstance(c, dict)]
    failed = [c for c in checks if c.get("passed") is False]
    findings: list[Finding] = []
    seen: set[str] = set()
    fixable = True
    for check in failed:
        text = _text(check)
        codes = [code for code in REJECTIONS if code in text] or [f"tavus_{check.get('id', 'check')}"]
        for code in codes:
            if code in seen:
                continue
            seen.add(code)
            rejection = REJECTIONS.get(code)
            fixable = fixable and bool(rejection and rejection.autofix)
            label = str(check.get("label") or check.get("id") or code)
            findings.append(_finding(code, label, rejection))
    # Codes named outside the checks (in `details`, say) count too.
    rest = _text({k: v for k, v in answer.items() if k != "checks"})
    for code, rejection in REJECTIONS.items():
        if code in rest and code not in seen:
            seen.add(code)
            fixable = fixable and rejection.autofix
            findings.append(_finding(code, code, rejection))
    if not answer["passed"] and not findings:
        findings.append(_finding("tavus_rejected", "Tavus's validator rejected the photo", None))
        fixable = False
    passed = answer["passed"] and not findings
    return TavusVerdict(passed=passed, findings=findings, autofix_helps=not passed and fixable)


def _finding(code: str, label: str, rejection: Rejection | None) -> Finding:
    also = f" (our check: {rejection.our_code})" if rejection and rejection.our_code else ""
    return Finding(
        code=code,
        severity=Severity.FAIL,
        message=f"Tavus's validator: {label}{also}.",
        advice=rejection.advice if rejection else "Try another photo that follows the photo rules.",
        measured="failed",
        threshold="passed",
    )
