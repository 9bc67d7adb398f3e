"""The classical methods our repair networks are measured against (metrics: models.quality).

All functions take and return (H, W, 3) float32 RGB in [0, 1]; masks are (H, W) bool, True = missing/damaged.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def as_batch(a: np.ndarray) -> torch.Tensor:
    """(H, W, C) array -> (1, C, H, W) float tensor, for the metrics in models.quality."""
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32))[None]


def psnr(reference: np.ndarray, estimate: np.ndarray, mask: np.ndarray | None = None) -> float:
    """models.quality.psnr for (H, W, 3) arrays; over `mask` (H, W) only when given."""
    from models.quality import psnr as psnr_t

    m = torch.from_numpy(mask.astype(np.float32))[None, None] if mask is not None else None
    return float(psnr_t(as_batch(estimate), as_batch(reference), m)[0])


def _to_u8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)


# --- denoising -------------------------------------------------------------------------------------------

def cbm3d(noisy: np.ndarray, sigma255: float) -> np.ndarray:
    """CBM3D (PyPI `bm3d`) with the true noise level — the strongest classical colour denoiser."""
    import bm3d

    return np.asarray(bm3d.bm3d_rgb(noisy.astype(np.float32), sigma255 / 255.0), dtype=np.float32)


def nlm(noisy: np.ndarray, h: float) -> np.ndarray:
    """OpenCV non-local means on colour (h and hColor = filter strength on the 0-255 scale)."""
    import cv2

    bgr = cv2.cvtColor(_to_u8(noisy), cv2.COLOR_RGB2BGR)
    out = cv2.fastNlMeansDenoisingColored(bgr, None, h, h, 7, 21)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def tune_nlm(clean: Sequence[np.ndarray], noisy: Sequence[np.ndarray],
             candidates: Sequence[float] = (3, 5, 7, 9, 11, 13, 16, 20, 25, 30, 36, 44)) -> float:
    """The h giving the best mean PSNR on tuning images (never the validation set) for one noise level."""
    scores = {h: float(np.mean([psnr(c, nlm(n, h)) for c, n in zip(clean, noisy)])) for h in candidates}
    return max(scores, key=scores.__getitem__)


def median(noisy: np.ndarray, size: int = 3) -> np.ndarray:
    """Median filter, the textbook answer to salt-and-pepper noise."""
    import cv2

    return cv2.medianBlur(_to_u8(noisy), size).astype(np.float32) / 255.0


# --- inpainting ------------------------------------------------------------------------------------------

def cv2_inpaint(image: np.ndarray, mask: np.ndarray, method: str, radius: int = 5) -> np.ndarray:
    """OpenCV inpainting, method 'telea' or 'ns' (Navier-Stokes)."""
    import cv2

    flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[method]
    out = cv2.inpaint(_to_u8(image), mask.astype(np.uint8) * 255, radius, flag)
    result = out.astype(np.float32) / 255.0
    return np.where(mask[..., None], result, image)


def biharmonic(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """scikit-image's biharmonic inpainting (smooth, slow on large holes)."""
    from skimage.restoration import inpaint_biharmonic

    out = inpaint_biharmonic(image, mask, channel_axis=-1).astype(np.float32)
    return np.where(mask[..., None], out, image)


# --- automatic old-photo repair --------------------------------------------------------------------------

def tophat_damage_mask(image: np.ndarray, *, size: int = 9, threshold: float = 0.12) -> np.ndarray:
    """Classical scratch/dust detection: bright and dark thin structures from white and black top-hats."""
    import cv2

    gray = cv2.cvtColor(_to_u8(image), cv2.COLOR_RGB2GRAY)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    white = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, kernel)
    black = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
    mask = np.maximum(white, black).astype(np.float32) / 255.0 > threshold
    return cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def classical_auto_repair(image: np.ndarray, *, nlm_h: float = 7.0) -> tuple[np.ndarray, np.ndarray]:
    """Top-hat detection, then TELEA inpainting, then NLM for grain: the pipeline `auto` must beat."""
    mask = tophat_damage_mask(image)
    filled = cv2_inpaint(image, mask, "telea")
    return nlm(filled, nlm_h), mask
