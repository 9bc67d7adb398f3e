"""Fréchet distance between two sets of feature vectors (the FID formula on any feature extractor).

    FD = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

The numbers in this project use the digit classifier's penultimate features (models/evaluation/classifier.py),
so they are comparable with each other, not with published Inception-v3 FIDs.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) features -> mean (D,) and covariance (D, D), in float64."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need (N >= 2, D) features, got shape {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    diff = mu1 - mu2
    with warnings.catch_warnings():
        # ReLU features have dead dimensions, so covariances are often singular: the square root of a singular
        # PSD product still exists; scipy warns anyway. The result is checked below instead.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():  # numerically broken: regularise both covariances
            offset = np.eye(len(sigma1)) * eps
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"matrix square root has a large imaginary part {np.abs(covmean.imag).max():.3g}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def frechet_distance_features(a: np.ndarray, b: np.ndarray) -> float:
    """FD between two (N, D) feature sets."""
    return frechet_distance(*feature_stats(a), *feature_stats(b))
