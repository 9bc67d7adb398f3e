"""models/restore.py: blind denoising in two passes — the level read off a first blind pass, then given.

The mechanics with stand-in networks whose blind pass removes exactly what we choose; the shipped network's
estimates and gains are in test_shipped_repair_models.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models import restore


class Recorder(torch.nn.Module):
    """Blind: returns `blind_out(x)`; with a level: records it and returns x. cfg.multiple as the real U-Net's."""

    class cfg:  # noqa: N801 - mimics RestoreUNetConfig's one attribute the tiler reads
        multiple = 16

    def __init__(self, blind_out) -> None:
        super().__init__()
        self.blind_out = blind_out
        self.levels: list[float] = []
        self.blind_pixels = 0

    def forward(self, x: torch.Tensor, sigma=None) -> torch.Tensor:
        if sigma is None:
            self.blind_pixels += x.shape[-1] * x.shape[-2]
            return self.blind_out(x)
        self.levels.append(float(sigma))
        return x


def test_the_level_is_the_rms_of_what_the_blind_pass_removes_on_the_0_255_scale():
    rgb = np.full((64, 80, 3), 0.5, np.float32)
    net = Recorder(lambda x: x - 10 / 255)  # removes 10 levels everywhere
    out = restore.denoise(net, rgb, sigma=None)
    assert net.levels and all(level == pytest.approx(10.0, rel=1e-4) for level in net.levels)
    assert np.array_equal(out, rgb)  # the second pass (here: identity) is what comes back


def test_elements_near_black_or_white_do_not_count_when_enough_others_remain():
    """Where the noise was clipped the blind pass removes less; those elements would pull the level down."""
    rgb = np.full((64, 64, 3), 0.5, np.float32)
    rgb[:, :40] = 1.0  # most of the photo white
    residual = torch.zeros(1, 3, 64, 64)
    residual[..., :, 40:] = 12 / 255  # the mid-grey part: 12 levels removed
    residual[..., :, :40] = 3 / 255  # the white part: clipped noise, little removed
    net = Recorder(lambda x: x - residual[..., : x.shape[-2], : x.shape[-1]])
    assert restore.estimate_noise_level(net, rgb) == pytest.approx(12.0, rel=1e-4)
    # ...but a photo (almost) all white still gets a level from all its elements
    white = np.ones((32, 32, 3), np.float32)
    net = Recorder(lambda x: x - 3 / 255)
    assert restore.estimate_noise_level(net, white) == pytest.approx(3.0, rel=1e-4)


def test_a_given_sigma_or_estimate_false_runs_one_pass():
    rgb = np.random.default_rng(0).random((40, 40, 3), dtype=np.float32)
    net = Recorder(lambda x: x * 0.5)
    restore.denoise(net, rgb, sigma=20.0)
    assert net.levels == [20.0] and net.blind_pixels == 0
    net = Recorder(lambda x: x * 0.5)
    one = restore.denoise(net, rgb, sigma=None, estimate=False)
    assert net.levels == [] and np.allclose(one, (rgb * 0.5).clip(0, 1), atol=1e-6)


def test_large_photos_are_estimated_on_a_sample_of_about_a_megapixel():
    side = restore.ESTIMATE_SIDE * restore.ESTIMATE_GRID
    assert restore._estimate_windows(side, side) == [(0, side, 0, side)]  # up to a megapixel: all of it
    h, w = 3000, 4500
    windows = restore._estimate_windows(h, w)
    assert len(windows) == restore.ESTIMATE_GRID ** 2
    for y0, y1, x0, x1 in windows:
        assert 0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w and (y1 - y0, x1 - x0) == (512, 512)
    assert len({(y0, x0) for y0, _, x0, _ in windows}) == len(windows)  # spread, not stacked
    # a panorama thinner than a window: windows as tall as the photo
    assert all(y1 - y0 == 300 for y0, y1, _, _ in restore._estimate_windows(300, 8000))


def test_the_first_pass_on_a_large_photo_reads_only_the_sample():
    rgb = np.full((1200, 1100, 3), 0.5, np.float32)
    net = Recorder(lambda x: x - 5 / 255)
    restore.denoise(net, rgb, sigma=None)
    assert net.blind_pixels == restore.ESTIMATE_GRID ** 2 * restore.ESTIMATE_SIDE ** 2


def test_progress_runs_once_from_0_to_1_over_both_passes():
    from models.networks.restore_unet import build, tiny_config

    net = build(tiny_config("denoise")).eval()
    rgb = np.random.default_rng(1).random((200, 150, 3), dtype=np.float32)
    seen: list[float] = []
    restore.denoise(net, rgb, sigma=None, tiles=(64, 16), on_progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and 0 < seen[0] <= 0.5  # the first pass: half the work here
