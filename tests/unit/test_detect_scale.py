"""models/evaluation/detect_scale.py: detection scored per picture size, recall split by the size of the regions.

The network is a stand-in that marks red pixels: what it finds is known exactly."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from models.evaluation import detect_scale


class MarksRed(torch.nn.Module):
    cfg = SimpleNamespace(multiple=16)

    def forward(self, t: torch.Tensor) -> torch.Tensor:  # (1, 3, h, w) in [0, 1] -> logits (1, 1, h, w)
        return 20 * (t[:, :1] - t[:, 1:2] - 0.5)  # red (high R, low G): positive


def picture(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grey with a red stain (a 16th of the picture) and a row of 3x3 specks, the stain red and the specks grey on
    the photo: a detector of red finds the stain and misses the specks. Returns (rgb, stain, specks)."""
    rgb = np.full((side, side, 3), 0.5, np.float32)
    stain = np.zeros((side, side), bool)
    stain[side // 4: side // 2, side // 4: side // 2] = True
    specks = np.zeros((side, side), bool)
    for x in range(8, side - 8, 40):
        specks[side - 20: side - 17, x: x + 3] = True
    rgb[stain] = (1.0, 0.0, 0.0)
    rgb[specks] = 0.2
    return rgb, stain, specks


def test_large_regions_are_those_covering_half_a_percent_of_the_picture():
    _, stain, specks = picture(200)
    assert np.array_equal(detect_scale.large_regions((stain | specks).astype(np.float32)), stain)


def test_rows_per_side_with_recall_split_by_region_size():
    damage = {side: [(rgb, (stain | specks).astype(np.float32))] for side in (96, 192)
              for rgb, stain, specks in [picture(side)]}
    rows = detect_scale.measure(MarksRed(), damage)
    assert [r["side"] for r in rows] == [96, 192]
    for r in rows:
        assert r["recall_large"] == 1.0 and r["recall_small"] == 0.0 and r["precision"] == 1.0
        assert 0 < r["recall"] < 1 and abs(r["f1"] - 2 * r["recall"] / (1 + r["recall"])) < 1e-6
    assert "| 192 |" in "\n".join(detect_scale.render(rows))
