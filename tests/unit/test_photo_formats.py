"""Phone and browser photos: every still format is checked and becomes an upright sRGB JPEG."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.photo import Severity, check_photo, normalize_for_rehost
from tests import photo_formats as pf


@pytest.mark.parametrize("name", list(pf.ACCEPTED))
def test_each_still_format_is_checked_and_converted(name: str) -> None:
    data = pf.ACCEPTED[name]()
    report = check_photo(data)
    assert report.ok, (name, [f.code for f in report.findings])
    assert {"face", "people", "resolution"} <= set(report.passed_checks), name
    jpeg = normalize_for_rehost(data)
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG" and img.mode == "RGB", name
        assert img.size == pf.SIZE, name  # the HEIC is stored sideways: turned back upright
        assert _distance(img, pf.portrait()) < 12, name  # the same picture, the right way up
        assert not img.getexif() and "icc_profile" not in img.info
        quality = img.quantization  # quality 95: small quantization steps
        assert max(quality[0][:10]) <= 8, name


def test_the_checklist_says_what_was_converted() -> None:
    notes = {
        name: [f.message for f in check_photo(make()).findings if f.code == "converted"]
        for name, make in pf.ACCEPTED.items()
    }
    assert notes["HEIC"] == ["Converted from HEIC to JPEG."]
    assert notes["AVIF"] == ["Converted from AVIF to JPEG."]
    assert "primary image" in notes["HEIC, several images"][0]
    assert "first page" in notes["TIFF, two pages"][0]
    assert notes["JPEG, Display P3"] == []  # a JPEG stays a JPEG (its colours are still converted)
    assert notes["HEIC, HDR PQ"] == [
        "Converted from HEIC to JPEG; its HDR brightness (PQ) was mapped to standard range."
    ]
    assert "(HLG) was mapped" in notes["HEIC, HDR HLG"][0]
    heic = check_photo(pf.heic_rotated())
    converted = next(f for f in heic.findings if f.code == "converted")
    assert converted.severity is Severity.INFO and "format" in heic.passed_checks


def _distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two pictures' brightness at thumbnail size (0 = the same)."""
    small_a, small_b = a.convert("L").resize((40, 32)), b.convert("L").resize((40, 32))
    pairs = zip(small_a.tobytes(), small_b.tobytes(), strict=True)
    return sum(abs(x - y) for x, y in pairs) / (40 * 32)


def test_the_primary_image_of_a_heic_is_the_one_used() -> None:
    # The first image is a mirror image; the primary one is the portrait itself.
    with Image.open(io.BytesIO(normalize_for_rehost(pf.heic_several()))) as used:
        mirrored = pf.portrait().transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        assert _distance(used, pf.portrait()) < _distance(used, mirrored) / 3


@pytest.mark.parametrize("name", [*pf.WIDE_GAMUT, *pf.HDR])
def test_wide_gamut_and_hdr_colours_are_converted_not_dropped(name: str) -> None:
    data = pf.ACCEPTED[name]()
    with Image.open(io.BytesIO(normalize_for_rehost(data))) as img:
        r, g, b = img.getpixel((20, 20))
        highlight = img.getpixel((100, 20))
    expected = pf.patch_in_srgb(name)
    assert max(abs(r - expected[0]), abs(g - expected[1]), abs(b - expected[2])) <= 6, (name, (r, g, b), expected)
    with Image.open(io.BytesIO(data)) as raw:  # the pixels as decoded: what taking them as sRGB would keep
        kept = raw.convert("RGB").getpixel((20, 20))
    assert max(abs(r - kept[0]), abs(g - kept[1]), abs(b - kept[2])) > 15, (name, (r, g, b), kept)  # type: ignore[index]
    if name in pf.HDR:  # five times reference white: near white, and brighter than the portrait's whites
        assert min(highlight) >= 250, highlight  # type: ignore[arg-type]


def test_animations_are_refused_with_advice() -> None:
    report = check_photo(pf.webp_animated())
    (finding,) = report.blocking
    assert finding.code == "format" and "animated WebP" in finding.message and "frame" in finding.advice


def test_a_heic_with_a_large_thumbnail_is_judged_on_it_and_reports_its_full_size() -> None:
    from bot.photo.decode import decode

    big = pf.portrait().resize((2800, 2240))
    out = io.BytesIO()
    big.save(out, format="HEIF", quality=85, thumbnails=[1024])
    decoded = decode(out.getvalue())
    assert (decoded.width, decoded.height) == (2800, 2240)  # the photo's own size
    # The thumbnail libheif made is 1024×818; a full decode shrunk by Pillow would be 1024×819.
    assert decoded.working.size == (1024, 818)
    assert check_photo(out.getvalue()).ok
