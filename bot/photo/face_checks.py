"""Checks that need to see the person: face, people, framing, pose, light, sharpness, accessories.

Each check is a pure function of a `FaceContext` (the working image, what the models saw,
and the eye-aligned face crop) returning findings; measured values and thresholds are
reported in words a person can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from . import face_regions as fr
from . import thresholds as t
from .analysis import Analysis
from .colour_spaces import srgb_to_linear
from .diagnosis import diagnose, no_face, tiny_face
from .findings import Finding, Severity


@dataclass
class FaceContext:
    image: Image.Image  # the upright RGB working copy
    analysis: Analysis

    @cached_property
    def aligned(self) -> fr.AlignedFace | None:
        if self.analysis.landmarks is None:
            return None
        return fr.align(self.image, self.analysis.landmarks)

    @cached_property
    def is_colour(self) -> bool:
        small = np.asarray(self.image.resize((64, 64), reducing_gap=2.0), dtype=np.int16)
        return bool(np.abs(small - small.mean(axis=2, keepdims=True)).mean() > 2.0)


def warn(code: str, message: str, advice: str, measured: str, threshold: str) -> list[Finding]:
    """The one finding a warn-level check raises."""
    return [Finding(code, Severity.WARN, message, advice, measured, threshold)]


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def check_face_present(ctx: FaceContext) -> list[Finding]:
    if ctx.analysis.faces:
        return []
    if ctx.analysis.absence is not None:
        return diagnose(ctx.image, ctx.analysis.absence)  # why: exposure, covered, tiny, or none
    return [no_face()]


def check_people(ctx: FaceContext) -> list[Finding]:
    faces = len(ctx.analysis.faces)
    if faces == 0:
        return []
    people = faces + ctx.analysis.faceless_bodies
    if people <= 1:
        return []
    return [
        Finding(
            code="multiple_people",
            severity=Severity.FAIL,
            message=f"I see {people} people in this photo; Tavus trains on exactly one.",
            advice="Crop the photo to just you, or take one alone (printed or painted faces count too).",
            measured=f"{people} people",
            threshold="1 person",
        )
    ]


def shoulders_in_frame(ctx: FaceContext) -> bool:
    """Whether the person mask is shoulder-wide a little below the chin, inside the photo."""
    mask, face = ctx.analysis.person_mask, ctx.analysis.main_face
    if mask is None or face is None:
        return False
    h, w = mask.shape
    row = int((face.box.y + face.box.h * (1 + t.SHOULDER_ROW_BELOW_FACE)) * h)
    if row >= int(t.SHOULDER_MAX_Y * h):
        return False
    covered = mask[row] > 0.5
    reach = face.box.w * t.SHOULDER_REACH_FACES * w
    centre = face.box.cx * w
    margin = t.SHOULDER_MIN_X * w

    def shoulder_at(x: float) -> bool:  # inside the photo and on the person
        if x < margin or x > w - 1 - margin:
            return False
        lo, hi = int(max(0, x - 0.02 * w)), int(min(w, x + 0.02 * w + 1))
        return bool(covered[lo:hi].mean() > 0.5)

    return shoulder_at(centre - reach) and shoulder_at(centre + reach)


def check_framing(ctx: FaceContext) -> list[Finding]:
    face = ctx.analysis.main_face
    if face is None:
        return []
    box, problems = face.box, []
    if box.w < t.FACE_WIDTH_TINY:  # too small to train on, whatever else is right
        return [tiny_face(box.w)]
    if box.w > t.FACE_WIDTH_MAX:
        problems.append(("the face fills too much of the photo (a close-up)", "step back"))
    elif box.w < t.FACE_WIDTH_MIN:
        problems.append(("the face is small (you are far from the camera)", "come closer or crop"))
    m = t.EDGE_MARGIN
    if box.x < m or box.y < m or box.x + box.w > 1 - m or box.y + box.h > 1 - m:
        problems.append(("the head is cut off by the edge of the photo", "leave space around your head"))
    if abs(box.cx - 0.5) > t.FACE_CENTRE_MAX_OFFSET:
        problems.append(("the face is far off-centre", "centre yourself in the frame"))
    shoulders = shoulders_in_frame(ctx)
    if not shoulders:
        problems.append(("both shoulders are not in the frame", "include your shoulders"))
    if not problems:
        return []
    what = "; ".join(p[0] for p in problems)
    fixes = ", ".join(p[1] for p in problems)
    return warn(
        code="framing",
        message=f"Framing: {what}. The face is {_pct(box.w)} of the photo width.",
        advice=f"Frame head and shoulders, centred: {fixes}.",
        measured=f"face {_pct(box.w)} of width, centre offset {_pct(abs(box.cx - 0.5))}, "
        f"shoulders {'in frame' if shoulders else 'cut or missing'}",
        threshold=f"face {_pct(t.FACE_WIDTH_MIN)}–{_pct(t.FACE_WIDTH_MAX)} of width, "
        f"offset ≤ {_pct(t.FACE_CENTRE_MAX_OFFSET)}, 2 shoulders",
    )


def head_pose(landmarks: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees from the mesh's 3-D eye line and forehead→chin line."""
    eye = landmarks[263] - landmarks[33]
    vertical = landmarks[152] - landmarks[10]
    yaw = math.degrees(math.atan2(float(eye[2]), float(eye[0])))
    roll = math.degrees(math.atan2(float(eye[1]), float(eye[0])))
    pitch = math.degrees(math.atan2(float(vertical[2]), float(vertical[1]))) - t.PITCH_NEUTRAL_DEG
    return yaw, pitch, roll


def check_pose(ctx: FaceContext) -> list[Finding]:
    if ctx.analysis.landmarks is None:
        return []
    yaw, pitch, roll = head_pose(ctx.analysis.landmarks)
    main = ctx.analysis.main_face
    if main is not None and main.eyes is not None:
        # The detector's eye points stay put when the mesh is thrown off by a mask or shadow.
        # The mesh can be thrown off by a mask, the detector's eye points by a small face:
        # a tilt counts when both see it, so the smaller of the two is kept.
        (lx, ly), (rx, ry) = main.eyes
        detected = math.degrees(math.atan2((ry - ly) * ctx.analysis.height, (rx - lx) * ctx.analysis.width))
        roll = min(roll, detected, key=abs)
    off = []
    if abs(yaw) > t.YAW_MAX_DEG:
        off.append(f"turned {abs(yaw):.0f}° to the side")
    if abs(pitch) > t.PITCH_MAX_DEG:
        off.append(f"tilted {abs(pitch):.0f}° {'down' if pitch > 0 else 'up'}")
    if abs(roll) > t.ROLL_MAX_DEG:
        off.append(f"leaning {abs(roll):.0f}° sideways")
    if not off:
        return []
    return warn(
        code="not_frontal",
        message=f"The head is {', '.join(off)}.",
        advice="Face the camera straight on, head level, looking into the lens.",
        measured=f"yaw {yaw:.0f}°, pitch {pitch:.0f}°, roll {roll:.0f}°",
        threshold=f"|yaw| ≤ {t.YAW_MAX_DEG:.0f}°, |pitch| ≤ {t.PITCH_MAX_DEG:.0f}°, |roll| ≤ {t.ROLL_MAX_DEG:.0f}°",
    )


def check_lighting(ctx: FaceContext) -> list[Finding]:
    face = ctx.aligned
    if face is None:
        return []
    left, right = face.region(fr.LEFT_CHEEK).mean(), face.region(fr.RIGHT_CHEEK).mean()
    balance = float(min(left, right) / max(left, right, 1.0))
    if balance >= t.CHEEK_BALANCE_MIN:
        return []
    darker = "left" if left < right else "right"  # as seen in the photo
    return warn(
        code="lighting",
        message=f"Uneven light: the {darker} side of the face (as seen in the photo) is much darker.",
        advice="Face a window or a soft light so both sides of your face are evenly lit.",
        measured=f"darker cheek at {_pct(balance)} of the brighter",
        threshold=f"≥ {_pct(t.CHEEK_BALANCE_MIN)}",
    )


def check_exposure(ctx: FaceContext) -> list[Finding]:
    face = ctx.aligned
    if face is None:
        return []
    pixels = face.region(fr.FACE)
    mean = float(pixels.mean())
    high, low = float((pixels >= 250).mean()), float((pixels <= 5).mean())
    issues = []
    if mean < t.FACE_LUMA_MIN:
        issues.append("the face is too dark")
    elif mean > t.FACE_LUMA_MAX:
        issues.append("the face is too bright")
    if high > t.CLIPPED_MAX_SHARE:
        issues.append(f"{_pct(high)} of the face is blown-out white")
    if low > t.CLIPPED_MAX_SHARE:
        issues.append(f"{_pct(low)} of the face is pure black")
    if not issues:
        return []
    return warn(
        code="exposure",
        message="Exposure: " + "; ".join(issues) + ".",
        advice="Retake in brighter, softer light, or adjust the exposure before sending.",
        measured=f"face brightness {mean:.0f}/255, clipped {_pct(high + low)}",
        threshold=f"brightness {t.FACE_LUMA_MIN:.0f}–{t.FACE_LUMA_MAX:.0f}, clipped ≤ {_pct(t.CLIPPED_MAX_SHARE)}",
    )


def sharpness(face: fr.AlignedFace) -> float:
    x0, y0, x1, y1 = fr.FACE
    crop = face.gray[y0:y1, x0:x1]
    normalised = (crop - crop.mean()) / (crop.std() + 1e-6) * 50  # contrast-independent
    return fr.laplacian_variance(normalised)


def check_blur(ctx: FaceContext) -> list[Finding]:
    face = ctx.aligned
    if face is None:
        return []
    score = sharpness(face)
    if score >= t.SHARPNESS_MIN:
        return []
    return warn(
        code="blur",
        message="The face is not sharp (motion or focus blur).",
        advice="Hold the camera still, tap to focus on your face, and use more light.",
        measured=f"sharpness {score:.0f}",
        threshold=f"≥ {t.SHARPNESS_MIN:.0f}",
    )


def _edge_ratios(face: fr.AlignedFace) -> tuple[float, float, float]:
    gx, gy = fr.gradients(face)

    def mean_in(grad: np.ndarray, box: tuple[int, int, int, int]) -> float:
        x0, y0, x1, y1 = box
        return float(grad[y0:y1, x0:x1].mean())

    cheeks = (
        1e-3
        + (
            mean_in(gx, fr.LEFT_CHEEK)
            + mean_in(gy, fr.LEFT_CHEEK)
            + mean_in(gx, fr.RIGHT_CHEEK)
            + mean_in(gy, fr.RIGHT_CHEEK)
        )
        / 2
    )
    bridge = (mean_in(gx, fr.NOSE_BRIDGE) + mean_in(gy, fr.NOSE_BRIDGE)) / cheeks
    rims = mean_in(gy, fr.UNDER_EYES) / cheeks
    cheek_luma = np.concatenate([face.region(fr.LEFT_CHEEK), face.region(fr.RIGHT_CHEEK)]).mean()
    eyes = float(face.region(fr.EYES).mean() / max(cheek_luma, 1.0))
    return bridge, rims, eyes


def check_glasses(ctx: FaceContext) -> list[Finding]:
    face = ctx.aligned
    if face is None or min(face.inside(b) for b in (fr.NOSE_BRIDGE, fr.EYES, fr.UNDER_EYES)) < 0.9:
        return []
    bridge, rims, eyes = _edge_ratios(face)
    sunglasses = eyes <= t.SUNGLASSES_EYES_MAX
    glasses = bridge >= t.GLASSES_BRIDGE_STRONG or (bridge >= t.GLASSES_BRIDGE_MIN and rims >= t.GLASSES_RIMS_MIN)
    if not (sunglasses or glasses):
        return []
    kind = "Sunglasses" if sunglasses else "Glasses"
    return warn(
        code="glasses",
        message=f"{kind} likely: Tavus asks for a photo without glasses.",
        advice="Take the glasses off for the photo.",
        measured=f"bridge edges {bridge:.1f}×, rim edges {rims:.2f}×, eye brightness {_pct(eyes)}",
        threshold=f"bridge < {t.GLASSES_BRIDGE_MIN:.1f}× (or rims < {t.GLASSES_RIMS_MIN:.2f}×), "
        f"eyes > {_pct(t.SUNGLASSES_EYES_MAX)}",
    )


def _chroma(pixels: np.ndarray) -> np.ndarray:
    rgb = pixels.reshape(-1, 3).astype(np.float32)
    total = rgb.sum(axis=1) + 1e-6
    return np.array([np.median(rgb[:, 0] / total), np.median(rgb[:, 1] / total)])


SKIN_REFERENCE = (80, 140, 160, 160)  # just under the eyes, between the rims


def check_headwear(ctx: FaceContext) -> list[Finding]:
    face = ctx.aligned
    if face is None:
        return []
    if face.inside(fr.UPPER_FOREHEAD) < 0.5 or face.inside(SKIN_REFERENCE) < 0.5:
        return []  # the top of the head is outside the photo: framing says so already
    skin = face.region(SKIN_REFERENCE)
    top = face.region(fr.UPPER_FOREHEAD)
    ratio = float(top.mean() / max(skin.mean(), 1.0))
    chroma = 0.0
    if ctx.is_colour:
        chroma = float(
            np.linalg.norm(_chroma(face.region(fr.UPPER_FOREHEAD, "rgb")) - _chroma(face.region(SKIN_REFERENCE, "rgb")))
            * 100
        )
    if ratio > t.HEADWEAR_LUMA_RATIO_MAX and chroma < t.HEADWEAR_CHROMA_MIN:
        return []
    return warn(
        code="headwear",
        message="A hat, cap or hood (or hair) seems to cover the top of the head.",
        advice="Take off any hat or hood and keep hair off your forehead.",
        measured=f"forehead band at {_pct(ratio)} of skin brightness, colour distance {chroma:.0f}",
        threshold=f"> {_pct(t.HEADWEAR_LUMA_RATIO_MAX)} and < {t.HEADWEAR_CHROMA_MIN:.0f}",
    )


# sRGB (D65) → CIE XYZ, and D65's white point: for CIELAB by hand (Pillow's LAB conversion
# builds an ICC transform on every call, ~11 ms each).
_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], dtype=np.float32
)
_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float32)
# Each 8-bit value in linear light, looked up: the power per pixel was most of a region's cost.
_LINEAR = srgb_to_linear(np.arange(256, dtype=np.float32) / np.float32(255.0))


def lab_median(pixels: np.ndarray) -> tuple[float, float, float]:
    """Median CIELAB lightness (0–100), chroma and hue angle (degrees) of sRGB pixels."""
    if len(pixels) == 0:
        return 0.0, 0.0, 0.0
    rgb = pixels.reshape(-1, 3)
    linear = _LINEAR[rgb] if rgb.dtype == np.uint8 else srgb_to_linear(rgb.astype(np.float32) / 255.0)
    xyz = (linear @ _SRGB_TO_XYZ.T) / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lightness = float(np.median(116 * f[:, 1] - 16))
    a, b = float(np.median(500 * (f[:, 0] - f[:, 1]))), float(np.median(200 * (f[:, 1] - f[:, 2])))
    return lightness, math.hypot(a, b), math.degrees(math.atan2(b, a))


def _lower_face_cover(ctx: FaceContext, face: fr.AlignedFace) -> tuple[str | None, bool]:
    """What colour says covers the mouth and chin, and whether it is sure: skin has a warm
    hue whatever its tone; a blue or green mask does not, a white one has no colour at all.
    Something black and colourless may be a mask or a dark beard: unsure."""
    if not ctx.is_colour:
        return None, False
    # (a mask may reach up under the eyes: the forehead is skin too)
    skin_chroma = max(lab_median(face.region(box, "rgb"))[1] for box in (SKIN_REFERENCE, fr.FOREHEAD))
    lightness, chroma, hue = lab_median(face.region(fr.MOUTH_CHIN, "rgb"))
    if skin_chroma < t.COVER_SKIN_CHROMA_MIN:
        return None, False  # the skin itself shows no colour (a toned photo): colour says nothing
    if chroma >= t.COVER_COLOUR_CHROMA_MIN and not t.SKIN_HUE_MIN_DEG <= hue <= t.SKIN_HUE_MAX_DEG:
        return "something coloured (a mask or scarf) covers the mouth and chin", True
    if chroma < t.COVER_GREY_CHROMA_MAX and t.COVER_WHITE_MIN <= lightness <= t.COVER_WHITE_MAX:
        return "something white (a mask or scarf) covers the mouth and chin", True
    if chroma < t.COVER_GREY_CHROMA_MAX and lightness < t.COVER_DARK_MAX:
        return "something dark covers the mouth and chin (a mask or scarf, or is it a beard?)", False
    return None, False


def check_face_covered(ctx: FaceContext) -> list[Finding]:
    face, main = ctx.aligned, ctx.analysis.main_face
    if face is None or main is None:
        return []
    brightness = max(float(face.region(fr.FACE).mean()), 1.0)
    mouth = float(face.region(fr.MOUTH_CHIN).std()) / brightness
    cheeks = max(float(face.region(box).std()) for box in (fr.LEFT_CHEEK, fr.RIGHT_CHEEK)) / brightness
    texture = min(mouth, cheeks * t.LOWER_FACE_TEXTURE_MIN / t.CHEEK_TEXTURE_MIN)
    cover, sure = _lower_face_cover(ctx, face)
    # (last: the hands may still be being found on the analysis' helper thread)
    hand = max((main.box.overlap(h) for h in ctx.analysis.hands), default=0.0)
    measured = f"lower-face texture {texture:.2f}, hand overlap {_pct(hand)}"
    threshold = f"texture ≥ {t.LOWER_FACE_TEXTURE_MIN:.2f}, hand overlap < {_pct(t.HAND_OVER_FACE_MIN)}, skin colour"
    if hand >= t.HAND_OVER_FACE_SURE or sure:
        what = "a hand is over the face" if hand >= t.HAND_OVER_FACE_SURE else cover
        return [
            Finding(
                code="face_covered",
                severity=Severity.FAIL,
                message=f"Your face is covered: {what}.",
                advice="Retake the photo with nothing in front of your face: no mask, scarf or hand.",
                measured=measured,
                threshold=threshold,
            )
        ]
    if texture >= t.LOWER_FACE_TEXTURE_MIN and hand < t.HAND_OVER_FACE_MIN and cover is None:
        return []
    hand_words = "a hand may be over the face" if hand >= t.HAND_OVER_FACE_MIN else None
    what = cover or hand_words or "something covers the mouth and chin"
    return warn(
        code="face_covered",
        message=f"The face looks covered: {what}.",
        advice="Remove masks, scarves and hands from your face.",
        measured=measured,
        threshold=threshold,
    )


FACE_CHECKS = (
    ("face", check_face_present),
    ("people", check_people),
    ("framing", check_framing),
    ("pose", check_pose),
    ("lighting", check_lighting),
    ("exposure", check_exposure),
    ("blur", check_blur),
    ("glasses", check_glasses),
    ("headwear", check_headwear),
    ("face_covered", check_face_covered),
)
