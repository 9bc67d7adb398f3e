"""k-NN precision and recall (Kynkäänniemi et al. 2019), and Fréchet distance on 1280-d features."""

from __future__ import annotations

import numpy as np
import pytest

from models.evaluation.frechet import feature_stats, frechet_distance, frechet_distance_features
from models.evaluation.precision_recall import coverage, knn_radii, precision_recall

pytestmark = pytest.mark.usefixtures("one_thread")


def _gauss(n: int, d: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


def test_knn_radii_match_brute_force_in_any_block_size() -> None:
    x = _gauss(50)
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)  # (50, 50)
    expected = np.sort(d, axis=1)[:, 3]  # column 0 is the point itself
    np.testing.assert_allclose(knn_radii(x, k=3, block_rows=7), expected, rtol=1e-9)
    np.testing.assert_allclose(knn_radii(x, k=3, block_rows=1000), expected, rtol=1e-9)


def test_identical_sets_have_full_precision_and_recall() -> None:
    x = _gauss(300)
    pr = precision_recall(x, x.copy(), block_rows=64)
    assert pr.precision == 1.0 and pr.recall == 1.0


def test_far_apart_sets_have_none() -> None:
    x = _gauss(300)
    pr = precision_recall(x, _gauss(300, seed=1) + 100.0)
    assert pr.precision == 0.0 and pr.recall == 0.0


def test_two_samples_of_one_distribution_score_high() -> None:
    pr = precision_recall(_gauss(1000, d=4), _gauss(1000, d=4, seed=1))
    assert pr.precision > 0.85 and pr.recall > 0.85


def test_dropping_modes_costs_recall_not_precision() -> None:
    real = _gauss(1000, d=4)
    fake = _gauss(2000, d=4, seed=1)
    fake = fake[fake[:, 0] > 0][:1000]  # a generator that only draws half of the distribution
    pr = precision_recall(real, fake)
    assert pr.precision > 0.85
    assert 0.3 < pr.recall < 0.75


def test_a_shifted_set_scores_in_between() -> None:
    real = _gauss(1000, d=4)
    near = precision_recall(real, _gauss(1000, d=4, seed=1) + np.array([1.0, 0, 0, 0]))
    far = precision_recall(real, _gauss(1000, d=4, seed=1) + np.array([3.0, 0, 0, 0]))
    assert 0.2 < far.precision < near.precision < 1 and 0.2 < far.recall < near.recall < 1


def test_coverage_counts_queries_inside_any_ball() -> None:
    points, radii = np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([1.0, 2.0])
    queries = np.array([[0.5, 0.0], [11.9, 0.0], [5.0, 0.0], [0.0, 1.5]])  # in, in, out, out
    assert coverage(queries, points, radii, block_rows=3) == 0.5


def test_too_few_points_for_k_is_an_error() -> None:
    with pytest.raises(ValueError):
        knn_radii(_gauss(3), k=3)


def test_frechet_with_fewer_points_than_dimensions() -> None:
    # like 207 emoji in EfficientNet's 1280-d space: both covariances are singular
    f = np.abs(np.random.default_rng(0).normal(size=(60, 384))).astype(np.float32)
    assert frechet_distance_features(f, f) == pytest.approx(0.0, abs=1e-3)  # of traces ~140
    assert frechet_distance_features(f, f + 0.5) == pytest.approx(384 * 0.25, rel=1e-5)  # only the means differ
    g = np.abs(np.random.default_rng(1).normal(size=(60, 384))).astype(np.float32)
    assert frechet_distance_features(f, g) > 10 * frechet_distance_features(f, f + 0.05)


def test_frechet_from_images_equals_frechet_from_covariances() -> None:
    rng = np.random.default_rng(2)
    a, b = np.abs(rng.normal(size=(40, 96))), np.abs(rng.normal(size=(30, 96))) + 0.2  # fewer images than dims
    via_covariances = frechet_distance(*feature_stats(a), *feature_stats(b))
    assert frechet_distance_features(a, b) == pytest.approx(via_covariances, rel=1e-6)
    assert via_covariances > 1
