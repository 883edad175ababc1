"""The annotated preview and the fixed photo: their cost per 12 MP photo, as a share of the
check itself (they run after it, on its reduced decode; only the chosen crop decodes in full).

Run: `.venv/bin/python -m bench.preview_cost` (add `--quick` for fewer rounds).
"""

from __future__ import annotations

import io
import sys
from functools import partial

import numpy as np
from PIL import Image, ImageEnhance

from bench.common import median_ms, table
from bot.photo import check_photo, normalize_for_rehost
from bot.photo.analysis import default_analyzer
from bot.preview import annotated, offer_fix, preview_jpeg, rehost_copies
from tests.photos import build


def _twelve_mp(img: Image.Image, seed: int = 1) -> bytes:
    """12 MP (4000×3000, 3000×4000 or 3464², as the photo is) with sensor-like grain, JPEG q92."""
    size = (4000, 3000) if img.width > img.height else (3000, 4000) if img.width < img.height else (3464, 3464)
    big = img.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    grain = np.random.default_rng(seed).normal(0, 5, (size[1], size[0], 3))
    big = Image.fromarray((np.asarray(big, dtype=np.float32) + grain).clip(0, 255).astype(np.uint8))
    out = io.BytesIO()
    big.save(out, format="JPEG", quality=92)
    return out.getvalue()


def photos() -> list[tuple[str, bytes]]:
    astro = build.source("astro")
    wide = build.apply(astro, ["pad", 1.34, 1.0, 0.5, 0.5], "astro")  # 4:3 like a phone, nothing to fix
    loose = build.apply(astro, ["pad", 2.9, 2.2, 0.5, 0.5], "astro")  # far from the camera
    return [
        ("passes (no fix)", _twelve_mp(wide)),
        ("loose frame → crop", _twelve_mp(loose)),
        ("dark → levels", _twelve_mp(ImageEnhance.Brightness(wide).enhance(0.3))),
        ("sideways → turn", _twelve_mp(astro.rotate(-90, expand=True))),
    ]


def run(quick: bool) -> str:
    default_analyzer()
    runs = 3 if quick else 9
    rows = []
    for name, data in photos():
        report = check_photo(data)
        check = median_ms(lambda d=data: check_photo(d), runs)

        def preview(r=report) -> bytes:
            offer = offer_fix(r)
            image = annotated(r, offer.image if offer else None)
            assert image is not None
            return preview_jpeg(image)

        offer = offer_fix(report)
        preview_ms = median_ms(preview, runs)
        rehost = median_ms(lambda d=data: normalize_for_rehost(d), runs)
        if offer is not None:
            versions = median_ms(partial(rehost_copies, data, offer.fix), runs)
            fixed = ", ".join(offer.fix.what)
        else:
            versions, fixed = rehost, "none offered"
        rows.append(
            [
                name,
                fixed,
                f"{check:.0f}",
                f"{preview_ms:.0f}",
                f"{preview_ms / check:.2f}×",
                f"{versions - rehost:+.0f}",
                f"{(preview_ms + max(0.0, versions - rehost)) / check:.2f}×",
            ]
        )
    headers = [
        "12 MP JPEG",
        "fix",
        "check ms",
        "preview (+ fix offer, re-check) ms",
        "÷ check",
        "rehost copies, extra ms",
        "all extra ÷ check",
    ]
    return f"Medians of {runs} runs.\n\n" + table(headers, rows)


if __name__ == "__main__":
    print(run("--quick" in sys.argv[1:]))
