"""Walking the latent space of a generator: interpolation between two seeds and variations around one.

Both start from the very latents `models.generate.latent_for_seed` draws, so the ends of an interpolation and a
variation at strength 0 are pixel for pixel the images a generate job makes from the same seed, class and psi.

- Latents are blended by spherical interpolation (slerp, Shoemake 1985; White 2016 for GANs): a Gaussian latent
  in 64 dimensions lies near the sphere of radius sqrt(64), and a straight line between two of them passes
  through the low-density middle (norm ~ 0.7 x at t = 0.5), where images wash out. Slerp follows the sphere.
- Classes are blended linearly in embedding space: the class enters the cDCGAN only through embedding tables
  (the concatenated class embedding and the conditional batch norm gains and biases), so a mix of two classes is
  the same mix of their rows (`models.networks.cdcgan.lookup` with float weights).
- A variation of seed s with variation seed v is z' = slerp(z_s, z_v, strength): the latent of seed s turned by
  `strength` of the way towards the latent of seed v (the noise epsilon is simply the latent of seed v, drawn by
  the same seeded CPU generator). 0 gives the source image, 1 gives seed v's image in the source's class; both
  ends are on the Gaussian shell, so every variation is as likely under the prior as a fresh sample — unlike
  z + strength * eps, which grows the norm and needs re-normalising.
- Truncation psi scales the blended latent toward the average latent (0), as it does for a plain sample.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from models.generate import latent_for_seed

EASES = ("linear", "smoothstep")


def ease(t: float, kind: str) -> float:
    """Frame timing: linear, or smoothstep (slow at both ends, which reads better in a looped animation)."""
    if kind == "linear":
        return t
    if kind == "smoothstep":
        return t * t * (3.0 - 2.0 * t)
    raise ValueError(f"unknown ease {kind!r}; choose one of {', '.join(EASES)}")


def frame_times(frames: int, kind: str) -> list[float]:
    """`frames` values of t from exactly 0.0 to exactly 1.0."""
    return [ease(i / (frames - 1), kind) for i in range(frames)]


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation of (1, D) latents, exact at the ends: t = 0 returns a, t = 1 returns b.
    Nearly parallel latents (angle < 1e-6) fall back to the straight line, which is then the same path."""
    if t == 0.0:
        return a.clone()
    if t == 1.0:
        return b.clone()
    a64, b64 = a.double(), b.double()
    cos = torch.sum(a64 * b64) / (a64.norm() * b64.norm())
    omega = math.acos(float(cos.clamp(-1.0, 1.0)))
    if omega < 1e-6:
        out = (1.0 - t) * a64 + t * b64
    else:
        out = (math.sin((1.0 - t) * omega) * a64 + math.sin(t * omega) * b64) / math.sin(omega)
    return out.to(a.dtype)


def class_input(num_classes: int, start: int | None, end: int | None, t: float) -> torch.Tensor:
    """The network's y for one image: a (1,) class index when the class does not change (or at the ends), else
    (1, num_classes) weights (1 - t) at `start` and t at `end`. Unconditional models (None) get class 0."""
    if start is None or end is None:
        return torch.tensor([0])
    if start == end or t == 0.0:
        return torch.tensor([start])
    if t == 1.0:
        return torch.tensor([end])
    weights = torch.zeros(1, num_classes)
    weights[0, start] += 1.0 - t
    weights[0, end] += t
    return weights


def interpolation_latent(seed_a: int, seed_b: int, t: float, *, latent_dim: int, truncation: float) -> torch.Tensor:
    """(1, latent_dim): slerp between the untruncated latents of the two seeds, then truncated."""
    za, zb = latent_for_seed(seed_a, latent_dim, 1.0), latent_for_seed(seed_b, latent_dim, 1.0)
    return slerp(za, zb, t) * float(truncation)


def variation_latent(seed: int, variation_seed: int, strength: float, *, latent_dim: int,
                     truncation: float) -> torch.Tensor:
    """(1, latent_dim): seed's latent turned `strength` of the way towards variation_seed's, then truncated."""
    z, eps = latent_for_seed(seed, latent_dim, 1.0), latent_for_seed(variation_seed, latent_dim, 1.0)
    return slerp(z, eps, float(strength)) * float(truncation)


@torch.no_grad()
def render(net: torch.nn.Module, z: torch.Tensor, y: torch.Tensor, device: torch.device | str = "cpu") -> np.ndarray:
    """One latent (1, D) and class input -> (H, W) or (H, W, 3) uint8, as `models.generate.sample_one` draws."""
    img = net(z.to(device), y.to(device))[0]  # (C, H, W) in [-1, 1]
    arr = ((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()  # (C, H, W)
    return arr[0] if arr.shape[0] == 1 else np.transpose(arr, (1, 2, 0))
