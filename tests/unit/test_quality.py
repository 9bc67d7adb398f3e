import pytest
import torch

from models.quality import mask_scores, psnr, ssim


def test_psnr_known_values_and_mask():
    x = torch.full((1, 3, 16, 16), 0.5)
    assert float(psnr(x + 0.1, x)[0]) == pytest.approx(20.0, abs=1e-3)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., :4, :] = 1
    y = x.clone()
    y[..., :4, :] += 0.01
    assert float(psnr(y, x, mask)[0]) == pytest.approx(40.0, abs=1e-2)


def test_ssim_is_one_for_identical_and_falls_with_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=g)
    assert torch.allclose(ssim(x, x), torch.ones(2))
    light = ssim((x + 0.05 * torch.randn(x.shape, generator=g)).clamp(0, 1), x)
    heavy = ssim((x + 0.3 * torch.randn(x.shape, generator=g)).clamp(0, 1), x)
    assert (heavy < light).all() and (light < 1).all()


def test_mask_scores():
    truth = torch.zeros(1, 1, 4, 4)
    truth[..., 0, :] = 1  # 4 damaged pixels
    pred = torch.zeros(1, 1, 4, 4)
    pred[..., 0, :2] = 1
    pred[..., 3, 3] = 1  # 2 hits, 1 false alarm
    s = mask_scores(pred, truth)
    assert float(s["precision"][0]) == pytest.approx(2 / 3)
    assert float(s["recall"][0]) == pytest.approx(0.5)
    assert float(s["f1"][0]) == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
