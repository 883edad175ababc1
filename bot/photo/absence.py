"""When no face was found: look harder, to find out why (the signals; diagnosis.py decides).

Five looks, each on the models already loaded:
- a face too small for the usual search: a finer grid of tiles on a larger decode;
- a face the exposure hid: the same search on a copy with the exposure corrected;
- a face on its side or upside down (a photo taken sideways, without the orientation tag):
  the search on the photo turned a quarter, a half and three quarters;
- a face the detector half saw: detections under the usual confidence, with what the face
  mesh makes of them (where the eyes, nose and mouth would be, and how sure it is);
- a person at all: the person mask, and hands.
This runs only for photos without a face, so its extra cost (~0.1–0.4 s) is rare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from . import blaze
from .analysis import Box, Face, LiteRTAnalyzer, merge_faces
from .thresholds import (
    EXPOSURE_BRIGHT_MEAN,
    EXPOSURE_DARK_MEAN,
    FACE_MIN_SCORE,
    FACE_SURE_SCORE,
    HEAD_BAND,
    HEAD_ROW_MIN,
    SHOULDERS_BELOW,
    SMALL_FACE_MESH_SURE,
    SMALL_FACE_TILE_SHARE,
    TURNED_FACE_MARGIN,
    TURNED_FACE_MIN_SCORE,
    TURNED_FACE_MIN_WIDTH,
    TURNED_MESH_SURE,
    WEAK_FACE_MIN_SCORE,
)


@dataclass
class Candidate:
    """A detection too weak to count as a face, and what the mesh made of it."""

    face: Face
    landmarks: np.ndarray | None  # pixels of the working image
    presence: float  # the mesh's own face-presence probability


@dataclass
class Absence:
    small: list[Face] = field(default_factory=list)  # real faces, too small for the usual search
    corrected: list[Face] = field(default_factory=list)  # faces seen once the exposure is corrected
    correction: str | None = None  # "brightened" | "darkened"
    turned: int = 0  # degrees (counter-clockwise) the photo had to be turned for a face to show
    weak: list[Candidate] = field(default_factory=list)  # best first
    person_share: float = 0.0  # of the photo the person mask covers
    head_ratio: float | None = None  # head width / shoulder width in the person mask, if head-shaped
    hands: list[Box] = field(default_factory=list)


def look_again(
    an: LiteRTAnalyzer,
    image: Image.Image,
    body: Callable[[], tuple[np.ndarray, list[Box]]],
    larger: Callable[[], Image.Image | None] = lambda: None,
) -> Absence:
    """`body`: the person mask and hands of `image`, which the analysis already has under way."""
    absence = Absence()
    big = larger() or image
    # A face a few pixels wide is easily imagined in texture: only the mesh's near-certainty counts.
    absence.small = [
        f
        for f in _search(an, big, SMALL_FACE_TILE_SHARE, FACE_MIN_SCORE)
        if an.mesh_with_presence(big, f)[1] >= SMALL_FACE_MESH_SURE
    ]
    if absence.small:
        return absence
    corrected, how = exposure_corrected(image)
    if corrected is not None:
        absence.correction = how
        # Counted as the usual search counts faces: beyond doubt, or confirmed by the mesh.
        absence.corrected = [
            f
            for f in _search(an, corrected, 0.6, FACE_MIN_SCORE)
            if f.score >= FACE_SURE_SCORE or an.mesh(corrected, f) is not None
        ]
        if absence.corrected:
            return absence
    weak = _search(an, image, 0.6, WEAK_FACE_MIN_SCORE)
    absence.turned = _best_turn(an, image, max((f.score for f in weak), default=0.0))
    if absence.turned:
        return absence
    for face in sorted(weak, key=lambda f: f.score, reverse=True)[:3]:
        landmarks, presence = an.mesh_with_presence(image, face)
        absence.weak.append(Candidate(face, landmarks, presence))
    mask, absence.hands = body()
    person = mask > 0.5
    absence.person_share = float(person.mean())
    absence.head_ratio = head_ratio(person)
    return absence


def _best_turn(an: LiteRTAnalyzer, image: Image.Image, upright_best: float) -> int:
    """The quarter turns (counter-clockwise) after which a face shows clearly, or 0.

    All three turns are tried and the clearest face wins: a face upside down is also half
    seen after a quarter turn. A turn must show a face plainly (sure detection, mesh sure,
    a real size) and much better than the photo as it is, or a covered face upright would
    be "found" in some pattern of the cloth upside down."""
    best, best_score = 0, 0.0
    for degrees in (90, 270, 180):
        turned = image.rotate(degrees, expand=True)
        for face in _search(an, turned, 0.6, TURNED_FACE_MIN_SCORE):
            if face.score <= best_score or face.box.w < TURNED_FACE_MIN_WIDTH:
                continue
            if an.mesh_with_presence(turned, face)[1] >= TURNED_MESH_SURE:
                best, best_score = degrees, face.score
    return best if best_score >= upright_best + TURNED_FACE_MARGIN else 0


def head_ratio(person: np.ndarray) -> float | None:
    """How much narrower the top of the person mask is than its widest part lower down: a
    head on shoulders (the portraits: 0.24–0.46), or None when the mask has no top in the
    upper half of the photo (nobody, or a head the mask missed)."""
    widths = person.mean(axis=1)
    rows = np.nonzero(widths >= HEAD_ROW_MIN)[0]
    height = len(widths)
    if len(rows) == 0 or rows[0] > height / 2:
        return None
    top = rows[0]
    head = float(np.median(widths[top : top + max(1, int(HEAD_BAND * height))]))
    shoulders = float(widths[top + int(SHOULDERS_BELOW * height) :].max(initial=0.0))
    return head / shoulders if shoulders > 0 else None


def _grid(size: tuple[int, int], share: float) -> list[blaze.Rect]:
    """The whole image, then overlapping tiles `share` of its sides, covering it."""
    w, h = size
    rects = [blaze.letterbox_rect(w, h)]
    steps = max(2, int(np.ceil((1 - share) / (share * 0.75))) + 1)
    tw, th = w * share, h * share
    for ty in np.linspace(0, h - th, steps):
        for tx in np.linspace(0, w - tw, steps):
            rects.append(blaze.letterbox_rect(tw, th, float(tx), float(ty)))
    return rects


def _search(an: LiteRTAnalyzer, image: Image.Image, share: float, min_score: float) -> list[Face]:
    """Faces the detector sees at `min_score` over the whole image and tiles of `share`."""
    return merge_faces(
        [f for rect in _grid(image.size, share) for f in an.detect(image, rect, image.size, min_score=min_score)]
    )


def exposure_corrected(image: Image.Image) -> tuple[Image.Image | None, str | None]:
    """A copy with the brightness brought to the middle, when the photo is far too dark or
    too bright; (None, None) when its exposure is not the problem."""
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    mean = float(gray.mean())
    if EXPOSURE_DARK_MEAN <= mean <= EXPOSURE_BRIGHT_MEAN:
        return None, None
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    if mean < EXPOSURE_DARK_MEAN:
        # Stretch what little light there is: the 99.5th percentile becomes white.
        top = max(float(np.percentile(gray, 99.5)) / 255.0, 1e-3)
        out = np.clip(rgb / top, 0, 1) ** 0.8
        how = "brightened"
    else:
        # Pull the highlights down: what is not yet clipped spreads over the range.
        bottom = float(np.percentile(gray, 0.5)) / 255.0
        out = np.clip((rgb - bottom) / max(1e-3, 1 - bottom), 0, 1) ** 2.2
        how = "darkened"
    return Image.fromarray((out * 255).astype(np.uint8)), how
