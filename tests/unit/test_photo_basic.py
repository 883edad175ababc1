"""Format, resolution, readability and rehost normalisation, on a real photograph."""

import io

import numpy as np
from PIL import Image, ImageStat

from bot.photo import Severity, check_photo, decode, normalize_for_rehost
from tests import photo_samples
from tests.photo_samples import astronaut, encode


def codes(data: bytes) -> set[str]:
    return {f.code for f in check_photo(data).findings if f.severity is not Severity.INFO}


def test_real_portrait_passes_basic_checks() -> None:
    report = check_photo(photo_samples.headshot_jpeg())
    assert report.ok and report.image_format == "JPEG" and (report.width, report.height) == (768, 768)
    assert {"format", "resolution"} <= set(report.passed_checks)


def test_png_passes_and_is_judged_by_content_not_name() -> None:
    assert check_photo(encode(astronaut(), "PNG")).ok


def test_too_small_names_size_and_rule() -> None:
    report = check_photo(photo_samples.tiny_png())
    (finding,) = report.blocking
    assert finding.code == "resolution" and finding.measured == "300×300 px" and "512" in finding.threshold
    assert not report.autofix_helps


def test_resolution_is_judged_after_exif_orientation() -> None:
    wide = astronaut().resize((700, 500))  # stored 700×500, shown 500×700 with orientation 6
    data = photo_samples.with_gps_exif(wide, orientation=6)
    report = check_photo(data)
    assert (report.width, report.height) == (500, 700)
    assert "resolution" in codes(data)
    decoded = decode(data)
    assert decoded.working.size[0] < decoded.working.size[1]  # upright


def test_gif_fails_and_says_why() -> None:
    report = check_photo(encode(astronaut(), "GIF"))
    assert [f.code for f in report.blocking] == ["format"]
    assert "GIF" in report.blocking[0].message and "256 colours" in report.blocking[0].advice


def test_unreadable_inputs() -> None:
    jpeg = photo_samples.headshot_jpeg()
    for data in (b"", b"hello world", jpeg[: len(jpeg) // 2], b"\x89PNG\r\n\x1a\n" + b"\0" * 40):
        assert codes(data) == {"unreadable"}


def test_decompression_bomb_is_refused_without_decoding() -> None:
    # A PNG header declaring 30000×30000 px in a tiny file.
    img = Image.new("1", (30000, 30000))
    bomb = encode(img, "PNG")
    assert len(bomb) < 200_000
    report = check_photo(bomb)
    assert [f.code for f in report.findings] == ["unreadable"]
    assert "pixels" in report.findings[0].message


def test_large_jpeg_is_decoded_at_reduced_size() -> None:
    big = encode(astronaut().resize((4000, 3000)), "JPEG", quality=90)
    decoded = decode(big)
    assert (decoded.width, decoded.height) == (4000, 3000)
    assert max(decoded.working.size) <= 1024


def test_normalize_strips_all_metadata_and_applies_orientation() -> None:
    data = photo_samples.with_gps_exif(astronaut().resize((800, 600)), orientation=8)
    assert b"Secret" in data
    clean = normalize_for_rehost(data)
    assert b"Secret" not in clean and b"Exif" not in clean
    with Image.open(io.BytesIO(clean)) as img:
        assert img.format == "JPEG" and img.size == (600, 800)
        assert not img.getexif() and "comment" not in img.info and "icc_profile" not in img.info


def test_normalize_flattens_alpha_and_16_bit() -> None:
    rgba = astronaut().convert("RGBA")
    with Image.open(io.BytesIO(normalize_for_rehost(encode(rgba, "PNG")))) as img:
        assert img.mode == "RGB"
    gray = astronaut().convert("L")
    sixteen = Image.fromarray(np.asarray(gray, dtype=np.uint16) * 257)  # a real 16-bit PNG
    assert sixteen.mode.startswith("I;16")
    with Image.open(io.BytesIO(normalize_for_rehost(encode(sixteen, "PNG")))) as img:
        assert img.mode == "RGB"
        # scaled down, not clipped: the brightness matches the 8-bit original
        assert abs(ImageStat.Stat(img.convert("L")).mean[0] - ImageStat.Stat(gray).mean[0]) < 2
