"""Run a network over an image of any size: overlapping tiles, blended with smooth weights, bounded memory.

Each tile is padded (reflect) to a multiple the network needs, processed alone, and accumulated into a float32
canvas with a weight that ramps down to the tile's border, so seams vanish: where neighbouring tiles overlap,
the result is a weighted mean of two valid predictions. Memory is the canvas plus one tile, whatever the size.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """x: (B, C, H, W) -> reflect-padded so H and W divide by `multiple`; returns the pad added (bottom, right)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (ph, pw)


def _spans(length: int, tile: int, step: int, align: int) -> list[tuple[int, int]]:
    """(start, end) along one side. Starts are multiples of `align`, so the last span runs from the last aligned
    start to the end (up to align - 1 longer than `tile`)."""
    if length <= tile:
        return [(0, length)]
    last = (length - tile) // align * align
    return [(s, s + tile) for s in range(0, last, step)] + [(last, length)]


def tile_windows(h: int, w: int, tile: int, overlap: int, align: int = 1) -> Iterator[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) of every tile; tiles cover the image and neighbours share at least `overlap` pixels.

    Tiles start on multiples of `align`: a network that downsamples by a total stride of `align` computes on a grid
    fixed to the tile's origin, so only tiles on the whole image's grid reproduce what it would compute on the
    whole image (a tile off the grid gives a different, equally valid result: measured up to 20 levels in 8 bits
    over whole regions with the denoiser, docs/BENCHMARKS.md#tiled-against-untiled-any-size)."""
    step = max((tile - overlap) // align * align, align)
    for y0, y1 in _spans(h, tile, step, align):
        for x0, x1 in _spans(w, tile, step, align):
            yield y0, y1, x0, x1


def _ramp(n: int, overlap: int) -> np.ndarray:
    """Weight along one side of a tile: 0 over the outer quarter of the overlap (a tile's own border is where
    its padding shows), then rising linearly to 1; the neighbouring tile covers what this one gives up."""
    r = np.ones(n, np.float32)
    k = min(overlap, n // 2)
    if k > 0:
        trim = k // 4
        edge = np.zeros(k, np.float32)
        edge[trim:] = (np.arange(k - trim, dtype=np.float32) + 1) / (k - trim)
        r[:k] = edge
        r[n - k:] = edge[::-1]
    return r


@torch.no_grad()
def run_tiled(
    fn: Callable[[torch.Tensor], torch.Tensor],
    image: np.ndarray,
    *,
    tile: int = 512,
    overlap: int = 64,
    multiple: int = 16,
    device: torch.device | str = "cpu",
    on_progress: Callable[[float], None] = lambda fraction: None,
) -> np.ndarray:
    """image: (H, W, C) float32 -> fn applied tile by tile -> (H, W, C_out) float32.

    `fn` takes and returns (1, C, h, w) tensors of the same spatial size (h, w multiples of `multiple`).
    """
    h, w = image.shape[:2]
    windows = list(tile_windows(h, w, tile, overlap, align=multiple))
    canvas: np.ndarray | None = None
    weight = np.zeros((h, w, 1), np.float32)
    for i, (y0, y1, x0, x1) in enumerate(windows):
        patch = torch.from_numpy(np.ascontiguousarray(image[y0:y1, x0:x1].transpose(2, 0, 1)))[None]  # (1,C,h,w)
        padded, _ = pad_to_multiple(patch.to(device), multiple)
        out = fn(padded)[..., : y1 - y0, : x1 - x0]  # (1, C_out, h, w)
        out_np = out[0].permute(1, 2, 0).float().cpu().numpy()  # (h, w, C_out)
        if canvas is None:
            canvas = np.zeros((h, w, out_np.shape[2]), np.float32)
        # Ramps only on sides that touch another tile; image borders keep full weight.
        wy = _ramp(y1 - y0, overlap) if len(windows) > 1 else np.ones(y1 - y0, np.float32)
        wx = _ramp(x1 - x0, overlap) if len(windows) > 1 else np.ones(x1 - x0, np.float32)
        if y0 == 0:
            wy[: (y1 - y0) // 2] = 1.0
        if y1 == h:
            wy[(y1 - y0) // 2:] = 1.0
        if x0 == 0:
            wx[: (x1 - x0) // 2] = 1.0
        if x1 == w:
            wx[(x1 - x0) // 2:] = 1.0
        wgt = (wy[:, None] * wx[None, :])[..., None]
        canvas[y0:y1, x0:x1] += out_np * wgt
        weight[y0:y1, x0:x1] += wgt
        on_progress((i + 1) / len(windows))
    assert canvas is not None
    return canvas / np.maximum(weight, 1e-8)
