"""Class-conditional DCGAN for small images (28x28 digits, 64x64 glyphs and colour art), sized for CPU training.

Generator: latent z and a learned class embedding -> a 7x7 (28 px) or 8x8 (32, 64 px) feature map -> one
nearest-upsample + 3x3 conv stage per doubling (no transposed convs, so no checkerboard artefacts) -> tanh image.
Class information also enters every stage through conditional batch norm, which keeps the requested class sharp.
An unconditional model is the same network with num_classes = 1.
Discriminator: strided convs with spectral norm, a minibatch-standard-deviation channel (Karras et al. 2018: lets
the discriminator see a batch that lacks variety, which keeps the generator from ignoring z) and a projection
head (Miyato & Koyama 2018).

Channels double at each halving of the resolution, from base_channels at full size up to 8 x base_channels.
Module names (stem, bn0, conv1, bn1, ...) are those of the original 28x28 network, so its weights load unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

MAX_CHANNEL_MULT = 8  # the widest stage has at most 8 x base_channels


@dataclass
class CDCGANConfig:
    latent_dim: int = 64  # size of z
    num_classes: int = 10  # classes the generator is conditioned on (1 = unconditional)
    embed_dim: int = 32  # size of the class embedding concatenated to z
    base_channels: int = 32  # channels at full resolution; x2 per halving (at most x8)
    image_size: int = 28  # output side: 7 or 8 times a power of two (28, 32, 56, 64, ...)
    channels: int = 1  # 1 = grayscale, 3 = RGB


def stem_size(image_size: int) -> int:
    """Side of the first feature map: image_size halved while it stays even and at least 7 (28 -> 7, 64 -> 8)."""
    s = image_size
    while s % 2 == 0 and s // 2 >= 7:
        s //= 2
    if s not in (7, 8) or s == image_size:
        raise ValueError(f"image_size {image_size} must be 7 or 8 times a power of two, at least 14")
    return s


def stage_channels(cfg: CDCGANConfig) -> list[int]:
    """Channels per resolution from the stem down to full size, e.g. 28 px: [4c, 2c, c]; 64 px: [8c, 4c, 2c, c]."""
    levels = (cfg.image_size // stem_size(cfg.image_size)).bit_length() - 1  # number of doublings
    return [cfg.base_channels * min(2**k, MAX_CHANNEL_MULT) for k in range(levels, -1, -1)]


def lookup(table: nn.Embedding, y: torch.Tensor) -> torch.Tensor:
    """Class rows of an embedding table. y is (B,) long class indices, or (B, num_classes) float mixing weights:
    a soft lookup, weights @ table, which is how interpolation blends two classes (one-hot weights give the row)."""
    return y.to(table.weight.dtype) @ table.weight if y.is_floating_point() else table(y)  # (B, dim)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose scale and shift are looked up per class."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = self.bn(x)  # (B, C, H, W)
        return out * lookup(self.gain, y)[:, :, None, None] + lookup(self.bias, y)[:, :, None, None]


class Generator(nn.Module):
    def __init__(self, cfg: CDCGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.stem_size = stem_size(cfg.image_size)
        chans = stage_channels(cfg)
        self.num_stages = len(chans) - 1
        self.embed = nn.Embedding(cfg.num_classes, cfg.embed_dim)
        self.stem = nn.Linear(cfg.latent_dim + cfg.embed_dim, chans[0] * self.stem_size**2)
        self.bn0 = ConditionalBatchNorm(chans[0], cfg.num_classes)
        for i in range(1, len(chans)):  # conv1/bn1, conv2/bn2, ...: one stage per doubling
            self.add_module(f"conv{i}", nn.Conv2d(chans[i - 1], chans[i], 3, padding=1))
            self.add_module(f"bn{i}", ConditionalBatchNorm(chans[i], cfg.num_classes))
        self.to_image = nn.Conv2d(chans[-1], cfg.channels, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) float, y: (B,) long class indices or (B, num_classes) float class mixing weights
        (see `lookup`) -> (B, channels, S, S) in [-1, 1]."""
        s = self.stem_size
        h = self.stem(torch.cat([z, lookup(self.embed, y)], dim=1))
        h = F.relu(self.bn0(h.view(len(z), -1, s, s), y))  # (B, C0, s, s)
        for i in range(1, self.num_stages + 1):
            h = F.interpolate(h, scale_factor=2, mode="nearest")  # (B, C_{i-1}, 2H, 2W)
            h = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(h), y))  # (B, C_i, 2H, 2W)
        return torch.tanh(self.to_image(h))


class Discriminator(nn.Module):
    def __init__(self, cfg: CDCGANConfig, spectral: bool = True) -> None:
        """spectral: spectral normalisation on every layer (Miyato et al. 2018); off when R1 alone is wanted."""
        super().__init__()
        sn = spectral_norm if spectral else (lambda m: m)
        chans = stage_channels(cfg)[::-1]  # full resolution first: [c, 2c, 4c, ...]
        layers: list[nn.Module] = [sn(nn.Conv2d(cfg.channels, chans[0], 3, padding=1)), nn.LeakyReLU(0.2)]
        for c_in, c_out in zip(chans[:-1], chans[1:]):  # each halves the resolution, down to the stem size
            layers += [sn(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        top = chans[-1]
        self.final = sn(nn.Conv2d(top + 1, top, 3, padding=1))  # after the minibatch-std channel
        self.linear = sn(nn.Linear(top, 1))
        self.project = sn(nn.Embedding(cfg.num_classes, top))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x: (B, channels, S, S), y: (B,) -> (B,) realness score (logits)."""
        h = self.features(x)  # (B, top, s, s)
        std = h.std(dim=0, unbiased=False).mean().expand(h.shape[0], 1, *h.shape[2:])  # (B, 1, s, s) batch spread
        h = F.leaky_relu(self.final(torch.cat([h, std], dim=1)), 0.2).sum(dim=(2, 3))  # (B, top) sum pooling
        return self.linear(h).squeeze(1) + (self.project(y) * h).sum(dim=1)
