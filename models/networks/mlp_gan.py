"""The plain MLP GAN of the classic GAN tutorial: the baseline our class-conditional DCGAN is measured against.

Unconditional. Generator: dense z -> 128 -> 256 -> 784 with LeakyReLU and a tanh output.
Discriminator: dense 784 -> 256 -> 128 -> 1 logit, trained with the tutorial's binary cross-entropy loss.
`y` is accepted and ignored so both generators share one call signature.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class MLPGANConfig:
    latent_dim: int = 100  # size of z
    hidden: int = 128  # first hidden layer; the second is twice as wide
    image_size: int = 28  # output side
    channels: int = 1  # 1 = grayscale


class MLPGenerator(nn.Module):
    def __init__(self, cfg: MLPGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        self.net = nn.Sequential(
            nn.Linear(cfg.latent_dim, h), nn.LeakyReLU(0.2),
            nn.Linear(h, 2 * h), nn.LeakyReLU(0.2),
            nn.Linear(2 * h, cfg.channels * cfg.image_size**2), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z: (B, latent_dim) -> (B, channels, S, S) in [-1, 1]; y is ignored (unconditional)."""
        s = self.cfg.image_size
        return self.net(z).view(-1, self.cfg.channels, s, s)


class MLPDiscriminator(nn.Module):
    def __init__(self, cfg: MLPGANConfig) -> None:
        super().__init__()
        h = cfg.hidden
        self.net = nn.Sequential(
            nn.Linear(cfg.channels * cfg.image_size**2, 2 * h), nn.LeakyReLU(0.2),
            nn.Linear(2 * h, h), nn.LeakyReLU(0.2),
            nn.Linear(h, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, channels, S, S) -> (B,) logit of "real"; y is ignored."""
        return self.net(x.flatten(1)).squeeze(1)
