"""Read Qt resource bundles (`.rcc`, as written by Qt's `rcc -binary`) without Qt: the files a bundle holds, by path.

GCompris ships its pictures this way (Debian gcompris-qt-data, /usr/share/gcompris-qt/rcc/*.rcc); models/photos.py
takes training photos from them. The format (qtbase src/corelib/io/qresource.cpp): a 20-byte header ("qres",
version, then the offsets of the tree, the data and the names; version 3 adds 4 bytes of flags), a tree of 14-byte
nodes (22 from version 2: a last-modified time follows), names stored as (length, hash, UTF-16BE), and file data
stored as (length, bytes), zlib-compressed behind a 4-byte size where a node's flag says so.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

COMPRESSED, DIRECTORY, COMPRESSED_ZSTD = 0x01, 0x02, 0x04


class RccError(ValueError):
    """Not a Qt resource bundle, or one this reader cannot unpack."""


def read_rcc(path: Path | str) -> dict[str, bytes]:
    """{path inside the bundle ("gcompris/src/activities/erase/resource/x.webp"): file bytes} of every file."""
    return parse_rcc(Path(path).read_bytes())


def parse_rcc(blob: bytes) -> dict[str, bytes]:
    if blob[:4] != b"qres":
        raise RccError("not a Qt resource bundle (no 'qres' magic)")
    version, tree, data, names = struct.unpack(">4I", blob[4:20])
    if version not in (1, 2, 3):
        raise RccError(f"Qt resource bundle version {version} is not supported")
    node_size = 14 if version == 1 else 22

    def name_at(offset: int) -> str:
        (length,) = struct.unpack(">H", blob[names + offset:names + offset + 2])
        start = names + offset + 6  # length (2) and hash (4)
        return blob[start:start + 2 * length].decode("utf-16-be")

    def file_at(offset: int, flags: int) -> bytes:
        (length,) = struct.unpack(">I", blob[data + offset:data + offset + 4])
        payload = blob[data + offset + 4:data + offset + 4 + length]
        if flags & COMPRESSED_ZSTD:
            raise RccError("zstd-compressed resources are not supported")
        return zlib.decompress(payload[4:]) if flags & COMPRESSED else payload  # qCompress: 4-byte size, zlib

    out: dict[str, bytes] = {}
    stack = [(0, "")]  # (node index, parent path); node 0 is the root directory
    while stack:
        index, parent = stack.pop()
        at = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", blob[at:at + 6])
        path = f"{parent}/{name_at(name_offset)}" if index else ""
        if flags & DIRECTORY:
            count, first = struct.unpack(">II", blob[at + 6:at + 14])
            stack.extend((first + i, path) for i in range(count))
        else:
            (offset,) = struct.unpack(">I", blob[at + 10:at + 14])  # after country (2) and language (2)
            out[path.lstrip("/")] = file_at(offset, flags)
    return out
