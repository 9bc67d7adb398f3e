"""Preparing an artist's images for training: any size, mode and orientation in, S x S grey or RGB out."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from models.datasets.user import build_user_set, prepare_image


def encode(img: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def bands(width: int, height: int) -> Image.Image:
    """Red | green | blue vertical bands, the middle one square (height x height)."""
    a = np.zeros((height, width, 3), np.uint8)
    side = (width - height) // 2
    a[:, :side] = (255, 0, 0)
    a[:, side:side + height] = (0, 255, 0)
    a[:, side + height:] = (0, 0, 255)
    return Image.fromarray(a)


def test_landscape_images_are_centre_cropped_then_resized():
    out = prepare_image(encode(bands(100, 60)), 32, 3)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    assert (np.abs(out.astype(int) - (0, 255, 0)) <= 2).all()  # only the centred square (green) is left


def test_exif_orientation_is_applied_before_cropping():
    # Stored 80x40, red left half and blue right half, tagged "rotate 90 degrees clockwise to view" (EXIF 6).
    # Upright it is 40x80, red on top and blue below: its centred square is red above blue, where the stored pixels
    # would have given red beside blue.
    a = np.zeros((40, 80, 3), np.uint8)
    a[:, :40] = (255, 0, 0)
    a[:, 40:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = prepare_image(encode(Image.fromarray(a), "JPEG", exif=exif.tobytes(), quality=95), 32, 3).astype(int)
    assert out[:12, :, 0].mean() > 200 and out[:12, :, 2].mean() < 50  # top: red
    assert out[-12:, :, 2].mean() > 200 and out[-12:, :, 0].mean() < 50  # bottom: blue


def test_transparent_pixels_show_white_and_grey_output_is_2d():
    rgba = np.zeros((40, 40, 4), np.uint8)  # fully transparent
    rgba[10:30, 10:30] = (0, 0, 0, 255)  # an opaque black square in the middle
    out = prepare_image(encode(Image.fromarray(rgba, "RGBA")), 32, 1)
    assert out.shape == (32, 32)
    assert out[0, 0] == 255 and out[16, 16] == 0


def test_sixteen_bit_grey_is_scaled_to_eight_bits():
    a = np.full((64, 64), 65535, np.uint16)
    a[:, :32] = 0
    out = prepare_image(encode(Image.fromarray(a)), 64, 1)
    assert out[:, :28].max() <= 2 and out[:, 36:].min() >= 253


def test_palette_and_cmyk_images_become_rgb():
    pal = bands(64, 64).convert("P")
    assert prepare_image(encode(pal), 32, 3).shape == (32, 32, 3)
    cmyk = bands(64, 64).convert("CMYK")
    assert prepare_image(encode(cmyk, "JPEG"), 64, 3).shape == (64, 64, 3)


def test_build_user_set_stacks_labels_and_holds_nothing_out():
    items = [encode(bands(50 + i, 40)) for i in range(5)]
    ds = build_user_set(items, [0, 1, 0, 1, 1], ("ink", "wash"), size=32, channels=3, info={"job": "x"})
    assert ds.images.shape == (5, 32, 32, 3) and ds.labels.tolist() == [0, 1, 0, 1, 1]
    assert ds.classes == ("ink", "wash") and not ds.heldout.any() and len(ds.train()) == 5
    with pytest.raises(ValueError):
        build_user_set(items, [0] * 5, (), size=28, channels=3)
    with pytest.raises(ValueError):
        build_user_set(items, [0] * 4, (), size=32, channels=3)
