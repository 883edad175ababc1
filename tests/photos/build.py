"""Build the labelled photo set from manifest.json: real photographs and derived variants.

Sources ship inside installed packages (no download): scikit-image's sample data and
matplotlib's grace_hopper.jpg. Drawn accessories (glasses, caps, masks) are placed with the
face mesh's landmarks on the source photo, so they sit where real ones would.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from bot.photo import still  # noqa: F401  (registers the HEIF encoder and decoder with Pillow)

MANIFEST = Path(__file__).with_name("manifest.json")
LANDMARKS = Path(__file__).with_name("source_landmarks.json")


@dataclass
class PhotoCase:
    name: str
    data: bytes
    truth: set[str]  # the codes that are true of this photo
    ignore: set[str] = field(default_factory=set)  # codes whose truth is unclear here
    refuse: str | None = None  # the code this photo must be refused for (a fail), if any


@cache
def source(name: str) -> Image.Image:
    from skimage import data

    if name.startswith("t1_"):  # one person cut from insightface's group photo
        from .insightface_data import t1_person

        return t1_person(name[3:])
    if name == "grace":
        from matplotlib import cbook

        path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        return Image.open(path).convert("RGB")
    if name == "hubble":
        return Image.fromarray(data.hubble_deep_field()).convert("RGB")
    loaders = {
        "astro": data.astronaut,
        "camera": data.camera,
        "chelsea": data.chelsea,
        "coffee": data.coffee,
        "rocket": data.rocket,
    }
    return Image.fromarray(loaders[name]()).convert("RGB")


@cache
def landmarks_of(name: str) -> np.ndarray:
    """The source portrait's face-mesh landmarks, as measured once and stored: drawn
    accessories then sit in the same place whatever detector is being evaluated."""
    stored = json.loads(LANDMARKS.read_text())
    return np.array(stored[name], dtype=np.float32)


def special(name: str) -> Image.Image:
    if name == "astro_mirror":
        return source("astro").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if name == "astro_faceless":  # the same person, face hidden: a body with no visible face
        img = source("astro").copy()
        lm = landmarks_of("astro")
        x0, y0 = lm[:, :2].min(axis=0) - 20
        x1, y1 = lm[:, :2].max(axis=0) + 20
        box = tuple(int(v) for v in (x0, y0, x1, y1))
        face = img.crop(box).resize((4, 4)).resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.NEAREST)
        img.paste(face, box[:2])
        return img
    return source(name)


def _eyes(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    from bot.photo.face_regions import eye_centres

    left, right = eye_centres(lm)
    return left, right, float(np.hypot(*(right - left)))


def draw_glasses(img: Image.Image, lm: np.ndarray, style: str) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    left, right, dist = _eyes(lm)
    width = {"clear": max(3, int(dist * 0.06)), "thin": max(2, int(dist * 0.03)), "sun": 3}[style]
    fill = (15, 15, 20) if style == "sun" else None
    for c in (left, right):
        box = [c[0] - 0.42 * dist, c[1] - 0.28 * dist, c[0] + 0.42 * dist, c[1] + 0.3 * dist]
        d.ellipse(box, outline=(25, 25, 25), width=width, fill=fill)
    d.line([left[0] + 0.42 * dist, left[1], right[0] - 0.42 * dist, right[1]], fill=(25, 25, 25), width=width)
    return out


def draw_hat(img: Image.Image, lm: np.ndarray, colour: tuple[int, int, int]) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    left, right, dist = _eyes(lm)
    brim = lm[10, 1] + 0.25 * dist  # just below the top of the forehead
    crown = brim - 1.7 * dist
    d.polygon(
        [
            (left[0] - 1.1 * dist, brim),
            (right[0] + 1.1 * dist, brim),
            (right[0] + 0.8 * dist, crown),
            (left[0] - 0.8 * dist, crown),
        ],
        fill=colour,
    )
    return out


def draw_mask(img: Image.Image, lm: np.ndarray, colour: tuple[int, int, int]) -> Image.Image:
    out = img.copy()
    outline = [234, 58, 172, 150, 152, 379, 397, 288, 454, 195]  # cheek, jaw, chin, nose bridge
    ImageDraw.Draw(out).polygon([tuple(lm[i, :2]) for i in outline], fill=colour)
    return out


def cover_hand(img: Image.Image, lm: np.ndarray, scale: float) -> Image.Image:
    """A real hand (from the group photo) over the nose and mouth."""
    from .insightface_data import hand

    _, _, dist = _eyes(lm)
    patch = hand()
    width = int(dist * scale)
    patch = patch.resize((width, int(patch.height * width / patch.width)), Image.Resampling.LANCZOS)
    centre = (lm[1, :2] + lm[152, :2]) / 2  # between the nose tip and the chin
    out = img.copy()
    out.paste(patch, (int(centre[0] - patch.width / 2), int(centre[1] - patch.height / 2)), patch)
    return out


def cover_cloth(img: Image.Image, lm: np.ndarray, colour: str, reach: str) -> Image.Image:
    """A real mask's cloth over the lower face; reach "nose" (as worn) or "eyes" (a scarf up to them)."""
    from .insightface_data import mask_cloth

    top = {"nose": [195], "eyes": [6]}[reach]  # the nose bridge, or the point between the eyes
    outline = [234, 58, 172, 150, 152, 379, 397, 288, 454, *top]
    points = [tuple(float(v) for v in lm[i, :2]) for i in outline]
    if reach == "eyes":  # widen a scarf past the cheeks
        points = [(x + (x - lm[1, 0]) * 0.15, y) for x, y in points]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = (int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1)
    cloth = mask_cloth(colour).resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.LANCZOS)
    alpha = Image.new("L", img.size, 0)
    ImageDraw.Draw(alpha).polygon(points, fill=255)
    layer = img.copy()
    layer.paste(cloth, box[:2])
    return Image.composite(layer, img, alpha)


def cover_head(img: Image.Image, lm: np.ndarray, colour: tuple[int, int, int]) -> Image.Image:
    """Something held over the whole face (a sheet of paper, a cloth)."""
    (x0, y0), (x1, y1) = lm[:, :2].min(axis=0), lm[:, :2].max(axis=0)
    out = img.copy()
    ImageDraw.Draw(out).rectangle(
        [x0 - 0.1 * (x1 - x0), y0 - 0.15 * (y1 - y0), x1 + 0.1 * (x1 - x0), y1 + 0.05 * (y1 - y0)], fill=colour
    )
    return out


def tiny(img: Image.Image, lm: np.ndarray, share: float, px: float) -> Image.Image:
    """The person far away: shrunk until the face is 60 px wide, on a wall (4:3) where the
    face is `share` of the width."""
    scale = 60 / float(np.ptp(lm[:, 0]))
    small = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))), Image.Resampling.LANCZOS)
    width = int(60 / share)
    canvas = Image.new("RGB", (width, width * 3 // 4), (96, 110, 124))
    canvas.paste(small, (int((canvas.width - small.width) * px), canvas.height - small.height))
    return canvas


def shade_side(img: Image.Image, lm: np.ndarray, side: str, factor: float) -> Image.Image:
    arr = np.asarray(img).astype(np.float32)
    w = arr.shape[1]
    nose_x = lm[1, 0]
    ramp = np.clip((np.arange(w) - nose_x + 30) / 60, 0, 1)  # 0 left of the nose, 1 right
    if side == "right":
        ramp = 1 - ramp
    gain = factor + (1 - factor) * ramp
    return Image.fromarray((arr * gain[None, :, None]).clip(0, 255).astype(np.uint8))


def pad(img: Image.Image, fw: float, fh: float, px: float, py: float) -> Image.Image:
    """Place the photo on a wall-coloured canvas fw×fh its size, at relative position px, py."""
    w, h = img.size
    canvas = Image.new("RGB", (int(w * fw), int(h * fh)), (96, 110, 124))
    canvas.paste(img, (int((canvas.width - w) * px), int((canvas.height - h) * py)))
    return canvas


def beside(img: Image.Image, other_name: str) -> Image.Image:
    other = special(other_name)
    other = other.resize((int(other.width * img.height / other.height), img.height))
    canvas = Image.new("RGB", (img.width + other.width, img.height))
    canvas.paste(img, (0, 0))
    canvas.paste(other, (img.width, 0))
    return canvas


def inset(img: Image.Image, other_name: str, share: float) -> Image.Image:
    other = special(other_name)
    size = int(img.width * share)
    out = img.copy()
    out.paste(other.resize((size, size)), (img.width - size - 8, 8))
    return out


def motion(img: Image.Image, length: int) -> Image.Image:
    arr = np.asarray(img).astype(np.float32)
    acc = np.zeros_like(arr)
    for shift in range(length):
        acc += np.roll(arr, shift - length // 2, axis=1)
    return Image.fromarray((acc / length).astype(np.uint8))


def apply(img: Image.Image, op: list[Any], src: str) -> Image.Image:
    kind, args = op[0], op[1:]
    if kind == "scale":
        return img.resize((round(img.width * args[0]), round(img.height * args[0])), Image.Resampling.LANCZOS)
    if kind == "resize":
        return img.resize((args[0], args[1]), Image.Resampling.LANCZOS)
    if kind == "crop":
        w, h = img.size
        return img.crop((int(args[0] * w), int(args[1] * h), int(args[2] * w), int(args[3] * h)))
    if kind == "rotate":
        return img.rotate(args[0], resample=Image.Resampling.BICUBIC, fillcolor=(96, 110, 124))
    if kind == "rotate_expand":  # the whole photo turned, as a phone held sideways saves it
        return img.rotate(args[0], resample=Image.Resampling.BICUBIC, fillcolor=(96, 110, 124), expand=True)
    if kind == "mirror":
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if kind == "gray":
        return img.convert("L").convert("RGB")
    if kind == "brightness":
        return ImageEnhance.Brightness(img).enhance(args[0])
    if kind == "blur":
        return img.filter(ImageFilter.GaussianBlur(args[0]))
    if kind == "motion":
        return motion(img, args[0])
    if kind == "pad":
        return pad(img, *args)
    if kind == "beside":
        return beside(img, args[0])
    if kind == "inset":
        return inset(img, args[0], args[1])
    lm = landmarks_of(src)  # the drawing ops come first, so img is still the source
    if kind == "glasses":
        return draw_glasses(img, lm, args[0])
    if kind == "hat":
        return draw_hat(img, lm, tuple(args[0]))
    if kind == "mask":
        return draw_mask(img, lm, tuple(args[0]))
    if kind == "shade_side":
        return shade_side(img, lm, args[0], args[1])
    if kind == "cover_hand":
        return cover_hand(img, lm, args[0])
    if kind == "cover_cloth":
        return cover_cloth(img, lm, args[0], args[1])
    if kind == "cover_head":
        return cover_head(img, lm, tuple(args[0]))
    if kind == "tiny":
        return tiny(img, lm, args[0], args[1])
    raise ValueError(f"unknown op {kind}")


def encode(img: Image.Image, case: dict[str, Any]) -> bytes:
    fmt = case.get("format", "JPEG")
    params: dict[str, Any] = {}
    orientation = case.get("orientation")
    if orientation in (6, 8):
        # Store the pixels turned so that applying the EXIF orientation shows them upright.
        img = img.transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
        exif = Image.Exif()
        exif[0x0112] = orientation
        params["exif"] = exif
    if fmt == "JPEG":
        params["quality"] = case.get("quality", 92)
    if case.get("animated"):  # two frames: the second turned a little
        params.update(save_all=True, append_images=[img.rotate(4)], duration=200, loop=0)
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    data = out.getvalue()
    if "truncate" in case:
        data = data[: int(len(data) * case["truncate"])]
    return data


def build_case(case: dict[str, Any], sources: dict[str, Any]) -> PhotoCase:
    src = case["source"]
    meta = sources[src]
    expect = set(case["expect"])
    # What the case says wins over what its source says: a variant may make true (or
    # unclear) a code its source ignores (or holds).
    ignore = (set(case.get("ignore", [])) | set(meta.get("ignore", []))) - expect
    truth = (expect | set(meta.get("truth", []))) - ignore
    if "random_bytes" in case:
        data = random.Random(case["name"]).randbytes(case["random_bytes"])
    else:
        img = source(src)
        for op in case["ops"]:
            img = apply(img, op, src)
        data = encode(img, case)
    if "unreadable" in truth:  # nothing else can be judged in a file that does not decode
        truth = {"unreadable"}
    return PhotoCase(case["name"], data, truth, ignore, case.get("refuse"))


def load_cases(names: set[str] | None = None) -> list[PhotoCase]:
    """The labelled cases (only those named, if `names` is given)."""
    manifest = json.loads(MANIFEST.read_text())
    chosen = [case for case in manifest["cases"] if names is None or case["name"] in names]
    if names is not None and len(chosen) != len(names):
        raise KeyError(f"no such cases: {sorted(names - {c['name'] for c in chosen})}")
    return [build_case(case, manifest["sources"]) for case in chosen]


def write_all(folder: Path) -> None:
    """Write every case to a folder, to look at them (`python -m tests.photos.build DIR`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in load_cases():
        (folder / f"{case.name}.img").write_bytes(case.data)


if __name__ == "__main__":
    import sys

    write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "photo-cases"))
