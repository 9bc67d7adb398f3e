"""Improved precision and recall of a generator (Kynkäänniemi et al., NeurIPS 2019), on any feature vectors.

Each set's manifold is the union of hyperspheres around its points, each with the radius to that point's k-th
nearest neighbour in the same set (k = 3, as in the paper). Then

    precision = fraction of generated points inside the real manifold   (are samples realistic?)
    recall    = fraction of real points inside the generated manifold   (is the variety covered?)

Distances are Euclidean, computed in float64 a block of rows at a time, so memory is block_rows x N whatever N is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

K = 3  # neighbourhood size of the paper


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float


def _squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(n, D), (m, D) float64 -> (n, m) squared Euclidean distances, never negative."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T  # (n, m)
    return d2.clamp_min_(0)


def knn_radii(features: np.ndarray, k: int = K, block_rows: int = 1024) -> np.ndarray:
    """(N, D) -> (N,) distance from each point to its k-th nearest other point (the point itself excluded)."""
    f = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    if len(f) <= k:
        raise ValueError(f"need more than k={k} points, got {len(f)}")
    radii = []
    for i in range(0, len(f), block_rows):
        d2 = _squared_distances(f[i:i + block_rows], f)  # (rows, N); each row's own distance is 0
        # the (k+1)-th smallest: the first is the point itself (or an exact duplicate, which counts the same)
        radii.append(d2.topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(radii).sqrt().numpy()


def coverage(queries: np.ndarray, features: np.ndarray, radii: np.ndarray, block_rows: int = 1024) -> float:
    """Fraction of `queries` (n, D) within radii[j] of at least one features[j] (m, D)."""
    q = torch.as_tensor(np.asarray(queries), dtype=torch.float64)
    f = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    r2 = torch.as_tensor(np.asarray(radii), dtype=torch.float64) ** 2  # (m,)
    inside = 0
    for i in range(0, len(q), block_rows):
        inside += int((_squared_distances(q[i:i + block_rows], f) <= r2[None]).any(dim=1).sum())
    return inside / len(q)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K, block_rows: int = 1024) -> PrecisionRecall:
    """Precision and recall of `fake` (M, D) features against `real` (N, D) ones."""
    precision = coverage(fake, real, knn_radii(real, k, block_rows), block_rows)
    recall = coverage(real, fake, knn_radii(fake, k, block_rows), block_rows)
    return PrecisionRecall(precision=precision, recall=recall)
