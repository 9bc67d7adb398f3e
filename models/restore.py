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


def denoise(net: torch.nn.Module, rgb: np.ndarray, *, sigma: float | None, device: torch.device | str = "cpu",
            ensemble: bool = False, tiles: tuple[int, int] = (DENOISE_TILE, DENOISE_OVERLAP),
            on_progress: Progress = _quiet) -> np.ndarray:
    """Blind when sigma is None; otherwise sigma (0-255 scale) is the noise level, i.e. the strength.
    ensemble: average the 8 orientations (`self_ensemble`); tiles: (tile side, overlap)."""
    fn = _maybe_ensemble(lambda t: net(t, sigma), ensemble)
    return run_tiled(fn, rgb, tile=tiles[0], overlap=tiles[1], multiple=net.cfg.multiple, device=device,
                     on_progress=on_progress).clip(0, 1)


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
