"""Name what a file really is from its first bytes, so a refusal can say "that's a PDF".

Only used for files Pillow will not or should not open; the names are for people.
"""

from __future__ import annotations

# (offset, magic bytes, what it is, whether it is a photo format we could ask for as JPEG)
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive"),
    (0, b"Rar!", "a RAR archive"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"7z\xbc\xaf", "a 7-Zip archive"),
    (0, b"\x1aE\xdf\xa3", "a WebM/Matroska video"),
    (0, b"OggS", "an Ogg audio/video file"),
    (0, b"ID3", "an MP3 audio file"),
    (0, b"RIFF", "a RIFF file (WAV audio or AVI video)"),
)
# ISO base media files carry their brand at offset 8, after "ftyp" at offset 4.
_FTYP_BRANDS = {
    b"heic": "a HEIC photo",
    b"heix": "a HEIC photo",
    b"hevc": "a HEIC photo",
    b"heim": "a HEIC photo",
    b"heis": "a HEIC photo",
    b"mif1": "a HEIF photo",
    b"msf1": "a HEIF photo",
    b"avif": "an AVIF photo",
    b"avis": "an AVIF photo",
    b"qt  ": "a QuickTime (MOV) video",
}
PHOTO_KINDS = {"a HEIC photo", "a HEIF photo", "an AVIF photo"}


def sniff(data: bytes) -> str | None:
    """What the bytes look like, when it is something other than an image Pillow reads."""
    head = data[:64]
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return _FTYP_BRANDS.get(brand, "an MP4 video" if brand.startswith((b"mp4", b"iso", b"M4V", b"avc")) else None)
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"RIFF" and head[8:12] == b"WEBP":
                return None  # a WebP image: Pillow reads it
            return kind
    text = head.lstrip().lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "an SVG drawing"
    if text.startswith((b"<!doctype html", b"<html")):
        return "a web page"
    return None
