import numpy as np
import pytest
import torch

from models.evaluation import restore_baselines as rb

RNG = np.random.default_rng(0)


def smooth_image(h=64, w=64):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([0.5 + 0.3 * np.sin(x / 9), 0.5 + 0.3 * np.cos(y / 7), 0.4 + 0.2 * np.sin((x + y) / 11)], 2)


def test_psnr_of_arrays_whole_and_masked():
    img = smooth_image()
    assert rb.psnr(img, img) > 90  # identical: capped by the epsilon in models.quality
    noisy = img + 0.1
    assert rb.psnr(img, noisy) == pytest.approx(20.0, abs=0.01)
    mask = np.zeros(img.shape[:2], bool)
    mask[:8] = True
    assert rb.psnr(img, np.where(mask[..., None], img + 0.01, img), mask) == pytest.approx(40.0, abs=0.01)


def test_denoisers_improve_a_noisy_image():
    img = smooth_image()
    noisy = np.clip(img + RNG.normal(0, 25 / 255, img.shape).astype(np.float32), 0, 1)
    base = rb.psnr(img, noisy)
    assert rb.psnr(img, rb.nlm(noisy, 12)) > base + 3
    assert rb.psnr(img, rb.cbm3d(noisy, 25)) > base + 3


def test_median_removes_salt_and_pepper():
    img = smooth_image()
    noisy = img.copy()
    hits = RNG.random(img.shape[:2]) < 0.1
    noisy[hits] = RNG.integers(0, 2, (hits.sum(), 1)).astype(np.float32)
    assert rb.psnr(img, rb.median(noisy)) > rb.psnr(img, noisy) + 8


@pytest.mark.parametrize("method", ["telea", "ns", "biharmonic"])
def test_inpainters_fill_only_the_hole(method):
    img = smooth_image()
    mask = np.zeros(img.shape[:2], bool)
    mask[20:30, 25:40] = True
    damaged = np.where(mask[..., None], 0.0, img).astype(np.float32)
    out = rb.biharmonic(damaged, mask) if method == "biharmonic" else rb.cv2_inpaint(damaged, mask, method)
    assert np.array_equal(out[~mask], damaged[~mask])
    assert rb.psnr(img, out, mask) > rb.psnr(img, damaged, mask) + 10


def test_classical_auto_pipeline_finds_a_scratch():
    img = smooth_image(96, 96)
    damaged = img.copy()
    damaged[:, 47:49] = 1.0  # a bright vertical scratch
    truth = np.zeros(img.shape[:2], bool)
    truth[:, 47:49] = True
    repaired, mask = rb.classical_auto_repair(damaged)
    from models.quality import mask_scores

    scores = mask_scores(torch.from_numpy(mask.astype(np.float32))[None, None],
                         torch.from_numpy(truth.astype(np.float32))[None, None])
    assert float(scores["recall"][0]) > 0.9 and 0 < float(scores["precision"][0]) <= 1
    assert rb.psnr(img, repaired) > rb.psnr(img, damaged)
