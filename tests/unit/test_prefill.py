"""The inpainter's smooth prefill (models/networks/prefill.py): exact where known, close on smooth content, any
hole size and image size, tiled like the network."""

import math

import numpy as np
import pytest
import torch

from models import degrade, restore
from models.networks.prefill import normconv_fill

pytestmark = pytest.mark.usefixtures("one_thread")


def gradient(h: int, w: int) -> torch.Tensor:
    """(1, 3, h, w): three different linear ramps, values in [0.2, 0.8]."""
    y, x = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    return torch.stack([0.2 + 0.6 * x, 0.3 + 0.4 * y, 0.5 + 0.3 * (x - y)])[None]


def test_fills_a_stroke_in_a_smooth_gradient_and_leaves_known_pixels_alone():
    img = gradient(96, 128)
    known = torch.ones(1, 1, 96, 128)
    known[..., 40:46, 10:110] = 0  # a 6 px wide stroke
    noisy_hole = torch.where(known > 0, img, torch.rand_like(img))  # whatever is in the hole must not matter
    out = normconv_fill(noisy_hole, known)
    hole = known[0, 0] == 0
    err = (out - img)[0][:, hole].abs()
    assert err.mean() < 0.002 and err.max() < 0.005, (err.mean(), err.max())
    assert torch.equal(out[0][:, ~hole], img[0][:, ~hole])
    assert torch.equal(out, normconv_fill(img, known))  # the hole's old content is never read


def test_fills_a_box_of_forty_percent_sensibly():
    img = gradient(96, 128)
    known = torch.ones(1, 1, 96, 128)
    h, w = round(96 * math.sqrt(0.4)), round(128 * math.sqrt(0.4))
    known[..., 10:10 + h, 20:20 + w] = 0
    assert abs((1 - known.mean()).item() - 0.4) < 0.01
    out = normconv_fill(img, known)
    hole = known[0, 0] == 0
    err = (out - img)[0][:, hole].abs()
    # mid-grey would be off by 0.13 on average here; the smooth fill follows the ramps across the box
    grey = (0.5 - img[0][:, hole]).abs().mean()
    assert err.mean() < 0.02 and err.max() < 0.06 and err.mean() < grey / 5, (err.mean(), err.max(), grey)
    lo, hi = img.amin(dim=(2, 3), keepdim=True), img.amax(dim=(2, 3), keepdim=True)
    assert ((out >= lo - 1e-6) & (out <= hi + 1e-6)).all()  # an average of known values: no overshoot


def test_one_known_pixel_fills_everything_and_none_gives_mid_grey():
    img = torch.rand(2, 3, 37, 53)
    known = torch.zeros(2, 1, 37, 53)
    known[0, :, 5, 7] = 1
    out = normconv_fill(img, known)
    assert torch.allclose(out[0], img[0, :, 5:6, 7:8].expand(3, 37, 53), atol=1e-5)
    assert torch.equal(out[1], torch.full((3, 37, 53), 0.5))  # the second image has no known pixel at all


@pytest.mark.parametrize("h,w", [(1, 1), (1, 9), (7, 1), (5, 70), (33, 17)])
def test_any_size_keeps_its_shape_and_values(h, w):
    img = torch.rand(1, 3, h, w)
    known = (torch.rand(1, 1, h, w) > 0.5).float()
    known[..., 0, 0] = 1
    out = normconv_fill(img, known)
    assert out.shape == img.shape and torch.isfinite(out).all()
    assert torch.equal(out[known.expand_as(img) > 0], img[known.expand_as(img) > 0])


def test_no_gradient_is_recorded():
    img = torch.rand(1, 3, 16, 16, requires_grad=True)
    known = (torch.rand(1, 1, 16, 16) > 0.3).float()
    assert not normconv_fill(img, known).requires_grad


def test_tiled_fill_matches_the_whole_image_fill():
    """models.restore.smooth_fill runs tile by tile like the inpainter; on strokes (each tile holds plenty of known
    pixels around them) the tiles agree with one fill of the whole image far more closely than either agrees
    with the lost pixels."""
    from skimage import data, transform

    photo = transform.resize(data.astronaut(), (300, 410), anti_aliasing=True).astype(np.float32)
    mask = degrade.random_inpaint_mask(300, 410, np.random.default_rng(3), "thick") > 0.5
    holed = np.where(mask[..., None], 0.0, photo).astype(np.float32)
    whole = restore.smooth_fill(holed, mask)  # one tile: 768 > 410
    tiled = restore.smooth_fill(holed, mask, tile=128, overlap=32)  # 12 tiles
    assert np.array_equal(tiled[~mask], photo[~mask]) and np.array_equal(whole[~mask], photo[~mask])
    gap = np.abs(tiled - whole)[mask].mean()
    fill_error = np.abs(whole - photo)[mask].mean()
    assert gap < 0.005 and gap < fill_error / 10, (gap, fill_error)


def test_laplacian_adjoint_is_the_transpose():
    from models.networks.prefill import _laplacian, _laplacian_adjoint

    x, y = torch.rand(2, 1, 9, 13, dtype=torch.float64), torch.rand(2, 1, 9, 13, dtype=torch.float64)
    assert torch.allclose((_laplacian(x) * y).sum(), (x * _laplacian_adjoint(y)).sum())


def test_biharmonic_refinement_converges_to_scikit_image_biharmonic():
    """Run to convergence, the CG refinement is scikit-image's inpaint_biharmonic (the baseline it competes with);
    the shipped prefill stops after BIHARMONIC_ITERS of it, starting from the normconv fill."""
    from skimage import data, transform
    from skimage.restoration import inpaint_biharmonic

    from models.networks.prefill import PREFILLS, biharmonic_refine

    photo = transform.resize(data.astronaut(), (64, 80), anti_aliasing=True)  # float64
    mask = degrade.random_inpaint_mask(64, 80, np.random.default_rng(5), "thin") > 0.5
    img = torch.from_numpy(np.where(mask[..., None], 0.0, photo)).permute(2, 0, 1)[None]
    known = torch.from_numpy(~mask).to(img)[None, None]
    converged = biharmonic_refine(normconv_fill(img, known), known, iters=300)[0].permute(1, 2, 0).numpy()
    reference = inpaint_biharmonic(np.where(mask[..., None], 0.0, photo), mask, channel_axis=-1)
    known_pixels = photo[~mask]
    converged = np.clip(converged, known_pixels.min(axis=0), known_pixels.max(axis=0))  # as scikit-image clips
    assert np.abs(converged - reference)[mask].max() < 1e-4

    out = PREFILLS["normconv-biharmonic"](img.float(), known.float())
    assert torch.equal(out[known.expand_as(out) > 0], img.float()[known.expand_as(out) > 0])
    assert not torch.equal(out, normconv_fill(img.float(), known.float()))


def test_biharmonic_prefill_on_a_ramp_is_exact_and_tiles_agree():
    """A linear ramp is biharmonic: the refinement keeps (or makes) the fill exact. Tiles solve their own
    systems; on strokes they agree with the whole-image fill far more closely than with the lost pixels."""
    from skimage import data, transform

    from models.networks.prefill import normconv_biharmonic_fill

    img = gradient(48, 64)
    known = torch.ones(1, 1, 48, 64)
    known[..., 20:23, 5:60] = 0
    assert (normconv_biharmonic_fill(img, known) - img).abs().max() < 2e-3

    photo = transform.resize(data.astronaut(), (300, 410), anti_aliasing=True).astype(np.float32)
    mask = degrade.random_inpaint_mask(300, 410, np.random.default_rng(3), "thin") > 0.5
    holed = np.where(mask[..., None], 0.0, photo).astype(np.float32)
    whole = restore.smooth_fill(holed, mask, prefill="normconv-biharmonic")
    tiled = restore.smooth_fill(holed, mask, prefill="normconv-biharmonic", tile=128, overlap=32)
    gap = np.abs(tiled - whole)[mask].mean()
    fill_error = np.abs(whole - photo)[mask].mean()
    assert np.array_equal(tiled[~mask], photo[~mask])
    assert gap < 0.005 and gap < fill_error / 10, (gap, fill_error)
