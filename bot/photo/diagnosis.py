"""Why no face was found, in the words that tell the person what to fix (pure).

From the signals absence.py gathered, the first of these that fits is said:
- the face is tiny (found only by a finer search) → `framing` (fail), with its size;
- the exposure hides it (found on a corrected copy, or the photo is mostly black or blown
  out) → `exposure` (fail), with the brightness and clipping measured;
- the face is on its side or upside down (found once the photo is turned) → `not_frontal`
  (fail), saying which way to turn it;
- a face-sized shape is half seen where a person is → `face_covered` (a hand over it, or
  something else) or `not_frontal` when its landmarks say the head is turned (fail);
- a person is there, with a head on shoulders, but nothing face-like in it → `face_covered`
  (fail), saying that it may be covered or turned away;
- a person is there but no head shape and nothing face-like → `no_face` (fail) with a
  `face_covered` warning:
  unsure, so the likely reason is offered, not asserted;
- nothing person-like → `no_face`, as before.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from . import thresholds as t
from .absence import Absence, Candidate
from .findings import Finding, Severity


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def diagnose(image: Image.Image, absence: Absence) -> list[Finding]:
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    mean, high, low = float(gray.mean()), float((gray >= 250).mean()), float((gray <= 5).mean())
    if absence.small:
        return [tiny_face(min(absence.small, key=lambda f: -f.box.w).box.w)]
    if absence.corrected or _extreme(mean, high, low):
        return [_exposure(mean, high, low, found=bool(absence.corrected))]
    if absence.turned:
        return [_sideways(absence.turned)]
    person = t.PERSON_SHARE_MIN <= absence.person_share <= t.PERSON_SHARE_MAX
    candidate = next((c for c in absence.weak if _face_sized(c)), None)
    if person and candidate is not None:
        return [_hidden(candidate, absence)]
    if person and absence.head_ratio is not None and t.HEAD_RATIO_MIN <= absence.head_ratio <= t.HEAD_RATIO_MAX:
        return [
            _covered(
                "I see your head and shoulders, but no face: something covers it, or you are turned away.",
                f"a head on shoulders (head {_pct(absence.head_ratio)} of the shoulders' width), no face in it",
                advice="Face the camera with nothing in front of your face: no mask, scarf, hood or hand.",
            )
        ]
    return _no_face(mean, person)


def _extreme(mean: float, high: float, low: float) -> bool:
    return (
        high >= t.CLIPPED_WHITE_EXTREME
        or low >= t.CLIPPED_BLACK_EXTREME
        or mean < t.MEAN_DARK_EXTREME
        or mean > t.MEAN_BRIGHT_EXTREME
    )


def _face_sized(c: Candidate) -> bool:
    return c.face.score >= t.HIDDEN_FACE_MIN_SCORE and c.face.box.w >= t.HIDDEN_FACE_MIN_WIDTH


def tiny_face(width: float) -> Finding:
    return Finding(
        code="framing",
        severity=Severity.FAIL,
        message=f"Your face is tiny in this photo: {_pct(width)} of its width (you are far from the camera).",
        advice="Come closer, or crop the photo to your head and shoulders.",
        measured=f"face {_pct(width)} of width",
        threshold=f"face {_pct(t.FACE_WIDTH_MIN)}–{_pct(t.FACE_WIDTH_MAX)} of width",
    )


def _exposure(mean: float, high: float, low: float, found: bool) -> Finding:
    dark = mean < 128
    seen = "A face shows only once the photo is brightened" if dark else "A face shows only once the photo is darkened"
    what = "too dark" if dark else "too bright"
    message = f"The photo is {what} to see a face." if not found else f"The photo is {what}: {seen.lower()}."
    advice = (
        "Retake it in more light: face a window or a lamp, and turn off filters or night mode."
        if dark
        else "Retake it without flash or sunlight straight on the face, and not against a bright window."
    )
    return Finding(
        code="exposure",
        severity=Severity.FAIL,
        message=message,
        advice=advice,
        measured=f"brightness {mean:.0f}/255, {_pct(high)} blown-out white, {_pct(low)} pure black",
        threshold="a face visible; brightness 70–210, little clipped",
    )


def _sideways(degrees: int) -> Finding:
    how = {90: "a quarter turn to the left", 270: "a quarter turn to the right", 180: "upside down"}[degrees]
    fix = "turn it upright" if degrees == 180 else f"rotate it {how.replace('a quarter turn', 'a quarter')}"
    return Finding(
        code="not_frontal",
        severity=Severity.FAIL,
        message=f"The photo is on its side: your face shows only once it is turned {how}."
        if degrees != 180
        else "The photo is upside down: your face shows only once it is turned over.",
        advice=f"Open the photo, {fix} so that you are upright, save it and upload it again.",
        measured=f"face found after turning the photo {degrees}°",
        threshold="an upright face",
    )


def _hidden(c: Candidate, absence: Absence) -> Finding:
    hand = max((c.face.box.overlap(h) for h in absence.hands), default=0.0)
    if hand >= t.HAND_OVER_FACE_MIN:
        return _covered("I can't see your face: a hand is over it.", f"hand over {_pct(hand)} of the face")
    if c.landmarks is not None and c.presence >= t.TURNED_MESH_PRESENCE_MIN:
        from .face_checks import head_pose

        yaw, pitch, _ = head_pose(c.landmarks)
        if abs(yaw) > t.TURNED_YAW_DEG or abs(pitch) > t.TURNED_PITCH_DEG:
            return Finding(
                code="not_frontal",
                severity=Severity.FAIL,
                message=f"Your head is turned away from the camera (about {abs(yaw):.0f}° to the side, "
                f"{abs(pitch):.0f}° up or down): the face cannot be seen.",
                advice="Face the camera straight on, head level, looking into the lens.",
                measured=f"yaw {yaw:.0f}°, pitch {pitch:.0f}°",
                threshold=f"|yaw| ≤ {t.YAW_MAX_DEG:.0f}°, |pitch| ≤ {t.PITCH_MAX_DEG:.0f}°",
            )
    return _covered(
        "I can't see your face: something covers it (a mask, a scarf, a hand or an object).",
        f"a face-shaped area, {_pct(c.face.box.w)} of the width, with no face visible in it",
    )


def _covered(
    message: str,
    measured: str,
    advice: str = "Remove masks, scarves, hands and anything else from in front of your face.",
) -> Finding:
    return Finding(
        code="face_covered",
        severity=Severity.FAIL,
        message=message,
        advice=advice,
        measured=measured,
        threshold="the whole face visible",
    )


def no_face(message: str = "No human face was found in this photo.", hint: str = "") -> Finding:
    return Finding(
        code="no_face",
        severity=Severity.FAIL,
        message=message,
        advice="Use a photo of yourself facing the camera, face uncovered (no mask), well lit." + hint,
        measured="0 faces",
        threshold="exactly 1 face",
    )


def _no_face(mean: float, person: bool) -> list[Finding]:
    hint = ""
    if mean > 215 or mean < 35:
        hint = " The photo is very " + ("bright" if mean > 215 else "dark") + "; fix the exposure."
    findings = [no_face("I see someone in this photo, but no face.", hint) if person else no_face(hint=hint)]
    if person:  # likely, not certain: offered as the probable reason
        findings.append(
            Finding(
                code="face_covered",
                severity=Severity.WARN,
                message="Is your face covered, or turned away from the camera?",
                advice="Face the camera with nothing in front of your face.",
                measured="a person-shaped area, no face in it",
                threshold="a face visible",
            )
        )
    return findings
