"""Image-quality measures for the restoration tasks (torch, images in [0, 1]): PSNR, SSIM, mask precision/recall/F1.

Shapes are (B, C, H, W); every function returns one number per image, shape (B,).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def psnr(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None, peak: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB; with a (B, 1, H, W) mask, over the masked pixels only."""
    err = (x.clamp(0, 1) - y) ** 2  # (B, C, H, W)
    if mask is None:
        mse = err.flatten(1).mean(1)
    else:
        m = mask.expand_as(err)
        mse = (err * m).flatten(1).sum(1) / m.flatten(1).sum(1).clamp_min(1)
    return 10 * torch.log10(peak ** 2 / mse.clamp_min(1e-10))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    g = torch.exp(-0.5 * ((torch.arange(size) - size // 2) / sigma) ** 2)
    g = g / g.sum()
    return g[:, None] * g[None, :]  # (size, size)


def ssim(x: torch.Tensor, y: torch.Tensor, peak: float = 1.0) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03), averaged
    over channels and valid window positions."""
    x = x.clamp(0, 1).to(torch.float64)
    y = y.to(torch.float64)
    c = x.shape[1]
    w = _gaussian_window().to(x)[None, None].expand(c, 1, 11, 11)  # (C, 1, 11, 11) depthwise
    mu_x, mu_y = F.conv2d(x, w, groups=c), F.conv2d(y, w, groups=c)
    sxx = F.conv2d(x * x, w, groups=c) - mu_x ** 2
    syy = F.conv2d(y * y, w, groups=c) - mu_y ** 2
    sxy = F.conv2d(x * y, w, groups=c) - mu_x * mu_y
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return s.flatten(1).mean(1).to(torch.float32)


def mask_scores(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Pixel precision, recall and F1 of binary masks (B, 1, H, W) with values 0/1."""
    tp = (pred * target).flatten(1).sum(1)
    precision = tp / pred.flatten(1).sum(1).clamp_min(1)
    recall = tp / target.flatten(1).sum(1).clamp_min(1)
    f1 = 2 * precision * recall / (precision + recall).clamp_min(1e-8)
    return {"precision": precision, "recall": recall, "f1": f1}


def mask_scores_of(found: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """`mask_scores` of one pair of (H, W) numpy masks (bool or 0/1), as plain numbers."""
    as_batch = lambda m: torch.from_numpy(m.astype(np.float32))[None, None]  # noqa: E731
    return {k: float(v[0]) for k, v in mask_scores(as_batch(found), as_batch(truth)).items()}
