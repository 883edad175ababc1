"""Measurements on an eye-aligned crop of the main face.

The face is warped so that the eye centres land on fixed points of a 240×300 canvas; every
region below is then a fixed rectangle, whatever the photo's size or the head's tilt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

CANVAS_W, CANVAS_H = 240, 300
LEFT_EYE_AT, RIGHT_EYE_AT = (70.0, 120.0), (170.0, 120.0)  # eye distance: 100 px
EYE_DISTANCE = RIGHT_EYE_AT[0] - LEFT_EYE_AT[0]

# Mesh landmark indices (MediaPipe face mesh, 468 points).
LEFT_EYE = (33, 133, 159, 145)  # the eye on the image's left
RIGHT_EYE = (362, 263, 386, 374)

# Regions as (x0, y0, x1, y1) on the canvas.
FOREHEAD = (85, 45, 155, 85)
UPPER_FOREHEAD = (80, 10, 160, 40)  # where a cap's brim or a hood sits
LEFT_CHEEK = (45, 160, 95, 200)
RIGHT_CHEEK = (145, 160, 195, 200)
NOSE_BRIDGE = (105, 105, 135, 135)
UNDER_EYES = (40, 140, 200, 160)  # glasses' lower rims cross here
EYES = (45, 105, 195, 135)
MOUTH_CHIN = (85, 200, 155, 260)
LEFT_HALF = (30, 60, 120, 250)
RIGHT_HALF = (120, 60, 210, 250)
FACE = (40, 60, 200, 250)


@dataclass
class AlignedFace:
    rgb: np.ndarray  # (CANVAS_H, CANVAS_W, 3) uint8
    gray: np.ndarray  # float32 0..255
    valid: np.ndarray  # bool: canvas pixels that came from inside the photo

    def region(self, box: tuple[int, int, int, int], channel: str = "gray") -> np.ndarray:
        """The pixels of a canvas rectangle that came from the photo (empty if none did)."""
        x0, y0, x1, y1 = box
        src = self.gray if channel == "gray" else self.rgb
        return src[y0:y1, x0:x1][self.valid[y0:y1, x0:x1]]

    def inside(self, box: tuple[int, int, int, int]) -> float:
        """Share of a canvas rectangle that lies inside the photo."""
        x0, y0, x1, y1 = box
        return float(self.valid[y0:y1, x0:x1].mean())


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return landmarks[list(LEFT_EYE), :2].mean(axis=0), landmarks[list(RIGHT_EYE), :2].mean(axis=0)


def align(image: Image.Image, landmarks: np.ndarray) -> AlignedFace:
    left, right = eye_centres(landmarks)
    # Similarity transform canvas → photo, as Pillow's AFFINE wants (output → input).
    d_src = right - left
    scale = float(np.hypot(*d_src)) / EYE_DISTANCE
    angle = float(np.arctan2(d_src[1], d_src[0]))
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    ax, ay = LEFT_EYE_AT
    a, b = cos, -sin
    d, e = sin, cos
    c = left[0] - (a * ax + b * ay)
    f = left[1] - (d * ax + e * ay)
    coeffs = (a, b, c, d, e, f)
    warped = image.transform((CANVAS_W, CANVAS_H), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
    rgb = np.asarray(warped, dtype=np.uint8)
    gray = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return AlignedFace(rgb=rgb, gray=gray, valid=_inside(coeffs, image.size))


def _inside(coeffs: tuple[float, ...], size: tuple[int, int]) -> np.ndarray:
    """Which canvas pixels come from inside the photo (computed, not drawn: a white image
    the photo's size transformed like it cost more than the warp itself)."""
    a, b, c, d, e, f = coeffs
    # A row of u and a column of v, broadcast: the same sums as over a full grid, less work.
    u, v = np.arange(CANVAS_W)[None, :] + 0.5, np.arange(CANVAS_H)[:, None] + 0.5
    x, y = a * u + b * v + c, d * u + e * v + f
    w, h = size
    return np.asarray((x >= 0) & (x < w) & (y >= 0) & (y < h))


def gradients(face: AlignedFace) -> tuple[np.ndarray, np.ndarray]:
    """Absolute horizontal and vertical intensity differences, zero where the photo ends."""
    gray, valid = face.gray, face.valid
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, 1:-1] = np.abs(gray[:, 2:] - gray[:, :-2]) / 2
    gy[1:-1, :] = np.abs(gray[2:, :] - gray[:-2, :]) / 2
    # The photo's own border is not an edge in the face.
    gx[:, 1:-1] *= valid[:, 2:] & valid[:, :-2]
    gy[1:-1, :] *= valid[2:, :] & valid[:-2, :]
    return gx, gy


def laplacian_variance(gray: np.ndarray) -> float:
    lap = -4 * gray[1:-1, 1:-1] + gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:]
    return float(lap.var())
