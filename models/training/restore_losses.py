"""What the photo-repair trainer (models/training/restore.py) minimises and at what rate: the Charbonnier and
Dice losses, the patch discriminator of the inpainting GAN term, and the learning-rate schedule.

Kept apart from the training loop so the objectives can be read and changed on their own; the loop only combines
them (with the per-task weights from the command line) in Trainer.losses.
"""

from __future__ import annotations

import argparse
import math

import torch
import torch.nn as nn


def charbonnier(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    return torch.sqrt((x - y) ** 2 + eps * eps).mean()


def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    p = torch.sigmoid(logits)
    inter = (p * target).flatten(1).sum(1)
    return (1 - (2 * inter + eps) / (p.flatten(1).sum(1) + target.flatten(1).sum(1) + eps)).mean()


class PatchDiscriminator(nn.Module):
    """A light spectral-normalised PatchGAN for the inpainting GAN term: (B, 3 + 1, H, W) -> (B, 1, H/8, W/8)."""

    def __init__(self, ch: int = 32) -> None:
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.net = nn.Sequential(sn(nn.Conv2d(4, ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(ch, 2 * ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(2 * ch, 4 * ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(4 * ch, 1, 3, 1, 1)))

    def forward(self, img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([img * 2 - 1, mask], dim=1))


def lr_at(step: int, args: argparse.Namespace, peak: float) -> float:
    if step < args.warmup:
        return peak * (step + 1) / args.warmup
    t = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    return peak * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))
