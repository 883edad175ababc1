"""The hostile-input corpus, generated here (nothing downloaded): ~35 kinds of bad, odd and
fine files, each with what the bot must answer."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from PIL import Image

from tests import photo_formats, photo_samples
from tests.photo_samples import astronaut, encode


@dataclass
class CorpusFile:
    kind: str
    name: str
    data: bytes
    mimetype: str = "image/jpeg"
    expect: str = "ready"  # ready | unreadable | format | resolution | download | channel | several
    words: str = ""  # must appear in the bot's answer
    declared_size: int | None = None  # what Slack's metadata claims, when it lies
    stream: bool = False  # served without a length
    stream_total: int | None = None  # ...and this long, generated while it is sent
    thin: bool = False  # the event carries only the file id
    extra: list[str] = field(default_factory=list)  # more files in the same message


def _headshot(mode: str = "RGB", size: int = 768) -> Image.Image:
    return astronaut().resize((size, size), Image.Resampling.LANCZOS).convert(mode)


def _png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header and one tiny IDAT that claim a huge canvas."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _animated_gif() -> bytes:
    frames = [_headshot().rotate(a) for a in (0, 10, 20)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _zip_of(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("me.jpg", data)
    return out.getvalue()


def _iso_media(brand: bytes) -> bytes:
    """The start of an ISO base media file (HEIC, MP4): an ftyp box, then filler."""
    ftyp = struct.pack(">I", 24) + b"ftyp" + brand + b"\0\0\0\0" + brand + b"mif1"
    return ftyp + random.Random(brand).randbytes(4000)


def build() -> list[CorpusFile]:
    jpeg = photo_samples.headshot_jpeg()
    png = encode(_headshot(), "PNG")
    sixteen = Image.fromarray(__import__("numpy").asarray(_headshot("L"), dtype="uint16") * 257)
    rgba = _headshot("RGBA")
    rgba.putalpha(200)
    bomb = encode(Image.new("L", (10_000, 10_000)), "PNG")  # over Pillow's 89 M-pixel limit
    big_noise = random.Random(7).randbytes(4_000_000)
    pdf = encode(_headshot(), "PDF")
    return [
        CorpusFile("empty file", "empty.jpg", b"", expect="unreadable"),
        CorpusFile("truncated JPEG", "cut.jpg", jpeg[: len(jpeg) // 2], expect="unreadable"),
        CorpusFile("truncated PNG", "cut.png", png[: len(png) // 2], "image/png", expect="unreadable"),
        CorpusFile("random bytes named .jpg", "noise.jpg", random.Random(1).randbytes(50_000), expect="unreadable"),
        CorpusFile("PNG named .jpg", "really-a-png.jpg", png, "image/jpeg", expect="ready"),
        CorpusFile("GIF", "me.gif", encode(_headshot(), "GIF"), "image/gif", expect="format", words="GIF"),
        CorpusFile("animated GIF", "anim.gif", _animated_gif(), "image/gif", expect="format", words="GIF"),
        CorpusFile("WebP", "me.webp", encode(_headshot(), "WEBP"), "image/webp", words="WebP"),
        CorpusFile(
            "animated WebP", "anim.webp", photo_formats.webp_animated(), "image/webp", expect="format", words="WebP"
        ),
        CorpusFile("BMP", "me.bmp", encode(_headshot(), "BMP"), "image/bmp", words="BMP"),
        CorpusFile("TIFF", "me.tiff", encode(_headshot(), "TIFF"), "image/tiff", words="TIFF"),
        CorpusFile("HEIC", "IMG_0001.HEIC", photo_formats.heic_rotated(), "image/heic", words="HEIC"),
        CorpusFile("AVIF", "me.avif", photo_formats.avif(), "image/avif", words="AVIF"),
        CorpusFile("HEIC header, no image", "IMG_0002.HEIC", _iso_media(b"heic"), "image/heic", expect="unreadable"),
        CorpusFile(
            "SVG",
            "me.svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "image/svg+xml",
            expect="unreadable",
            words="SVG",
        ),
        CorpusFile("PDF", "me.pdf", pdf, "application/pdf", expect="unreadable", words="PDF"),
        CorpusFile("MP4", "me.mp4", _iso_media(b"isom"), "video/mp4", expect="unreadable", words="MP4"),
        CorpusFile("ZIP", "photos.zip", _zip_of(jpeg), "application/zip", expect="unreadable", words="ZIP"),
        CorpusFile(
            "HTML page", "me.jpg", b"<!DOCTYPE html><html><body>hi</body></html>", expect="unreadable", words="web page"
        ),
        CorpusFile("CMYK JPEG", "cmyk.jpg", encode(_headshot("CMYK"), "JPEG", quality=92), expect="ready"),
        CorpusFile("16-bit PNG", "deep.png", encode(sixteen, "PNG"), "image/png", expect="ready"),
        CorpusFile(
            "palette PNG",
            "palette.png",
            encode(_headshot().convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
            "image/png",
            expect="ready",
        ),
        CorpusFile("PNG with alpha", "alpha.png", encode(rgba, "PNG"), "image/png", expect="ready"),
        CorpusFile("grayscale JPEG", "gray.jpg", encode(_headshot("L"), "JPEG"), expect="ready"),
        CorpusFile(
            "EXIF orientation 6",
            "rot6.jpg",
            photo_samples.with_gps_exif(_headshot().transpose(Image.Transpose.ROTATE_90), orientation=6),
            expect="ready",
        ),
        CorpusFile(
            "EXIF orientation 8",
            "rot8.jpg",
            photo_samples.with_gps_exif(_headshot().transpose(Image.Transpose.ROTATE_270), orientation=8),
            expect="ready",
        ),
        CorpusFile(
            "over the decompression-bomb limit",
            "bomb.png",
            bomb,
            "image/png",
            expect="unreadable",
            words="decompression bomb",
        ),
        CorpusFile(
            "30000×30000 declared in a tiny file",
            "huge.png",
            _png_declaring(30_000, 30_000),
            "image/png",
            expect="unreadable",
            words="decompression bomb",
        ),
        CorpusFile("larger than the download cap", "huge.jpg", big_noise, expect="download", words="larger than"),
        CorpusFile(
            "200 MB, streamed without a length",
            "stream.jpg",
            big_noise[:65536],
            expect="download",
            words="larger than",
            stream=True,
            stream_total=200_000_000,
        ),
        CorpusFile(
            "metadata lies about the type (PDF named .png)",
            "me.png",
            pdf,
            "image/png",
            expect="unreadable",
            words="PDF",
        ),
        CorpusFile(
            "metadata lies about the size",
            "small.jpg",
            big_noise,
            expect="download",
            words="larger than",
            declared_size=20_000,
        ),
        CorpusFile(
            "too small (300×300)", "small.png", photo_samples.tiny_png(), "image/png", expect="resolution", words="512"
        ),
        CorpusFile("1×1 pixel", "dot.png", encode(Image.new("RGB", (1, 1)), "PNG"), "image/png", expect="resolution"),
        CorpusFile("thin file object (files.info needed)", "thin.jpg", jpeg, expect="ready", thin=True),
        CorpusFile(
            "several files in one message",
            "first.jpg",
            jpeg,
            expect="several",
            extra=["second.jpg", "<@U0HACKER> third.png"],
            words="skipped",
        ),
        CorpusFile("shared in a channel", "public.jpg", jpeg, expect="channel", words="direct message"),
        CorpusFile(
            "mention-injection file name",
            "<!channel> look.jpg",
            jpeg,
            expect="several",
            extra=["<!here>.png"],
            words="&lt;!here&gt;",
        ),
    ]
