"""Model previews: a grid of samples from fixed seeds, shipped beside a generator's weights as <id>.preview.png.

    class-conditional  one row per class (the first MAX_CLASS_ROWS), PREVIEW_COLS columns: column c is seed c,
                       so reading down a column shows one latent drawn as every class
    unconditional      UNCONDITIONAL_ROWS x PREVIEW_COLS images from seeds 0, 1, 2, ... row by row

Every tile comes from models.generate.sample_one at truncation 1.0, the job API's own sampler, and the grid from
models.images.make_grid, so any tile can be drawn again alone: `atelier generate --model digits --class 7 --seed 3`.
The PNG's provenance names each tile's seed and class. Written by `atelier models preview ID` and by the GAN
trainer's --export; the registry (torch-free) notices the file and the API serves it.
"""

from __future__ import annotations

from pathlib import Path

import torch

from models.generate import sample_one
from models.images import encode_png, make_grid
from models.registry import ModelInfo, preview_path_for

PREVIEW_COLS = 8  # seeds per row
MAX_CLASS_ROWS = 10  # a model with more classes shows its first ten
UNCONDITIONAL_ROWS = 4
PREVIEW_TRUNCATION = 1.0  # full variety: the preview shows what the model really draws


def preview_tiles(info: ModelInfo) -> list[tuple[int, int | None]]:
    """(seed, class index or None) of every tile, row-major."""
    if info.classes:
        return [(seed, k) for k in range(min(len(info.classes), MAX_CLASS_ROWS)) for seed in range(PREVIEW_COLS)]
    return [(seed, None) for seed in range(UNCONDITIONAL_ROWS * PREVIEW_COLS)]


@torch.no_grad()
def render_preview(net: torch.nn.Module, info: ModelInfo, *, device: torch.device | str = "cpu") -> bytes:
    """The preview PNG of a loaded generator (see load_network)."""
    if info.kind != "generator":
        raise ValueError(f"model {info.id!r} is a {info.kind} model; previews are drawn by generators")
    tiles = preview_tiles(info)
    latent_dim = int(info.config["latent_dim"])
    pixels = [sample_one(net, seed=seed, class_index=k, truncation=PREVIEW_TRUNCATION, latent_dim=latent_dim,
                         device=device).pixels for seed, k in tiles]  # each (H, W) or (H, W, 3) uint8
    grid = make_grid(pixels, cols=PREVIEW_COLS)
    provenance = {"kind": "preview", "model": info.id, "model_version": info.version,
                  "truncation": PREVIEW_TRUNCATION, "cols": PREVIEW_COLS,
                  "images": [{"seed": seed, "class": info.classes[k] if k is not None else None} for seed, k in tiles]}
    return encode_png(grid, provenance)


def write_preview(net: torch.nn.Module, info: ModelInfo, *, out: Path | None = None,
                  device: torch.device | str = "cpu") -> Path:
    """Render and write the preview, by default beside the model's weights; returns its path."""
    if out is None and info.weights_path is None:
        raise ValueError(f"model {info.id!r} has no weights path; say where the preview goes")
    path = out or preview_path_for(info.weights_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_preview(net, info, device=device))
    return path
