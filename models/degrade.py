"""Seeded synthetic corruptions for training and benchmarking the restoration networks.

Every function takes clean float32 images (H, W, 3) in [0, 1] (or a size, for masks) and a
`numpy.random.Generator`, so the same seed always gives the same corruption. Masks are float32 (H, W) with
1 = damaged / missing, 0 = intact.

    noise      gaussian_noise, salt_and_pepper, film_grain, jpeg, random_noise (a training mixture)
    masks      stroke_mask (thin / thick), blob_mask, box_mask, random_inpaint_mask (coverage up to ~40%)
    old photo  old_photo_damage: scratches, dust and specks, blotches, tears / creases, then grain and JPEG,
               returned with the ground-truth mask of every pixel the damage changed
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

Rng = np.random.Generator


def quantize(img: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to 8 bits, like saving to a PNG does."""
    return (np.clip(img, 0.0, 1.0) * 255.0).round().astype(np.float32) / 255.0


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the first two axes (reflect borders); numpy only."""
    if sigma <= 0:
        return a.astype(np.float32)
    r = max(1, int(math.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    out = a.astype(np.float32)
    for axis in (0, 1):
        n = out.shape[axis]
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="symmetric")
        out = sum(w * np.take(padded, np.arange(i, i + n), axis=axis) for i, w in enumerate(k))
    return out


def luminance(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.299, 0.587, 0.114], np.float32)  # (H, W)


# ---------------------------------------------------------------------------------------------------- noise

def gaussian_noise(img: np.ndarray, sigma: float, rng: Rng, clip: bool = True) -> np.ndarray:
    """Additive white Gaussian noise; sigma on the 0-255 scale. clip=True also quantizes to 8 bits (a real file)."""
    noisy = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma / 255.0)
    return quantize(noisy) if clip else noisy.astype(np.float32)


def salt_and_pepper(img: np.ndarray, amount: float, rng: Rng, salt_ratio: float = 0.5) -> np.ndarray:
    """A fraction `amount` of pixels set to white (salt) or black (pepper), all channels alike."""
    h, w = img.shape[:2]
    u = rng.random((h, w), dtype=np.float32)
    out = img.astype(np.float32).copy()
    out[u < amount * salt_ratio] = 1.0
    out[(u >= amount * salt_ratio) & (u < amount)] = 0.0
    return out


def film_grain(img: np.ndarray, strength: float, rng: Rng, grain_size: float = 0.8, chroma: float = 0.3
               ) -> np.ndarray:
    """Spatially correlated, luminance-dependent grain. strength ~ the grain's standard deviation in mid-tones on
    the 0-255 scale; grain_size = blur sigma of the grain in pixels; chroma = share of per-channel grain."""
    h, w = img.shape[:2]
    mono = blur(rng.standard_normal((h, w), dtype=np.float32), grain_size)[..., None]  # (H, W, 1)
    colour = blur(rng.standard_normal((h, w, 3), dtype=np.float32), grain_size)  # (H, W, 3)
    g = (1 - chroma) * mono / max(float(mono.std()), 1e-6) + chroma * colour / max(float(colour.std()), 1e-6)
    lum = luminance(img)[..., None]
    weight = 0.3 + 2.8 * lum * (1 - lum)  # strongest in mid-tones, like silver halide grain; 1.0 at lum = 0.5
    return quantize(img + g * weight * np.float32(strength / 255.0))


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """Round trip through Pillow's JPEG encoder at `quality` (1-95), 4:2:0 chroma subsampling."""
    buf = io.BytesIO()
    Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8)).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0


def noise_level(noisy: np.ndarray, clean: np.ndarray) -> float:
    """Effective noise level of any corruption: RMS of the residual on the 0-255 scale."""
    return float(np.sqrt(np.mean((noisy - clean) ** 2)) * 255.0)


@dataclass(frozen=True)
class NoiseSpec:
    """What random_noise drew; `sigma` is the Gaussian sigma (0 when none), `level` the measured RMS level."""
    kind: str
    sigma: float
    level: float


def random_noise(img: np.ndarray, rng: Rng, max_sigma: float = 50.0) -> tuple[np.ndarray, NoiseSpec]:
    """A training mixture: half plain Gaussian (sigma uniform in 0-max_sigma), the rest impulse noise, film grain,
    JPEG, or Gaussian / grain followed by JPEG."""
    u = rng.random()
    if u < 0.5:
        sigma = float(rng.uniform(0, max_sigma))
        out, kind = gaussian_noise(img, sigma, rng), "gaussian"
    elif u < 0.6:
        sigma = 0.0
        out, kind = salt_and_pepper(img, float(rng.uniform(0.01, 0.2)), rng), "salt-pepper"
    elif u < 0.75:
        sigma = 0.0
        out = film_grain(img, float(rng.uniform(3, 30)), rng, float(rng.uniform(0.5, 1.5)), float(rng.uniform(0, 0.5)))
        kind = "grain"
    elif u < 0.85:
        sigma = 0.0
        out, kind = jpeg(img, int(rng.integers(10, 91))), "jpeg"
    else:
        sigma = float(rng.uniform(0, 30))
        first = (gaussian_noise(img, sigma, rng) if rng.random() < 0.5
                 else film_grain(img, float(rng.uniform(3, 20)), rng, float(rng.uniform(0.5, 1.5))))
        out, kind = jpeg(first, int(rng.integers(30, 91))), "noise+jpeg"
    return out, NoiseSpec(kind, sigma, noise_level(out, img))


# ---------------------------------------------------------------------------------------------------- masks

def _canvas(h: int, w: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    im = Image.new("L", (w, h), 0)
    return im, ImageDraw.Draw(im)


def _as_mask(im: Image.Image) -> np.ndarray:
    return (np.asarray(im, dtype=np.float32) > 127).astype(np.float32)


def _random_walk(h: int, w: int, rng: Rng, vertices: int, step: float) -> list[tuple[float, float]]:
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    angle = rng.uniform(0, 2 * math.pi)
    pts = [(x, y)]
    for _ in range(vertices):
        angle += rng.uniform(-1.0, 1.0)
        length = rng.uniform(0.4, 1.0) * step
        x = float(np.clip(x + length * math.cos(angle), 0, w - 1))
        y = float(np.clip(y + length * math.sin(angle), 0, h - 1))
        pts.append((x, y))
    return pts


def stroke_mask(h: int, w: int, rng: Rng, width: tuple[float, float], strokes: int = 4) -> np.ndarray:
    """Free-hand brush strokes (random walks) of a width drawn from `width` (pixels)."""
    im, d = _canvas(h, w)
    for _ in range(strokes):
        wid = max(1, int(round(rng.uniform(*width))))
        pts = _random_walk(h, w, rng, int(rng.integers(3, 10)), max(h, w) * rng.uniform(0.08, 0.25))
        d.line(pts, fill=255, width=wid, joint="curve")
        if wid > 3:
            r = wid / 2
            for x, y in pts:
                d.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return _as_mask(im)


def blob_mask(h: int, w: int, rng: Rng, blobs: int = 2, size: float = 0.2) -> np.ndarray:
    """Irregular blobs: smoothed random noise thresholded inside random ellipses; `size` ~ radius / image side."""
    im, d = _canvas(h, w)
    side = min(h, w)
    for _ in range(blobs):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rx, ry = side * size * rng.uniform(0.5, 1.5), side * size * rng.uniform(0.5, 1.5)
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    base = np.asarray(im, dtype=np.float32) / 255.0
    wobble = blur(rng.standard_normal((h, w), dtype=np.float32), max(1.0, side * size * 0.25))
    wobble /= max(float(np.abs(wobble).max()), 1e-6)
    return (blur(base, max(1.0, side * size * 0.2)) + 0.35 * wobble > 0.5).astype(np.float32)


def box_mask(h: int, w: int, rng: Rng, boxes: int = 1, size: tuple[float, float] = (0.15, 0.5)) -> np.ndarray:
    """Axis-aligned rectangles, sides drawn as fractions `size` of the image's sides."""
    m = np.zeros((h, w), np.float32)
    for _ in range(boxes):
        bh, bw = int(h * rng.uniform(*size)), int(w * rng.uniform(*size))
        y, x = int(rng.integers(0, max(1, h - bh))), int(rng.integers(0, max(1, w - bw)))
        m[y:y + bh, x:x + bw] = 1.0
    return m


MASK_KINDS = ("thin", "thick", "blob", "box")


def inpaint_mask(h: int, w: int, rng: Rng, kind: str) -> np.ndarray:
    """One mask of a given kind, sized relative to the image."""
    side = min(h, w)
    if kind == "thin":  # scratches and thin strokes, 1-4 px at a 256 px side
        return stroke_mask(h, w, rng, (1, max(2.0, side / 64)), strokes=int(rng.integers(2, 9)))
    if kind == "thick":
        return stroke_mask(h, w, rng, (side / 32, side / 10), strokes=int(rng.integers(1, 6)))
    if kind == "blob":
        return blob_mask(h, w, rng, blobs=int(rng.integers(1, 4)), size=float(rng.uniform(0.06, 0.22)))
    if kind == "box":
        return box_mask(h, w, rng, boxes=int(rng.integers(1, 3)), size=(0.1, 0.5))
    raise ValueError(f"unknown mask kind {kind!r}; known: {MASK_KINDS}")


def random_inpaint_mask(h: int, w: int, rng: Rng, kind: str | None = None, max_coverage: float = 0.4,
                        min_coverage: float = 0.01) -> np.ndarray:
    """A mask of the given (or a random) kind, or a mixture, covering between min_coverage and max_coverage of
    the image (thin strokes: at most 15% unless max_coverage is lower). Parts are added until a coverage drawn
    uniformly in that range is reached; a part that would go over max_coverage is skipped."""
    kinds = [kind] if kind else list(MASK_KINDS)
    limit = min(max_coverage, 0.15) if kind == "thin" else max_coverage
    target = rng.uniform(min_coverage, limit)
    m = np.zeros((h, w), np.float32)
    for _ in range(12):
        part = np.maximum(m, inpaint_mask(h, w, rng, kinds[int(rng.integers(len(kinds)))]))
        if part.mean() <= limit:
            m = part
        if m.mean() >= target:
            break
    if m.mean() < min_coverage:  # tiny images: make sure the hole is not empty
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        m[y, x] = 1.0
    return m


# ---------------------------------------------------------------------------------------------------- old photos

VISIBLE_CHANGE = 0.06  # damage that changes no channel of a pixel by more than this (0-1 scale) is not marked

def _draw_alpha(h: int, w: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    im = Image.new("L", (w, h), 0)
    return im, ImageDraw.Draw(im)


def _scratches(h: int, w: int, rng: Rng, n: int) -> np.ndarray:
    """Long thin curves, mostly along one direction (film running through a projector, or a scraped print)."""
    im, d = _draw_alpha(h, w)
    vertical = rng.random() < 0.7
    for _ in range(n):
        length = max(h, w) * rng.uniform(0.3, 1.2)
        t = np.linspace(0, 1, 24)
        wiggle = np.cumsum(rng.normal(0, 1.0, 24)) * rng.uniform(0.2, 1.5)
        a0 = rng.uniform(0, w if vertical else h)
        start = rng.uniform(-0.2, 0.8) * (h if vertical else w)
        tilt = rng.uniform(-0.15, 0.15) * length
        along = start + t * length
        across = a0 + t * tilt + wiggle
        pts = list(zip(across, along)) if vertical else list(zip(along, across))
        d.line([(float(x), float(y)) for x, y in pts], fill=int(rng.uniform(160, 255)), width=int(rng.integers(1, 4)))
    return np.asarray(im, dtype=np.float32) / 255.0


def _specks(h: int, w: int, rng: Rng, n: int) -> np.ndarray:
    im, d = _draw_alpha(h, w)
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.6, 3.5) * max(1.0, min(h, w) / 256)
        if rng.random() < 0.3:  # a hair / fibre
            pts = _random_walk(h, w, rng, 4, r * 4)
            pts = [(x + px - pts[0][0], y + py - pts[0][1]) for px, py in pts]
            d.line(pts, fill=255, width=1)
        else:
            d.ellipse((x - r, y - r * rng.uniform(0.6, 1.4), x + r, y + r), fill=255)
    return np.asarray(im, dtype=np.float32) / 255.0


def _tears(h: int, w: int, rng: Rng, n: int) -> np.ndarray:
    """Jagged creases / tears running from an edge into the picture."""
    im, d = _draw_alpha(h, w)
    for _ in range(n):
        edge = int(rng.integers(4))
        x, y = [(rng.uniform(0, w), 0.0), (rng.uniform(0, w), h - 1.0), (0.0, rng.uniform(0, h)),
                (w - 1.0, rng.uniform(0, h))][edge]
        angle = [math.pi / 2, -math.pi / 2, 0.0, math.pi][edge] + rng.uniform(-0.6, 0.6)
        pts = [(x, y)]
        for _ in range(int(rng.integers(6, 16))):
            angle += rng.uniform(-0.5, 0.5)
            step = max(h, w) * rng.uniform(0.02, 0.06)
            x, y = x + step * math.cos(angle), y + step * math.sin(angle)
            pts.append((x, y))
        d.line(pts, fill=255, width=int(rng.integers(2, 7)), joint="curve")
    return np.asarray(im, dtype=np.float32) / 255.0


def old_photo_damage(img: np.ndarray, rng: Rng, *, grain: bool = True, compress: bool = True,
                     visible: float = VISIBLE_CHANGE) -> tuple[np.ndarray, np.ndarray]:
    """Damage a clean photo like an old print: scratches, dust and specks, blotches, tears, then (optionally)
    film grain and JPEG. Returns (damaged, mask): mask = 1 wherever a scratch, speck, blotch or tear changed a
    channel by more than `visible` (0-1 scale; damage drawn over a same-coloured area is invisible and is not
    marked). Each damage layer changes an unmarked pixel by at most `visible`; grain and JPEG are everywhere
    and not in the mask."""
    damaged, mask, _ = graded_old_photo_damage(img, rng, grain=grain, compress=compress, visible=visible)
    return damaged, mask


def graded_old_photo_damage(img: np.ndarray, rng: Rng, *, grain: bool = True, compress: bool = True,
                            visible: float = VISIBLE_CHANGE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """old_photo_damage (the same random draws, so the same damage) and how strong it is: (damaged, mask,
    change), change (H, W) = the largest channel change the damage layers made to each pixel before grain and
    JPEG (0-1 scale). A detector's loss can weigh faint damage (a pale stain on a light wall) by it."""
    h, w = img.shape[:2]
    out = img.astype(np.float32).copy()
    mask = np.zeros((h, w), np.float32)

    def paint(alpha: np.ndarray, colour: np.ndarray) -> None:
        nonlocal mask
        a = alpha[..., None]
        change = a * (colour - out)  # (H, W, 3)
        np.add(out, change, out=out)
        mask = np.maximum(mask, (np.abs(change).max(axis=2) > visible).astype(np.float32))

    def tone(bright: bool) -> np.ndarray:
        v = rng.uniform(0.85, 1.0) if bright else rng.uniform(0.0, 0.2)
        return np.array([v, v * rng.uniform(0.93, 1.0), v * rng.uniform(0.82, 1.0)], np.float32)  # paper-ish

    if rng.random() < 0.8:
        paint(_scratches(h, w, rng, int(rng.integers(1, 8))) * rng.uniform(0.6, 1.0), tone(rng.random() < 0.7))
    if rng.random() < 0.8:
        n = int(rng.integers(5, 40) * max(1.0, h * w / 256 ** 2))
        paint(_specks(h, w, rng, n) * rng.uniform(0.7, 1.0), tone(rng.random() < 0.5))
    if rng.random() < 0.4:
        alpha = blur(blob_mask(h, w, rng, blobs=int(rng.integers(1, 3)), size=float(rng.uniform(0.04, 0.15))), 1.5)
        stain = np.array([rng.uniform(0.5, 0.9), rng.uniform(0.4, 0.75), rng.uniform(0.2, 0.5)], np.float32)
        paint(alpha * rng.uniform(0.5, 0.9), stain if rng.random() < 0.6 else tone(True))
    if rng.random() < 0.3:
        paint(_tears(h, w, rng, int(rng.integers(1, 3))), tone(True))
    if mask.sum() == 0:  # some damage to find: dark specks on light areas, light ones on dark areas
        paint(_specks(h, w, rng, 3), tone(bool(luminance(img).mean() < 0.5)))
    change = np.abs(out - img).max(axis=2)
    if grain and rng.random() < 0.7:
        out = film_grain(out, float(rng.uniform(2, 15)), rng, float(rng.uniform(0.5, 1.2)), 0.1)
    if compress and rng.random() < 0.5:
        out = jpeg(out, int(rng.integers(40, 91)))
    return quantize(out), mask, change
