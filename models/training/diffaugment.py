"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for GANs trained on small sets.

The same random transforms are applied to every image the discriminator sees, real or generated, in both the
discriminator's and the generator's step. They are differentiable, so the generator's gradient passes through
them, and the generator is never rewarded for producing augmented-looking images: D only ever sees augmented
images of both kinds. Following the paper's reference code, on images in [-1, 1]:

    color        brightness +-0.5, saturation x[0, 2], contrast x[0.5, 1.5] (saturation is a no-op on grey)
    translation  shift by up to 1/8 of the side, zero padding
    cutout       one square of half the side set to zero, at a random position

Randomness comes from an explicit torch.Generator, so a run's augmentations are reproducible and resumable.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _rand(shape: tuple[int, ...], gen: torch.Generator, x: torch.Tensor) -> torch.Tensor:
    return torch.rand(shape, generator=gen).to(device=x.device, dtype=x.dtype)


def brightness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return x + (_rand((len(x), 1, 1, 1), gen, x) - 0.5)


def saturation(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)  # (B, 1, H, W) per-pixel grey
    return (x - mean) * (_rand((len(x), 1, 1, 1), gen, x) * 2) + mean


def contrast(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return (x - mean) * (_rand((len(x), 1, 1, 1), gen, x) + 0.5) + mean


def translation(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    b, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sy, sy + 1, (b, 1, 1), generator=gen).to(x.device)
    tx = torch.randint(-sx, sx + 1, (b, 1, 1), generator=gen).to(x.device)
    gb, gy, gx = torch.meshgrid(torch.arange(b, device=x.device), torch.arange(h, device=x.device),
                                torch.arange(w, device=x.device), indexing="ij")  # (B, H, W) each
    gy = (gy + ty + 1).clamp(0, h + 1)
    gx = (gx + tx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # (B, C, H+2, W+2), a zero border that shifted-in pixels read from
    return padded.permute(0, 2, 3, 1)[gb, gy, gx].permute(0, 3, 1, 2)  # (B, C, H, W)


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=gen).to(x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=gen).to(x.device)
    gb, gy, gx = torch.meshgrid(torch.arange(b, device=x.device), torch.arange(ch, device=x.device),
                                torch.arange(cw, device=x.device), indexing="ij")  # (B, ch, cw)
    gy = (gy + oy - ch // 2).clamp(0, h - 1)
    gx = (gx + ox - cw // 2).clamp(0, w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1)


POLICIES: dict[str, list[Transform]] = {
    "color": [brightness, saturation, contrast],
    "translation": [translation],
    "cutout": [cutout],
}


def parse_policy(policy: str) -> list[str]:
    """'color,translation,cutout' -> its names, checked; '' -> [] (no augmentation)."""
    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {unknown}; known: {sorted(POLICIES)}")
    return names


def diff_augment(x: torch.Tensor, policy: str, gen: torch.Generator) -> torch.Tensor:
    """x: (B, C, H, W) in [-1, 1] -> the same shape, augmented per `policy`; x itself if the policy is empty."""
    for name in parse_policy(policy):
        for transform in POLICIES[name]:
            x = transform(x, gen)
    return x
