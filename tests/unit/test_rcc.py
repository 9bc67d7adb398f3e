"""models/rcc.py reads Qt resource bundles: round trips through a writer that lays bundles out as Qt's `rcc -binary`
does (a tree of fixed-size nodes whose children are contiguous, names as length + hash + UTF-16BE, data as length +
bytes, qCompress'd where flagged)."""

from __future__ import annotations

import struct
import zlib

import pytest

from models.rcc import COMPRESSED, COMPRESSED_ZSTD, DIRECTORY, RccError, parse_rcc, read_rcc


def build_rcc(files: dict[str, bytes], version: int = 2, compress: bool = True) -> bytes:
    """A bundle holding `files` (path -> bytes); directories come from the paths, laid out breadth first."""
    tree: dict[str, dict] = {}
    for path, data in files.items():
        node = tree
        *dirs, leaf = path.split("/")
        for d in dirs:
            node = node.setdefault(d, {})
        node[leaf] = data

    names, name_offsets = bytearray(), {}
    blobs, nodes = bytearray(), []

    def name_offset(name: str) -> int:
        if name not in name_offsets:
            name_offsets[name] = len(names)
            encoded = name.encode("utf-16-be")
            names.extend(struct.pack(">HI", len(name), zlib.crc32(encoded)) + encoded)  # any hash: unchecked
        return name_offsets[name]

    nodes.append(None)  # the root, filled in below like every directory
    pending = [(0, tree)]  # breadth first: a directory's children take consecutive node indices
    while pending:
        index, children = pending.pop(0)
        first = len(nodes)
        nodes.extend([None] * len(children))
        for i, (name, child) in enumerate(sorted(children.items())):
            if isinstance(child, dict):
                pending.append((first + i, child))
                nodes[first + i] = ("dir", name, child)
            else:
                payload = struct.pack(">I", len(child)) + zlib.compress(child) if compress else child
                offset = len(blobs)
                blobs.extend(struct.pack(">I", len(payload)) + payload)
                nodes[first + i] = ("file", name, offset)
        entry = nodes[index] if index else ("dir", "", children)
        nodes[index] = (*entry, first, len(children))

    packed = bytearray()
    mtime = b"\0" * 8 if version >= 2 else b""
    for node in nodes:
        if node[0] == "dir":
            _, name, _, first, count = node
            packed += struct.pack(">IHII", name_offset(name) if name else 0, DIRECTORY, count, first) + mtime
        else:
            _, name, offset = node
            packed += struct.pack(">IHHHI", name_offset(name), COMPRESSED if compress else 0, 0, 0, offset) + mtime
    header_size = 20 + (4 if version >= 3 else 0)
    tree_at = header_size
    data_at = tree_at + len(packed)
    names_at = data_at + len(blobs)
    header = b"qres" + struct.pack(">4I", version, tree_at, data_at, names_at) + (b"\0" * 4 if version >= 3 else b"")
    return header + bytes(packed) + bytes(blobs) + bytes(names)


FILES = {
    "gcompris/src/activities/erase/resource/README": b"Copyright: someone\nLicense: CC0-1.0\nFiles: a.webp\n",
    "gcompris/src/activities/erase/resource/a.webp": b"RIFF....WEBPVP8 " + bytes(range(256)) * 4,
    "gcompris/src/activities/explore_monuments/resource/france/eiffelTower.webp": b"\x00\x01" * 500,
    "top.txt": "ünïcode name".encode(),
}


@pytest.mark.parametrize("version", [1, 2, 3])
@pytest.mark.parametrize("compress", [True, False])
def test_every_file_comes_back_by_path(version: int, compress: bool) -> None:
    assert parse_rcc(build_rcc(FILES, version, compress)) == FILES


def test_read_from_a_file(tmp_path) -> None:
    path = tmp_path / "erase.rcc"
    path.write_bytes(build_rcc(FILES))
    assert read_rcc(path) == FILES


def test_bad_bundles_are_clear_errors() -> None:
    with pytest.raises(RccError, match="not a Qt resource bundle"):
        parse_rcc(b"PK\x03\x04 a zip file")
    blob = bytearray(build_rcc(FILES))
    blob[4:8] = struct.pack(">I", 9)
    with pytest.raises(RccError, match="version 9"):
        parse_rcc(bytes(blob))
    one = build_rcc({"x.webp": b"abc"}, compress=False)
    tree_at = struct.unpack(">I", one[8:12])[0]
    flags_at = tree_at + 22 + 4  # the second node (the file): after its name offset
    zstd = one[:flags_at] + struct.pack(">H", COMPRESSED_ZSTD) + one[flags_at + 2:]
    with pytest.raises(RccError, match="zstd"):
        parse_rcc(zstd)
