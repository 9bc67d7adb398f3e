"""Classical ×2 / ×3 / ×4 / ×8 upscaling for our small images, clearly sharper than bicubic (docs/BENCHMARKS.md).

Method `ibp-tv`: iterative back-projection with a total-variation prior. No network, no training data.

1. Start from Lanczos-3 interpolation (Pillow's LANCZOS filter, a = 3).
2. Iterative back-projection (Irani & Peleg, "Improving resolution by image registration", CVGIP 53, 1991):
   x <- x + U(y - D x), where y is the small image, D the downscale that made it and U an upscale that spreads
   the error back. At convergence D x = y: downscaling the result gives back the input.
3. Back-projection alone is free to put anything in what D does not see (it rings around edges), so each step
   also descends the image's total variation (Rudin, Osher & Fatemi, Physica D 60, 1992), the prior of
   TV-regularised super-resolution (Marquina & Osher, J. Sci. Comput. 37, 2008). It is the vectorial TV of
   Blomgren & Chan (IEEE TIP 7, 1998): the gradient norm is taken over all channels together, so colour edges
   stay in register and no colour fringes appear. TV favours flat regions separated by sharp edges — exactly our
   content: flat-shaded emoji with crisp outlines, black ink on white paper. |grad| is smoothed near 0
   (Charbonnier, sqrt(|grad|^2 + eps^2)), so a flat area is not pushed about (and the step stays stable; see
   IbpTvConfig).
4. Heavy-ball momentum (Polyak, 1964) on the steps, so that a few steps go a long way.
5. After every step, values are clipped to [0, 1] — a projection onto the valid images, as in POCS
   super-resolution (Stark & Oskoui, JOSA A 6, 1989), so overshoot past white paper or black ink is not fed
   back into the next step.

D and U are Pillow's own antialiased Lanczos-3 resampling (the filter that made our data sets' 64-pixel images,
models/datasets/common.fit_in_square), applied as the exact matrices Pillow uses — obtained by resizing an
identity image with Pillow, so nothing about the kernel is re-implemented — which makes one step two small matrix
products per side. Large images run in overlapping tiles blended with linear ramps, so memory stays bounded.

Grey (H, W), grey + alpha (H, W, 2), RGB (H, W, 3) and RGBA (H, W, 4) are taken, as uint8, uint16 or float in
[0, 1]; the result has the same dtype and channels, values clamped. Alpha is handled premultiplied, so colours
of transparent pixels cannot bleed into the visible ones. Deterministic: numpy and Pillow only, no randomness.
The plain filters (nearest, bilinear, bicubic, lanczos) are here too, for comparison on the same footing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

METHOD = "ibp-tv"  # the id in PNG metadata, the API and the benchmark
METHOD_VERSION = 1  # bump when the algorithm or its defaults change: it is part of the upscale job's cache key
SCALES = (2, 3, 4, 8)
FILTERS = {  # plain resampling, for comparison (Pillow's filters; Pillow antialiases only when reducing)
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
METHODS = (*FILTERS, METHOD)
MODEL_FILTER = Image.Resampling.LANCZOS  # D (downscale), U (back-projection) and the starting interpolation
TILE_OUT_PX = 512  # largest side of one tile of the result; larger results run in tiles
TILE_OVERLAP_PX = 16  # overlap of neighbouring tiles, in pixels of the small image


@dataclass(frozen=True)
class IbpTvConfig:
    iterations: int = 20  # back-projection steps
    momentum: float = 0.7  # heavy ball: each step also repeats this fraction of the previous one
    tv_step: float = 2 / 255  # how far one step moves a pixel down the total variation (intensity in 0..1)
    tv_epsilon: float = 10 / 255  # Charbonnier smoothing of |grad|: steps weaker than this are smoothed, not kept

    def __post_init__(self) -> None:
        # In a flat area the TV step is explicit diffusion with rate tv_step / tv_epsilon; the 5-point Laplacian's
        # largest eigenvalue is 8, and heavy-ball momentum keeps that stable only below 2 (1 + momentum). Past it, a
        # checkerboard grows in what the downscale cannot see, and clipping at white turns it into a grey haze.
        if self.tv_step / self.tv_epsilon * 8 >= 2 * (1 + self.momentum):
            raise ValueError(f"unstable: tv_step / tv_epsilon * 8 must stay below 2 (1 + momentum); got "
                             f"{self.tv_step / self.tv_epsilon * 8:.2f} >= {2 * (1 + self.momentum):.2f}")


def upscale(image: np.ndarray, scale: int, method: str = METHOD, config: IbpTvConfig = IbpTvConfig(),
            on_progress: Callable[[float], None] = lambda fraction: None) -> np.ndarray:
    """(H, W) or (H, W, C) with C in 1..4 (2 and 4: the last channel is alpha), uint8 / uint16 / float in [0, 1]
    -> (scale H, scale W[, C]) of the same dtype. `method`: "ibp-tv" or a plain filter of FILTERS.
    `on_progress` hears the fraction done after each tile."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if not isinstance(scale, (int, np.integer)) or not 1 <= scale <= 16:
        raise ValueError(f"scale must be a whole number from 1 to 16; got {scale!r}")
    x, restore = _to_planes(image)  # (C, h, w) float32 in [0, 1], premultiplied
    if method == METHOD:
        out = _ibp_tv_tiled(x, int(scale), config, on_progress)
    else:
        out = resize_planes(x, (x.shape[1] * scale, x.shape[2] * scale), FILTERS[method])
    on_progress(1.0)
    return restore(out)


def downscale(image: np.ndarray, scale: int) -> np.ndarray:
    """The degradation `ibp-tv` undoes: Pillow's antialiased Lanczos-3 reduction by `scale` (sides rounded down),
    same dtype and channels as the input."""
    x, restore = _to_planes(image)
    return restore(resize_planes(x, (x.shape[1] // scale, x.shape[2] // scale), MODEL_FILTER))


# ---------------------------------------------------------------- planes: (C, H, W) float32, alpha premultiplied


def _to_planes(image: np.ndarray):
    """-> ((C, H, W) float32 in [0, 1] with colour premultiplied by alpha, a function mapping such planes of any
    size back to an image like the input)."""
    if image.ndim not in (2, 3) or (image.ndim == 3 and not 1 <= image.shape[2] <= 4) or min(image.shape[:2]) < 1:
        raise ValueError(f"expected (H, W) or (H, W, 1..4) pixels; got shape {image.shape}")
    dtype = image.dtype
    if dtype == np.uint8 or dtype == np.uint16:
        peak = float(np.iinfo(dtype).max)
    elif np.issubdtype(dtype, np.floating):
        peak = 1.0
    else:
        raise ValueError(f"expected uint8, uint16 or float pixels; got {dtype}")
    hwc = image[..., None] if image.ndim == 2 else image
    planes = np.ascontiguousarray(hwc.transpose(2, 0, 1), dtype=np.float32) / np.float32(peak)  # (C, H, W)
    planes = np.clip(planes, 0.0, 1.0)
    alpha = planes.shape[0] in (2, 4)
    if alpha:
        planes[:-1] *= planes[-1:]

    def restore(out: np.ndarray) -> np.ndarray:
        out = np.clip(out, 0.0, 1.0)
        if alpha:
            a = out[-1:]
            colour = np.divide(out[:-1], a, out=np.zeros_like(out[:-1]), where=a > 1e-6)
            out = np.concatenate([np.minimum(colour, 1.0), a])
        result = out.transpose(1, 2, 0)  # (H, W, C)
        if image.ndim == 2:
            result = result[..., 0]
        if peak != 1.0:
            return np.rint(result * peak).astype(dtype)
        return np.ascontiguousarray(result).astype(dtype)

    return planes, restore


@functools.lru_cache(maxsize=128)
def resample_matrix(n_in: int, n_out: int, resample: Image.Resampling) -> np.ndarray:
    """(n_out, n_in): Pillow's 1-D resampling from n_in to n_out samples as a matrix — the response of Pillow's
    resize to each unit impulse, so it is Pillow's kernel, edge handling included, exactly."""
    eye = Image.fromarray(np.eye(n_in, dtype=np.float32))  # mode F; row i is the impulse at i
    response = np.asarray(eye.resize((n_out, n_in), resample))  # (n_in, n_out): one horizontal pass
    return np.ascontiguousarray(response.T)


def resize_planes(x: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """(C, h, w) -> (C, H, W) = size, as Pillow resizes a float image, channel by channel."""
    (c, h, w), (big_h, big_w) = x.shape, size
    if max(h, w, big_h, big_w) <= 1024:  # small: two matrix products beat C Pillow calls and their copies
        return resample_matrix(h, big_h, resample) @ x @ resample_matrix(w, big_w, resample).T
    return np.stack([np.asarray(Image.fromarray(p).resize((big_w, big_h), resample)) for p in x])


# ---------------------------------------------------------------- ibp-tv


def tv_gradient(x: np.ndarray, eps: float) -> np.ndarray:
    """(C, H, W) -> gradient of the vectorial total variation sum_px sqrt(sum_c |grad x_c|^2 + eps^2), with forward
    differences (zero across the border) and their adjoint, the backward-difference divergence."""
    dx = np.zeros_like(x)
    dy = np.zeros_like(x)
    np.subtract(x[:, :, 1:], x[:, :, :-1], out=dx[:, :, :-1])
    np.subtract(x[:, 1:], x[:, :-1], out=dy[:, :-1])
    inv = np.einsum("chw,chw->hw", dx, dx) + np.einsum("chw,chw->hw", dy, dy)  # (H, W): |grad|^2 over channels
    inv += np.float32(eps * eps)
    np.sqrt(inv, out=inv)
    np.reciprocal(inv, out=inv)
    dx *= inv
    dy *= inv
    grad = -dx - dy  # -div of the unit normals
    grad[:, :, 1:] += dx[:, :, :-1]
    grad[:, 1:] += dy[:, :-1]
    return grad


def ibp_tv(y: np.ndarray, scale: int, config: IbpTvConfig = IbpTvConfig()) -> np.ndarray:
    """(C, h, w) float32 in [0, 1] -> (C, scale h, scale w): the whole image in one piece."""
    _, h, w = y.shape
    big_h, big_w = h * scale, w * scale
    down_h, down_w = resample_matrix(big_h, h, MODEL_FILTER), resample_matrix(big_w, w, MODEL_FILTER)
    up_h, up_w = resample_matrix(h, big_h, MODEL_FILTER), resample_matrix(w, big_w, MODEL_FILTER)
    x = up_h @ y @ up_w.T  # (C, H, W): Lanczos-3
    previous = x
    step = np.float32(config.tv_step)
    for _ in range(config.iterations):
        z = x + np.float32(config.momentum) * (x - previous)
        previous = x
        residual = y - down_h @ z @ down_w.T  # (C, h, w): what the current guess gets wrong, seen small
        x = z + up_h @ residual @ up_w.T - step * tv_gradient(z, config.tv_epsilon)
        np.clip(x, 0.0, 1.0, out=x)  # and onto the valid intensities
    return x


def _ramp(n: int, overlap: int, lead: bool, trail: bool) -> np.ndarray:
    """Blend weight along one side of a tile: rising over the overlap on sides shared with a neighbour."""
    r = np.ones(n, np.float32)
    k = min(overlap, n // 2)
    edge = (np.arange(k, dtype=np.float32) + 0.5) / k
    if lead and k:
        r[:k] = edge
    if trail and k:
        r[n - k:] = np.minimum(r[n - k:], edge[::-1])
    return r


def _starts(n: int, tile: int, overlap: int) -> list[int]:
    """Where tiles of `tile` samples start so that they cover n samples and neighbours share >= `overlap`."""
    if n <= tile:
        return [0]
    return [*range(0, n - tile, tile - overlap), n - tile]


def _ibp_tv_tiled(y: np.ndarray, scale: int, config: IbpTvConfig,
                  on_progress: Callable[[float], None]) -> np.ndarray:
    """ibp_tv in overlapping tiles of at most TILE_OUT_PX result pixels a side, blended with linear ramps over the
    overlap. Back-projection and TV are local, so away from the tile borders a tile's result is the whole image's."""
    _, h, w = y.shape
    tile = max(TILE_OUT_PX // scale, 2 * TILE_OVERLAP_PX + 1)
    if h <= tile and w <= tile:
        return ibp_tv(y, scale, config)
    out = np.zeros((y.shape[0], h * scale, w * scale), np.float32)
    weight = np.zeros((h * scale, w * scale), np.float32)
    windows = [(y0, min(y0 + tile, h), x0, min(x0 + tile, w)) for y0 in _starts(h, tile, TILE_OVERLAP_PX)
               for x0 in _starts(w, tile, TILE_OVERLAP_PX)]
    for i, (y0, y1, x0, x1) in enumerate(windows):
        part = ibp_tv(np.ascontiguousarray(y[:, y0:y1, x0:x1]), scale, config)
        overlap = TILE_OVERLAP_PX * scale
        wy = _ramp((y1 - y0) * scale, overlap, y0 > 0, y1 < h)
        wx = _ramp((x1 - x0) * scale, overlap, x0 > 0, x1 < w)
        wgt = wy[:, None] * wx[None, :]
        out[:, y0 * scale:y1 * scale, x0 * scale:x1 * scale] += part * wgt
        weight[y0 * scale:y1 * scale, x0 * scale:x1 * scale] += wgt
        on_progress((i + 1) / len(windows))
    return out / weight
