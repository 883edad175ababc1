"""The annotated preview: the photo, small, with the face box, the frame the trainer wants,
and each located problem marked and labelled. Drawn on the checks' reduced decode."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..photo.findings import PhotoReport, Region, Severity
from .frame import head_and_shoulders

PREVIEW_LONG_EDGE = 768
GREEN, AMBER, RED, WHITE = (46, 182, 125), (236, 178, 46), (224, 30, 90), (255, 255, 255)
CLIPPED_LEVEL = 250  # a pixel this bright in every channel is blown out
GAP = 12  # between the original and the fixed version, side by side


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # a Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _px(region: Region, size: tuple[int, int]) -> tuple[int, int, int, int]:
    w, h = size
    return (
        round(region.x * w),
        round(region.y * h),
        round((region.x + region.w) * w) - 1,
        round((region.y + region.h) * h) - 1,
    )


def _label(img: Image.Image, box: tuple[int, int, int, int], text: str, colour: tuple[int, int, int]) -> None:
    """A filled tag above the box (below it when the box touches the top)."""
    draw, font = ImageDraw.Draw(img), _font(14)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    tw, th = int(right - left) + 8, int(bottom - top) + 6
    x = min(max(0, box[0]), max(0, img.width - tw))
    y = box[1] - th if box[1] - th >= 0 else min(box[3] + 1, img.height - th)
    draw.rectangle((x, y, x + tw, y + th), fill=colour)
    draw.text((x + 4 - left, y + 3 - top), text, fill=WHITE, font=font)


def _small(image: Image.Image) -> Image.Image:
    copy = image.convert("RGB")  # (a copy: the checks' image is never drawn on)
    copy.thumbnail((PREVIEW_LONG_EDGE, PREVIEW_LONG_EDGE), Image.Resampling.BILINEAR)
    return copy


def _clipped_overlay(img: Image.Image, face: Region) -> bool:
    """Tint the blown-out pixels of the face red; True when there were any to mark."""
    x0, y0, x1, y1 = _px(face, img.size)
    area = np.asarray(img.crop((x0, y0, x1 + 1, y1 + 1)))
    clipped = (area >= CLIPPED_LEVEL).all(axis=2)
    if clipped.mean() < 0.01:
        return False
    tinted = area.copy()
    tinted[clipped] = (0.4 * tinted[clipped] + 0.6 * np.array(RED)).astype(np.uint8)
    img.paste(Image.fromarray(tinted), (x0, y0))
    return True


def preview_image(report: PhotoReport, image: Image.Image | None = None) -> Image.Image | None:
    """The annotated preview of the photo the report describes (None without a decode)."""
    source = image if image is not None else report.working
    if source is None:
        return None
    img = _small(source)
    draw = ImageDraw.Draw(img)
    marks, codes = report.marks, report.codes()
    width = max(2, img.width // 250)
    face = marks.face
    frame = head_and_shoulders(face, img.width, img.height) if face else None
    if face is None or not codes:  # passes (or nothing to place): the frame only, green
        if frame:
            draw.rectangle(_px(frame, img.size), outline=GREEN, width=width)
        return img
    fail = bool(report.codes(Severity.FAIL))
    if "exposure" in codes and _clipped_overlay(img, face):
        _label(img, _px(face, img.size), "clipped highlights", RED)
    if frame:
        draw.rectangle(_px(frame, img.size), outline=GREEN, width=width)
        _label(img, _px(frame, img.size), "head & shoulders", GREEN)
    face_box = _px(face, img.size)
    draw.rectangle(face_box, outline=RED if fail else AMBER, width=width)
    for other in marks.other_faces:
        box = _px(other, img.size)
        draw.rectangle(box, outline=RED, width=width)
        _label(img, box, "second person", RED)
    if "face_covered" in codes:
        covered = Region(face.x, face.y + face.h * 0.55, face.w, face.h * 0.45)
        box = _px(covered, img.size)
        draw.rectangle(box, outline=RED, width=width)
        _label(img, (box[0], box[3], box[2], box[3]), "covered", RED)
    for hand in marks.hands:
        box = _px(hand, img.size)
        draw.rectangle(box, outline=AMBER, width=width)
        _label(img, box, "hand", AMBER)
    return img


def annotated(report: PhotoReport, fixed: Image.Image | None = None) -> Image.Image | None:
    """What the thread shows: the annotated photo, and the fixed version beside it if any."""
    image = preview_image(report)
    if image is None or fixed is None:
        return image
    return side_by_side(image, fixed)


def side_by_side(original: Image.Image, fixed: Image.Image) -> Image.Image:
    """The original's preview and the fixed version, same height, labelled."""
    height = max(original.height, 1)
    # (shown at the original's height: a display size only; the fixed photo itself is never upscaled)
    scale = height / max(fixed.height, 1)
    fixed_small = fixed.convert("RGB").resize((max(1, round(fixed.width * scale)), height), Image.Resampling.BILINEAR)
    canvas = Image.new("RGB", (original.width + GAP + fixed_small.width, height), WHITE)
    canvas.paste(original, (0, 0))
    canvas.paste(fixed_small, (original.width + GAP, (height - fixed_small.height) // 2))
    _label(canvas, (0, 0, 0, 0), "yours", AMBER)
    _label(canvas, (original.width + GAP, 0, 0, 0), "fixed", GREEN)
    if canvas.width > PREVIEW_LONG_EDGE:
        canvas.thumbnail((PREVIEW_LONG_EDGE, PREVIEW_LONG_EDGE), Image.Resampling.BILINEAR)
    return canvas


def preview_jpeg(image: Image.Image) -> bytes:
    """The preview as Slack gets it: a JPEG well under 1 MB (about 60–120 KB at 768 px)."""
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()
