"""The data side of the photo-repair trainer (models/training/restore.py): random training patches, the per-task
corruptions that turn them into (input, target) batches, the fixed validation crops and the numpy <-> tensor
conversions.

Kept apart from the training loop so the corruption recipes can be read (and reused, e.g. by tests that need
`to_tensor`) without the optimiser, snapshot and CLI code around them; everything here is a pure function of its
arguments and a seeded generator, which is what keeps a resumed run's batches identical to an uninterrupted one's.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from models import degrade
from models.training.dead_leaves import dead_leaves


class PatchSampler:
    """Random square patches from a list of photos (picked in proportion to their area), with one of the 8
    flips / rotations; photos smaller than a patch are reflected out to its size.

    With min_scale < 1 each patch is cut 1/s times larger (s uniform in [min_scale, 1]) and reduced to the patch
    size (antialiased Lanczos): the same few dozen photos then show their scenes at many scales, with denser
    texture than the ~1024-pixel originals have at full size, which is what held-out photos (a mandrill, circuit
    boards, city aerials at 512 pixels) look like. min_scale = 1 draws exactly the random numbers it always did,
    so recipes recorded before the option existed replay unchanged.

    With colour_aug > 0 that share of the patches is recoloured (`recolour`): grey, sepia-toned, or with its
    saturation and white balance shifted. A few dozen photos have a few dozen palettes; old prints are mostly grey
    or sepia. colour_aug = 0 draws nothing more, as above.

    With dead_leaves > 0 that share of the patches is replaced by a synthetic dead-leaves image drawn in the photo
    patch's colours (models/training/dead_leaves.py): pixel-sized specks and sharp edges as clean content, which
    the reduced photos lack. dead_leaves = 0 draws nothing more."""

    def __init__(self, images: list[np.ndarray], patch: int, min_scale: float = 1.0, colour_aug: float = 0.0,
                 dead_leaves: float = 0.0) -> None:
        if not 0 < min_scale <= 1:
            raise ValueError(f"min_scale must be in (0, 1], got {min_scale}")
        for name, share in (("colour_aug", colour_aug), ("dead_leaves", dead_leaves)):
            if not 0 <= share <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {share}")
        self.dead_leaves = dead_leaves
        self.patch = patch
        self.min_scale = min_scale
        self.colour_aug = colour_aug
        self.images = [self._fit(a) for a in images]
        area = np.array([a.shape[0] * a.shape[1] for a in self.images], np.float64)
        self.p = area / area.sum()

    def _fit(self, a: np.ndarray) -> np.ndarray:
        ph, pw = max(0, self.patch - a.shape[0]), max(0, self.patch - a.shape[1])
        return np.pad(a, ((0, ph), (0, pw), (0, 0)), mode="symmetric") if ph or pw else a

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, P, P, 3) float32 in [0, 1]."""
        out = np.empty((n, self.patch, self.patch, 3), np.float32)
        for k in range(n):
            a = self.images[int(rng.choice(len(self.images), p=self.p))]
            side = self.patch
            if self.min_scale < 1:
                side = min(round(self.patch / rng.uniform(self.min_scale, 1.0)), a.shape[0], a.shape[1])
            y = int(rng.integers(0, a.shape[0] - side + 1))
            x = int(rng.integers(0, a.shape[1] - side + 1))
            crop = a[y:y + side, x:x + side]
            if side != self.patch:
                crop = np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize(
                    (self.patch, self.patch), Image.Resampling.LANCZOS))
            crop = np.rot90(crop, int(rng.integers(4)))
            out[k] = (crop[:, ::-1] if rng.random() < 0.5 else crop) / np.float32(255.0)
            if self.colour_aug and rng.random() < self.colour_aug:
                out[k] = recolour(out[k], rng)
            if self.dead_leaves and rng.random() < self.dead_leaves:
                out[k] = dead_leaves(rng, out[k], self.patch)
        return out


LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601, as PIL's convert("L")


def recolour(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(P, P, 3) in [0, 1] -> the same scene grey, sepia-toned, or with saturation x0.3-1.6 and each channel's gain
    x0.9-1.1 (one of the three, equally likely)."""
    luma = patch @ LUMA  # (P, P)
    kind = int(rng.integers(3))
    if kind == 0:
        return np.repeat(luma[..., None], 3, axis=2)
    if kind == 1:  # a warm tone whose strength varies from print to print
        tint = np.array([1.0, rng.uniform(0.85, 0.95), rng.uniform(0.65, 0.8)], np.float32)
        return np.clip(luma[..., None] * tint + (1 - tint) * 0.15 * luma[..., None] ** 0.5, 0, 1).astype(np.float32)
    saturation = rng.uniform(0.3, 1.6)
    gain = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    return np.clip((luma[..., None] + saturation * (patch - luma[..., None])) * gain, 0, 1).astype(np.float32)


def to_tensor(a: np.ndarray) -> torch.Tensor:
    """(N, H, W, C) or (N, H, W) numpy -> (N, C, H, W) float tensor."""
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return t.unsqueeze(1) if t.dim() == 3 else t.permute(0, 3, 1, 2).contiguous()


@dataclass
class Batch:
    inp: torch.Tensor  # (B, 3, H, W) corrupted
    target: torch.Tensor  # (B, 3, H, W) clean, or (B, 1, H, W) damage mask for detect
    # denoise: sigma (B,) with NaN = blind; inpaint: mask (B, 1, H, W); detect (training batches): how much the
    # damage changed each pixel (B, 1, H, W), which --faint-weight weighs the loss by
    aux: torch.Tensor | None = None
    clean: torch.Tensor | None = None  # detect: the undamaged photo (samples only)

    def to(self, device: torch.device) -> "Batch":
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device, non_blocking=True)

        return Batch(move(self.inp), move(self.target), move(self.aux), move(self.clean))


def corrupt(task: str, clean: np.ndarray, rng: np.random.Generator, args: argparse.Namespace) -> Batch:
    """Corrupt a stack of clean patches (N, H, W, 3) for one task."""
    n, h, w, _ = clean.shape
    if task == "denoise":
        noisy, sigma = np.empty_like(clean), np.empty(n, np.float32)
        for k in range(n):
            # Untouched patches teach the network to leave fine texture alone (a butterfly's speckle, a circuit
            # board's dots), which the impulse / grain part of the mixture otherwise teaches it to erase. No extra
            # random draw when the share is 0, so recipes from before --clean-share replay unchanged.
            if args.clean_share and rng.random() < args.clean_share:
                noisy[k], spec = clean[k], degrade.NoiseSpec("clean", 0.0, 0.0)
            elif args.low_sigma_share and rng.random() < args.low_sigma_share:
                # Low Gaussian noise is where the fine texture survives, and the mixture's half of Gaussian
                # patches spreads over 0-max_sigma; no extra draw when the share is 0 (older recipes replay unchanged)
                s = float(rng.uniform(0, args.low_sigma_max))
                noisy[k] = degrade.gaussian_noise(clean[k], s, rng)
                spec = degrade.NoiseSpec("gaussian", s, degrade.noise_level(noisy[k], clean[k]))
            else:
                noisy[k], spec = degrade.random_noise(clean[k], rng, args.max_sigma)
            sigma[k] = spec.sigma if spec.kind == "gaussian" else spec.level  # a clean patch's level is 0
            if rng.random() < args.blind_prob:
                sigma[k] = np.nan
        return Batch(to_tensor(noisy), to_tensor(clean), torch.from_numpy(sigma))
    if task == "inpaint":
        # no extra random draw when the share is 0, so recipes from before --thin-share replay unchanged
        kinds = [("thin" if args.thin_share and rng.random() < args.thin_share else None) for _ in range(n)]
        masks = np.stack([degrade.random_inpaint_mask(h, w, rng, kind, max_coverage=args.max_coverage)
                          for kind in kinds])
        return Batch(to_tensor(clean), to_tensor(clean), to_tensor(masks))
    damaged, masks, change = np.empty_like(clean), np.zeros((n, h, w), np.float32), np.zeros((n, h, w), np.float32)
    for k in range(n):
        if rng.random() < 0.1:  # intact photos with grain / JPEG only: nothing to find
            damaged[k] = degrade.film_grain(clean[k], float(rng.uniform(0, 15)), rng)
            if rng.random() < 0.5:
                damaged[k] = degrade.jpeg(damaged[k], int(rng.integers(40, 91)))
        else:
            damaged[k], masks[k], change[k] = degrade.graded_old_photo_damage(clean[k], rng)
    return Batch(to_tensor(damaged), to_tensor(masks), to_tensor(change), clean=to_tensor(clean))


def validation_batches(task: str, crops: np.ndarray, sigmas: tuple[int, ...]) -> dict[str, Batch]:
    """Fixed corruptions of the validation crops (seeded), by name; `sigmas`: the Gaussian noise levels the
    denoiser is validated at (restore.VAL_SIGMAS, passed in so this module does not import the entry point)."""
    out: dict[str, Batch] = {}
    n, h, w, _ = crops.shape
    clean = to_tensor(crops)
    if task == "denoise":
        for s in sigmas:
            rng = np.random.default_rng([7, s])
            noisy = np.stack([degrade.gaussian_noise(c, s, rng) for c in crops])
            out[f"s{s}"] = Batch(to_tensor(noisy), clean, torch.full((n,), float(s)))
        rng = np.random.default_rng([7, 1])
        noisy = np.stack([degrade.salt_and_pepper(c, 0.1, rng) for c in crops])
        out["sp10"] = Batch(to_tensor(noisy), clean, torch.full((n,), float("nan")))
        # a clean photo, blind: how much of the picture the denoiser changes when there is nothing to remove
        out["clean"] = Batch(clean, clean, torch.full((n,), float("nan")))
    elif task == "inpaint":
        for i, kind in enumerate(("thin", "thick", "box")):
            rng = np.random.default_rng([7, i])
            masks = np.stack([degrade.random_inpaint_mask(h, w, rng, kind) for _ in range(n)])
            out[kind] = Batch(clean, clean, to_tensor(masks))
    else:
        rng = np.random.default_rng([7, 0])
        pairs = [degrade.old_photo_damage(c, rng) for c in crops]
        out["damage"] = Batch(to_tensor(np.stack([p[0] for p in pairs])), to_tensor(np.stack([p[1] for p in pairs])),
                              clean=clean)
    return out


def centre_crops(images: list[np.ndarray], count: int, size: int) -> np.ndarray:
    """(N, S, S, 3) float32: the centre square of the first `count` images, S = min(size, smallest side)."""
    picked = images[:count]
    s = min([size] + [min(a.shape[:2]) for a in picked])
    crops = []
    for a in picked:
        y, x = (a.shape[0] - s) // 2, (a.shape[1] - s) // 2
        crops.append(a[y:y + s, x:x + s])
    return np.stack(crops).astype(np.float32) / 255.0


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) uint8 (a 1-channel mask becomes grey)."""
    a = (t.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a
