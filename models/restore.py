"""Running the repair networks on whole photos of any size (tiled), images as (H, W, 3) float32 in [0, 1]."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from models.tiling import run_tiled

Progress = Callable[[float], None]
TileFn = Callable[[torch.Tensor], torch.Tensor]
# Tiles: big enough for context, small enough to bound memory (a 512² tile of the default U-Net needs ~100 MB).
DENOISE_TILE, DENOISE_OVERLAP = 512, 48
INPAINT_TILE, INPAINT_OVERLAP = 768, 128  # holes need surrounding context
DETECT_TILE, DETECT_OVERLAP = 512, 48


def _quiet(_: float) -> None:
    pass


def self_ensemble(fn: TileFn) -> TileFn:
    """fn run on the 8 flips and rotations of a tile, each result turned back and all 8 averaged (the geometric
    self-ensemble of Lim et al. 2017, "EDSR+"). A network's errors differ between orientations while the signal
    does not, so the mean is better than any one pass, at 8x the time. Tiles are padded to a multiple in both
    directions, so a rotated tile is still a valid input."""

    def ensembled(t: torch.Tensor) -> torch.Tensor:  # (1, C, h, w) -> (1, C_out, h, w)
        total = None
        for k in range(4):
            for flip in (False, True):
                x = torch.rot90(t, k, dims=(2, 3))
                x = x.flip(3) if flip else x
                y = fn(x)
                y = y.flip(3) if flip else y
                y = torch.rot90(y, -k, dims=(2, 3)).float()
                total = y if total is None else total + y
        return total / 8

    return ensembled


def _maybe_ensemble(fn: TileFn, ensemble: bool) -> TileFn:
    return self_ensemble(fn) if ensemble else fn


# Blind denoising reads the noise level off a first blind pass, then denoises with that level given: the network is
# sharper with a level than when it has to judge the noise from each tile's texture. The RMS of what the blind pass
# removes reads 5-10% below the true sigma (it leaves a little noise in), which measured as good as the true sigma.
# Elements near black or white are left out: there the noise was clipped, and clipped noise reads lower still.
# Measured on held-out photos: docs/models/denoise.md, *Blind in two passes*.
ESTIMATE_CLIP_MARGIN = 2.0  # leave out elements within this many estimated levels of 0 or 1
ESTIMATE_MIN_KEPT = 3000  # ...unless fewer elements remain (a photo almost all black or white): then all count
ESTIMATE_SIDE, ESTIMATE_GRID = 512, 2  # photos above ESTIMATE_SIDE² x ESTIMATE_GRID² pixels: sample a 2x2 grid


def _estimate_windows(h: int, w: int) -> list[tuple[int, int, int, int]]:
    """Where the level is read: the whole photo up to about a megapixel (so the first pass costs at most that),
    else ESTIMATE_GRID² windows of ESTIMATE_SIDE² spread evenly over it."""
    if h * w <= (ESTIMATE_SIDE * ESTIMATE_GRID) ** 2:
        return [(0, h, 0, w)]
    sh, sw = min(h, ESTIMATE_SIDE), min(w, ESTIMATE_SIDE)
    ys = [round((h - sh) * (2 * i + 1) / (2 * ESTIMATE_GRID)) for i in range(ESTIMATE_GRID)]
    xs = [round((w - sw) * (2 * j + 1) / (2 * ESTIMATE_GRID)) for j in range(ESTIMATE_GRID)]
    return [(y, y + sh, x, x + sw) for y in ys for x in xs]


def estimate_noise_level(net: torch.nn.Module, rgb: np.ndarray, *, device: torch.device | str = "cpu",
                         on_progress: Progress = _quiet) -> float:
    """The photo's noise level on the 0-255 scale (what `denoise` takes as sigma), from a blind pass over at most
    about a megapixel of it (`_estimate_windows`); always with the default tiles, so tiling a photo differently
    changes only the second pass."""
    windows = _estimate_windows(*rgb.shape[:2])
    removed, denoised = [], []
    for i, (y0, y1, x0, x1) in enumerate(windows):
        crop = rgb[y0:y1, x0:x1]
        blind = run_tiled(lambda t: net(t, None), crop, tile=DENOISE_TILE, overlap=DENOISE_OVERLAP,
                          multiple=net.cfg.multiple, device=device,
                          on_progress=lambda f, i=i: on_progress((i + f) / len(windows))).clip(0, 1)
        removed.append((crop - blind).ravel())
        denoised.append(blind.ravel())
    removed, denoised = np.concatenate(removed), np.concatenate(denoised)
    level = float(np.sqrt(np.mean(np.square(removed, dtype=np.float64))))
    margin = min(ESTIMATE_CLIP_MARGIN * level, 0.45)
    unclipped = (denoised > margin) & (denoised < 1 - margin)
    if int(unclipped.sum()) >= ESTIMATE_MIN_KEPT:
        level = float(np.sqrt(np.mean(np.square(removed[unclipped], dtype=np.float64))))
    return level * 255.0


def denoise(net: torch.nn.Module, rgb: np.ndarray, *, sigma: float | None, device: torch.device | str = "cpu",
            ensemble: bool = False, tiles: tuple[int, int] = (DENOISE_TILE, DENOISE_OVERLAP),
            estimate: bool = True, on_progress: Progress = _quiet) -> np.ndarray:
    """sigma (0-255 scale) is the noise level, i.e. the strength; None = blind: the level is estimated from the
    photo first (`estimate_noise_level`), or with estimate=False left to the network alone (one pass, the blind
    mode up to 0.10.0's benchmark). ensemble: average the 8 orientations (`self_ensemble`) of the denoising pass;
    tiles: (tile side, overlap)."""
    return denoise_with_level(net, rgb, sigma=sigma, device=device, ensemble=ensemble, tiles=tiles,
                              estimate=estimate, on_progress=on_progress)[0]


def denoise_with_level(net: torch.nn.Module, rgb: np.ndarray, *, sigma: float | None,
                       device: torch.device | str = "cpu", ensemble: bool = False,
                       tiles: tuple[int, int] = (DENOISE_TILE, DENOISE_OVERLAP), estimate: bool = True,
                       on_progress: Progress = _quiet) -> tuple[np.ndarray, float | None]:
    """`denoise`, and the level it denoised with: the sigma given, the one estimated, or None (one blind pass)."""
    if sigma is None and estimate:
        h, w = rgb.shape[:2]
        sampled = sum((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in _estimate_windows(h, w))
        share = sampled / (sampled + h * w * (8 if ensemble else 1))  # of the work, for the progress bar
        sigma = estimate_noise_level(net, rgb, device=device, on_progress=lambda f: on_progress(share * f))
        report = on_progress
        on_progress = lambda f: report(share + (1 - share) * f)  # noqa: E731 - the second pass's share
    fn = _maybe_ensemble(lambda t: net(t, sigma), ensemble)
    out = run_tiled(fn, rgb, tile=tiles[0], overlap=tiles[1], multiple=net.cfg.multiple, device=device,
                    on_progress=on_progress).clip(0, 1)
    return out, sigma


def detect(net: torch.nn.Module, rgb: np.ndarray, *, threshold: float = 0.5, device: torch.device | str = "cpu",
           ensemble: bool = False, tiles: tuple[int, int] = (DETECT_TILE, DETECT_OVERLAP),
           on_progress: Progress = _quiet) -> np.ndarray:
    """(H, W) bool damage mask (scratches, dust, specks, blotches, tears); ensemble averages the probabilities of
    the 8 orientations (`self_ensemble`); tiles: (tile side, overlap)."""
    fn = _maybe_ensemble(lambda t: torch.sigmoid(net(t)), ensemble)
    prob = run_tiled(fn, rgb, tile=tiles[0], overlap=tiles[1], multiple=net.cfg.multiple, device=device,
                     on_progress=on_progress)
    return prob[..., 0] > threshold


def inpaint(net: torch.nn.Module, rgb: np.ndarray, mask: np.ndarray, *, device: torch.device | str = "cpu",
            ensemble: bool = False, tiles: tuple[int, int] = (INPAINT_TILE, INPAINT_OVERLAP),
            on_progress: Progress = _quiet) -> np.ndarray:
    """Fill `mask` (H, W) bool, True = missing; every pixel outside the mask is returned unchanged.
    ensemble: average the fills of the 8 orientations (`self_ensemble`); tiles: (tile side, overlap)."""
    stacked = np.concatenate([rgb, mask[..., None].astype(np.float32)], axis=2)  # (H, W, 4)

    def fill(t: torch.Tensor) -> torch.Tensor:  # (1, 4, h, w) -> (1, 3, h, w)
        if not bool(t[:, 3].any()):
            return t[:, :3]  # nothing missing in this tile: skip the network
        return net(t[:, :3], t[:, 3:4])

    filled = run_tiled(_maybe_ensemble(fill, ensemble), stacked, tile=tiles[0], overlap=tiles[1],
                       multiple=net.cfg.multiple, device=device, on_progress=on_progress)
    return np.where(mask[..., None], filled.clip(0, 1), rgb)


def smooth_fill(rgb: np.ndarray, mask: np.ndarray, *, prefill: str = "normconv", device: torch.device | str = "cpu",
                tile: int = INPAINT_TILE, overlap: int = INPAINT_OVERLAP, on_progress: Progress = _quiet) -> np.ndarray:
    """An inpainter's prefill alone (models/networks/prefill.py: PREFILLS[prefill]), tiled like `inpaint`:
    `mask` (H, W) bool, True = missing, filled smoothly from the known pixels; the rest returned unchanged."""
    from models.networks.prefill import PREFILLS

    smooth = PREFILLS[prefill]
    if smooth is None:
        raise ValueError("prefill 'none' leaves the hole blank: there is no smooth fill to return")

    stacked = np.concatenate([rgb, mask[..., None].astype(np.float32)], axis=2)  # (H, W, 4)

    def fill(t: torch.Tensor) -> torch.Tensor:  # (1, 4, h, w) -> (1, 3, h, w)
        return smooth(t[:, :3], 1 - t[:, 3:4]) if bool(t[:, 3].any()) else t[:, :3]

    filled = run_tiled(fill, stacked, tile=tile, overlap=overlap, multiple=1, device=device, on_progress=on_progress)
    return np.where(mask[..., None], filled.clip(0, 1), rgb)
