"""Synthetic corruptions: seeded reproducibility, value ranges, mask coverage, old-photo damage masks."""

import numpy as np
import pytest

from models import degrade


def photo(h: int = 64, w: int = 80) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([0.5 + 0.3 * np.sin(x / 9), 0.5 + 0.3 * np.cos(y / 7), 0.4 + 0.2 * np.sin((x + y) / 11)], 2)
    return degrade.quantize(img)  # an 8-bit photo, as read from a file


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


CORRUPTIONS = {
    "gaussian": lambda img, r: degrade.gaussian_noise(img, 25, r),
    "salt-pepper": lambda img, r: degrade.salt_and_pepper(img, 0.1, r),
    "grain": lambda img, r: degrade.film_grain(img, 20, r),
    "mixture": lambda img, r: degrade.random_noise(img, r)[0],
    "old-photo": lambda img, r: degrade.old_photo_damage(img, r)[0],
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_same_seed_same_corruption_and_values_stay_8bit_in_range(name):
    img = photo()
    a, b = CORRUPTIONS[name](img, rng(3)), CORRUPTIONS[name](img, rng(3))
    c = CORRUPTIONS[name](img, rng(4))
    assert a.dtype == np.float32 and a.shape == img.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1
    assert np.allclose(a * 255, np.round(a * 255), atol=1e-3)  # what a PNG can hold


def test_gaussian_noise_has_the_requested_sigma():
    img = np.full((128, 128, 3), 0.5, np.float32)
    noisy = degrade.gaussian_noise(img, 25, rng(), clip=False)
    assert (noisy - img).std() * 255 == pytest.approx(25, rel=0.03)
    assert degrade.noise_level(degrade.gaussian_noise(img, 25, rng()), img) == pytest.approx(25, rel=0.05)


def test_salt_and_pepper_hits_the_requested_fraction_with_pure_black_and_white():
    img = np.full((100, 100, 3), 0.5, np.float32)
    out = degrade.salt_and_pepper(img, 0.1, rng())
    changed = np.any(out != img, axis=2)
    assert changed.mean() == pytest.approx(0.1, abs=0.015)
    assert set(np.unique(out[changed])) == {0.0, 1.0}


def test_film_grain_is_spatially_correlated_and_strongest_in_midtones():
    flat = np.full((128, 128, 3), 0.5, np.float32)
    g = degrade.film_grain(flat, 20, rng(), grain_size=1.5, chroma=0.0)[..., 0] - 0.5
    neighbour_corr = np.corrcoef(g[:, :-1].ravel(), g[:, 1:].ravel())[0, 1]
    assert neighbour_corr > 0.5  # white noise would give ~0
    dark = np.full((128, 128, 3), 0.05, np.float32)
    g_dark = degrade.film_grain(dark, 20, rng(), grain_size=1.5, chroma=0.0)[..., 0] - 0.05
    assert g_dark.std() < 0.6 * g.std()


def test_jpeg_lower_quality_loses_more():
    img = photo() + degrade.gaussian_noise(np.zeros((64, 80, 3), np.float32), 10, rng(), clip=False)
    img = np.clip(img, 0, 1)
    err = [np.abs(degrade.jpeg(img, q) - img).mean() for q in (10, 50, 90)]
    assert err[0] > err[1] > err[2] > 0


@pytest.mark.parametrize("kind", degrade.MASK_KINDS)
def test_inpaint_masks_are_binary_and_cover_at_most_40_percent(kind):
    coverage = []
    for seed in range(12):
        m = degrade.random_inpaint_mask(96, 128, rng(seed), kind)
        assert m.shape == (96, 128) and set(np.unique(m)) <= {0.0, 1.0}
        coverage.append(m.mean())
    assert 0.01 <= min(coverage) and max(coverage) <= (0.15 if kind == "thin" else 0.4)
    assert max(coverage) > 2 * min(coverage)  # a range of hole sizes, not one
    assert np.array_equal(degrade.random_inpaint_mask(96, 128, rng(5), kind),
                          degrade.random_inpaint_mask(96, 128, rng(5), kind))


def test_thin_strokes_are_thin_and_boxes_are_solid():
    thin = degrade.inpaint_mask(128, 128, rng(1), "thin")
    # a thin mask loses nearly everything to a 5x5 erosion; a box keeps its interior
    def erode(m, r=2):
        out = m.copy()
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                out = np.minimum(out, np.roll(np.roll(m, dy, 0), dx, 1))
        return out
    assert erode(thin).sum() < 0.1 * thin.sum()
    box = degrade.inpaint_mask(128, 128, rng(1), "box")
    assert erode(box).sum() > 0.5 * box.sum()


def test_old_photo_damage_mask_marks_exactly_where_damage_was_drawn():
    img = photo(128, 128)
    for seed in range(6):
        damaged, mask = degrade.old_photo_damage(img, rng(seed), grain=False, compress=False)
        assert mask.shape == (128, 128) and set(np.unique(mask)) <= {0.0, 1.0}
        assert 0 < mask.mean() < 0.5
        diff = np.abs(damaged - img).max(axis=2)
        # each of the 4 damage layers changes an unmarked pixel by at most `visible` (0.06), plus rounding
        assert diff[mask == 0].max() <= 4 * 0.06 + 1 / 255
        assert diff[mask == 0].mean() < 0.01
        assert diff[mask == 1].mean() > 0.15


def test_graded_damage_is_the_same_damage_with_its_strength():
    img = photo(128, 128)
    for seed in range(4):
        damaged, mask = degrade.old_photo_damage(img, rng(seed))
        graded, graded_mask, change = degrade.graded_old_photo_damage(img, rng(seed))
        assert np.array_equal(damaged, graded) and np.array_equal(mask, graded_mask)
        _, _, bare = degrade.graded_old_photo_damage(img, rng(seed), grain=False, compress=False)
        assert np.array_equal(change, bare)  # measured before grain and JPEG
        assert change[mask == 1].min() > 0.06 and change[mask == 0].max() <= 4 * 0.06 + 1e-6


def test_old_photo_grain_and_jpeg_touch_the_whole_image_but_not_the_mask():
    img = photo(128, 128)
    damaged, mask = degrade.old_photo_damage(img, rng(2))
    clean_damaged, clean_mask = degrade.old_photo_damage(img, rng(2), grain=False, compress=False)
    assert np.array_equal(mask, clean_mask)  # grain and JPEG come after the mask is drawn
    assert np.abs(damaged - img)[mask == 0].mean() > 0  # yet the intact area is not pristine
