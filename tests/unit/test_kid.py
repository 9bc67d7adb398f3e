"""Kernel distance (KID): the unbiased estimator against a direct double loop, ~0 for one distribution, growing
with the gap between two, and no small-N bias where the Fréchet distance has one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.evaluation.frechet import frechet_distance_features
from models.evaluation.kid import kernel_distance, mmd2_unbiased


def test_matches_the_definition_term_by_term() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(0.5, 1, size=(4, 3))
    k = lambda a, b: (a @ b / 3 + 1) ** 3  # noqa: E731 — the kernel, written out
    xx = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / (5 * 4)
    yy = sum(k(y[i], y[j]) for i in range(4) for j in range(4) if i != j) / (4 * 3)
    xy = sum(k(x[i], y[j]) for i in range(5) for j in range(4)) / (5 * 4)
    assert mmd2_unbiased(torch.tensor(x), torch.tensor(y)) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_unbiased_at_small_n_where_fd_is_not() -> None:
    rng = np.random.default_rng(1)
    kids, fds = [], []
    for _ in range(20):  # two draws of 50 points from one 64-d distribution
        a, b = rng.normal(size=(50, 64)), rng.normal(size=(50, 64))
        kids.append(kernel_distance(a, b).kid)
        fds.append(frechet_distance_features(a, b))
    far = kernel_distance(rng.normal(size=(50, 64)), rng.normal(0.5, 1, size=(50, 64)))
    assert abs(np.mean(kids)) < 3 * np.std(kids) / np.sqrt(20)  # centred on 0: no bias
    assert np.mean(fds) > 30  # FD of one distribution against itself: all bias at this N
    assert far.kid > 5 * far.stderr > 0 and far.kid > 5 * max(kids)


def test_needs_comparable_sets() -> None:
    with pytest.raises(ValueError, match="N >= 4"):
        kernel_distance(np.zeros((3, 8)), np.zeros((10, 8)))
    with pytest.raises(ValueError):
        kernel_distance(np.zeros((10, 8)), np.zeros((10, 9)))
    assert kernel_distance(np.random.default_rng(2).normal(size=(6, 8)), np.ones((6, 8))).stderr >= 0  # 3 blocks
