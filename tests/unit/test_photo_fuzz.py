"""Fuzz the photo checker: random bytes and mutated real photos only ever give a report."""

from __future__ import annotations

from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.photo import PhotoReport, Severity, check_photo
from tests import photo_formats, photo_samples
from tests.photo_samples import astronaut, encode

KNOWN_CODES = {
    "unreadable",
    "format",
    "converted",
    "resolution",
    "no_face",
    "multiple_people",
    "framing",
    "not_frontal",
    "lighting",
    "exposure",
    "blur",
    "glasses",
    "headwear",
    "face_covered",
    "reminders",
}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def seeds() -> tuple[bytes, bytes]:
    small = astronaut().resize((600, 600))
    return photo_samples.headshot_jpeg(600), encode(small, "PNG")


def assert_sound(report: PhotoReport) -> None:
    assert isinstance(report, PhotoReport)
    codes = {f.code for f in report.findings}
    assert codes <= KNOWN_CODES, codes
    if "unreadable" in codes:  # nothing else can be said about bytes that do not decode
        assert [f.code for f in report.findings] == ["unreadable"]
    for finding in report.findings:
        assert finding.message and finding.severity in set(Severity)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    assert_sound(check_photo(data))


@FUZZ
@given(
    which=st.integers(0, 1),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=40),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_real_photos(which: int, edits: list[tuple[float, int]], cut: float | None) -> None:
    data = bytearray(seeds()[which])
    for where, value in edits:
        data[int(where * (len(data) - 1))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    assert_sound(check_photo(bytes(data)))


@lru_cache(maxsize=1)
def labelled_seeds() -> tuple[bytes, bytes]:
    """Files whose colours are named by an `nclx` box: read by our own box reader (the AVIF)
    and mapped from HDR (the HEIC)."""
    return photo_formats.avif_display_p3_nclx(), photo_formats.heic_hdr_pq()


@FUZZ
@given(
    which=st.integers(0, 1),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=40),
    in_header=st.booleans(),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_heif_and_avif_with_colour_boxes(
    which: int, edits: list[tuple[float, int]], in_header: bool, cut: float | None
) -> None:
    data = bytearray(labelled_seeds()[which])
    span = min(len(data), 1024) if in_header else len(data)  # the boxes sit in the first few hundred bytes
    for where, value in edits:
        data[int(where * (span - 1))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    assert_sound(check_photo(bytes(data)))
