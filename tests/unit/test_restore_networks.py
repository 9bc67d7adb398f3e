"""The photo-repair U-Nets: any size in, same size out; inpainting leaves known pixels alone; blind denoising."""

import pytest
import torch

from models.networks import ARCHITECTURES, build_network
from models.networks.prefill import normconv_fill
from models.networks.restore_unet import (Denoiser, Inpainter, RestoreUNetConfig, UNetCore, build, can_widen,
                                          macs_per_pixel, tiny_config, widen_into)


pytestmark = pytest.mark.usefixtures("one_thread")


def net(task: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_network(f"{task}-unet", tiny_config(task).to_dict()).eval()


@pytest.mark.parametrize("h,w", [(37, 53), (1, 1), (16, 16), (5, 70)])
def test_every_task_returns_the_input_size(h, w):
    x = torch.rand(2, 3, h, w)
    mask = (torch.rand(2, 1, h, w) > 0.5).float()
    with torch.no_grad():
        assert net("denoise")(x).shape == (2, 3, h, w)
        assert net("denoise")(x, 25.0).shape == (2, 3, h, w)
        assert net("inpaint")(x, mask).shape == (2, 3, h, w)
        assert net("detect")(x).shape == (2, 1, h, w)


def test_inpaint_output_equals_input_outside_the_mask():
    x = torch.rand(1, 3, 37, 53)
    mask = torch.zeros(1, 1, 37, 53)
    mask[..., 10:25, 5:30] = 1
    inp = net("inpaint")
    for p in inp.parameters():  # make the network change things, so the test is not trivially true
        p.data.normal_(0, 0.3)
    with torch.no_grad():
        out = inp(x, mask)
    assert torch.equal(out[mask.expand_as(out) == 0], x[mask.expand_as(x) == 0])
    assert not torch.allclose(out[..., 10:25, 5:30], x[..., 10:25, 5:30])
    assert out.min() >= 0 and out.max() <= 1


def holed_pair() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two images that differ only inside a 12x12 hole, and the hole's mask (1 = missing)."""
    x = torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:20, 8:20] = 1
    y = x.clone()
    y[..., 8:20, 8:20] = torch.rand(1, 3, 12, 12)  # different content inside the hole
    return x, y, mask


def test_inpaint_never_sees_the_pixels_it_must_fill():
    x, y, mask = holed_pair()
    inp = net("inpaint")
    with torch.no_grad():
        assert torch.equal(inp.predict(x, mask), inp.predict(y, mask))


def test_denoiser_blind_and_known_sigma_are_different_inputs_and_nan_means_blind():
    d = net("denoise")
    for p in d.parameters():
        p.data.normal_(0, 0.2)
    x = torch.rand(2, 3, 24, 24)
    with torch.no_grad():
        blind, known = d(x), d(x, 25.0)
        mixed = d(x, torch.tensor([25.0, float("nan")]))
        per_pixel = d(x, torch.full((2, 1, 24, 24), 25.0))
    assert not torch.allclose(blind, known)
    assert torch.allclose(mixed[0], known[0]) and torch.allclose(mixed[1], blind[1])
    assert torch.allclose(per_pixel, known)


def test_untrained_denoiser_starts_close_to_identity():
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert (net("denoise")(x) - x).abs().mean() < 0.05  # residual output, small initial correction


def test_registry_builds_each_task_and_refuses_a_mismatched_config():
    assert {"denoise-unet", "inpaint-unet", "detect-unet"} <= set(ARCHITECTURES)
    assert isinstance(net("denoise"), Denoiser) and isinstance(net("inpaint"), Inpainter)
    with pytest.raises(ValueError):
        build_network("denoise-unet", tiny_config("detect").to_dict())
    with pytest.raises(ValueError):
        RestoreUNetConfig(task="colourise")


def test_config_round_trips_through_json_lists():
    cfg = RestoreUNetConfig(task="inpaint", dilations=(2, 4), gated=True)
    again = RestoreUNetConfig(**cfg.to_dict())
    assert again == cfg and isinstance(again.widths, tuple)


def test_most_computation_runs_below_full_resolution():
    cfg = RestoreUNetConfig(task="denoise")
    core = UNetCore(cfg)
    full_res = sum(9 * c.in_channels * c.out_channels for c in core.head if isinstance(c, torch.nn.Conv2d))
    total = macs_per_pixel(cfg)
    assert full_res < 0.1 * total
    assert 10_000 < total < 200_000  # CPU budget: tens of kMACs per pixel


def prefill_net() -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = RestoreUNetConfig(**(tiny_config("inpaint").to_dict() | {"prefill": "normconv"}))
    return build_network("inpaint-unet", cfg.to_dict()).eval()


def test_untrained_prefill_network_returns_exactly_the_prefill_in_the_hole_and_the_input_outside():
    x = torch.rand(2, 3, 37, 53)
    mask = torch.zeros(2, 1, 37, 53)
    mask[0, :, 10:25, 5:30] = 1
    mask[1, :, :, 20:23] = 1
    inp = prefill_net()
    with torch.no_grad():
        out = inp(x, mask)
    fill = normconv_fill(x, 1 - mask)
    hole = mask.expand_as(x) > 0
    assert torch.equal(out[hole], fill[hole])
    assert torch.equal(out[~hole], x[~hole])
    assert not torch.allclose(out[hole], x[hole])  # the hole really was filled, not passed through


def test_prefill_network_refines_the_prefill_once_its_residual_is_not_zero():
    x, y, mask = holed_pair()
    inp = prefill_net()
    for p in inp.parameters():
        p.data.normal_(0, 0.2)
    with torch.no_grad():
        a, b = inp.predict(x, mask), inp.predict(y, mask)
    assert torch.equal(a, b)  # the lost pixels never leak in, through the prefill or the network
    fill = normconv_fill(x, 1 - mask)
    assert (a - fill)[..., 8:20, 8:20].abs().mean() > 0.01  # a trained residual moves the fill


def test_prefill_is_an_inpaint_option_and_old_configs_mean_none():
    with pytest.raises(ValueError):
        RestoreUNetConfig(task="denoise", prefill="normconv")
    with pytest.raises(ValueError):
        RestoreUNetConfig(task="inpaint", prefill="telea")
    old = tiny_config("inpaint").to_dict()
    del old["prefill"]  # a manifest written before the option existed
    assert RestoreUNetConfig.from_dict(old).prefill == "none"
    cfg = RestoreUNetConfig(task="inpaint", prefill="normconv")
    assert RestoreUNetConfig.from_dict(cfg.to_dict()) == cfg


def _trained_looking(cfg: RestoreUNetConfig, seed: int) -> torch.nn.Module:
    """A network whose every weight is non-zero (zero-initialised layers would hide a widening mistake)."""
    torch.manual_seed(seed)
    net = build(cfg)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return net.eval()


@pytest.mark.parametrize("task", ["denoise", "detect"])
def test_widened_network_computes_exactly_what_the_smaller_one_did(task):
    small = RestoreUNetConfig(task=task, widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,), head_channels=4)
    old = _trained_looking(small, 0)
    wide = RestoreUNetConfig(task=task, widths=(16, 20), enc_blocks=(3, 2), dec_blocks=(2,), head_channels=8,
                             dilations=(2, 4))
    assert can_widen(small, wide) is None
    torch.manual_seed(1)
    net = build(wide).eval()
    widen_into(net, old.state_dict())
    x = torch.rand(2, 3, 37, 45)
    with torch.no_grad():
        assert torch.allclose(net(x), old(x), atol=1e-6)
        if task == "denoise":
            assert torch.allclose(net(x, 25.0), old(x, 25.0), atol=1e-6)
    # the new capacity is not dead: a training step moves the output away from the old network's
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    net.train()
    out = net(x)
    (out - torch.rand_like(out)).pow(2).mean().backward()
    new_cols = net.core.tail.weight.grad[:, 8:]
    assert new_cols.abs().sum() > 0  # the old output reads the new channels once they have learnt something
    opt.step()
    with torch.no_grad():
        assert not torch.allclose(net.eval()(x), old(x), atol=1e-4)


def test_widening_refuses_what_would_not_preserve_the_function():
    base = RestoreUNetConfig(task="denoise", widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,), head_channels=4)
    assert "grow" in can_widen(base, RestoreUNetConfig(task="denoise", widths=(4, 12), enc_blocks=(1, 1),
                                                        dec_blocks=(1,), head_channels=4))
    assert "levels" in can_widen(base, RestoreUNetConfig(task="denoise", widths=(8, 12, 16), enc_blocks=(1, 1, 1),
                                                          dec_blocks=(1, 1), head_channels=4))
    assert "head" in can_widen(RestoreUNetConfig(task="denoise", widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,),
                                                 head_channels=0), base)
    assert "appended" in can_widen(RestoreUNetConfig(task="detect", widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,),
                                                     dilations=(2,)),
                                   RestoreUNetConfig(task="detect", widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,),
                                                     dilations=(4, 2)))
    gated = RestoreUNetConfig(task="inpaint", widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,), gated=True)
    assert "gated" in can_widen(gated, RestoreUNetConfig(task="inpaint", widths=(16, 12), enc_blocks=(1, 1),
                                                         dec_blocks=(1,), gated=True))
    with pytest.raises(ValueError, match="does not fit"):
        widen_into(build(base), build(RestoreUNetConfig(task="denoise", widths=(16, 12), enc_blocks=(1, 1),
                                                         dec_blocks=(1,), head_channels=4)).state_dict())
