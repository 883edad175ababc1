"""Photo checks: precision and recall per code on tests/photos, and speed on 12 MP photos.

Run: `.venv/bin/python -m bench.photo_eval` (add `--quick` for fewer timing rounds).
"""

from __future__ import annotations

import io
import statistics
import sys
import time

from PIL import Image

from bench.common import median_ms, paired_ms, table, twelve_megapixel
from bot.photo import check_photo
from bot.photo.analysis import default_analyzer
from tests.photos.evaluate import OUTCOMES, evaluate


def accuracy_table() -> str:
    ev = evaluate()
    rows = [
        [
            code,
            s.positives,
            s.tp,
            s.fp,
            f"{s.precision:.2f}",
            f"{s.recall:.2f}",
            ", ".join(s.missed + [f"+{n}" for n in s.false_alarms]) or "-",
        ]
        for code, s in ev.scores.items()
    ]
    codes = table(["code", "cases", "found", "false alarms", "precision", "recall", "missed / +false"], rows)
    refused = [
        [code, r.cases, *(r.outcomes[o] for o in OUTCOMES), f"{r.right_share:.2f}", "; ".join(r.wrong) or "-"]
        for code, r in sorted(ev.refusals.items())
    ]
    reasons = table(["must be refused for", "cases", *OUTCOMES, "right share", "the others"], refused)
    return (
        f"Every finding code (raised as a fail or a warn):\n\n{codes}\n\n"
        f"Photos that must be refused, by the reason they must be refused for:\n\n{reasons}\n\n"
        f"{ev.cases} photos; good photos (nothing that must block them) blocked: "
        f"{len(ev.good_failed)}/{ev.good_photos} {ev.good_failed or ''}"
    )


def speed_table(repeat: int) -> str:
    default_analyzer()  # load the models before timing
    rows = []
    photos = (
        ("JPEG", twelve_megapixel("JPEG")),
        ("PNG", twelve_megapixel("PNG")),
        ("HEIC", twelve_mp_heic()),
        ("HEIC, 1024 px thumbnail", twelve_mp_heic(thumbnail=1024)),
        ("HEIC, HDR PQ", twelve_mp_heic(hdr_pq=True)),  # + mapping to standard range
    )
    for fmt, data in photos:
        runs = max(3, repeat // 3) if fmt.startswith("HEIC") else repeat
        check_cpu = median_ms(lambda d=data: check_photo(d), runs, clock=time.process_time)
        # Check and decode alternate, and the ratio is taken per pair: this machine's speed
        # drifts by tens of per cent within a run, which a ratio of two medians taken one
        # after the other would mistake for a difference.
        check, decode = paired_ms(lambda d=data: check_photo(d), lambda d=data: Image.open(io.BytesIO(d)).load(), runs)
        ratios = [c / d for c, d in zip(check, decode, strict=True)]
        rows.append(
            [
                f"12 MP {fmt} ({len(data) / 1e6:.1f} MB)",
                f"{statistics.median(check):.0f}",
                f"{check_cpu:.0f}",
                f"{statistics.median(decode):.0f}",
                f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})",
            ]
        )
    headers = [
        "photo",
        "check_photo ms (median)",
        "CPU ms (both cores)",
        "Pillow open+load ms (median)",
        "ratio, median of pairs (range)",
    ]
    return table(headers, rows)


def twelve_mp_heic(thumbnail: int | None = None, hdr_pq: bool = False) -> bytes:
    """The same 12 MP photo as a phone's HEIC (quality 85), with an embedded thumbnail if
    asked; `hdr_pq`: labelled BT.2020 PQ, as an HDR camera's HEIF (its pixels are mapped to
    standard range before the checks: that costs what the row shows beyond the plain HEIC)."""
    from bot.photo import still  # noqa: F401  (registers the HEIF encoder)

    out = io.BytesIO()
    thumbnails = [thumbnail] if thumbnail else []
    labels = {"color_primaries": 9, "transfer_characteristics": 16, "matrix_coefficients": 9} if hdr_pq else {}
    Image.open(io.BytesIO(twelve_megapixel("JPEG"))).save(
        out, format="HEIF", quality=85, thumbnails=thumbnails, **labels
    )
    return out.getvalue()


def main(argv: list[str]) -> None:
    repeat = 9 if "--quick" in argv else 25
    print("## Photo checks on tests/photos\n")
    print(accuracy_table())
    print(f"\n## Check time vs a plain full decode ({repeat} runs each)\n")
    print(speed_table(repeat))


if __name__ == "__main__":
    main(sys.argv[1:])
