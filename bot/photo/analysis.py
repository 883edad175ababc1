"""Face and body analysis behind a small interface, on MediaPipe's models run by LiteRT.

The models (BlazeFace full-range face detection, face mesh, selfie segmentation, palm
detection and hand landmarks, all from MediaPipe 0.10.21, Apache-2.0) ship inside this
package and run on LiteRT; `blaze.py` does the pre- and post-processing MediaPipe's
graphs did. Face detection finds several and small faces, the face mesh (468 landmarks)
gives head pose and face regions, segmentation finds people whose face is turned away,
and hands find a hand over the face. Models load once; each runs under its own lock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PIL import Image

from . import blaze
from .tflite import ModelUnavailable, TFLiteModel
from .thresholds import FACE_MIN_SCORE, FACE_SURE_SCORE, FACE_WIDTH_MIN, MESH_PRESENCE_MIN

TILE_SHARE = 0.6  # each of the four corner tiles covers 60 % of the width and height
BORDER_SHARE = 0.2  # the border added when no face is found at all
MIN_INPUT_PX = 16  # regions smaller than this hold nothing to analyse
DETECTION_MIN_SCORE = 0.3  # candidates kept from the detector; FACE_MIN_SCORE decides
MESH_ROI_SCALE = 1.5  # the face mesh sees a square 1.5 face sizes wide, turned level
MESH_SIDE = 192
SEGMENTATION_SIDE = 256
HAND_SIDE = 224
HAND_ROI_SCALE, HAND_ROI_SHIFT = 2.6, -0.5  # from a palm to the whole hand
MAX_HANDS = 2
HAND_PRESENCE_MIN = 0.5
BODY_HALF_WIDTH_FACES = 2.5  # one person's shoulders span ~2 face widths each side
SIDE_STRIP_MIN_SHARE = 0.3  # a strip beside the people this wide may hold someone else
# Share of such a strip the segmenter marks as person: 0.46 with a second body, ≤ 0.06 for
# walls, a tripod or a starfield.
STRIP_PERSON_MIN_SHARE = 0.25


@dataclass(frozen=True)
class Box:
    """A rectangle in relative coordinates (0..1 of the image width/height)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlap(self, other: Box) -> float:
        """Intersection area over this box's area."""
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        return (ix * iy) / max(self.w * self.h, 1e-9)


@dataclass
class Face:
    box: Box
    score: float
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None  # relative, image left first
    # The detector's own eye keypoints (pixels, its order): the line the mesh is levelled on.
    eye_line: tuple[tuple[float, float], tuple[float, float]] | None = field(default=None, repr=False)


@dataclass
class Analysis:
    """What the models saw; pixel coordinates are in the analysed (working) image."""

    width: int
    height: int
    faces: list[Face] = field(default_factory=list)  # best first
    landmarks: np.ndarray | None = None  # (468, 3) pixel x, y and relative depth, main face
    person_mask: np.ndarray | None = None  # float 0..1 over the whole image (256×256: index it relatively)
    faceless_bodies: int = 0  # people beside the faces whose own face was not seen
    absence: Any = None  # without a face: what a closer look saw (absence.Absence)
    found_hands: list[Box] = field(default_factory=list)
    # Hands are still being found on another thread while the checks that do not need them run.
    pending_hands: Future[list[Box]] | None = field(default=None, repr=False)

    @property
    def main_face(self) -> Face | None:
        return self.faces[0] if self.faces else None

    @property
    def hands(self) -> list[Box]:
        """Boxes (relative) around each hand; waits for them if they are still being found."""
        if self.pending_hands is not None:
            self.found_hands, self.pending_hands = self.pending_hands.result(), None
        return self.found_hands


class Analyzer(Protocol):
    def analyze(
        self, photo: Image.Image | np.ndarray, larger: Callable[[], Image.Image | None] | None = None
    ) -> Analysis: ...


class AnalysisUnavailable(Exception):
    """The face-analysis runtime or its models failed to load."""


class LiteRTAnalyzer:
    def __init__(self) -> None:
        try:
            # Two copies of the detector, and batched ones: the whole photo and the upper
            # tiles on one thread, the lower tiles on another.
            self._detector = TFLiteModel("face_detection_full_range_sparse.tflite", copies=2, batches=(3, 2))
            self._mesh = TFLiteModel("face_landmark.tflite")
            self._segmenter = TFLiteModel("selfie_segmentation.tflite")
            self._palms = TFLiteModel("palm_detection_lite.tflite")
            self._hand = TFLiteModel("hand_landmark_lite.tflite")
        except ModelUnavailable as exc:
            raise AnalysisUnavailable(f"the face models could not be loaded ({exc}); reinstall replica-bot") from exc
        self._face_anchors = blaze.anchors(blaze.FACE_FULL_RANGE)
        self._palm_anchors = blaze.anchors(blaze.PALM)
        # The person mask, the hands and half the tiles do not depend on the rest: they are
        # found on a helper thread while the faces are (a 12 MP photo's check uses both cores).
        self._beside = ThreadPoolExecutor(max_workers=2, thread_name_prefix="analysis")

    # --- faces ------------------------------------------------------------------------
    def detect(
        self,
        image: Image.Image,
        rect: blaze.Rect,
        size: tuple[int, int],
        offset: tuple[int, int] = (0, 0),
        min_score: float = DETECTION_MIN_SCORE,
    ) -> list[Face]:
        """Faces the detector sees in `rect` of `image`, relative to a photo of `size`;
        `offset` is where the photo sits in `image` (a padded copy has a border)."""
        return self.detect_in(image, [rect], size, offset, min_score)

    def detect_in(
        self,
        image: Image.Image,
        rects: list[blaze.Rect],
        size: tuple[int, int],
        offset: tuple[int, int] = (0, 0),
        min_score: float = DETECTION_MIN_SCORE,
    ) -> list[Face]:
        """`detect` on several rects in one run of the detector; faces in the rects' order."""
        spec = blaze.FACE_FULL_RANGE
        batch = np.concatenate([blaze.crop_tensor(image, rect, spec.size, spec.value_range) for rect in rects])
        out = self._detector.run(batch)
        boxes, scores = out["Identity"].reshape(len(rects), -1), out["Identity_1"].reshape(len(rects), -1)
        return [
            _face(d, size, offset)
            for i, rect in enumerate(rects)
            for d in blaze.decode(spec, self._face_anchors, boxes[i], scores[i], min_score, rect)
        ]

    def find_faces(self, image: Image.Image, lower_tiles: Future[list[Face]] | None = None) -> list[Face]:
        """Whole photo, then overlapping tiles (small and off-centre faces), merged.

        The detector sees a 192 px square, so a face that is small in the whole photo is
        found in a tile; a face cut by the edge is found once the photo gets a border.
        `lower_tiles`: the lower tiles' faces, already being found on another thread.
        """
        w, h = image.size
        if lower_tiles is None:
            (lower_tiles,) = self._in_turn(lambda: self._lower_tiles(image))
        faces = self.detect_in(image, [blaze.letterbox_rect(w, h), *_tiles(w, h)[:2]], (w, h))
        faces += lower_tiles.result()
        if not [f for f in faces if f.score >= FACE_MIN_SCORE]:
            bw, bh = int(w * BORDER_SHARE), int(h * BORDER_SHARE)
            padded = Image.fromarray(np.pad(np.asarray(image), ((bh, bh), (bw, bw), (0, 0)), mode="edge"))
            faces += self.detect(padded, blaze.letterbox_rect(*padded.size), (w, h), (bw, bh))
        return merge_faces([f for f in faces if f.score >= FACE_MIN_SCORE])

    def _lower_tiles(self, image: Image.Image) -> list[Face]:
        return self.detect_in(image, _tiles(*image.size)[2:], image.size)

    def _in_turn(self, *steps: Callable[[], Any]) -> list[Future[Any]]:
        """Run `steps` one after another on one helper thread; a future for each result.
        (One helper per photo: with the calling thread that keeps a check on two cores.)"""
        futures: list[Future[Any]] = [Future() for _ in steps]

        def run() -> None:
            for future, step in zip(futures, steps, strict=True):
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(step())
                    except BaseException as exc:  # handed to whoever waits for the result
                        future.set_exception(exc)

        self._beside.submit(run)
        return futures

    def mesh(self, image: Image.Image, face: Face) -> np.ndarray | None:
        """Face-mesh landmarks (pixels of `image`) for `face`, or None when the mesh model
        does not see a face there. The mesh sees the face levelled and 1.5 face sizes wide,
        whatever its size in the photo."""
        landmarks, presence = self.mesh_with_presence(image, face)
        return landmarks if presence >= MESH_PRESENCE_MIN else None

    def mesh_with_presence(self, image: Image.Image, face: Face) -> tuple[np.ndarray | None, float]:
        """The mesh's landmarks and its own face-presence probability, whatever that is."""
        w, h = image.size
        box = (face.box.x * w, face.box.y * h, (face.box.x + face.box.w) * w, (face.box.y + face.box.h) * h)
        if min(box[2] - box[0], box[3] - box[1]) < 2 or face.eye_line is None:
            return None, 0.0
        start, end = (np.asarray(p) for p in face.eye_line)
        rect = blaze.roi_from_points(box, start, end, 0.0, MESH_ROI_SCALE)
        out = self._mesh.run(blaze.crop_tensor(image, rect, MESH_SIDE, (0.0, 1.0)))
        presence = 1.0 / (1.0 + math.exp(-float(np.clip(out["conv2d_31"].ravel()[0], -100, 100))))
        return rect.to_image(out["conv2d_21"].reshape(468, 3), MESH_SIDE), presence

    # --- people and hands ---------------------------------------------------------------
    def segment(self, image: Image.Image) -> np.ndarray:
        """Person probability (float 0..1) on a 256×256 grid stretched over the image: the
        model's own resolution; callers index it with relative coordinates."""
        # reducing_gap: shrink by whole factors first (cheap), then resample what is left.
        small = image.resize((SEGMENTATION_SIDE, SEGMENTATION_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
        tensor = (np.asarray(small, dtype=np.float32) / 255.0)[None]
        return self._segmenter.run(tensor)["activation_10"].reshape(SEGMENTATION_SIDE, SEGMENTATION_SIDE)

    def _bodies_beside(self, image: Image.Image, faces: list[Face]) -> int:
        """Segment the wide strips beside everyone found: a person there is someone whose
        face is turned away or hidden (on the strip alone the segmenter sees them clearly)."""
        w, h = image.size
        lo = min(f.box.cx - f.box.w * BODY_HALF_WIDTH_FACES for f in faces)
        hi = max(f.box.cx + f.box.w * BODY_HALF_WIDTH_FACES for f in faces)
        bodies = 0
        for x0, x1 in ((0.0, lo), (hi, 1.0)):
            if x1 - x0 < SIDE_STRIP_MIN_SHARE:
                continue
            left, right = int(max(0.0, x0) * w), int(min(1.0, x1) * w)
            if right - left < MIN_INPUT_PX:
                continue
            mask = self.segment(image.crop((left, 0, right, h)))
            if float((mask > 0.5).mean()) >= STRIP_PERSON_MIN_SHARE:
                bodies += 1
        return bodies

    def hands(self, image: Image.Image) -> list[Box]:
        """Boxes (relative) around each hand: palms found, then the hand's landmarks."""
        w, h = image.size
        spec = blaze.PALM
        rect = blaze.letterbox_rect(w, h)
        out = self._palms.run(blaze.crop_tensor(image, rect, spec.size, spec.value_range))
        palms = blaze.decode(spec, self._palm_anchors, out["Identity"], out["Identity_1"], 0.5, rect)
        boxes = []
        for palm in palms[:MAX_HANDS]:
            roi = blaze.roi_from_points(
                palm.box, palm.keypoints[0], palm.keypoints[2], math.pi / 2, HAND_ROI_SCALE, HAND_ROI_SHIFT
            )
            found = self._hand.run(blaze.crop_tensor(image, roi, HAND_SIDE, (0.0, 1.0)))
            if float(found["Identity_1"].ravel()[0]) < HAND_PRESENCE_MIN:
                continue
            pts = roi.to_image(found["Identity"].reshape(21, 3), HAND_SIDE)
            (x0, y0), (x1, y1) = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
            boxes.append(Box(float(x0) / w, float(y0) / h, float(x1 - x0) / w, float(y1 - y0) / h))
        return boxes

    def analyze(
        self, photo: Image.Image | np.ndarray, larger: Callable[[], Image.Image | None] | None = None
    ) -> Analysis:
        """What the models see in the photo (an RGB image or array). Without a face, a closer
        look says why (and `larger`, a larger decode of the same photo, lets it find faces
        too small here)."""
        if isinstance(photo, Image.Image) and photo.mode == "RGB":
            image = photo
        else:
            image = Image.fromarray(np.ascontiguousarray(np.asarray(photo)[:, :, :3]))
        w, h = image.size
        result = Analysis(width=w, height=h)
        if min(w, h) < MIN_INPUT_PX:
            return result
        # The helper thread: the lower tiles (the faces wait for them first), the person mask
        # (the people check, early), then hands (only the last check needs them).
        lower_tiles, mask, hands = self._in_turn(
            lambda: self._lower_tiles(image), lambda: self.segment(image), lambda: self.hands(image)
        )
        confirmed: list[Face] = []
        for face in self.find_faces(image, lower_tiles):
            # A weaker detection counts only if the face mesh also finds a face there.
            landmarks = self.mesh(image, face)
            if landmarks is not None or face.score >= FACE_SURE_SCORE:
                confirmed.append(face)
                if result.landmarks is None and landmarks is not None and len(confirmed) == 1:
                    result.landmarks = landmarks
        if not confirmed:
            from .absence import look_again  # (absence builds on this module)

            absence = look_again(self, image, lambda: (mask.result(), hands.result()), larger or (lambda: None))
            found = [f for f in absence.small if f.box.w >= FACE_WIDTH_MIN]
            if not found:  # a face too small, or none: the checks say why
                result.absence = absence
                return result
            confirmed, result.landmarks = found, self.mesh(image, found[0])  # a face after all
        result.faces = confirmed
        result.faceless_bodies = self._bodies_beside(image, result.faces)
        result.person_mask, result.pending_hands = mask.result(), hands
        return result


def _tiles(w: int, h: int) -> list[blaze.Rect]:
    """Four overlapping corner tiles, upper two first."""
    tw, th = w * TILE_SHARE, h * TILE_SHARE
    return [blaze.letterbox_rect(tw, th, tx, ty) for tx, ty in ((0, 0), (w - tw, 0), (0, h - th), (w - tw, h - th))]


def _face(d: blaze.Detection, size: tuple[int, int], offset: tuple[int, int]) -> Face:
    """A detection (pixels of an image holding the photo at `offset`) as a Face of the photo."""
    (w, h), (ox, oy) = size, offset
    x0, y0, x1, y1 = d.box
    kp = d.keypoints - np.array([ox, oy], dtype=np.float32)
    e0, e1 = (float(kp[0, 0]), float(kp[0, 1])), (float(kp[1, 0]), float(kp[1, 1]))
    left, right = sorted(((e0[0] / w, e0[1] / h), (e1[0] / w, e1[1] / h)), key=lambda p: p[0])
    box = Box((x0 - ox) / w, (y0 - oy) / h, (x1 - x0) / w, (y1 - y0) / h)
    return Face(box, d.score, (left, right), (e0, e1))


def merge_faces(faces: list[Face]) -> list[Face]:
    """One face per person: overlapping detections from several passes keep the best; largest first."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if all(face.box.overlap(k.box) < 0.3 and k.box.overlap(face.box) < 0.3 for k in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: f.box.w * f.box.h, reverse=True)


_default: LiteRTAnalyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> LiteRTAnalyzer:
    """The process-wide analyzer, loaded once (well under a second the first time)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LiteRTAnalyzer()
        return _default
