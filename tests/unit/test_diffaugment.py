"""DiffAugment: shapes, determinism per generator state, differentiability, and what each transform does."""

from __future__ import annotations

import pytest
import torch

from models.training import diffaugment as da

ALL = "color,translation,cutout"


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("policy", ["color", "translation", "cutout", ALL])
def test_shapes_and_dtype_are_kept(channels: int, policy: str) -> None:
    x = torch.rand(4, channels, 16, 16) * 2 - 1
    out = da.diff_augment(x, policy, _gen())
    assert out.shape == x.shape and out.dtype == x.dtype


def test_same_generator_state_same_augmentation() -> None:
    x = torch.rand(6, 3, 16, 16) * 2 - 1
    a, b = da.diff_augment(x, ALL, _gen(1)), da.diff_augment(x, ALL, _gen(1))
    assert torch.equal(a, b)
    assert not torch.equal(a, da.diff_augment(x, ALL, _gen(2)))
    gen = _gen(1)
    first, second = da.diff_augment(x, ALL, gen), da.diff_augment(x, ALL, gen)
    assert not torch.equal(first, second)  # the generator advances: each call draws new transforms


def test_empty_policy_is_the_identity_and_draws_nothing() -> None:
    x = torch.rand(2, 1, 8, 8)
    gen = _gen(3)
    state = gen.get_state()
    assert da.diff_augment(x, "", gen) is x
    assert torch.equal(gen.get_state(), state)


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown DiffAugment policy"):
        da.parse_policy("color,flip")


def test_gradients_pass_through() -> None:
    x = (torch.rand(3, 3, 16, 16) * 2 - 1).requires_grad_(True)
    da.diff_augment(x, ALL, _gen()).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_moves_content_by_at_most_an_eighth() -> None:
    x = torch.zeros(32, 1, 16, 16)
    x[:, :, 8, 8] = 1.0  # one bright pixel in the middle
    out = da.translation(x, _gen())
    assert torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(32))  # moved, never duplicated or lost
    pos = out[:, 0].flatten(1).argmax(dim=1)
    dy, dx = pos // 16 - 8, pos % 16 - 8
    assert dy.abs().max() <= 2 and dx.abs().max() <= 2  # 16 / 8 = 2 pixels
    assert (dy != 0).any() and (dx != 0).any()


def test_cutout_zeroes_one_square_of_half_the_side() -> None:
    x = torch.ones(16, 3, 16, 16)
    out = da.cutout(x, _gen())
    zeros = (out == 0).all(dim=1).sum(dim=(1, 2))  # (B,) zeroed pixels, identical across channels
    assert (zeros > 0).all() and (zeros <= 8 * 8).all()
    assert set(out.unique().tolist()) <= {0.0, 1.0}


def test_saturation_leaves_grey_images_alone() -> None:
    x = torch.rand(4, 1, 8, 8)
    assert torch.allclose(da.saturation(x, _gen()), x)
