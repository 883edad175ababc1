"""Face and body analysis behind a small interface, with MediaPipe as the implementation.

MediaPipe 0.10.21's legacy Solutions ship their models inside the wheel (nothing is
downloaded at run time): full-range face detection (several faces, small ones too), face
mesh (468 landmarks → head pose and face regions), pose (shoulders, with visibility),
selfie segmentation (people whose face is turned away) and hands (a hand over the face).
Solution objects are not thread-safe, so each runs under its own lock; they load once.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .thresholds import FACE_MIN_SCORE, FACE_SURE_SCORE

TILE_SHARE = 0.6  # each of the four corner tiles covers 60 % of the width and height
BORDER_SHARE = 0.2  # the border added when no face is found at all
MIN_INPUT_PX = 16  # MediaPipe's graphs fail on empty or near-empty regions
MESH_CROP_SCALE = 2.2  # crop side for the face mesh, in face sizes
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


@dataclass
class Analysis:
    """What the models saw; pixel coordinates are in the analysed (working) image."""

    width: int
    height: int
    faces: list[Face] = field(default_factory=list)  # best first
    landmarks: np.ndarray | None = None  # (468, 3) pixel x, y and relative depth, main face
    person_mask: np.ndarray | None = None  # float 0..1, same size as the image
    hands: list[Box] = field(default_factory=list)
    faceless_bodies: int = 0  # people beside the faces whose own face was not seen

    @property
    def main_face(self) -> Face | None:
        return self.faces[0] if self.faces else None


class Analyzer(Protocol):
    def analyze(self, rgb: np.ndarray) -> Analysis: ...


class AnalysisUnavailable(Exception):
    """The face-analysis package is not installed or failed to load."""


class MediaPipeAnalyzer:
    def __init__(self) -> None:
        # MediaPipe's native logging goes to stderr; keep warnings and errors only.
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            from mediapipe.python.solutions import (
                face_detection,
                face_mesh,
                hands,
                selfie_segmentation,
            )
        except Exception as exc:  # ImportError, or a broken native library
            raise AnalysisUnavailable(f"MediaPipe could not be loaded ({exc}); install with scripts/install") from exc
        # Full-range detection: finds small and several faces (short-range misses them).
        self._detector = face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.3)
        self._mesh = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=False)
        self._segmenter = selfie_segmentation.SelfieSegmentation(model_selection=0)
        self._hands = hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=0)
        self._locks = {name: threading.Lock() for name in ("det", "mesh", "seg", "hands")}

    def _run(self, name: str, model: Any, rgb: np.ndarray) -> Any:
        if min(rgb.shape[:2]) < MIN_INPUT_PX:
            raise ValueError(f"image region too small for analysis: {rgb.shape[:2]}")
        with self._locks[name]:
            return model.process(rgb)

    def _detect(
        self,
        rgb: np.ndarray,
        x0: float = 0.0,
        y0: float = 0.0,
        sx: float = 1.0,
        sy: float = 1.0,
    ) -> list[Face]:
        """Faces in `rgb`, mapped into the frame where `rgb` sits at (x0, y0) scaled by (sx, sy)."""
        faces = []
        for d in self._run("det", self._detector, rgb).detections or []:
            rb = d.location_data.relative_bounding_box
            kp = d.location_data.relative_keypoints
            eyes = sorted(((x0 + kp[i].x * sx, y0 + kp[i].y * sy) for i in (0, 1)), key=lambda p: p[0])
            box = Box(x0 + rb.xmin * sx, y0 + rb.ymin * sy, rb.width * sx, rb.height * sy)
            faces.append(Face(box, float(d.score[0]), (eyes[0], eyes[1])))
        return faces

    def find_faces(self, rgb: np.ndarray) -> list[Face]:
        """Whole photo, then overlapping tiles (small and off-centre faces), merged.

        The detector sees a 192 px square, so a face that is small in the whole photo is
        found in a tile; a face cut by the edge is found once the photo gets a border.
        """
        h, w = rgb.shape[:2]
        faces = self._detect(rgb)
        tw, th = int(w * TILE_SHARE), int(h * TILE_SHARE)
        for tx, ty in ((0, 0), (w - tw, 0), (0, h - th), (w - tw, h - th)):
            tile = np.ascontiguousarray(rgb[ty : ty + th, tx : tx + tw])
            faces += self._detect(tile, tx / w, ty / h, tw / w, th / h)
        if not [f for f in faces if f.score >= FACE_MIN_SCORE]:
            bw, bh = int(w * BORDER_SHARE), int(h * BORDER_SHARE)
            padded = np.pad(rgb, ((bh, bh), (bw, bw), (0, 0)), mode="edge")
            faces += self._detect(padded, -bw / w, -bh / h, (w + 2 * bw) / w, (h + 2 * bh) / h)
        return merge_faces([f for f in faces if f.score >= FACE_MIN_SCORE])

    def mesh_around(self, rgb: np.ndarray, box: Box) -> np.ndarray | None:
        """Face-mesh landmarks (pixels of `rgb`) for the face in `box`, run on a crop around it.

        On the crop the face is large whatever its size in the photo, so the mesh also works
        for small and off-centre faces; no landmarks means no face there.
        """
        h, w = rgb.shape[:2]
        side = max(box.w * w, box.h * h) * MESH_CROP_SCALE
        x0, y0 = int(max(0, box.cx * w - side / 2)), int(max(0, box.cy * h - side / 2))
        x1, y1 = int(min(w, box.cx * w + side / 2)), int(min(h, box.cy * h + side / 2))
        if x1 - x0 < MIN_INPUT_PX or y1 - y0 < MIN_INPUT_PX:
            return None
        crop = rgb[y0:y1, x0:x1]
        # The mesh expects a square input; pad a crop clipped by the photo's edge.
        side_px = max(x1 - x0, y1 - y0)
        crop = np.ascontiguousarray(
            np.pad(crop, ((0, side_px - (y1 - y0)), (0, side_px - (x1 - x0)), (0, 0)), mode="edge")
        )
        found = self._run("mesh", self._mesh, crop).multi_face_landmarks
        if not found:
            return None
        pts = [(x0 + p.x * side_px, y0 + p.y * side_px, p.z * side_px) for p in found[0].landmark]
        return np.array(pts, dtype=np.float32)

    def _bodies_beside(self, rgb: np.ndarray, faces: list[Face]) -> int:
        """Segment the wide strips beside everyone found: a person there is someone whose
        face is turned away or hidden (on the strip alone the segmenter sees them clearly)."""
        h, w = rgb.shape[:2]
        lo = min(f.box.cx - f.box.w * BODY_HALF_WIDTH_FACES for f in faces)
        hi = max(f.box.cx + f.box.w * BODY_HALF_WIDTH_FACES for f in faces)
        bodies = 0
        for x0, x1 in ((0.0, lo), (hi, 1.0)):
            if x1 - x0 < SIDE_STRIP_MIN_SHARE:
                continue
            strip = np.ascontiguousarray(rgb[:, int(max(0.0, x0) * w) : int(min(1.0, x1) * w)])
            mask = self._run("seg", self._segmenter, strip).segmentation_mask
            if mask is not None and float((np.asarray(mask) > 0.5).mean()) >= STRIP_PERSON_MIN_SHARE:
                bodies += 1
        return bodies

    def analyze(self, rgb: np.ndarray) -> Analysis:
        h, w = rgb.shape[:2]
        result = Analysis(width=w, height=h)
        confirmed: list[Face] = []
        for face in self.find_faces(rgb):
            # A weaker detection counts only if the face mesh also finds a face there.
            landmarks = self.mesh_around(rgb, face.box)
            if landmarks is not None or face.score >= FACE_SURE_SCORE:
                confirmed.append(face)
                if result.landmarks is None and landmarks is not None and len(confirmed) == 1:
                    result.landmarks = landmarks
        result.faces = confirmed
        if not result.faces:
            return result
        result.faceless_bodies = self._bodies_beside(rgb, result.faces)
        seg = self._run("seg", self._segmenter, rgb).segmentation_mask
        if seg is not None:
            result.person_mask = np.asarray(seg, dtype=np.float32)
        hands = self._run("hands", self._hands, rgb).multi_hand_landmarks or []
        for hand in hands:
            xs = [p.x for p in hand.landmark]
            ys = [p.y for p in hand.landmark]
            result.hands.append(Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
        return result


def merge_faces(faces: list[Face]) -> list[Face]:
    """One face per person: overlapping detections from several passes keep the best; largest first."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if all(face.box.overlap(k.box) < 0.3 and k.box.overlap(face.box) < 0.3 for k in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: f.box.w * f.box.h, reverse=True)


_default: MediaPipeAnalyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> MediaPipeAnalyzer:
    """The process-wide analyzer, loaded once (about 0.7 s and ~270 MB the first time)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MediaPipeAnalyzer()
        return _default
