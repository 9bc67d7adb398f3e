"""Digit data preparation (no download: synthetic arrays and a tmp image folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from models.data import DigitSet, load_image_folder, mnist_style, opencv_overlapping_reference, split_indices, \
    to_unit_range


def test_mnist_style_fits_20px_box_and_centres_mass() -> None:
    digit = np.zeros((20, 20), np.uint8)
    digit[2:6, 0:10] = 255  # a small blob in a corner
    out = mnist_style(digit)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    ys, xs = np.nonzero(out > 25)
    assert xs.max() - xs.min() + 1 <= 21  # longest side scaled to ~20 px
    cy, cx = (np.indices(out.shape) * out).reshape(2, -1).sum(1) / out.sum()
    assert abs(cy - 14) <= 1.5 and abs(cx - 14) <= 1.5


def test_split_is_fixed_stratified_and_disjoint() -> None:
    labels = np.repeat(np.arange(10), 50)
    train, ref = split_indices(labels, num_reference=100)
    train2, ref2 = split_indices(labels, num_reference=100)
    assert np.array_equal(ref, ref2) and np.array_equal(train, train2)
    assert len(np.intersect1d(train, ref)) == 0 and len(train) + len(ref) == 500
    assert np.array_equal(np.bincount(labels[ref]), np.full(10, 10))


def test_image_folder_classes_and_inversion(tmp_path: Path) -> None:
    for name, (bg, ink) in {"cat": (255, 0), "dog": (0, 255)}.items():
        (tmp_path / name).mkdir()
        a = np.full((40, 40), bg, np.uint8)
        a[15:25, 15:25] = ink
        Image.fromarray(a).save(tmp_path / name / "x.png")
    (tmp_path / "dog" / "notes.txt").write_text("ignored")
    ds = load_image_folder(tmp_path)
    assert ds.classes == ("cat", "dog") and ds.labels.tolist() == [0, 1]
    assert ds.images.shape == (2, 28, 28)
    # both end up bright ink on a dark background, like MNIST
    assert (ds.images[:, 0, 0] < 50).all() and (ds.images[:, 14, 14] > 200).all()


def test_opencv_overlap_follows_position_within_class() -> None:
    rng = np.random.default_rng(0)
    mnist = DigitSet(rng.integers(0, 255, (3000, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 300))
    firsts = np.concatenate([np.arange(c * 300, c * 300 + 100) for c in range(10)])
    opencv = DigitSet(mnist.images[firsts], np.repeat(np.arange(10), 100))  # first 100 per class, like digits.png
    mask = opencv_overlapping_reference(mnist, opencv)
    _train, ref = split_indices(mnist.labels)  # 200 of 300 per class are reference here
    expected = np.isin(firsts, ref)
    assert 0 < expected.sum() < len(expected)
    assert np.array_equal(mask, expected)


def test_to_unit_range() -> None:
    x = to_unit_range(np.array([[[0, 255]]], np.uint8))
    assert x.shape == (1, 1, 1, 2) and x.min() == -1 and x.max() == 1
