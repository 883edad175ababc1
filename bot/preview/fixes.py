"""Fixes the bot can make itself, and only those: turn a sideways photo upright, crop a loose
or off-centre frame to head and shoulders, and correct a mildly dark or bright exposure with
levels. Nothing is retouched, nothing upscaled, no pixel added. A fix is offered only when
the problems it addresses are the only ones, and when the fixed version, checked again,
clears them without raising anything new."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np
from PIL import Image

from ..photo import normalize_with_version
from ..photo import thresholds as t
from ..photo.checks import recheck_photo
from ..photo.findings import PhotoReport, Region
from .frame import head_and_shoulders

MIN_FIXED_SIDE_PX = 512  # Tavus's minimum: a crop never goes below it (at the photo's full size)
CROP_MAX_SHARE = 0.9  # a frame this close to the whole photo is not worth a crop
MILD_DARK_MIN, MILD_BRIGHT_MAX = 35.0, 235.0  # face brightness a levels correction may move
LEVELS_TARGET = 125.0  # the face's mean brightness after levels
CLIPPED_SHARE_MAX = 0.02  # blown-out highlights cannot be recovered: no exposure fix past this
SIDEWAYS_ROLL_MIN = 60.0  # an eye line this steep: the photo, not the head, is on its side
FIXABLE = frozenset({"framing", "exposure", "not_frontal"})


@dataclass(frozen=True)
class Fix:
    turn: int = 0  # degrees counter-clockwise, applied first
    crop: Region | None = None  # of the upright photo, relative
    gamma: float = 1.0  # levels: out = 255 × (in / 255) ^ gamma
    what: tuple[str, ...] = ()  # in words, for the thread ("cropped to head and shoulders")
    addresses: tuple[str, ...] = ()  # the finding codes it is meant to clear

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Fix:
        data = json.loads(text)
        crop = Region(**data["crop"]) if data.get("crop") else None
        return cls(data["turn"], crop, data["gamma"], tuple(data["what"]), tuple(data["addresses"]))

    def size_after(self, width: int, height: int) -> tuple[int, int]:
        if self.turn in (90, 270):
            width, height = height, width
        if self.crop:
            width, height = round(self.crop.w * width), round(self.crop.h * height)
        return width, height


@dataclass
class FixOffer:
    fix: Fix
    image: Image.Image  # the fixed version of the reduced decode (for the preview)
    report: PhotoReport  # the checks run again on it
    width: int = 0  # of the fixed photo at full size
    height: int = 0


def _face_brightness(image: Image.Image, face: Region) -> tuple[float, float]:
    """(mean luma, share blown out) inside the face box of the reduced decode."""
    w, h = image.size
    box = (int(face.x * w), int(face.y * h), int((face.x + face.w) * w), int((face.y + face.h) * h))
    luma = np.asarray(image.crop(box).convert("L"), dtype=np.float32)
    if luma.size == 0:
        return 128.0, 0.0
    return float(luma.mean()), float((luma >= 250).mean())


def _framing_crop(report: PhotoReport) -> Region | None:
    face = report.marks.face
    if face is None or not report.width or not report.height:
        return None
    if face.w > t.FACE_WIDTH_MAX:
        return None  # a close-up needs more of the photo than there is
    m = t.EDGE_MARGIN
    if face.x < m or face.y < m or face.x + face.w > 1 - m or face.y + face.h > 1 - m:
        return None  # the head is cut by the edge: no crop brings it back
    crop = head_and_shoulders(face, report.width, report.height)
    if crop.w * crop.h > CROP_MAX_SHARE:
        return None
    if min(crop.w * report.width, crop.h * report.height) < MIN_FIXED_SIDE_PX:
        return None
    return crop


def _levels(report: PhotoReport) -> float | None:
    face = report.marks.face
    if face is None or report.working is None:
        return None
    mean, clipped = _face_brightness(report.working, face)
    if clipped > CLIPPED_SHARE_MAX or not MILD_DARK_MIN <= mean <= MILD_BRIGHT_MAX:
        return None
    return math.log(LEVELS_TARGET / 255) / math.log(max(mean, 1.0) / 255)


def _quarter_turn(roll: float) -> int:
    """The quarter turns (counter-clockwise) that bring a face lying on its side upright."""
    if abs(roll) < SIDEWAYS_ROLL_MIN:
        return 0
    return int(round(roll / 90.0)) * 90 % 360


def propose_fix(report: PhotoReport) -> Fix | None:
    """The fix for this photo's problems, when every problem is one the bot can fix. A
    sideways photo is only turned here: its framing and light are judged again upright."""
    problems = report.codes()
    if not problems or not problems <= FIXABLE:
        return None
    if "not_frontal" in problems:
        turn = report.marks.turned or _quarter_turn(report.marks.roll)
        if turn == 0:
            return None  # a turned or tilted head, not a sideways photo
        return Fix(turn=turn, what=("turned upright",), addresses=("not_frontal",))
    crop, gamma, what = None, 1.0, []
    if "framing" in problems:
        crop = _framing_crop(report)
        if crop is None:
            return None
        what.append("cropped to head and shoulders")
    if "exposure" in problems:
        levels = _levels(report)
        if levels is None:
            return None
        gamma = levels
        what.append("brightened" if gamma < 1 else "darkened")
    return Fix(0, crop, round(gamma, 4), tuple(what), tuple(sorted(problems)))


def apply_fix(image: Image.Image, fix: Fix) -> Image.Image:
    """The fixed photo: turned, cropped (relative, so any size of the same photo), levelled."""
    out = image.rotate(fix.turn, expand=True) if fix.turn else image
    if fix.crop:
        w, h = out.size
        c = fix.crop
        box = (round(c.x * w), round(c.y * h), round((c.x + c.w) * w), round((c.y + c.h) * h))
        out = out.crop(box)
    if fix.gamma != 1.0:
        table = [min(255, round(255 * (i / 255) ** fix.gamma)) for i in range(256)]
        out = out.convert("RGB").point(table * 3)
    return out.convert("RGB")


def offer_fix(report: PhotoReport, check: Callable[[bytes], PhotoReport] = recheck_photo) -> FixOffer | None:
    """Propose, apply to the reduced decode, and check again: the offer only when the fixed
    version clears what the fix addresses and raises nothing new. `check` runs the checks
    (by default all but the resolution one, judged on the full-size result instead). A photo
    turned upright gets one more round: its framing and light, fixed as for any photo."""
    fix = propose_fix(report)
    if fix is None or report.working is None or not report.width or not report.height:
        return None
    fixed, again = _try(report.working, fix, check)
    if fix.turn and again.codes() and again.codes() <= FIXABLE - {"not_frontal"}:
        again.width, again.height = fix.size_after(report.width, report.height)  # judged at full size
        more = propose_fix(again)
        if more is None:
            return None
        fix = Fix(fix.turn, more.crop, more.gamma, fix.what + more.what, fix.addresses + more.addresses)
        fixed, again = _try(report.working, fix, check)
    still = again.codes()
    if not again.ok or still & set(fix.addresses) or not still <= report.codes():
        return None
    width, height = fix.size_after(report.width, report.height)
    if min(width, height) < MIN_FIXED_SIDE_PX:
        return None
    return FixOffer(fix, fixed, again, width, height)


def rehost_copies(data: bytes, fix: Fix) -> tuple[bytes, bytes]:
    """The person's photo and its fixed version as rehost JPEGs; a crop is taken from a full
    decode (every pixel there is), a turn or levels from the same reduced one."""
    return normalize_with_version(data, partial(apply_fix, fix=fix), full_resolution=fix.crop is not None)


def _try(image: Image.Image, fix: Fix, check: Callable[[bytes], PhotoReport]) -> tuple[Image.Image, PhotoReport]:
    fixed = apply_fix(image, fix)
    buffer = io.BytesIO()
    fixed.save(buffer, format="JPEG", quality=92)
    return fixed, check(buffer.getvalue())
