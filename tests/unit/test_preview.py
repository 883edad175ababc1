"""The annotated preview and the fixes, on real photographs (scikit-image's astronaut,
matplotlib's Grace Hopper) and variants derived from them."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from bot.photo import PhotoReport, check_photo
from bot.photo.checks import recheck_photo
from bot.photo.findings import Marks, Region
from bot.preview import apply_fix, head_and_shoulders, offer_fix, preview_image, preview_jpeg, propose_fix
from bot.preview.annotate import AMBER, GREEN, RED, side_by_side
from bot.preview.fixes import MIN_FIXED_SIDE_PX, Fix
from tests.photos import build


def jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


@cache
def variant(name: str) -> bytes:
    astro = build.source("astro")
    made = {
        "good": lambda: astro.resize((1024, 1024)),
        "far": lambda: build.apply(astro, ["pad", 2.2, 2.2, 0.5, 0.5], "astro").resize((2600, 2600)),
        "far_small": lambda: build.apply(astro, ["pad", 2.2, 2.2, 0.5, 0.5], "astro"),
        "on_its_right": lambda: astro.resize((1024, 1024)).rotate(-90, expand=True),
        "on_its_left": lambda: astro.resize((1024, 1024)).rotate(90, expand=True),
        "dark": lambda: ImageEnhance.Brightness(astro.resize((1024, 1024))).enhance(0.3),
        "two": lambda: build.apply(build.apply(astro, ["beside", "grace"], "astro"), ["scale", 1.5], "astro"),
        "grace_on_its_side": lambda: build.apply(build.source("grace"), ["scale", 1.7], "grace").rotate(
            90, expand=True
        ),
    }[name]()
    return jpeg(made)


@cache
def report(name: str) -> PhotoReport:
    return check_photo(variant(name))


# --- the frame ------------------------------------------------------------------------------
def test_the_frame_centres_the_face_at_a_third_of_its_width_inside_the_photo() -> None:
    face = Region(0.45, 0.40, 0.10, 0.10)
    frame = head_and_shoulders(face, 4000, 3000)
    assert frame.w == pytest.approx(0.10 / 0.30)
    assert frame.x + frame.w / 2 == pytest.approx(0.5) and frame.y + 0.4 * frame.h == pytest.approx(0.45)
    assert frame.w * 4000 == pytest.approx(frame.h * 3000)  # square in a landscape photo (room for shoulders)
    tall = head_and_shoulders(face, 3000, 4000)
    assert tall.w * 3000 / (tall.h * 4000) == pytest.approx(3000 / 4000)  # a portrait photo's own proportions
    edge = head_and_shoulders(Region(0.0, 0.05, 0.2, 0.2), 1000, 1000)  # a face at the edge
    assert edge.x == 0.0 and edge.y == 0.0 and edge.w <= 1.0 and edge.h <= 1.0
    big = head_and_shoulders(Region(0.3, 0.3, 0.45, 0.45), 1000, 1000)  # more than the photo holds
    assert (big.x, big.y, big.w, big.h) == (0.0, 0.0, 1.0, 1.0)


# --- the preview ----------------------------------------------------------------------------
def _colour_share(
    img: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int] | None = None
) -> float:
    pixels = np.asarray(img.crop(box) if box else img, dtype=np.int16)
    return float((np.abs(pixels - np.array(colour)).sum(axis=2) < 40).mean())


def test_a_photo_that_passes_gets_the_frame_only_in_green() -> None:
    good = report("good")
    assert good.ok and not good.codes() and good.marks.face is not None
    img = preview_image(good)
    assert img is not None and max(img.size) == 768
    assert _colour_share(img, GREEN) > 0.003 and _colour_share(img, RED) < 0.001 and _colour_share(img, AMBER) < 0.001
    data = preview_jpeg(img)
    assert len(data) < 300_000 and Image.open(io.BytesIO(data)).format == "JPEG"


def test_a_second_person_is_marked_in_red_where_they_are() -> None:
    two = report("two")
    assert "multiple_people" in two.codes() and two.marks.other_faces
    img = preview_image(two)
    assert img is not None
    other = two.marks.other_faces[0]
    w, h = img.size
    box = (
        int(other.x * w) - 3,
        int(other.y * h) - 3,
        int((other.x + other.w) * w) + 3,
        int((other.y + other.h) * h) + 3,
    )
    assert _colour_share(img, RED, box) > 0.02  # the box and its label
    assert propose_fix(two) is None  # nothing the bot can fix about two people


# --- the fixes ------------------------------------------------------------------------------
def test_a_loose_frame_is_cropped_to_head_and_shoulders_and_checked_again() -> None:
    far = report("far")
    assert far.codes() == {"framing"}
    offer = offer_fix(far, recheck_photo)
    assert offer is not None and offer.fix.crop is not None and offer.fix.turn == 0 and offer.fix.gamma == 1.0
    assert offer.report.ok and "framing" not in offer.report.codes()
    assert min(offer.width, offer.height) >= MIN_FIXED_SIDE_PX and offer.width < far.width  # never upscaled
    # the same loose frame in a photo too small to crop stays as it is
    assert report("far_small").codes() == {"framing"} and offer_fix(report("far_small"), recheck_photo) is None


@pytest.mark.parametrize("name", ["on_its_right", "on_its_left"])
def test_a_sideways_photo_is_turned_upright(name: str) -> None:
    sideways = report(name)
    assert "not_frontal" in sideways.codes()
    offer = offer_fix(sideways, recheck_photo)
    assert offer is not None and offer.fix.turn in (90, 270) and "turned upright" in offer.fix.what
    assert not offer.report.codes()  # upright, the photo passes everything


def test_a_dark_exposure_is_levelled_and_a_face_is_never_retouched() -> None:
    dark = report("dark")
    assert dark.codes() == {"exposure"}
    offer = offer_fix(dark, recheck_photo)
    assert offer is not None and offer.fix.gamma < 1 and offer.fix.what == ("brightened",)
    assert offer.fix.crop is None and offer.fix.turn == 0 and offer.report.ok and not offer.report.codes()
    # levels are one curve for every pixel: the same input brightness gives the same output
    before = np.asarray(dark.working)  # type: ignore[arg-type]
    after = np.asarray(apply_fix(dark.working, offer.fix))  # type: ignore[arg-type]
    assert after.shape == before.shape
    for level in (20, 60):
        values = after[before == level]
        assert values.size and values.min() == values.max()


def test_a_fix_is_not_offered_when_the_check_again_does_not_clear_it() -> None:
    far = report("far")

    def still_loose(data: bytes) -> PhotoReport:  # the checks again, pretending the crop missed
        again = recheck_photo(data)
        again.findings.append(next(f for f in far.findings if f.code == "framing"))
        return again

    assert offer_fix(far, still_loose) is None
    # a real case: Grace Hopper on her side — upright, the checks see her glasses and cap,
    # which the sideways photo hid: a fixed version with new problems is not offered
    grace = report("grace_on_its_side")
    assert grace.codes() == {"not_frontal"} and propose_fix(grace) is not None
    assert offer_fix(grace, recheck_photo) is None


def test_fixes_round_trip_and_a_close_up_or_a_cut_head_has_none() -> None:
    fix = Fix(90, Region(0.1, 0.2, 0.5, 0.5), 0.8, ("turned upright",), ("not_frontal",))
    assert Fix.from_json(fix.to_json()) == fix and fix.size_after(4000, 3000) == (1500, 2000)
    close = PhotoReport(width=2000, height=2000, marks=Marks(face=Region(0.2, 0.2, 0.6, 0.6)))
    cut = PhotoReport(width=2000, height=2000, marks=Marks(face=Region(0.4, 0.0, 0.2, 0.2)))
    framing = next(f for f in report("far").findings if f.code == "framing")
    for photo in (close, cut):
        photo.findings.append(framing)
        assert propose_fix(photo) is None


def test_the_side_by_side_preview_stays_small() -> None:
    far = report("far")
    offer = offer_fix(far, recheck_photo)
    assert offer is not None
    both = side_by_side(preview_image(far), offer.image)  # type: ignore[arg-type]
    assert max(both.size) <= 768 and len(preview_jpeg(both)) < 300_000
