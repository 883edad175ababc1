"""The arithmetic around MediaPipe's BlazeFace/BlazePalm-family models, in numpy.

The models take a square tensor and answer raw numbers; this module turns an image region
into that tensor (a rotated, scaled crop), and the answers back into boxes and points in
image pixels: SSD anchors, box/keypoint decoding, and MediaPipe's weighted non-max
suppression. The option values are those of MediaPipe's own graphs for each model.
Pure functions only; coordinates are continuous pixels (pixel i spans [i, i+1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class DetectorSpec:
    """How one SSD-style detector model is fed and decoded (MediaPipe's graph options)."""

    size: int  # square input tensor side
    strides: tuple[int, ...]  # one per anchor layer; equal neighbours share a grid
    anchors_per_cell: int  # per layer: aspect ratio 1.0, plus an interpolated one when 2
    keypoints: int
    value_range: tuple[float, float]  # what 0 and 255 become in the input tensor
    min_suppression_iou: float = 0.3


# face_detection_full_range(_sparse): one 48×48 grid, one anchor per cell, 6 keypoints.
FACE_FULL_RANGE = DetectorSpec(size=192, strides=(4,), anchors_per_cell=1, keypoints=6, value_range=(-1.0, 1.0))
# palm_detection_lite: 24×24 cells × 2 anchors, then 12×12 cells × 6 (three layers of stride 16).
PALM = DetectorSpec(size=192, strides=(8, 16, 16, 16), anchors_per_cell=2, keypoints=7, value_range=(0.0, 1.0))


@dataclass(frozen=True)
class Detection:
    """A detection in image pixels: box (x0, y0, x1, y1), keypoints (k, 2), score."""

    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    score: float


@dataclass(frozen=True)
class Rect:
    """A square region of an image, possibly rotated: centre, side (pixels), angle (radians).

    The rect's own x axis points along (cos a, sin a) in the image (y down), its y axis
    along (-sin a, cos a); angle 0 is an upright square.
    """

    cx: float
    cy: float
    side: float
    angle: float = 0.0

    def affine_from_tensor(self, tensor_side: int) -> tuple[float, float, float, float, float, float]:
        """(a, b, c, d, e, f): tensor point (u, v) → image (a u + b v + c, d u + e v + f)."""
        k = self.side / tensor_side
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        half = self.side / 2
        return (
            cos * k,
            -sin * k,
            self.cx - cos * half + sin * half,
            sin * k,
            cos * k,
            self.cy - sin * half - cos * half,
        )

    def to_image(self, points: np.ndarray, tensor_side: int) -> np.ndarray:
        """Map (n, 2+) tensor-pixel points into image pixels; a third column (depth) is
        scaled like x, the way MediaPipe projects landmark z."""
        a, b, c, d, e, f = self.affine_from_tensor(tensor_side)
        out = np.array(points, dtype=np.float32, copy=True)
        u, v = points[:, 0], points[:, 1]
        out[:, 0] = a * u + b * v + c
        out[:, 1] = d * u + e * v + f
        if out.shape[1] > 2:
            out[:, 2] = points[:, 2] * self.side / tensor_side
        return out


def letterbox_rect(width: float, height: float, x0: float = 0.0, y0: float = 0.0) -> Rect:
    """The upright square that holds a width×height region at (x0, y0), centred: the region
    keeps its aspect ratio and the rest of the tensor is padding (MediaPipe's FIT mode)."""
    return Rect(x0 + width / 2, y0 + height / 2, max(width, height))


def crop_tensor(image: Image.Image, rect: Rect, side: int, value_range: tuple[float, float]) -> np.ndarray:
    """The rect's pixels resampled to side×side, as a float32 (1, side, side, 3) tensor.

    Pixels outside the image are black (the detectors' BORDER_ZERO)."""
    patch = image.transform(
        (side, side),
        Image.Transform.AFFINE,
        rect.affine_from_tensor(side),
        resample=Image.Resampling.BILINEAR,
        fillcolor=(0, 0, 0),
    )
    lo, hi = value_range
    tensor = np.asarray(patch, dtype=np.float32) * ((hi - lo) / 255.0) + lo
    return tensor[None]


def anchors(spec: DetectorSpec) -> np.ndarray:
    """Anchor centres (n, 2), relative to the tensor, in the models' output order.

    Layers with equal strides share one grid and stack their anchors per cell; every
    anchor has a fixed size of 1 (MediaPipe's fixed_anchor_size), so only centres matter.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        same = 1
        while layer + same < len(spec.strides) and spec.strides[layer + same] == stride:
            same += 1
        cells = math.ceil(spec.size / stride)
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(grid, spec.anchors_per_cell * same, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float32)


def decode(
    spec: DetectorSpec,
    anchor_centres: np.ndarray,
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    min_score: float,
    rect: Rect,
) -> list[Detection]:
    """Boxes, keypoints and scores above `min_score`, weighted-NMS'd, in image pixels."""
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -100.0, 100.0)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.nonzero(scores >= min_score)[0]
    if keep.size == 0:
        return []
    raw = raw_boxes.reshape(len(anchor_centres), -1)[keep] / spec.size
    centre = anchor_centres[keep]
    cx, cy = raw[:, 0] + centre[:, 0], raw[:, 1] + centre[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = raw[:, 4 : 4 + 2 * spec.keypoints].reshape(-1, spec.keypoints, 2) + centre[:, None, :]
    merged = weighted_nms(boxes, kps, scores[keep], spec.min_suppression_iou)
    out = []
    for box, points, score in merged:
        corners = rect.to_image(np.array([[box[0], box[1]], [box[2], box[3]]]) * spec.size, spec.size)
        pts = rect.to_image(points * spec.size, spec.size)
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        out.append(Detection((float(x0), float(y0), float(x1), float(y1)), pts, float(score)))
    return out


def iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, min_iou: float
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's WEIGHTED suppression: each cluster of overlapping candidates becomes one
    detection whose box and keypoints are the score-weighted mean of the cluster's, with
    the best candidate's score. Best first."""
    order = np.argsort(-scores)
    remaining = order
    out = []
    while remaining.size:
        best = remaining[0]
        overlaps = iou(boxes[best], boxes[remaining])
        cluster = remaining[overlaps > min_iou]
        if cluster.size == 0:  # a degenerate box overlaps nothing, not even itself
            cluster = remaining[:1]
        weights = scores[cluster][:, None]
        box = (boxes[cluster] * weights).sum(axis=0) / weights.sum()
        points = (keypoints[cluster] * weights[:, :, None]).sum(axis=0) / weights.sum()
        out.append((box, points, float(scores[best])))
        remaining = remaining[~np.isin(remaining, cluster)]
    return out


def roi_from_points(
    box: tuple[float, float, float, float],
    start: np.ndarray,
    end: np.ndarray,
    target_angle: float,
    scale: float,
    shift_y: float = 0.0,
) -> Rect:
    """MediaPipe's detection→ROI step: rotate so that start→end points at `target_angle`
    (0: to the right, pi/2: up), shift along the rotated y axis by a share of the box
    height, and make it a square `scale` times the box's long side."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dx, dy = float(end[0] - start[0]), float(end[1] - start[1])
    angle = math.atan2(dy, dx) + target_angle  # image y points down: "up" is -pi/2
    angle = math.atan2(math.sin(angle), math.cos(angle))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    cx += -math.sin(angle) * shift_y * h
    cy += math.cos(angle) * shift_y * h
    return Rect(cx, cy, max(w, h) * scale, angle)
