"""Networks: shapes, the registry, and deterministic per-seed sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.generate import sample_one
from models.networks import build_network
from models.networks.cdcgan import CDCGANConfig, Discriminator, Generator
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


def test_cdcgan_rejects_other_sizes() -> None:
    with pytest.raises(ValueError, match="28x28"):
        Generator(CDCGANConfig(image_size=32))


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
])
def test_registry_rebuilds_from_config(architecture: str, config: dict) -> None:
    net = build_network(architecture, config)
    out = net.eval()(torch.zeros(2, config["latent_dim"]), torch.zeros(2, dtype=torch.long))
    assert out.shape == (2, 1, 28, 28)


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
