"""Tiled against untiled: how far the tiled repair of a whole photo is from each network run on it in one piece,
and what memory a large photo takes — the `tiling` section of `atelier benchmark restore`.

Photos of any size run in overlapping tiles (models/tiling.py): each tile is padded by reflection and its border
blended away, so a tiled result differs from an untiled one only where a tile lacked context near its edges. The
comparison runs the shipped networks on whole held-out photos (up to 1024 px a side, so several tiles each) with the
service's tile sizes and with one tile covering the photo. The memory rows run the blind denoiser in a fresh
process per size (`python -m models.evaluation.restore_tiling probe ...`) and report its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from models import degrade, restore
from models.evaluation.report import markdown_table
from models.evaluation.restore_baselines import psnr
from models.quality import mask_scores_of
from models.tiling import tile_windows

LARGE_MEGAPIXELS = 24.0  # the issue asks for "at least 24 megapixels"


def _levels(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> tuple[float, float]:
    """(max, mean) absolute difference in 8-bit levels, over `where` (H, W) if given."""
    d = np.abs(a - b) * 255
    if where is not None:
        d = d[where]
    return float(d.max()), float(d.mean())


def compare(nets: dict[str, Any], photos: list[np.ndarray], names: list[str], seed: int) -> dict[str, Any]:
    """Per network and photo: tiled vs untiled, and each against the clean photo (the quality is the same)."""
    rows: dict[str, list[dict[str, Any]]] = {"denoise": [], "inpaint": [], "detect": []}
    for i, (name, photo) in enumerate(zip(names, photos)):
        clean = photo.astype(np.float32) / 255.0
        h, w = clean.shape[:2]
        whole = (max(h, w), 0)  # one tile covering the photo
        rng = lambda k: np.random.default_rng([seed, 11, k, i])  # noqa: E731
        if "denoise" in nets:
            noisy = degrade.gaussian_noise(clean, 25, rng(0))
            a = restore.denoise(nets["denoise"], noisy, sigma=None)
            b = restore.denoise(nets["denoise"], noisy, sigma=None, tiles=whole)
            rows["denoise"].append(_row(name, a, b, clean, None, restore.DENOISE_TILE, restore.DENOISE_OVERLAP,
                                        nets["denoise"].cfg.multiple))
        if "inpaint" in nets:
            hole = degrade.random_inpaint_mask(h, w, rng(1), kind="thick") > 0.5
            holed = np.where(hole[..., None], 0.0, clean).astype(np.float32)
            a = restore.inpaint(nets["inpaint"], holed, hole)
            b = restore.inpaint(nets["inpaint"], holed, hole, tiles=whole)
            rows["inpaint"].append(_row(name, a, b, clean, hole, restore.INPAINT_TILE, restore.INPAINT_OVERLAP,
                                        nets["inpaint"].cfg.multiple))
        if "detect" in nets:
            damaged, truth = degrade.old_photo_damage(clean, rng(2))
            a = restore.detect(nets["detect"], damaged)
            b = restore.detect(nets["detect"], damaged, tiles=whole)
            tiles = _tile_count(h, w, restore.DETECT_TILE, restore.DETECT_OVERLAP, nets["detect"].cfg.multiple)
            rows["detect"].append({"photo": name, "size": (w, h), "tiles": tiles, "differ": float((a != b).mean()),
                                   "f1_tiled": mask_scores_of(a, truth > 0)["f1"],
                                   "f1_untiled": mask_scores_of(b, truth > 0)["f1"]})
    return {k: v for k, v in rows.items() if v}


def _tile_count(h: int, w: int, tile: int, overlap: int, align: int) -> int:
    return len(list(tile_windows(h, w, tile, overlap, align)))


def _row(name: str, tiled: np.ndarray, whole: np.ndarray, clean: np.ndarray, where: np.ndarray | None, tile: int,
         overlap: int, align: int) -> dict[str, Any]:
    h, w = clean.shape[:2]
    most, mean = _levels(tiled, whole, where)
    return {"photo": name, "size": (w, h), "tiles": _tile_count(h, w, tile, overlap, align), "max": most, "mean": mean,
            "psnr_between": psnr(whole, tiled, where), "psnr_tiled": psnr(clean, tiled, where),
            "psnr_untiled": psnr(clean, whole, where)}


# ---------------------------------------------------------------------------------------------- memory

def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe(weights: Path, megapixels: float, how: str, threads: int) -> dict[str, float]:
    """In this (fresh) process: the blind denoiser on a synthetic noisy photo of `megapixels`, tiled as the service
    runs it or in one piece. Peak resident memory is measured from just before the run (the high-water mark is
    reset where Linux allows it), so it counts the network's working memory and the result, not the loading."""
    import torch

    from models.checkpoint import load_network
    from models.registry import Registry

    torch.set_num_threads(threads)
    net = load_network(Registry([weights]).get("denoise"))
    w = int(round((megapixels * 1e6 * 1.5) ** 0.5))  # 3:2, as a camera's frame
    h = int(round(megapixels * 1e6 / w))
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    image = (0.5 + 0.25 * np.sin(x / 37.0)[..., None] * np.cos(y / 53.0)[..., None] * np.ones(3, np.float32))
    image = degrade.gaussian_noise(image.astype(np.float32), 25, np.random.default_rng(0))
    del x, y
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    before = _rss_mb("VmRSS")
    start = time.perf_counter()
    tiles = (restore.DENOISE_TILE, restore.DENOISE_OVERLAP) if how == "tiled" else (max(h, w), 0)
    restore.denoise(net, image, sigma=None, tiles=tiles)
    seconds = time.perf_counter() - start
    return {"megapixels": h * w / 1e6, "width": w, "height": h, "seconds": seconds,
            "image_mb": image.nbytes / 2**20, "peak_mb": _rss_mb("VmHWM") - before}


def memory_rows(weights: Path, large: float = LARGE_MEGAPIXELS, threads: int = 2) -> list[dict[str, Any]]:
    """A quarter of `large` and `large` megapixels tiled (memory grows only by the image buffers), and a quarter of
    `large` in one piece (the network's activations for the whole photo at once)."""
    rows = []
    for megapixels, how in ((large / 4, "tiled"), (large, "tiled"), (large / 4, "untiled")):
        out = subprocess.run([sys.executable, "-m", "models.evaluation.restore_tiling", "probe", "--weights",
                              str(weights), "--megapixels", str(megapixels), "--how", how, "--threads", str(threads)],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        rows.append({"how": how, **json.loads(out.stdout.strip().splitlines()[-1])})
    return rows


# ---------------------------------------------------------------------------------------------- report

def render(result: dict[str, Any]) -> list[str]:
    parts = ["### Tiled against untiled (any size)", "",
             "Whole held-out photos, each network run with the service's tiles (denoise / detect "
             f"{restore.DENOISE_TILE} px with {restore.DENOISE_OVERLAP} px overlaps, inpaint {restore.INPAINT_TILE} "
             f"px with {restore.INPAINT_OVERLAP}) and as one tile covering the photo; differences in 8-bit levels.", ""]
    compared = result.get("compare", {})
    size = lambda r: f"{r['size'][0]}x{r['size'][1]}"  # noqa: E731
    for task, title in (("denoise", "**denoise** (blind, Gaussian sigma 25)"),
                        ("inpaint", "**inpaint** (thick strokes; over the hole)")):
        if task in compared:
            parts += [title, "", markdown_table(
                ["photo", "size", "tiles", "max diff", "mean diff", "PSNR tiled vs untiled", "PSNR tiled",
                 "PSNR untiled"],
                [[r["photo"], size(r), str(r["tiles"]), f"{r['max']:.2f}", f"{r['mean']:.4f}",
                  f"{r['psnr_between']:.1f}", f"{r['psnr_tiled']:.2f}", f"{r['psnr_untiled']:.2f}"]
                 for r in compared[task]]), ""]
    if "detect" in compared:
        parts += ["**detect** (synthetic old-photo damage)", "", markdown_table(
            ["photo", "size", "tiles", "mask pixels that differ", "F1 tiled", "F1 untiled"],
            [[r["photo"], size(r), str(r["tiles"]), f"{r['differ']:.4%}", f"{r['f1_tiled']:.3f}",
              f"{r['f1_untiled']:.3f}"] for r in compared["detect"]]), ""]
    if result.get("memory"):
        parts += ["**Memory and time of a large photo** (blind denoise, a fresh process per row; peak resident "
                  "memory from just before the run, so it holds the working memory and the result, not the "
                  "input or the loaded network)", "", markdown_table(
                      ["how", "size", "megapixels", "image (float32)", "peak memory", "seconds", "s/MP"],
                      [[r["how"], f"{r['width']}x{r['height']}", f"{r['megapixels']:.1f}", f"{r['image_mb']:.0f} MB",
                        f"{r['peak_mb']:.0f} MB", f"{r['seconds']:.1f}", f"{r['seconds'] / r['megapixels']:.2f}"]
                       for r in result["memory"]]), ""]
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.evaluation.restore_tiling",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe", help="one memory row, in this process (memory_rows runs it in a fresh one)")
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--megapixels", type=float, required=True)
    p.add_argument("--how", choices=("tiled", "untiled"), default="tiled")
    p.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.weights, args.megapixels, args.how, args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
