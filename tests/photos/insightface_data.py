"""Real photographs from the insightface wheel (a test dependency; its sample data):
`t1.jpg`, a group photo of six people round a card table, cut here into one portrait per
person; the photo's hands; and `mask_*.jpg`, photos of real surgical masks, used as the
cloth that covers a face. The files are located without importing insightface (its import
pulls in onnxruntime and OpenCV, which the checks never use).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, distribution

from PIL import Image, ImageDraw, ImageFilter

# Head-and-shoulders boxes in t1.jpg (1280×886), one person each, as tight as the table allows.
T1_PEOPLE = {
    "rachel": (0, 210, 260, 560),
    "monica": (225, 80, 455, 400),
    "ross": (405, 205, 675, 560),
    "chandler": (690, 265, 905, 600),
    "joey": (855, 0, 1115, 340),
    "phoebe": (1085, 215, 1280, 560),
}
HAND_BOX = (990, 425, 1085, 515)  # the back of a hand, fingers spread (at the right of the table)
MIN_WIDTH = 560  # portraits are enlarged to at least this width (the checks' minimum is 512)


def _path(relative: str) -> str:
    try:
        return str(distribution("insightface").locate_file(f"insightface/data/images/{relative}"))
    except PackageNotFoundError as exc:  # pragma: no cover - a test dependency
        raise RuntimeError("the photo set needs insightface's sample images: pip install -e '.[test]'") from exc


@cache
def group_photo() -> Image.Image:
    return Image.open(_path("t1.jpg")).convert("RGB")


@cache
def t1_person(name: str) -> Image.Image:
    box = T1_PEOPLE[name]
    crop = group_photo().crop(box)
    scale = max(2.0, MIN_WIDTH / crop.width)
    return crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.LANCZOS)


@cache
def hand() -> Image.Image:
    """The hand, with a soft oval alpha so that it sits on a face without a hard edge."""
    patch = group_photo().crop(HAND_BOX).convert("RGBA")
    alpha = Image.new("L", patch.size, 0)
    ImageDraw.Draw(alpha).ellipse((4, 4, patch.width - 4, patch.height - 4), fill=255)
    patch.putalpha(alpha.filter(ImageFilter.GaussianBlur(3)))
    return patch


@cache
def mask_cloth(colour: str) -> Image.Image:
    """A real surgical mask photo (blue, white, black or green), as a cloth texture."""
    return Image.open(_path(f"mask_{colour}.jpg")).convert("RGB")
