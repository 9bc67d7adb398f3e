"""models/restore.py: self_ensemble — the 8 flips and rotations of a tile, each turned back, averaged."""

from __future__ import annotations

import numpy as np
import torch

from models import restore
from models.restore import self_ensemble


def test_an_orientation_blind_function_is_unchanged():
    """Per-pixel work looks the same from every side: turning back each of the 8 results gives 8 copies."""
    t = torch.rand(1, 3, 16, 24)
    assert torch.allclose(self_ensemble(lambda x: x * 2 + 1)(t), t * 2 + 1, atol=1e-6)


def test_each_orientation_is_turned_back_before_the_mean():
    """A function that looks at its left neighbour: the mean over the 8 orientations is the mean over the 4
    neighbours (each direction comes up twice), so a wrong inverse transform would show."""
    t = torch.rand(1, 1, 12, 12)
    left = lambda x: torch.roll(x, 1, dims=3)  # noqa: E731 — pixel (y, x) takes (y, x-1)
    got = self_ensemble(left)(t)
    want = sum(torch.roll(t, s, dims=d) for d in (2, 3) for s in (1, -1)) / 4
    assert torch.allclose(got, want, atol=1e-6)


def test_the_tile_function_sees_all_eight_distinct_orientations_of_a_non_square_tile():
    seen = []

    def record(x: torch.Tensor) -> torch.Tensor:
        seen.append(x.clone())
        return x

    t = torch.arange(2 * 3, dtype=torch.float32).view(1, 1, 2, 3)
    out = self_ensemble(record)(t)
    assert torch.equal(out, t)
    assert len(seen) == 8 and len({tuple(s.flatten().tolist()) + tuple(s.shape) for s in seen}) == 8
    assert {tuple(s.shape[-2:]) for s in seen} == {(2, 3), (3, 2)}


def test_restore_functions_take_the_ensemble_and_keep_their_contracts():
    """Through the tiler with a real (untrained) U-Net: sizes kept, inpainting leaves the outside untouched."""
    from models.networks.restore_unet import build, tiny_config

    rng = np.random.default_rng(0)
    rgb = rng.random((37, 53, 3), dtype=np.float32)
    mask = np.zeros((37, 53), bool)
    mask[10:20, 5:30] = True
    den = build(tiny_config("denoise")).eval()
    assert restore.denoise(den, rgb, sigma=None, ensemble=True).shape == rgb.shape
    det = build(tiny_config("detect")).eval()
    assert restore.detect(det, rgb, ensemble=True).shape == (37, 53)
    inp = build(tiny_config("inpaint")).eval()
    out = restore.inpaint(inp, rgb, mask, ensemble=True)
    assert np.array_equal(out[~mask], rgb[~mask])
