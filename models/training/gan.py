"""Train a digit GAN on CPU: `atelier train gan ...` or `python -m models.training.gan ...`.

    --arch cdcgan   our class-conditional DCGAN (models/networks/cdcgan.py), hinge loss   -> shipped as `digits`
    --arch mlp      the classic tutorial's MLP GAN (models/networks/mlp_gan.py), BCE loss -> the baseline

Both use Adam, an EMA copy of the generator (the copy that is sampled, benchmarked and served), the same data
and batch size. The run folder collects:

    train.log / metrics.jsonl              losses and speed, one JSON line every --log-every steps
    samples-000400.png                     10x10 grid from the EMA generator (one row per class)
    network-snapshot-000400.safetensors    resumable snapshot (see models/training/snapshots.py)
    checkpoint.json                        pointer to the latest snapshot + step, config, seeds, optimiser scalars

`--resume` continues a run exactly where its latest snapshot stopped (same data order and noise).
`--export DIR` writes the EMA generator as DIR/<model-id>.{safetensors,json} via models.checkpoint.save_model.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from models.entrypoint import module_main
from models.checkpoint import save_model
from models.data import DEFAULT_DATA_DIR, DigitSet, load_image_folder, mnist_splits, to_unit_range
from models.networks.cdcgan import CDCGANConfig, Discriminator, Generator
from models.networks.mlp_gan import MLPDiscriminator, MLPGANConfig, MLPGenerator
from models.training.common import open_run, update_ema
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--arch", choices=sorted(ARCHS), default="cdcgan", help="cdcgan (ours) or mlp (tutorial baseline)")
    a("--run-dir", type=Path, default=None, help="run folder (default runs/gan-<arch>)")
    a("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of the fetched digit sets")
    a("--image-folder", type=Path, default=None, help="train on <folder>/<class>/*.png instead of MNIST")
    a("--steps", type=int, default=9_000, help="total optimiser steps (a resumed run continues to this)")
    a("--batch-size", type=int, default=64)
    a("--lr-g", type=float, default=None, help="generator Adam learning rate (default: per arch, see ARCH_DEFAULTS)")
    a("--lr-d", type=float, default=None, help="discriminator Adam learning rate (default: per arch)")
    a("--beta1", type=float, default=None, help="Adam beta1 (default: per arch)")
    a("--beta2", type=float, default=None, help="Adam beta2 (default: per arch)")
    a("--ema-decay", type=float, default=0.999, help="EMA generator decay (ramped up over the first steps)")
    a("--seed", type=int, default=0, help="seeds initialisation, data order and noise")
    a("--threads", type=int, default=2, help="torch CPU threads")
    a("--log-every", type=int, default=50, help="append a metrics.jsonl line every N steps")
    a("--sample-every", type=int, default=500, help="write samples-<step>.png every N steps")
    a("--checkpoint-every", type=int, default=500, help="write a resumable snapshot every N steps")
    a("--resume", action="store_true", help="continue from the run folder's latest snapshot")
    a("--no-progress", action="store_true", help="no tqdm bar (logs only)")
    g = parser.add_argument_group("architecture (cdcgan; mlp uses --latent-dim and --hidden)")
    g.add_argument("--latent-dim", type=int, default=None, help="size of z (default 64 cdcgan, 100 mlp)")
    g.add_argument("--base-channels", type=int, default=32, help="cdcgan channels at 28x28 (x2, x4 below)")
    g.add_argument("--embed-dim", type=int, default=32, help="cdcgan class-embedding size")
    g.add_argument("--hidden", type=int, default=128, help="mlp first hidden width")
    e = parser.add_argument_group("export")
    e.add_argument("--export", type=Path, default=None, help="write the EMA generator to this weights folder")
    e.add_argument("--model-id", default="digits", help="kebab-case id of the exported model")
    e.add_argument("--version", default="1.0.0", help="version of the exported weights")
    e.add_argument("--description", default=None, help="one line shown by the API")
    e.add_argument("--card", default="docs/models/digits.md", help="model card path, relative to the repo")


# ---------------------------------------------------------------------------------------------------- pieces

def build_config(args: argparse.Namespace, num_classes: int) -> CDCGANConfig | MLPGANConfig:
    if args.arch == "mlp":
        return MLPGANConfig(latent_dim=args.latent_dim or 100, hidden=args.hidden)
    return CDCGANConfig(latent_dim=args.latent_dim or 64, num_classes=num_classes, embed_dim=args.embed_dim,
                        base_channels=args.base_channels)


def build_pair(arch: str, cfg: Any) -> tuple[nn.Module, nn.Module]:
    if arch == "mlp":
        return MLPGenerator(cfg), MLPDiscriminator(cfg)
    return Generator(cfg), Discriminator(cfg)


def load_training_set(args: argparse.Namespace) -> DigitSet:
    if args.image_folder is not None:
        return load_image_folder(args.image_folder)
    train, _reference = mnist_splits(args.data_dir)  # the reference split is never trained on
    return train


def batch_indices(step: int, n: int, batch_size: int, seed: int) -> torch.Tensor:
    """Indices of the batch at `step`: a fresh permutation per epoch, a function of (seed, step) only,
    so a resumed run sees exactly the batches an uninterrupted one would."""
    per_epoch = max(1, n // batch_size)
    epoch, i = divmod(step, per_epoch)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    if n < batch_size:  # tiny sets (tests, small user folders): sample with wrap-around
        return perm[torch.arange(batch_size) % n]
    return perm[i * batch_size:(i + 1) * batch_size]


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
    for _ in range(batches):
        z = torch.randn(batch_size, latent_dim, generator=gen)
        y = torch.randint(num_classes, (batch_size,), generator=gen)
        out(z, y)
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
    return image_grid(net(z, y), nrow=per_class)


# ---------------------------------------------------------------------------------------------------- the loop

class Trainer:
    def __init__(self, args: argparse.Namespace, data: DigitSet) -> None:
        self.args = args
        self.arch_name, self.loss, _ = ARCHS[args.arch]
        self.num_classes = len(data.classes) if args.arch == "cdcgan" else 0
        self.classes = data.classes
        self.x = torch.from_numpy(to_unit_range(data.images))  # (N, 1, 28, 28) in [-1, 1]
        self.y = torch.from_numpy(data.labels)  # (N,)
        self.cfg = build_config(args, len(data.classes))
        torch.manual_seed(args.seed)
        self.G, self.D = build_pair(args.arch, self.cfg)
        self.ema = copy.deepcopy(self.G).requires_grad_(False)
        betas = (args.beta1, args.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=args.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=args.lr_d, betas=betas)
        self.noise = torch.Generator().manual_seed(args.seed + 1)  # z and fake labels
        self.step = 0

    # --- snapshots
    def state_tensors(self) -> dict[str, torch.Tensor]:
        t = {f"G.{k}": v for k, v in self.G.state_dict().items()}
        t |= {f"D.{k}": v for k, v in self.D.state_dict().items()}
        t |= {f"ema.{k}": v for k, v in self.ema.state_dict().items()}
        tg, self._opt_g_meta = optimizer_to_flat(self.opt_g, "opt_g")
        td, self._opt_d_meta = optimizer_to_flat(self.opt_d, "opt_d")
        return t | tg | td | {"rng.noise": self.noise.get_state()}

    def save(self) -> None:
        tensors = self.state_tensors()
        meta = {"arch": self.args.arch, "architecture": self.arch_name, "loss": self.loss,
                "config": asdict(self.cfg), "classes": list(self.classes),
                "seeds": {"init": self.args.seed, "data": self.args.seed, "noise": self.args.seed + 1},
                "opt_g": self._opt_g_meta, "opt_d": self._opt_d_meta,
                "hyper": {k: getattr(self.args, k) for k in ("batch_size", "lr_g", "lr_d", "beta1", "beta2",
                                                               "ema_decay")}}
        save_snapshot(self.run_dir, self.step, tensors, meta)

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
        self.step = int(meta["step"])

    # --- one step
    @torch.enable_grad()  # whatever the caller's global grad mode is
    def train_step(self) -> dict[str, float]:
        a = self.args
        idx = batch_indices(self.step, len(self.x), a.batch_size, a.seed)
        real, y_real = self.x[idx], self.y[idx]  # (B, 1, 28, 28), (B,)
        b = len(idx)
        z = torch.randn(b, self.cfg.latent_dim, generator=self.noise)
        y_fake = torch.randint(max(self.num_classes, 1), (b,), generator=self.noise)

        fake = self.G(z, y_fake)  # (B, 1, 28, 28)
        d_real, d_fake = self.D(real, y_real), self.D(fake.detach(), y_fake)
        d_loss = d_loss_fn(self.loss, d_real, d_fake)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        g_loss = g_loss_fn(self.loss, self.D(fake, y_fake))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()

        update_ema(self.ema, self.G, self.step, a.ema_decay)
        self.step += 1
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": d_real.mean().item(), "d_fake": d_fake.mean().item()}

    def served_generator(self, batches: int = 20) -> nn.Module:
        """The EMA generator with batch-norm statistics re-estimated: what samples and exports use."""
        return recalibrate_batchnorm(self.ema, self.cfg.latent_dim, max(self.num_classes, 1), batches=batches)

    def write_samples(self) -> None:
        # 4 x 500 calibration images are plenty for a preview grid and keep it cheap during training
        grid = sample_grid(self.served_generator(batches=4), self.cfg.latent_dim, self.num_classes)
        grid.save(self.run_dir / f"samples-{self.step:06d}.png")

    def run(self, run_dir: Path) -> None:
        a = self.args
        self.run_dir = run_dir
        metrics = open(run_dir / "metrics.jsonl", "a")
        bar = tqdm(total=a.steps, initial=self.step, disable=a.no_progress, desc=f"gan-{a.arch}", dynamic_ncols=True)
        t0, s0, acc = time.perf_counter(), self.step, {}
        try:
            while self.step < a.steps:
                for k, v in self.train_step().items():
                    acc[k] = acc.get(k, 0.0) + v
                bar.update(1)
                if self.step % a.log_every == 0 or self.step == a.steps:
                    n = self.step - s0
                    row = {"step": self.step, **{k: round(v / n, 5) for k, v in acc.items()},
                           "steps_per_s": round(n / (time.perf_counter() - t0), 3), "time": time.time()}
                    metrics.write(json.dumps(row) + "\n")
                    metrics.flush()
                    bar.set_postfix(d=f"{row['d_loss']:.3f}", g=f"{row['g_loss']:.3f}")
                    log.info("step %d %s", self.step, row)
                    t0, s0, acc = time.perf_counter(), self.step, {}
                if self.step % a.sample_every == 0 or self.step == a.steps:
                    self.write_samples()
                if self.step % a.checkpoint_every == 0 or self.step == a.steps:
                    self.save()
        finally:
            bar.close()
            metrics.close()

    def export(self, folder: Path) -> Path:
        a = self.args
        conditional = self.num_classes > 0
        manifest = {
            "id": a.model_id,
            "kind": "generator",
            "architecture": self.arch_name,
            "version": a.version,
            "description": a.description or (
                f"Class-conditional DCGAN trained on {len(self.x):,} real handwritten digits (28x28)"
                if conditional else f"Unconditional MLP GAN baseline trained on {len(self.x):,} digits"),
            "classes": list(self.classes) if conditional else [],
            "image_size": 28,
            "channels": 1,
            "config": asdict(self.cfg),
            "metrics": {},  # measured by the benchmark (docs/BENCHMARKS.md), which fills this in
            "card": a.card or None,
            "training": {"steps": self.step, "arch": a.arch, "loss": self.loss, "seed": a.seed,
                         "batch_size": a.batch_size},
        }
        return save_model(folder, manifest, self.served_generator().state_dict())


def run(args: argparse.Namespace) -> int:
    for key, value in ARCH_DEFAULTS[args.arch].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    torch.set_num_threads(args.threads)
    run_dir = args.run_dir or Path("runs") / f"gan-{args.arch}"
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
