"""Networks: shapes, the registry, and deterministic per-seed sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize

from models.generate import sample_one
from models.networks import build_network
from models.networks.cdcgan import CDCGANConfig, Discriminator, Generator, stage_channels
from models.networks.mlp_gan import MLPDiscriminator, MLPGANConfig, MLPGenerator

TINY = CDCGANConfig(latent_dim=8, num_classes=3, embed_dim=4, base_channels=4)


def test_cdcgan_shapes_and_range() -> None:
    torch.manual_seed(0)
    g, d = Generator(TINY), Discriminator(TINY)
    z, y = torch.randn(5, TINY.latent_dim), torch.tensor([0, 1, 2, 0, 1])
    x = g(z, y)
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert d(x, y).shape == (5,)


@pytest.mark.parametrize("size", [30, 48, 7])
def test_cdcgan_rejects_sizes_without_a_7_or_8_stem(size: int) -> None:
    with pytest.raises(ValueError, match="7 or 8 times a power of two"):
        Generator(CDCGANConfig(image_size=size))


@pytest.mark.parametrize(("size", "channels", "num_classes", "widths"), [
    (64, 3, 1, [32, 16, 8, 4]),  # colour art, unconditional: one more upsampling stage than 28x28
    (64, 1, 3, [32, 16, 8, 4]),  # calligraphy: grey, conditioned on the style
    (32, 3, 2, [16, 8, 4]),
])
def test_cdcgan_other_sizes_and_channels(size: int, channels: int, num_classes: int, widths: list[int]) -> None:
    torch.manual_seed(0)
    cfg = CDCGANConfig(latent_dim=8, num_classes=num_classes, embed_dim=4, base_channels=4, image_size=size,
                       channels=channels)
    assert stage_channels(cfg) == widths
    g, d = Generator(cfg), Discriminator(cfg)
    y = torch.arange(5) % num_classes
    x = g(torch.randn(5, 8), y)
    assert x.shape == (5, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1
    assert d(x, y).shape == (5,)


def test_cdcgan_keeps_the_shipped_digits_layout() -> None:
    """The 28x28 network keeps its module names, so the shipped `digits` weights load strictly."""
    from safetensors.torch import load_file

    shipped = load_file(str(Path(__file__).resolve().parents[2] / "models/weights/digits.safetensors"))
    g = Generator(CDCGANConfig())
    assert stage_channels(CDCGANConfig()) == [128, 64, 32]
    g.load_state_dict(shipped, strict=True)


def test_discriminator_without_spectral_norm() -> None:
    cfg = CDCGANConfig(latent_dim=8, num_classes=2, embed_dim=4, base_channels=4, image_size=64, channels=3)
    assert any(parametrize.is_parametrized(m) for m in Discriminator(cfg).modules())
    plain = Discriminator(cfg, spectral=False)
    assert not any(parametrize.is_parametrized(m) for m in plain.modules())
    assert plain(torch.zeros(2, 3, 64, 64), torch.tensor([0, 1])).shape == (2,)


def test_mlp_gan_shapes_ignore_labels() -> None:
    torch.manual_seed(0)
    cfg = MLPGANConfig(latent_dim=10, hidden=16)
    g, d = MLPGenerator(cfg), MLPDiscriminator(cfg)
    z = torch.randn(4, 10)
    x = g(z)
    assert x.shape == (4, 1, 28, 28)
    assert torch.equal(g(z, torch.tensor([1, 2, 3, 0])), x)  # unconditional: labels are ignored
    assert d(x).shape == (4,)


@pytest.mark.parametrize(("architecture", "config"), [
    ("cdcgan", {"latent_dim": 8, "num_classes": 3, "embed_dim": 4, "base_channels": 4, "unknown_key": 1}),
    ("mlp-gan", {"latent_dim": 10, "hidden": 16}),
    ("cdcgan", {"latent_dim": 8, "num_classes": 1, "embed_dim": 4, "base_channels": 4, "image_size": 64,
                "channels": 3}),
    ("mlp-gan", {"latent_dim": 10, "hidden": 16, "image_size": 64, "channels": 3}),
])
def test_registry_rebuilds_from_config(architecture: str, config: dict) -> None:
    net = build_network(architecture, config)
    out = net.eval()(torch.zeros(2, config["latent_dim"]), torch.zeros(2, dtype=torch.long))
    size, channels = config.get("image_size", 28), config.get("channels", 1)
    assert out.shape == (2, channels, size, size)


def test_registry_unknown_architecture() -> None:
    with pytest.raises(ValueError, match="unknown architecture"):
        build_network("nope", {})


def _net() -> Generator:
    torch.manual_seed(0)
    return Generator(TINY).eval()


def test_sample_one_is_deterministic_per_seed() -> None:
    net = _net()
    a = sample_one(net, seed=42, class_index=1, truncation=1.0, latent_dim=TINY.latent_dim)
    b = sample_one(net, seed=42, class_index=1, truncation=1.0, latent_dim=TINY.latent_dim)
    assert a.pixels.dtype == np.uint8 and a.pixels.shape == (28, 28)
    assert np.array_equal(a.pixels, b.pixels)


def test_sample_one_differs_across_seeds_and_classes() -> None:
    net = _net()
    base = sample_one(net, seed=1, class_index=0, truncation=1.0, latent_dim=TINY.latent_dim).pixels
    other_seed = sample_one(net, seed=2, class_index=0, truncation=1.0, latent_dim=TINY.latent_dim).pixels
    other_class = sample_one(net, seed=1, class_index=2, truncation=1.0, latent_dim=TINY.latent_dim).pixels
    assert not np.array_equal(base, other_seed)
    assert not np.array_equal(base, other_class)
