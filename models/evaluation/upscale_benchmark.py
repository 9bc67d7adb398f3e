"""Upscaling against plain resampling, in one run: `atelier benchmark upscale`.

Real images at a known higher resolution are needed to score an upscaler, and our sets are small (emoji: RGB 64 px,
calligraphy: grey 64 px, fashion: grey 28 px; the cached sets of models.datasets), so each held-out image (never
trained on) is reduced by 4 (64 -> 16, 28 -> 7) and upscaled back by 4 with nearest, bicubic, Lanczos and ours
(`ibp-tv`, models/upscale.py), then compared with the real image: PSNR and SSIM (scikit-image, over the whole
image, all channels). The same at x2 (64 -> 32 -> 64, 28 -> 14 -> 28).

Two reductions: Pillow's antialiased Lanczos-3, the filter that made the sets' 64-pixel images from their
renderings and the one `ibp-tv` assumes — and an area average (box filter), which `ibp-tv` does not assume: the
second table shows what a wrong guess of the reduction costs.

Speed: milliseconds per image of every method at the size the studio uses, x4 of the real images (64 -> 256,
28 -> 112): wall clock (median over the images) and process CPU time.

Writes the `## Upscaling` section of docs/BENCHMARKS.md and two figures of the 64-pixel sets (emoji, calligraphy):
docs/images/upscale-compare.png (input, nearest, bicubic, ours, real, for the image of each set whose gain over
bicubic is the median of its set — not the best) and docs/images/upscale-studio.png (the real images x4, 64 -> 256,
as the studio does it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from models import upscale as up
from models.data import DEFAULT_DATA_DIR, REPO_ROOT
from models.datasets import load_dataset
from models.entrypoint import module_main
from models.evaluation.report import machine, write_section

log = logging.getLogger(__name__)

SECTION = "## Upscaling"
SETS = ("emoji", "calligraphy", "fashion")
METHODS = ("nearest", "bicubic", "lanczos", up.METHOD)
REDUCTIONS = ("lanczos", "area")
FIGURE_TILE = 192  # about the side of each panel of upscale-compare.png, in pixels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of the fetched art sets (`atelier data fetch`)")
    a("--sets", nargs="+", choices=SETS, default=list(SETS), help="which sets' held-out images")
    a("--limit", type=int, default=1500, help="at most this many held-out images per set, evenly spaced (0 = all; "
      "emoji has 207, calligraphy 1,422, fashion 10,000)")
    a("--scales", nargs="+", type=int, choices=[2, 4], default=[4, 2], help="reduce and upscale by these factors")
    a("--timing-images", type=int, default=20, help="64 -> 256 timings: this many images per set")
    a("--benchmarks-md", type=Path, default=REPO_ROOT / "docs/BENCHMARKS.md", help="file whose section is updated")
    a("--figures-dir", type=Path, default=REPO_ROOT / "docs/images", help="where the comparison figures go")
    a("--no-write", action="store_true", help="print the tables only; touch no file")


# ---------------------------------------------------------------- measuring


def held_out(name: str, data_dir: Path, limit: int) -> np.ndarray:
    """(N, 64, 64[, 3]) uint8 held-out images of a set; `limit` > 0 keeps that many, evenly spaced (no seed)."""
    images = load_dataset(name, data_dir).reference().images
    if 0 < limit < len(images):
        images = images[np.linspace(0, len(images) - 1, limit).round().astype(int)]
    return images


def reduce(image: np.ndarray, scale: int, how: str) -> np.ndarray:
    """The small image a method gets: `lanczos` is up.downscale (what ibp-tv assumes); `area` is a box average."""
    if how == "lanczos":
        return up.downscale(image, scale)
    h, w = image.shape[:2]
    box = image.reshape(h // scale, scale, w // scale, scale, *image.shape[2:]).astype(np.float64).mean(axis=(1, 3))
    return np.rint(box).astype(np.uint8)


def scores(real: np.ndarray, guess: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    channel = -1 if real.ndim == 3 else None
    return (float(peak_signal_noise_ratio(real, guess, data_range=255)),
            float(structural_similarity(real, guess, data_range=255, channel_axis=channel)))


def measure_quality(images: np.ndarray, scale: int, how: str) -> dict[str, Any]:
    """Mean PSNR / SSIM of every method over the images, and each image's PSNR gain of ours over bicubic."""
    psnr = {m: [] for m in METHODS}
    ssim = {m: [] for m in METHODS}
    for real in images:
        small = reduce(real, scale, how)
        for m in METHODS:
            p, s = scores(real, up.upscale(small, scale, m))
            psnr[m].append(p)
            ssim[m].append(s)
    gain = np.asarray(psnr[up.METHOD]) - np.asarray(psnr["bicubic"])
    return {"n": len(images), "psnr": {m: float(np.mean(v)) for m, v in psnr.items()},
            "ssim": {m: float(np.mean(v)) for m, v in ssim.items()}, "gain": gain,
            "better": float(np.mean(gain > 0))}


def measure_speed(images: np.ndarray, scale: int = 4) -> dict[str, dict[str, float]]:
    """Per method: median wall-clock ms and mean process CPU ms per image, upscaling the real images by `scale`."""
    up.upscale(images[0], scale)  # first call builds the resampling matrices; not counted
    out = {}
    for m in METHODS:
        walls = []
        cpu0 = time.process_time()
        for image in images:
            t0 = time.perf_counter()
            up.upscale(image, scale, m)
            walls.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
        out[m] = {"wall_ms": 1000 * float(np.median(walls)), "cpu_ms": 1000 * cpu / len(images)}
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"quality": {}, "speed": {}, "images": {}}
    for name in args.sets:
        images = held_out(name, args.data_dir, args.limit)
        results["images"][name] = images
        for scale in args.scales:
            for how in REDUCTIONS:
                started = time.perf_counter()
                results["quality"][(name, scale, how)] = measure_quality(images, scale, how)
                log.info("%s x%d (%s reduction): %d images in %.1f s", name, scale, how, len(images),
                         time.perf_counter() - started)
        results["speed"][name] = measure_speed(images[: max(1, args.timing_images)])
    return results


# ---------------------------------------------------------------- the report


def _table(head: list[str], rows: list[list[str]]) -> str:
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"  # numbers right-aligned
    lines = ["| " + " | ".join(head) + " |", rule]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _command(args: argparse.Namespace) -> str:
    threads = os.environ.get("OMP_NUM_THREADS")  # numpy's BLAS threads, which the timings depend on
    parts = [f"OMP_NUM_THREADS={threads} " if threads else "", "atelier benchmark upscale"]
    if list(args.sets) != list(SETS):
        parts.append("--sets " + " ".join(args.sets))
    if args.limit != 1500:
        parts.append(f"--limit {args.limit}")
    if list(args.scales) != [4, 2]:
        parts.append("--scales " + " ".join(map(str, args.scales)))
    if args.timing_images != 20:
        parts.append(f"--timing-images {args.timing_images}")
    return parts[0] + " ".join(parts[1:])


def _quality_table(results: dict[str, Any], sets: list[str], scales: list[int], how: str) -> str:
    head = ["method"] + [f"{name} x{s} PSNR / SSIM" for s in scales for name in sets]
    rows = []
    for m in METHODS:
        cells = []
        for s in scales:
            for name in sets:
                q = results["quality"][(name, s, how)]
                cell = f"{q['psnr'][m]:.2f} / {q['ssim'][m]:.4f}"
                cells.append(f"**{cell}**" if m == up.METHOD else cell)
        rows.append([f"**ours ({m})**" if m == up.METHOD else m] + cells)
    gains = []
    for s in scales:
        for name in sets:
            q = results["quality"][(name, s, how)]
            gains.append(f"{q['psnr'][up.METHOD] - q['psnr']['bicubic']:+.2f} dB / "
                         f"{q['ssim'][up.METHOD] - q['ssim']['bicubic']:+.4f}, better on {q['better']:.0%}")
    rows.append(["ours − bicubic"] + gains)
    return _table(head, rows)


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def section(results: dict[str, Any], args: argparse.Namespace) -> str:
    sets, scales = list(args.sets), list(args.scales)
    counts = ", ".join(f"{results['quality'][(n, scales[0], 'lanczos')]['n']} {n}" for n in sets)
    cfg = up.IbpTvConfig()
    parts = [
        SECTION, "",
        f"Ours: `{up.METHOD}` v{up.METHOD_VERSION} (models/upscale.py) — Lanczos-3, then {cfg.iterations} steps of "
        "iterative back-projection (Irani & Peleg 1991) with a vectorial total-variation prior (Rudin, Osher & "
        "Fatemi 1992; Blomgren & Chan 1998), heavy-ball momentum and values kept in range. Classical: no network, "
        "no training; what the `upscale` job and `atelier upscale` run.",
        "",
        f"Held-out images of the sets (never trained on; at most {args.limit or 'all'} per set, evenly spaced): "
        f"{counts}. There is no real image larger than the sets' own (64 px; fashion 28 px), so each real image is "
        "reduced by the scale (x4: 64 → 16, 28 → 7; x2: 64 → 32, 28 → 14), upscaled back by every method and "
        "compared with itself (PSNR in dB and SSIM over the whole image, all channels; higher is better). Plain "
        "filters are Pillow's. The last row says by how much ours beats bicubic on average and on what share of "
        "the images.",
        "",
        "**Reduced with Pillow's antialiased Lanczos-3** (the filter that made the sets' 64-pixel images, and the "
        "reduction ours assumes):",
        "",
        _quality_table(results, sets, scales, "lanczos"),
        "",
        "**Reduced by an area average** (a box filter, which ours does not assume):",
        "",
        _quality_table(results, sets, scales, "area"),
        "",
        "![the reduced input x4: nearest, bicubic, ours, and the real image](images/upscale-compare.png)",
        "",
        "Above: the reduced input → x4, beside the real image, for the emoji and the glyph whose gain over bicubic "
        "is the median of their set (not the best). Below: the real 64-pixel images → 256 as the studio does it; "
        "there is no ground truth at that size.",
        "",
        "![64 → 256: nearest, bicubic, ours](images/upscale-studio.png)",
        "",
        f"**Speed**, x4 of {args.timing_images} real images per set (64 → 256, 28 → 112), one process; "
        "milliseconds per image (wall: median; CPU: process time, which a busy shared machine does not inflate):",
        "",
    ]
    head = ["method"] + [f"{name} ({'RGB' if results['images'][name].ndim == 4 else 'grey'}) wall / CPU ms"
                         for name in sets]
    rows = [[m] + [f"{_ms(results['speed'][n][m]['wall_ms'])} / {_ms(results['speed'][n][m]['cpu_ms'])}"
                   for n in sets] for m in METHODS]
    parts += [_table(head, rows), "",
              f"- Command: `{_command(args)}`",
              f"- Date: {date.today().isoformat()}",
              f"- Machine: {machine()}", ""]
    return "\n".join(parts)


# ---------------------------------------------------------------- figures


def _panel(image: np.ndarray, label: str, side: int) -> Image.Image:
    """An image enlarged (or shown) at side x side with square pixels, under a one-line label."""
    rgb = Image.fromarray(image).convert("RGB").resize((side, side), Image.Resampling.NEAREST)
    panel = Image.new("RGB", (side, side + 18), (255, 255, 255))
    panel.paste(rgb, (0, 18))
    ImageDraw.Draw(panel).text((2, 3), label, fill=(20, 20, 20))
    return panel


def _sheet(rows: list[list[Image.Image]], gap: int = 6) -> Image.Image:
    """Panels in a grid of equal cells (the largest panel's size), each at the top left of its cell."""
    w = max(p.width for row in rows for p in row)
    h = max(p.height for row in rows for p in row)
    sheet = Image.new("RGB", (len(rows[0]) * (w + gap) + gap, len(rows) * (h + gap) + gap), (255, 255, 255))
    for r, row in enumerate(rows):
        for c, panel in enumerate(row):
            sheet.paste(panel, (gap + c * (w + gap), gap + r * (h + gap)))
    return sheet


def median_gain_index(gain: np.ndarray) -> int:
    """The image whose gain of ours over bicubic is the median of its set."""
    return int(np.argsort(gain)[len(gain) // 2])


SHOWN = (("nearest", "nearest"), ("bicubic", "bicubic"), (up.METHOD, f"ours ({up.METHOD})"))


def write_figures(results: dict[str, Any], sets: list[str], folder: Path, scale: int = 4) -> list[Path]:
    """upscale-compare.png: small input -> x`scale` beside the real image (each panel FIGURE_TILE px, square
    pixels). upscale-studio.png: the real image -> x`scale`, results one to one (a set's row at its own size)."""
    folder.mkdir(parents=True, exist_ok=True)
    compare, use = [], []
    shown = [n for n in sets if results["images"][n].shape[1] >= 64] or sets  # 7-pixel fashion inputs show nothing
    for name in shown:
        images = results["images"][name]
        real = images[median_gain_index(results["quality"][(name, scale, "lanczos")]["gain"])]
        small = reduce(real, scale, "lanczos")
        tile = real.shape[1] * max(1, round(FIGURE_TILE / real.shape[1]))  # whole-number enlargement
        row = [_panel(small, f"{name}: input {small.shape[1]} px", tile)]
        for m, label in SHOWN:
            guess = up.upscale(small, scale, m)
            row.append(_panel(guess, f"{label} {scores(real, guess)[0]:.1f} dB", tile))
        compare.append(row + [_panel(real, f"real {real.shape[1]} px", tile)])
        side = real.shape[1] * scale
        use.append([_panel(real, f"{name}: input {real.shape[1]} px", side)]
                   + [_panel(up.upscale(real, scale, m), f"{label} x{scale}", side) for m, label in SHOWN])
    paths = [folder / "upscale-compare.png", folder / "upscale-studio.png"]
    _sheet(compare).save(paths[0], optimize=True)
    _sheet(use).save(paths[1], optimize=True)
    return paths


def run(args: argparse.Namespace) -> int:
    results = measure(args)
    text = section(results, args)
    print(text)
    if not args.no_write:
        write_section(args.benchmarks_md, SECTION, text)
        for path in write_figures(results, list(args.sets), args.figures_dir):
            log.info("wrote %s", path)
        log.info("updated %s", args.benchmarks_md)
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.evaluation.upscale_benchmark",
                       description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
