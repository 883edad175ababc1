"""The head-and-shoulders frame the trainer wants, around a detected face."""

from __future__ import annotations

from ..photo.findings import Region

FACE_SHARE = 0.30  # of the frame's width: inside the checks' 15–50 %, with room for shoulders
EYE_LINE = 0.40  # the face's centre this far down the frame: the head high, the shoulders in


def head_and_shoulders(face: Region, width: int, height: int) -> Region:
    """The frame (relative to the photo) with the face at FACE_SHARE of its width, centred,
    in the photo's own proportions but never wider than square (a landscape frame would cut
    the shoulders) — as large as the photo allows, never past its edges."""
    aspect = min(width / height, 1.0)
    frame_w = face.w * width / FACE_SHARE  # pixels
    frame_h = frame_w / aspect
    shrink = min(1.0, width / frame_w, height / frame_h)
    frame_w, frame_h = frame_w * shrink, frame_h * shrink
    cx, cy = (face.x + face.w / 2) * width, (face.y + face.h / 2) * height
    x0 = min(max(0.0, cx - frame_w / 2), width - frame_w)
    y0 = min(max(0.0, cy - EYE_LINE * frame_h), height - frame_h)
    return Region(x0 / width, y0 / height, frame_w / width, frame_h / height)
