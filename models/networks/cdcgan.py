"""Class-conditional DCGAN for small images (28x28 digits), sized for CPU training.

Generator: latent z and a learned class embedding -> 7x7 feature map -> two nearest-upsample + 3x3 conv stages
(no transposed convs, so no checkerboard artefacts) -> tanh image. Class information also enters every stage
through conditional batch norm, which keeps the requested class sharp.
Discriminator: strided convs with spectral norm, a minibatch-standard-deviation channel (Karras et al. 2018: lets
the discriminator see a batch that lacks variety, which keeps the generator from ignoring z) and a projection
head (Miyato & Koyama 2018), trained with the hinge loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm


@dataclass
class CDCGANConfig:
    latent_dim: int = 64  # size of z
    num_classes: int = 10  # classes the generator is conditioned on
    embed_dim: int = 32  # size of the class embedding concatenated to z
    base_channels: int = 32  # channels at full resolution; 2x and 4x at 14x14 and 7x7
    image_size: int = 28  # output side; must be 4 * 7 = 28 for this stem
    channels: int = 1  # 1 = grayscale, 3 = RGB


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
        return out * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


class Generator(nn.Module):
    def __init__(self, cfg: CDCGANConfig) -> None:
        super().__init__()
        if cfg.image_size != 28:
            raise ValueError("this generator's stem produces 28x28 images")
        self.cfg = cfg
        c = cfg.base_channels
        self.embed = nn.Embedding(cfg.num_classes, cfg.embed_dim)
        self.stem = nn.Linear(cfg.latent_dim + cfg.embed_dim, 4 * c * 7 * 7)
        self.bn0 = ConditionalBatchNorm(4 * c, cfg.num_classes)
        self.conv1 = nn.Conv2d(4 * c, 2 * c, 3, padding=1)
        self.bn1 = ConditionalBatchNorm(2 * c, cfg.num_classes)
        self.conv2 = nn.Conv2d(2 * c, c, 3, padding=1)
        self.bn2 = ConditionalBatchNorm(c, cfg.num_classes)
        self.to_image = nn.Conv2d(c, cfg.channels, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) float, y: (B,) long class indices -> (B, channels, 28, 28) in [-1, 1]."""
        c = self.cfg.base_channels
        h = self.stem(torch.cat([z, self.embed(y)], dim=1)).view(-1, 4 * c, 7, 7)  # (B, 4c, 7, 7)
        h = F.relu(self.bn0(h, y))
        h = F.interpolate(h, scale_factor=2, mode="nearest")  # (B, 4c, 14, 14)
        h = F.relu(self.bn1(self.conv1(h), y))  # (B, 2c, 14, 14)
        h = F.interpolate(h, scale_factor=2, mode="nearest")  # (B, 2c, 28, 28)
        h = F.relu(self.bn2(self.conv2(h), y))  # (B, c, 28, 28)
        return torch.tanh(self.to_image(h))


class Discriminator(nn.Module):
    def __init__(self, cfg: CDCGANConfig) -> None:
        super().__init__()
        c = cfg.base_channels
        self.features = nn.Sequential(
            spectral_norm(nn.Conv2d(cfg.channels, c, 3, padding=1)),  # (B, c, 28, 28)
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1)),  # (B, 2c, 14, 14)
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1)),  # (B, 4c, 7, 7)
            nn.LeakyReLU(0.2),
        )
        self.final = spectral_norm(nn.Conv2d(4 * c + 1, 4 * c, 3, padding=1))  # after the minibatch-std channel
        self.linear = spectral_norm(nn.Linear(4 * c, 1))
        self.project = spectral_norm(nn.Embedding(cfg.num_classes, 4 * c))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x: (B, channels, 28, 28), y: (B,) -> (B,) realness score (hinge-loss logits)."""
        h = self.features(x)  # (B, 4c, 7, 7)
        std = h.std(dim=0, unbiased=False).mean().expand(h.shape[0], 1, *h.shape[2:])  # (B, 1, 7, 7) batch spread
        h = F.leaky_relu(self.final(torch.cat([h, std], dim=1)), 0.2).sum(dim=(2, 3))  # (B, 4c) global sum pooling
        return self.linear(h).squeeze(1) + (self.project(y) * h).sum(dim=1)
