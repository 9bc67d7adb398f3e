"""Deterministic sampling from a loaded generator: one seed -> one image, identical pixels on the same device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch



@dataclass(frozen=True)
class Sample:
    seed: int  # the seed this single image was drawn from
    class_index: int | None  # conditioning class, None for unconditional models
    pixels: np.ndarray  # (H, W) uint8 grayscale or (H, W, 3) uint8 RGB


def latent_for_seed(seed: int, latent_dim: int, truncation: float) -> torch.Tensor:
    """z ~ N(0, I) drawn on the CPU from its own generator (device-independent), pulled towards the
    average latent (0 for a Gaussian prior) by the truncation factor psi in (0, 1]."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    z = torch.randn(1, latent_dim, generator=gen)  # (1, latent_dim)
    return z * float(truncation)


@torch.no_grad()
def sample_one(
    net: torch.nn.Module,
    *,
    seed: int,
    class_index: int | None,
    truncation: float,
    latent_dim: int,
    device: torch.device | str = "cpu",
) -> Sample:
    """One image from one seed. Each image is its own batch of one, so an image never depends on which other
    images shared its request: re-running any single seed from a PNG's metadata gives the same pixels."""
    z = latent_for_seed(seed, latent_dim, truncation).to(device)
    y = torch.tensor([class_index if class_index is not None else 0], device=device)
    img = net(z, y)[0]  # (C, H, W) in [-1, 1]
    arr = ((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()  # (C, H, W)
    pixels = arr[0] if arr.shape[0] == 1 else np.transpose(arr, (1, 2, 0))
    return Sample(seed=seed, class_index=class_index, pixels=pixels)
