"""Train a GAN on CPU: `atelier train gan ...` or `python -m models.training.gan ...`.

    --arch cdcgan   our class-conditional DCGAN (models/networks/cdcgan.py), hinge loss   -> shipped models
    --arch mlp      the classic tutorial's MLP GAN (models/networks/mlp_gan.py), BCE loss -> the baseline

    --dataset digits       28x28 grey MNIST, 10 classes (models/data.py)                 -> `digits`
    --dataset calligraphy  64x64 grey glyphs, 9 brush / Kai / handwriting styles          -> `calligraphy`
    --dataset emoji        64x64 RGB colour emoji, 8 groups, DiffAugment by default       -> `emoji`
    --dataset fashion      28x28 grey Fashion-MNIST, 10 classes                           -> `fashion`
    (art sets: models/datasets/; each --dataset presets size, widths, steps and model id: DATASET_PRESETS)

Both archs use Adam, an EMA copy of the generator (the copy that is sampled, benchmarked and served), the same
data and batch size. Options from the GAN literature: --loss hinge|bce (bce = the non-saturating logistic loss),
spectral normalisation in D (on unless --no-spectral-norm), --r1-gamma (lazy R1 penalty on reals every
--r1-every steps), --diffaugment color,translation,cutout (models/training/diffaugment.py), --mode-seeking (the
MSGAN term against a conditional generator that ignores z within a class). The run folder collects:

    train.log / metrics.jsonl              losses and speed, one JSON line every --log-every steps
    samples-000400.png                     grid from the EMA generator (one row of 10 per class, or 10 rows)
    network-snapshot-000400.safetensors    resumable snapshot (see models/training/snapshots.py)
    checkpoint.json                        pointer to the latest snapshot + step, config, seeds, optimiser scalars

`--resume` continues a run exactly where its latest snapshot stopped (same data order and noise).
`--export DIR` writes the EMA generator as DIR/<model-id>.{safetensors,json} via models.checkpoint.save_model, and
its preview DIR/<model-id>.preview.png (models/preview.py), drawn from the exported files as the service draws.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from models.entrypoint import module_main
from models.checkpoint import load_network, save_model
from models.data import DEFAULT_DATA_DIR, DigitSet, load_image_folder, mnist_splits
from models.datasets import ImageSet, load_dataset
from models.networks.cdcgan import CDCGANConfig, Discriminator, Generator
from models.networks.mlp_gan import MLPDiscriminator, MLPGANConfig, MLPGenerator
from models.preview import write_preview
from models.registry import read_manifest
from models.training.common import add_export_arguments, add_precision_argument, autocast, open_run, update_ema
from models.training.diffaugment import diff_augment, parse_policy
from models.training.snapshots import (optimizer_from_flat, optimizer_to_flat, save_snapshot,
                                       sub_state)

log = logging.getLogger(__name__)

ARCHS = {  # --arch -> (architecture name in manifests, loss, config class)
    "cdcgan": ("cdcgan", "hinge", CDCGANConfig),
    "mlp": ("mlp-gan", "bce", MLPGANConfig),
}

# Optimiser defaults per arch. cdcgan: two time-scale updates (D learns 4x faster) with Adam(0, 0.9), the usual
# recipe for spectral-norm + hinge GANs; with 2e-4 / (0.5, 0.999) for both nets the generator ignored z within a
# class after a few hundred steps. mlp: the tutorial's own 2e-4 / (0.5, 0.999).
ARCH_DEFAULTS = {
    "cdcgan": {"lr_g": 1e-4, "lr_d": 4e-4, "beta1": 0.0, "beta2": 0.9},
    "mlp": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999},
}


@dataclass(frozen=True)
class DatasetPreset:
    """What --dataset sets unless the option is given (image size and channels come from the data itself).
    Budgets and measured speeds: docs/models/art-training-plan.md."""
    steps: int  # recommended CPU step budget
    base_channels: int  # cdcgan width at full resolution
    embed_dim: int  # cdcgan class-embedding size
    latent_dim: int  # cdcgan z size (the mlp baseline keeps 100)
    batch_size: int
    diffaugment: str  # DiffAugment policy, '' = none
    model_id: str  # exported model id (kebab-case)
    card: str  # model card, relative to the repository
    what: str  # "{n:,} real handwritten digits (28x28)": the description's tail, n = training images
    fake_classes: str = "uniform"  # how fakes' classes are drawn: "uniform", or "data" (the real classes' shares)


DATASET_PRESETS = {
    "digits": DatasetPreset(steps=9_000, base_channels=32, embed_dim=32, latent_dim=64, batch_size=64,
                            diffaugment="", model_id="digits", card="docs/models/digits.md",
                            what="{n:,} real handwritten digits (28x28)"),
    "calligraphy": DatasetPreset(steps=12_000, base_channels=16, embed_dim=32, latent_dim=128, batch_size=32,
                                 diffaugment="translation", model_id="calligraphy", card="docs/models/calligraphy.md",
                                 what="{n:,} CJK glyphs in 9 brush, Kai and handwriting styles (64x64)"),
    "emoji": DatasetPreset(steps=8_000, base_channels=16, embed_dim=8, latent_dim=128, batch_size=32,
                           diffaugment="color,translation,cutout", model_id="emoji", card="docs/models/emoji.md",
                           what="{n:,} Noto colour emoji (64x64 RGB)", fake_classes="data"),
    "fashion": DatasetPreset(steps=9_000, base_channels=32, embed_dim=32, latent_dim=64, batch_size=64,
                             diffaugment="", model_id="fashion", card="docs/models/fashion.md",
                             what="{n:,} Fashion-MNIST photos of clothing (28x28)"),
}


HYPER = ("batch_size", "lr_g", "lr_d", "beta1", "beta2", "ema_decay", "diffaugment", "r1_gamma", "r1_every",
         "no_spectral_norm", "mode_seeking", "precision", "fake_classes")  # recorded in every snapshot


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--arch", choices=sorted(ARCHS), default="cdcgan", help="cdcgan (ours) or mlp (tutorial baseline)")
    a("--dataset", choices=sorted(DATASET_PRESETS), default="digits",
      help="training data; presets size, widths, steps and model id (DATASET_PRESETS)")
    a("--run-dir", type=Path, default=None, help="run folder (default runs/gan-<arch>, runs/gan-<dataset>-<arch>)")
    a("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of the fetched data sets")
    a("--image-folder", type=Path, default=None, help="train on <folder>/<class>/*.png (28x28 grey) instead")
    a("--steps", type=int, default=None, help="total optimiser steps (a resumed run continues to this; "
      "default: the data set's preset)")
    a("--batch-size", type=int, default=None, help="default: the data set's preset (64 at 28 px, 32 at 64 px)")
    a("--lr-g", type=float, default=None, help="generator Adam learning rate (default: per arch, see ARCH_DEFAULTS)")
    a("--lr-d", type=float, default=None, help="discriminator Adam learning rate (default: per arch)")
    a("--beta1", type=float, default=None, help="Adam beta1 (default: per arch)")
    a("--beta2", type=float, default=None, help="Adam beta2 (default: per arch)")
    a("--ema-decay", type=float, default=0.999, help="EMA generator decay (ramped up over the first steps)")
    a("--loss", choices=["hinge", "bce"], default=None,
      help="hinge, or bce = the non-saturating logistic loss (default: hinge for cdcgan, bce for mlp)")
    a("--no-spectral-norm", action="store_true", help="cdcgan: no spectral normalisation in D (use --r1-gamma)")
    a("--r1-gamma", type=float, default=0.0, help="R1 penalty weight on real images (0 = off; try 0.1-10)")
    a("--r1-every", type=int, default=16, help="lazy R1: apply it every N steps, scaled by N")
    a("--fake-classes", choices=["uniform", "data"], default=None,
      help="classes of the fakes: uniform, or data = in the real classes' shares (default: the preset's; data for "
           "emoji, whose groups are unequal)")
    a("--mode-seeking", type=float, default=0.0,
      help="weight of the mode-seeking term (Mao et al. 2019, MSGAN): fakes come in pairs of one class and G is "
           "penalised when two latents give near-identical images (0 = off; 1 is the paper's value)")
    a("--diffaugment", default=None, help="DiffAugment policy for D's inputs, e.g. color,translation,cutout; "
      "'' = none (default: the data set's preset)")
    a("--seed", type=int, default=0, help="seeds initialisation, data order and noise")
    a("--calibration-batches", type=int, default=20,
      help="batches (500 images up to 32 px, 100 above) that re-estimate batch-norm statistics of the exported "
           "EMA generator; sample grids use at most 4")
    a("--threads", type=int, default=2, help="torch CPU threads")
    a("--device", default="cpu", help="cpu, cuda or cuda:N: where G and D train (noise, data order and "
      "augmentations are drawn on the CPU either way, so the recipe is the same)")
    add_precision_argument(parser)
    a("--log-every", type=int, default=50, help="append a metrics.jsonl line every N steps")
    a("--sample-every", type=int, default=500, help="write samples-<step>.png every N steps")
    a("--checkpoint-every", type=int, default=500, help="write a resumable snapshot every N steps")
    a("--max-minutes", type=float, default=None,
      help="stop after this much training time (snapshot, samples and --export as at --steps): for a lent GPU's "
           "fixed budget. The learning rates do not depend on --steps, so the manifest's step count replays it")
    a("--resume", action="store_true", help="continue from the run folder's latest snapshot")
    a("--no-progress", action="store_true", help="no tqdm bar (logs only)")
    g = parser.add_argument_group("architecture (cdcgan; mlp uses --latent-dim and --hidden)")
    g.add_argument("--latent-dim", type=int, default=None, help="size of z (default: preset for cdcgan, 100 mlp)")
    g.add_argument("--base-channels", type=int, default=None,
                   help="cdcgan channels at full resolution (x2 per halving, at most x8; default: preset)")
    g.add_argument("--embed-dim", type=int, default=None, help="cdcgan class-embedding size (default: preset)")
    g.add_argument("--hidden", type=int, default=128, help="mlp first hidden width")
    add_export_arguments(parser, network="generator", version="1.0.0", default_id="preset", default_card="preset")


def apply_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Fill every option left at None from the arch's optimiser defaults and the data set's preset."""
    preset = DATASET_PRESETS[args.dataset]
    defaults = {**ARCH_DEFAULTS[args.arch], "loss": ARCHS[args.arch][1], "steps": preset.steps,
                "batch_size": preset.batch_size, "base_channels": preset.base_channels,
                "embed_dim": preset.embed_dim, "latent_dim": preset.latent_dim if args.arch == "cdcgan" else 100,
                "diffaugment": preset.diffaugment if args.arch == "cdcgan" else "",  # the baseline stays plain
                "model_id": preset.model_id if args.arch == "cdcgan" else f"{preset.model_id}-mlp",
                "card": preset.card, "fake_classes": preset.fake_classes}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    parse_policy(args.diffaugment)  # fail now, not at the first step
    return args


# ---------------------------------------------------------------------------------------------------- pieces

def build_config(args: argparse.Namespace, num_classes: int, image_size: int = 28,
                 channels: int = 1) -> CDCGANConfig | MLPGANConfig:
    """num_classes: the generator's class count (1 for an unconditional cdcgan)."""
    if args.arch == "mlp":
        return MLPGANConfig(latent_dim=args.latent_dim, hidden=args.hidden, image_size=image_size,
                            channels=channels)
    return CDCGANConfig(latent_dim=args.latent_dim, num_classes=num_classes, embed_dim=args.embed_dim,
                        base_channels=args.base_channels, image_size=image_size, channels=channels)


def build_pair(arch: str, cfg: Any, spectral: bool = True) -> tuple[nn.Module, nn.Module]:
    if arch == "mlp":
        return MLPGenerator(cfg), MLPDiscriminator(cfg)
    return Generator(cfg), Discriminator(cfg, spectral=spectral)


def load_training_set(args: argparse.Namespace) -> DigitSet | ImageSet:
    """The training split only: held-out reference images are never trained on."""
    if args.image_folder is not None:
        return load_image_folder(args.image_folder)
    if args.dataset == "digits":
        train, _reference = mnist_splits(args.data_dir)
        return train
    return load_dataset(args.dataset, args.data_dir).train()


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W) grey or (N, H, W, 3) RGB uint8 -> (N, C, H, W) uint8 (scaled to [-1, 1] a batch at a time)."""
    chw = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(chw))


def r1_penalty(D: nn.Module, real: torch.Tensor, y: torch.Tensor, augment: Any) -> torch.Tensor:
    """Mean squared gradient norm of D's score w.r.t. the (un-augmented) real images (Mescheder et al. 2018)."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(augment(x), y).sum(), x, create_graph=True)  # (B, C, H, W)
    return grad.square().sum(dim=(1, 2, 3)).mean()


def batch_indices(step: int, n: int, batch_size: int, seed: int) -> torch.Tensor:
    """Indices of the batch at `step`: a fresh permutation per epoch, a function of (seed, step) only,
    so a resumed run sees exactly the batches an uninterrupted one would."""
    per_epoch = max(1, n // batch_size)
    epoch, i = divmod(step, per_epoch)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    if n < batch_size:  # tiny sets (tests, small user folders): sample with wrap-around
        return perm[torch.arange(batch_size) % n]
    return perm[i * batch_size:(i + 1) * batch_size]


def mode_seeking_loss(fake: torch.Tensor, z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """MSGAN's term for a batch whose halves share their classes pair by pair: the inverse of the image distance
    per unit of latent distance, so G gains by making two latents of one class give different images."""
    half = len(fake) // 2
    image_gap = (fake[:half] - fake[half:2 * half]).abs().mean()
    latent_gap = (z[:half] - z[half:2 * half]).abs().mean()
    return 1.0 / (image_gap / latent_gap + eps)


def d_loss_fn(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    if loss == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def g_loss_fn(loss: str, fake: torch.Tensor) -> torch.Tensor:
    if loss == "hinge":
        return -fake.mean()
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))  # non-saturating


@torch.no_grad()
def recalibrate_batchnorm(net: nn.Module, latent_dim: int, num_classes: int, batches: int = 20,
                          batch_size: int = 500, seed: int = 0) -> nn.Module:
    """A copy of `net` whose batch-norm running statistics are re-estimated for its own (EMA) weights — the
    training network's statistics do not match averaged weights. Deterministic for a given seed."""
    out = copy.deepcopy(net)
    bns = [m for m in out.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return out.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    out.train()
    gen = torch.Generator().manual_seed(seed)
    device = next(out.parameters()).device
    for _ in range(batches):
        z = torch.randn(batch_size, latent_dim, generator=gen)
        y = torch.randint(num_classes, (batch_size,), generator=gen)
        out(z.to(device), y.to(device))
    return out.eval()


def image_grid(images: torch.Tensor, nrow: int) -> Image.Image:
    """(N, C, H, W) in [-1, 1] -> one PIL image, nrow images per row, 2 px gaps."""
    n, c, h, w = images.shape
    rows = math.ceil(n / nrow)
    grid = np.zeros((rows * (h + 2) + 2, nrow * (w + 2) + 2, c), np.uint8)
    arr = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()  # (N, H, W, C)
    for k in range(n):
        r, q = divmod(k, nrow)
        grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + q * (w + 2):2 + q * (w + 2) + w] = arr[k]
    return Image.fromarray(grid[..., 0] if c == 1 else grid)


@torch.no_grad()
def sample_grid(net: nn.Module, latent_dim: int, num_classes: int, per_class: int = 10, seed: int = 1234) -> Image.Image:
    """One row per class (10 rows of unconditional samples for an unconditional net), fixed noise."""
    rows = num_classes or 10
    z = torch.randn(rows * per_class, latent_dim, generator=torch.Generator().manual_seed(seed))
    y = torch.arange(rows).repeat_interleave(per_class) % max(num_classes, 1)
    device = next(net.parameters()).device
    return image_grid(net(z.to(device), y.to(device)).cpu(), nrow=per_class)


# ---------------------------------------------------------------------------------------------------- the loop

def minutes_clock() -> float:
    """Minutes on a monotonic clock: what --max-minutes is measured by (tests replace it)."""
    return time.monotonic() / 60


@dataclass
class RunHooks:
    """Callbacks of Trainer.run, each called in the loop's own thread; the defaults do nothing."""
    on_step: Callable[[int, dict[str, float]], None] = lambda step, losses: None  # after every step; may raise
    on_samples: Callable[[int, Path], None] = lambda step, path: None  # a sample grid was written
    on_checkpoint: Callable[[int, Path], None] = lambda step, path: None  # a complete snapshot was written


class Trainer:
    def __init__(self, args: argparse.Namespace, data: DigitSet | ImageSet) -> None:
        self.args = args
        self.arch_name, _, _ = ARCHS[args.arch]
        self.loss = args.loss
        # classes the generator is conditioned on; 0 = unconditional (the mlp, or a set without classes)
        self.num_classes = len(data.classes) if args.arch == "cdcgan" else 0
        self.classes = data.classes
        self.x = images_to_tensor(data.images)  # (N, C, S, S) uint8
        self.y = torch.from_numpy(data.labels)  # (N,)
        # --fake-classes data (emoji's preset): fake labels follow the real ones' frequencies (emoji: 85 "activities",
        # 261 "objects"); drawn uniformly, D would see each class's real and fake images in different proportions.
        # The other presets keep the uniform draw of the runs that shipped (MNIST's classes are unequal too, 9-11%).
        counts = torch.bincount(self.y, minlength=max(self.num_classes, 1)).double()
        by_data = args.fake_classes == "data" and self.num_classes > 1 and counts.unique().numel() > 1
        self.label_weights = counts / counts.sum() if by_data else None
        _, channels, size, _ = self.x.shape
        self.cfg = build_config(args, max(self.num_classes, 1), image_size=size, channels=channels)
        torch.manual_seed(args.seed)
        self.device = torch.device(args.device)
        G, D = build_pair(args.arch, self.cfg, spectral=not args.no_spectral_norm)  # initialised on the CPU
        self.G, self.D = G.to(self.device), D.to(self.device)
        if args.precision == "bf16":  # oneDNN's bf16 convolutions want NHWC; it is also what GPU tensor cores like
            self.G, self.D = (m.to(memory_format=torch.channels_last) for m in (self.G, self.D))
        self.ema = copy.deepcopy(self.G).requires_grad_(False)
        betas = (args.beta1, args.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=args.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=args.lr_d, betas=betas)
        self.noise = torch.Generator().manual_seed(args.seed + 1)  # z and fake labels
        self.augment_rng = torch.Generator().manual_seed(args.seed + 2)  # DiffAugment's draws
        self.last_r1 = 0.0
        self.step = 0

    # --- snapshots
    def state_tensors(self) -> dict[str, torch.Tensor]:
        t = {f"G.{k}": v for k, v in self.G.state_dict().items()}
        t |= {f"D.{k}": v for k, v in self.D.state_dict().items()}
        t |= {f"ema.{k}": v for k, v in self.ema.state_dict().items()}
        tg, self._opt_g_meta = optimizer_to_flat(self.opt_g, "opt_g")
        td, self._opt_d_meta = optimizer_to_flat(self.opt_d, "opt_d")
        return t | tg | td | {"rng.noise": self.noise.get_state(), "rng.augment": self.augment_rng.get_state()}

    def save(self) -> Path:
        tensors = self.state_tensors()
        meta = {"arch": self.args.arch, "architecture": self.arch_name, "loss": self.loss,
                "dataset": self.args.dataset, "config": asdict(self.cfg), "classes": list(self.classes),
                "seeds": {"init": self.args.seed, "data": self.args.seed, "noise": self.args.seed + 1,
                          "augment": self.args.seed + 2},
                "opt_g": self._opt_g_meta, "opt_d": self._opt_d_meta,
                "hyper": {k: getattr(self.args, k) for k in HYPER}}
        return save_snapshot(self.run_dir, self.step, tensors, meta)

    def restore(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        if meta["arch"] != self.args.arch or meta["config"] != asdict(self.cfg):
            raise SystemExit(f"--resume: the run was trained with arch {meta['arch']} config {meta['config']}; "
                             f"got {self.args.arch} {asdict(self.cfg)}")
        self.G.load_state_dict(sub_state(tensors, "G"))
        self.D.load_state_dict(sub_state(tensors, "D"))
        self.ema.load_state_dict(sub_state(tensors, "ema"))
        optimizer_from_flat(self.opt_g, "opt_g", tensors, meta["opt_g"])
        optimizer_from_flat(self.opt_d, "opt_d", tensors, meta["opt_d"])
        self.noise.set_state(tensors["rng.noise"])
        if "rng.augment" in tensors:  # absent in runs from before DiffAugment (which never used it)
            self.augment_rng.set_state(tensors["rng.augment"])
        self.step = int(meta["step"])

    # --- one step
    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """What D sees: x with this run's DiffAugment policy applied (x itself when there is none)."""
        return diff_augment(x, self.args.diffaugment, self.augment_rng)

    def autocast(self) -> torch.autocast:
        """The forward passes' precision (--precision); losses are taken in float32."""
        return autocast(self.device, self.args.precision)

    def fake_labels(self, n: int) -> torch.Tensor:
        """n class indices for fakes, drawn from this run's noise stream."""
        if self.label_weights is None:
            return torch.randint(max(self.num_classes, 1), (n,), generator=self.noise)
        return torch.multinomial(self.label_weights, n, replacement=True, generator=self.noise)

    @torch.enable_grad()  # whatever the caller's global grad mode is
    def train_step(self) -> dict[str, float]:
        a = self.args
        idx = batch_indices(self.step, len(self.x), a.batch_size, a.seed)
        dev = self.device
        real = self.x[idx].to(dev).float() / 127.5 - 1.0  # (B, C, S, S) in [-1, 1]
        y_real = self.y[idx].to(dev)  # (B,)
        b = len(idx)
        z = torch.randn(b, self.cfg.latent_dim, generator=self.noise)
        if a.mode_seeking > 0:  # pairs: fake i and fake i + b/2 share a class (the mode-seeking term compares them)
            half = self.fake_labels((b + 1) // 2)
            y_fake = torch.cat([half, half])[:b]
        else:
            y_fake = self.fake_labels(b)
        z, y_fake = z.to(dev), y_fake.to(dev)  # drawn on the CPU: the same noise on any device

        with self.autocast():
            fake = self.G(z, y_fake).float()  # (B, C, S, S)
            d_real, d_fake = self.D(self.augment(real), y_real), self.D(self.augment(fake.detach()), y_fake)
        d_real, d_fake = d_real.float(), d_fake.float()
        d_loss = d_loss_fn(self.loss, d_real, d_fake)
        d_total = d_loss
        if a.r1_gamma > 0 and self.step % a.r1_every == 0:  # lazy R1: every r1_every steps, r1_every x the weight
            with self.autocast():
                r1 = r1_penalty(self.D, real, y_real, self.augment).float()
            d_total = d_loss + 0.5 * a.r1_gamma * a.r1_every * r1
            self.last_r1 = r1.item()
        self.opt_d.zero_grad(set_to_none=True)
        d_total.backward()
        self.opt_d.step()

        with self.autocast():
            d_on_fake = self.D(self.augment(fake), y_fake).float()
        g_loss = g_loss_fn(self.loss, d_on_fake)
        g_total = g_loss
        if a.mode_seeking > 0:
            ms = mode_seeking_loss(fake, z)
            g_total = g_loss + a.mode_seeking * ms
        self.opt_g.zero_grad(set_to_none=True)
        g_total.backward()
        self.opt_g.step()

        update_ema(self.ema, self.G, self.step, a.ema_decay)
        self.step += 1
        row = {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
               "d_real": d_real.mean().item(), "d_fake": d_fake.mean().item()}
        row |= {"r1": self.last_r1} if a.r1_gamma > 0 else {}
        return row | ({"mode_seeking": ms.item()} if a.mode_seeking > 0 else {})

    def served_generator(self, batches: int = 20) -> nn.Module:
        """The EMA generator with batch-norm statistics re-estimated: what samples and exports use."""
        per_batch = 500 if self.cfg.image_size <= 32 else 100  # 64 px images cost ~5x as much as 28 px ones
        return recalibrate_batchnorm(self.ema, self.cfg.latent_dim, max(self.num_classes, 1), batches=batches,
                                     batch_size=per_batch)

    def write_samples(self) -> Path:
        # 4 calibration batches are plenty for a preview grid and keep it cheap during training
        grid = sample_grid(self.served_generator(batches=min(4, self.args.calibration_batches)), self.cfg.latent_dim,
                           self.num_classes)
        path = self.run_dir / f"samples-{self.step:06d}.png"
        grid.save(path)
        return path

    def run(self, run_dir: Path, hooks: RunHooks | None = None) -> None:
        """Train to --steps. `hooks` let a caller watch the loop (a job reports progress, keeps checkpoints in its
        store, stops on request by raising from `on_step`); the loop itself is the same for every caller."""
        a = self.args
        hooks = hooks or RunHooks()
        self.run_dir = run_dir
        metrics = open(run_dir / "metrics.jsonl", "a")
        bar = tqdm(total=a.steps, initial=self.step, disable=a.no_progress, desc=f"gan-{a.arch}", dynamic_ncols=True)
        t0, s0, acc = time.perf_counter(), self.step, {}
        deadline = minutes_clock() + a.max_minutes if a.max_minutes else math.inf
        try:
            while self.step < a.steps:
                row = self.train_step()
                last = self.step == a.steps or minutes_clock() >= deadline
                for k, v in row.items():
                    acc[k] = acc.get(k, 0.0) + v
                bar.update(1)
                hooks.on_step(self.step, row)
                if self.step % a.log_every == 0 or last:
                    n = self.step - s0
                    row = {"step": self.step, **{k: round(v / n, 5) for k, v in acc.items()},
                           "steps_per_s": round(n / (time.perf_counter() - t0), 3), "time": time.time()}
                    metrics.write(json.dumps(row) + "\n")
                    metrics.flush()
                    bar.set_postfix(d=f"{row['d_loss']:.3f}", g=f"{row['g_loss']:.3f}")
                    log.info("step %d %s", self.step, row)
                    t0, s0, acc = time.perf_counter(), self.step, {}
                if self.step % a.sample_every == 0 or last:
                    hooks.on_samples(self.step, self.write_samples())
                if self.step % a.checkpoint_every == 0 or last:
                    hooks.on_checkpoint(self.step, self.save())
                if last and self.step < a.steps:
                    log.info("--max-minutes %s reached at step %d of %d", a.max_minutes, self.step, a.steps)
                    break
        finally:
            bar.close()
            metrics.close()

    def export(self, folder: Path, extra: dict[str, Any] | None = None) -> Path:
        """`extra`: manifest entries added or replaced (a user model's origin, its training summary)."""
        a = self.args
        conditional = self.num_classes > 0
        side = self.cfg.image_size
        what = (f"images of your own ({side}x{side})" if a.image_folder is not None or a.dataset not in DATASET_PRESETS
                else DATASET_PRESETS[a.dataset].what.format(n=len(self.x)))
        kind = {(True, "cdcgan"): "Class-conditional DCGAN", (False, "cdcgan"): "Unconditional DCGAN",
                (False, "mlp"): "Unconditional MLP GAN baseline"}[(conditional, a.arch)]
        manifest = {
            "id": a.model_id,
            "kind": "generator",
            "architecture": self.arch_name,
            "version": a.version,
            "description": a.description or f"{kind} trained on {what}",
            "classes": list(self.classes) if conditional else [],
            "image_size": self.cfg.image_size,
            "channels": self.cfg.channels,
            "config": asdict(self.cfg),
            "metrics": {},  # measured by the benchmark (docs/BENCHMARKS.md), which fills this in
            "card": a.card or None,
            "training": {"steps": self.step, "arch": a.arch, "loss": self.loss, "seed": a.seed,
                         "batch_size": a.batch_size,
                         **({"dataset": a.dataset} if a.image_folder is None else {"image_folder": True}),
                         **({"diffaugment": a.diffaugment} if a.diffaugment else {}),
                         **({"r1_gamma": a.r1_gamma, "r1_every": a.r1_every} if a.r1_gamma > 0 else {}),
                         **({"spectral_norm": False} if a.no_spectral_norm else {}),
                         **({"mode_seeking": a.mode_seeking} if a.mode_seeking > 0 else {}),
                         **({"precision": a.precision} if a.precision != "fp32" else {})},
        }
        manifest |= extra or {}
        path = save_model(folder, manifest, self.served_generator(a.calibration_batches).cpu().state_dict())
        info = read_manifest(path)  # the preview comes from the written files, loaded the way the service loads them
        log.info("wrote preview %s", write_preview(load_network(info), info))
        return path


def run(args: argparse.Namespace) -> int:
    apply_defaults(args)
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: PyTorch sees no CUDA device here (train with --device cpu)")
    if args.device.startswith("cuda"):  # fixed shapes: cuDNN times its kernels once and keeps the fastest
        torch.backends.cudnn.benchmark = True
    default_name = f"gan-{args.arch}" if args.dataset == "digits" else f"gan-{args.dataset}-{args.arch}"
    run_dir = args.run_dir or Path("runs") / default_name
    trainer = open_run(run_dir, args, lambda: Trainer(args, load_training_set(args)))
    if trainer is None:
        return 2
    trainer.run(run_dir)
    if args.export is not None:
        path = trainer.export(args.export)
        log.info("exported %s", path)
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.training.gan", description=__doc__.split("\n")[0],
                       argv=argv)


if __name__ == "__main__":
    sys.exit(main())
