"""models/restore.py: detection with a second pass on the reduced photo for large damage (`coarse_damage`).

The network here is a stand-in that marks red pixels, but only in pictures no larger than the reduced side, like a
detector that knows damage at one scale: whatever is found was found by the reduced pass."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from models import restore

SIDE = 256


class SeesOnlySmallPictures(torch.nn.Module):
    """Logits: red pixels damaged in a picture whose sides are at most SIDE, nothing in larger ones."""

    cfg = SimpleNamespace(multiple=16)

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[tuple[int, int]] = []

    def forward(self, t: torch.Tensor) -> torch.Tensor:  # (1, 3, h, w) in [0, 1] -> (1, 1, h, w)
        self.shapes.append(tuple(t.shape[-2:]))
        if max(t.shape[-2:]) > SIDE:
            return torch.full_like(t[:, :1], -10.0)
        return 20 * (t[:, :1] - t[:, 1:2] - 0.5)  # red (high R, low G): positive


def picture(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grey photo with a large red stain and a scatter of red 3x3 specks; returns (rgb, stain, specks)."""
    rgb = np.full((side, side, 3), 0.5, np.float32)
    stain = np.zeros((side, side), bool)
    stain[side // 4: side // 2, side // 4: side // 2] = True
    specks = np.zeros((side, side), bool)
    for y in range(3 * side // 5, side - 8, 40):
        for x in range(8, side - 8, 40):
            specks[y:y + 3, x:x + 3] = True
    rgb[stain | specks] = (1.0, 0.0, 0.0)
    return rgb, stain, specks


def test_the_reduced_pass_finds_a_large_stain_and_drops_its_small_finds():
    rgb, stain, specks = picture(768)
    net = SeesOnlySmallPictures()
    found = restore.detect(net, rgb, coarse_side=SIDE)
    assert (found & stain).sum() / stain.sum() > 0.95  # the stain, brought back to full size
    assert not (found & ~stain).any()  # the specks are one reduced pixel each: under the minimum area, dropped
    assert min(min(s) for s in net.shapes) == SIDE  # the reduced pass ran at the side asked for


def test_without_the_reduced_pass_nothing_is_found():
    rgb, _, _ = picture(768)
    assert not restore.detect(SeesOnlySmallPictures(), rgb, coarse_side=None).any()


def test_a_photo_close_to_the_reduced_side_gets_no_second_pass():
    """Below DETECT_COARSE_FROM x the side both passes would look at nearly the same picture."""
    side = int(restore.DETECT_COARSE_FROM * SIDE) - 16
    net = SeesOnlySmallPictures()
    assert not restore.detect(net, picture(side)[0], coarse_side=SIDE).any()
    assert all(s == (side, side) for s in net.shapes)  # one pass, one tile: nothing reduced


def test_the_minimum_area_is_counted_at_the_reduced_scale():
    """A stain of 64 x 64 reduced pixels (about 4,100) survives a minimum of 3,000 and is dropped at 4,500."""
    rgb, stain, _ = picture(768)  # the stain is 192 px a side, 64 reduced
    fn = lambda t: torch.sigmoid(SeesOnlySmallPictures()(t))  # noqa: E731
    kept = restore.coarse_damage(fn, rgb, side=SIDE, threshold=0.5, multiple=16, min_area=3000)
    dropped = restore.coarse_damage(fn, rgb, side=SIDE, threshold=0.5, multiple=16, min_area=4500)
    assert (kept & stain).sum() / stain.sum() > 0.95 and not dropped.any()


def test_progress_runs_to_the_end_once_and_never_back():
    seen: list[float] = []
    restore.detect(SeesOnlySmallPictures(), picture(768)[0], coarse_side=SIDE, on_progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and seen.count(1.0) == 1


def test_the_scale_benchmark_scores_both_ways_and_splits_recall_by_region_size():
    """models/evaluation/detect_scale.py: the stain (6% of the picture) is a large region, the specks small ones."""
    from models.evaluation import detect_scale

    rgb, stain, specks = picture(768)
    assert np.array_equal(detect_scale.large_regions((stain | specks).astype(np.float32)), stain)
    rows = {r["how"]: r for r in detect_scale.measure(SeesOnlySmallPictures(), {768: [(rgb, (stain | specks))]})}
    alone, both = rows["full size only"], rows["full size + reduced pass"]
    assert alone["recall"] == alone["f1"] == alone["recall_large"] == 0
    assert both["recall_large"] > 0.95 and both["recall_small"] == 0 and both["precision"] > 0.99
