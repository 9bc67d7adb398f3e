"""Real-world files in, faithful PNGs out, clear errors for bad files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from atelier.errors import BadInput, TooLarge
from worker.images import read_provenance
from tests.conftest import tiff_bytes
from worker.photo_io import decode_mask, decode_photo, encode_photo, preview_png, probe_photo

LIMIT = 40_000_000
RNG = np.random.default_rng(0)


def save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def png_16bit_rgb(arr: np.ndarray) -> bytes:
    """A 16-bit RGB PNG written by hand (Pillow cannot write one)."""
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[i].astype(">u2").tobytes() for i in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


RGB8 = RNG.integers(0, 256, (6, 9, 3), dtype=np.uint8)


@pytest.mark.parametrize("fmt, kw", [("PNG", {}), ("TIFF", {}), ("WEBP", {"lossless": True})])
def test_lossless_rgb_formats_decode_exactly(fmt, kw):
    photo = decode_photo(save(Image.fromarray(RGB8), fmt, **kw), max_pixels=LIMIT)
    assert photo.size == (9, 6) and photo.bit_depth == 8 and not photo.grayscale and photo.alpha is None
    assert np.array_equal(np.round(photo.rgb * 255).astype(np.uint8), RGB8)


def test_jpeg_decodes_close():
    photo = decode_photo(save(Image.fromarray(RGB8), "JPEG", quality=95), max_pixels=LIMIT)
    assert photo.source_format == "JPEG" and photo.rgb.shape == (6, 9, 3)


def test_grayscale_8_and_16_bit_round_trip():
    gray8 = RGB8[..., 0]
    p8 = decode_photo(save(Image.fromarray(gray8, "L"), "PNG"), max_pixels=LIMIT)
    assert p8.grayscale and p8.bit_depth == 8
    out = Image.open(io.BytesIO(encode_photo(p8, p8.rgb, {"task": "t"})))
    assert out.mode == "L" and np.array_equal(np.asarray(out), gray8)

    gray16 = (RNG.integers(0, 65536, (5, 7))).astype(np.uint16)
    p16 = decode_photo(save(Image.fromarray(gray16.astype(np.int32), "I").convert("I;16"), "PNG"), max_pixels=LIMIT)
    assert p16.grayscale and p16.bit_depth == 16
    back = Image.open(io.BytesIO(encode_photo(p16, p16.rgb, {"task": "t"})))
    assert np.array_equal(np.asarray(back).astype(np.uint16), gray16)


def test_16_bit_rgb_keeps_its_precision():
    arr = RNG.integers(0, 65536, (4, 5, 3)).astype(np.uint16)
    photo = decode_photo(png_16bit_rgb(arr), max_pixels=LIMIT)
    assert photo.bit_depth == 16 and not photo.grayscale
    assert np.array_equal(np.round(photo.rgb * 65535).astype(np.uint16), arr)
    import cv2

    png = encode_photo(photo, photo.rgb, {"task": "t"})
    again = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1]
    assert again.dtype == np.uint16 and np.array_equal(again, arr)
    assert read_provenance(png) == {"task": "t"}


def test_alpha_palette_and_icc_are_carried():
    rgba = np.dstack([RGB8, np.full((6, 9), 128, np.uint8)])
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = decode_photo(save(Image.fromarray(rgba, "RGBA"), "PNG", icc_profile=srgb), max_pixels=LIMIT)
    assert photo.alpha is not None and photo.icc_profile == srgb
    out = Image.open(io.BytesIO(encode_photo(photo, photo.rgb, {"task": "t"})))
    assert out.mode == "RGBA" and out.info["icc_profile"] == srgb
    assert np.array_equal(np.asarray(out), rgba)

    pal = Image.fromarray(RGB8).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    pal.info["transparency"] = 0
    photo = decode_photo(save(pal, "PNG", transparency=0), max_pixels=LIMIT)
    assert photo.alpha is not None and photo.alpha.min() == 0.0


def test_cmyk_becomes_rgb():
    photo = decode_photo(save(Image.fromarray(RGB8).convert("CMYK"), "JPEG", quality=95), max_pixels=LIMIT)
    assert photo.rgb.shape == (6, 9, 3) and photo.icc_profile is None and not photo.grayscale


def test_exif_orientation_is_applied():
    img = Image.fromarray(RGB8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    photo = decode_photo(save(img, "JPEG", quality=100, exif=exif.tobytes()), max_pixels=LIMIT)
    assert photo.size == (6, 9)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_16_bit_tiff_is_turned_once_like_pillow_turns_8_bit(orientation):
    """cv2 decodes 16-bit colour; whether it applies a TIFF's orientation itself depends on its version. Either way
    the photo comes out as Pillow shows the same file at 8 bits (its high bytes) and as probe_photo measured it."""
    arr = RNG.integers(0, 65536, (5, 7, 3)).astype(np.uint16)
    data = tiff_bytes(arr, orientation=orientation)
    photo = decode_photo(data, max_pixels=LIMIT)
    shown = np.asarray(Image.open(io.BytesIO(tiff_bytes((arr >> 8).astype(np.uint8), orientation=orientation))))
    assert photo.bit_depth == 16 and photo.size == probe_photo(data, max_pixels=LIMIT)
    assert np.array_equal(np.round(photo.rgb * 65535).astype(np.uint16) >> 8, shown)


def test_preview_is_8_bit_srgb_on_the_repair_pixel_grid():
    arr = RNG.integers(0, 65536, (5, 7, 3)).astype(np.uint16)
    preview = Image.open(io.BytesIO(preview_png(tiff_bytes(arr, orientation=6), max_pixels=LIMIT)))
    assert preview.format == "PNG" and preview.mode == "RGB" and preview.size == (5, 7)
    assert np.abs(np.asarray(preview).astype(int) - np.rot90(arr, -1) / 257).max() <= 0.5 + 1e-3

    gray = Image.open(io.BytesIO(preview_png(tiff_bytes(arr[..., :1], photometric=1), max_pixels=LIMIT)))
    assert gray.mode == "L" and gray.size == (7, 5)
    rgba = np.dstack([RGB8, np.full((6, 9), 99, np.uint8)])
    kept = Image.open(io.BytesIO(preview_png(save(Image.fromarray(rgba, "RGBA"), "PNG"), max_pixels=LIMIT)))
    assert kept.mode == "RGBA" and np.array_equal(np.asarray(kept), rgba)


def linear_srgb_profile() -> bytes:
    """An ICC v2 display profile written by hand: sRGB's primaries with a linear tone curve (gamma 1.0)."""
    def s15(*values):
        return b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    desc = b"linear sRGB\0"
    tags = {b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(desc)) + desc + bytes(4 + 4 + 2 + 1 + 67),
            b"wtpt": b"XYZ \0\0\0\0" + s15(0.9642, 1.0, 0.8249),
            b"rXYZ": b"XYZ \0\0\0\0" + s15(0.4361, 0.2225, 0.0139),
            b"gXYZ": b"XYZ \0\0\0\0" + s15(0.3851, 0.7169, 0.0971),
            b"bXYZ": b"XYZ \0\0\0\0" + s15(0.1431, 0.0606, 0.7141),
            **{t: b"curv\0\0\0\0" + struct.pack(">IH2x", 1, 0x0100) for t in (b"rTRC", b"gTRC", b"bTRC")}}
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for sig, body in tags.items():
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + bytes(12)
              + b"acsp" + bytes(24) + struct.pack(">I", 0) + s15(0.9642, 1.0, 0.8249) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def test_preview_converts_a_profile_to_srgb_and_ignores_a_broken_one():
    img = Image.fromarray(np.full((2, 3, 3), 128, np.uint8))
    tiff = save(img, "TIFF", icc_profile=linear_srgb_profile())
    converted = np.asarray(Image.open(io.BytesIO(preview_png(tiff, max_pixels=LIMIT))))
    assert np.all(np.abs(converted.astype(int) - 188) <= 1)  # linear 0.5 is 188 on sRGB's curve
    broken = Image.open(io.BytesIO(preview_png(save(img, "PNG", icc_profile=b"not a profile"), max_pixels=LIMIT)))
    assert np.array_equal(np.asarray(broken), np.asarray(img)) and "icc_profile" not in broken.info


@pytest.mark.parametrize("data, error, words", [
    (b"", BadInput, "empty"),
    (b"hello, this is text", BadInput, "not an image"),
    (save(Image.new("RGB", (4, 4)), "GIF"), BadInput, "GIF"),
])
def test_bad_files_get_clear_errors(data, error, words):
    with pytest.raises(error, match=words):
        decode_photo(data, max_pixels=LIMIT)


def test_truncated_file_is_refused():
    data = save(Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "PNG")
    with pytest.raises(BadInput, match="truncated or corrupt"):
        decode_photo(data[: len(data) // 2], max_pixels=LIMIT)


def test_decompression_bomb_is_refused_before_decoding():
    # A real 1-bit PNG of 30000 x 30000 compresses to a few KB; its header alone is enough to refuse it.
    bomb = save(Image.new("1", (30000, 30000)), "PNG")
    assert len(bomb) < 200_000
    with pytest.raises(TooLarge, match="megapixels"):
        decode_photo(bomb, max_pixels=LIMIT)


def test_mask_white_is_missing_and_size_must_match():
    m = np.zeros((6, 9), np.uint8)
    m[2:4, 3:7] = 255
    mask = decode_mask(save(Image.fromarray(m), "PNG"), size=(9, 6), max_pixels=LIMIT)
    assert mask.sum() == 8 and mask[2, 3] and not mask[0, 0]
    # A transparent-background brush layer: only opaque white strokes count.
    layer = np.zeros((6, 9, 4), np.uint8)
    layer[1, 1] = [255, 255, 255, 255]
    layer[2, 2] = [255, 255, 255, 0]
    mask = decode_mask(save(Image.fromarray(layer, "RGBA"), "PNG"), size=(9, 6), max_pixels=LIMIT)
    assert mask.sum() == 1 and mask[1, 1]
    with pytest.raises(BadInput, match="same size"):
        decode_mask(save(Image.fromarray(m), "PNG"), size=(10, 6), max_pixels=LIMIT)
