"""Read which colours a HEIF/AVIF photo's pixels mean from its `nclx` colour box.

An AVIF (and some HEIF) describes its colours by code points (ITU-T H.273: primaries,
transfer, matrix) in a `colr` box of type `nclx` instead of an ICC profile. pillow-heif
reports the box for HEIF; Pillow's own AVIF reader does not, so this walks the file's boxes
(ISO/IEC 14496-12 and 23008-12): `meta` → `pitm` names the primary image, `iprp` → `ipma`
lists that image's properties, `ipco` holds them. Strangers' bytes: every length is checked,
and anything malformed gives None (the pixels are then taken as sRGB, as before).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

NclxProfile = dict[str, int]  # pillow-heif's keys, so both readers' answers look alike
_MAX_BOXES = 4096  # more boxes than any photo has: the walk stops instead of crawling junk


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box between `start` and `end`."""
    pos, seen = start, 0
    while pos + 8 <= end and seen < _MAX_BOXES:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > end:
                return
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:  # the box runs to the end of its container
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size
        seen += 1


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, body_start, body_end in _boxes(data, start, end):
        if found == kind:
            return body_start, body_end
    return None


def _primary_item(data: bytes, start: int, end: int) -> int | None:
    """The `pitm` box's item id (a full box: version, then a 16- or 32-bit id)."""
    if end - start < 6:
        return None
    version = data[start]
    if version == 0:
        return int(struct.unpack_from(">H", data, start + 4)[0])
    return int(struct.unpack_from(">I", data, start + 4)[0]) if end - start >= 8 else None


def _properties_of(data: bytes, start: int, end: int, item: int) -> list[int]:
    """1-based `ipco` indexes the `ipma` box associates with `item`."""
    if end - start < 8:
        return []
    version, flags = data[start], int.from_bytes(data[start + 1 : start + 4], "big")
    (entries,) = struct.unpack_from(">I", data, start + 4)
    pos = start + 8
    id_size, index_size = (2 if version < 1 else 4), (2 if flags & 1 else 1)
    index_mask = 0x7FFF if index_size == 2 else 0x7F  # the top bit says "essential"
    for _ in range(min(entries, _MAX_BOXES)):
        if pos + id_size + 1 > end:
            return []
        item_id = int.from_bytes(data[pos : pos + id_size], "big")
        count = data[pos + id_size]
        pos += id_size + 1
        if pos + count * index_size > end:
            return []
        ends = range(pos, pos + count * index_size, index_size)
        indexes = [int.from_bytes(data[at : at + index_size], "big") & index_mask for at in ends]
        pos += count * index_size
        if item_id == item:
            return indexes
    return []


def _nclx(data: bytes, start: int, end: int) -> NclxProfile | None:
    if end - start < 11 or data[start : start + 4] != b"nclx":
        return None
    primaries, transfer, matrix = struct.unpack_from(">HHH", data, start + 4)
    return {
        "color_primaries": primaries,
        "transfer_characteristics": transfer,
        "matrix_coefficients": matrix,
        "full_range_flag": data[start + 10] >> 7,
    }


def primary_nclx(data: bytes) -> NclxProfile | None:
    """The code points of the primary image's `nclx` colour box, or None if it has none (or
    the file's boxes cannot be read)."""
    try:
        meta = _child(data, 0, len(data), b"meta")
        if meta is None:
            return None
        meta_start, meta_end = meta[0] + 4, meta[1]  # a full box: skip version and flags
        pitm, iprp = _child(data, meta_start, meta_end, b"pitm"), _child(data, meta_start, meta_end, b"iprp")
        if pitm is None or iprp is None:
            return None
        item = _primary_item(data, *pitm)
        ipco, ipma = _child(data, *iprp, b"ipco"), _child(data, *iprp, b"ipma")
        if item is None or ipco is None or ipma is None:
            return None
        properties = list(_boxes(data, *ipco))
        for index in _properties_of(data, *ipma, item):
            if 1 <= index <= len(properties):
                kind, start, end = properties[index - 1]
                if kind == b"colr" and (nclx := _nclx(data, start, end)) is not None:
                    return nclx
    except (struct.error, IndexError):
        return None
    return None
