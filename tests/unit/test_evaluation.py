"""Evaluation: Fréchet distance, the evaluation classifier, and the benchmark's Markdown section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.evaluation.classifier import ClassifierRecipe, ImageClassifier, augment, classify, train_classifier
from models.evaluation.digits_benchmark import SECTION
from models.evaluation.report import write_section
from models.evaluation.frechet import feature_stats, frechet_distance, frechet_distance_features
from models.data import DigitSet


def test_frechet_identical_sets_is_zero() -> None:
    feats = np.random.default_rng(0).normal(size=(500, 16))
    assert frechet_distance_features(feats, feats) == pytest.approx(0.0, abs=1e-6)


def test_frechet_grows_with_shift() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
    same = frechet_distance_features(a, b)
    near = frechet_distance_features(a, b + 0.5)
    far = frechet_distance_features(a, b + 2.0)
    assert same < 0.1 < near < far
    assert far == pytest.approx(8 * 2.0**2, rel=0.1)  # |mean shift|^2 dominates


def test_frechet_closed_form() -> None:
    d = 5
    mu1, mu2 = np.zeros(d), np.full(d, 3.0)
    # N(0, I) vs N(3, 4I): |mu|^2 + Tr(I + 4I - 2 * 2I) = 9d + d
    assert frechet_distance(mu1, np.eye(d), mu2, 4 * np.eye(d)) == pytest.approx(10 * d)


def test_frechet_singular_covariance_without_warnings() -> None:
    # dead ReLU units: constant feature columns make both covariances singular
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 6)), rng.normal(size=(300, 6))
    a[:, :2] = 0
    b[:, :2] = 0
    assert 0 <= frechet_distance_features(a, b) < 0.2
    assert frechet_distance_features(a, a) == pytest.approx(0.0, abs=1e-6)


def test_feature_stats_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        feature_stats(np.zeros((1, 4)))


def test_classifier_shapes() -> None:
    torch.manual_seed(0)
    net = ImageClassifier(width=4, feature_dim=16).eval()
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert net(x).shape == (3, 10)
    assert net.features(x).shape == (3, 16)
    feats, preds = classify(net, np.zeros((7, 28, 28), np.uint8), batch_size=4)
    assert feats.shape == (7, 16) and preds.shape == (7,)
    assert preds.min() >= 0 and preds.max() < 10


def test_augment_keeps_shape_and_background() -> None:
    x = -torch.ones(4, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1
    out = augment(x, ClassifierRecipe(), torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert out[:, :, 0, 0].allclose(torch.tensor(-1.0))  # corners stay background
    assert not torch.equal(out, x)


def test_tiny_classifier_learns_separable_classes() -> None:
    # two trivially separable classes: ink on the left half vs on the right half
    images = np.zeros((64, 28, 28), np.uint8)
    images[:32, 8:20, 4:12] = 255
    images[32:, 8:20, 16:24] = 255
    labels = np.repeat([0, 1], 32).astype(np.int64)
    recipe = ClassifierRecipe(width=4, feature_dim=8, epochs=8, batch_size=16, lr=1e-2)
    net = train_classifier(DigitSet(images, labels, ("left", "right")), recipe)
    _feats, preds = classify(net, images)
    assert (preds == labels).mean() > 0.9


def test_benchmarks_md_replaces_only_its_section(tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\nintro\n\n## Other model\n\nkeep me\n")
    write_section(md, SECTION, f"{SECTION}\n\nfirst\n")
    write_section(md, SECTION, f"{SECTION}\n\nsecond\n")
    text = md.read_text()
    assert "keep me" in text and "second" in text and "first" not in text
    assert text.count(SECTION) == 1
