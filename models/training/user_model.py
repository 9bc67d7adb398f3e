"""Train a generator on an artist's own images with the one GAN trainer (models/training/gan.py), as a job or from
the command line: a recipe sized for a few dozen to a few thousand images, resumable from a run folder.

The recipe is the `emoji` one (our colour model from few images): the class-conditional DCGAN (unconditional when
the images have no class folders), hinge loss, spectral norm, EMA, and DiffAugment colour + translation + cutout,
which keeps the discriminator from memorising a small set (Zhao et al. 2020). Everything that decides the weights
is in `UserRecipe`, recorded in the job and in the exported manifest.
"""

from __future__ import annotations

import argparse
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models.datasets.common import ImageSet
from models.training import gan
from models.training.snapshots import load_snapshot

ORIGIN = "trained from your images"
VERSION = "1.0.0"  # each export adds "+<8 hex digits>" of its own (export_user_model says why)


@dataclass(frozen=True)
class UserRecipe:
    steps: int  # optimiser steps
    image_size: int  # 32 or 64 (models/datasets/user.py SIZES)
    seed: int = 0  # initialisation, data order and noise
    base_channels: int = 32  # cdcgan width at full resolution (x2 per halving, at most x8)
    latent_dim: int = 128  # size of z
    embed_dim: int = 16  # class-embedding size (conditional models)
    batch_size: int = 32  # a smaller set is sampled with wrap-around
    diffaugment: str = "color,translation,cutout"  # DiffAugment policy on D's inputs
    mode_seeking: float = 1.0  # MSGAN term: small sets collapse onto a few images without it (calligraphy.md)
    checkpoint_every: int = 200  # steps between resumable snapshots
    sample_every: int = 100  # steps between sample grids
    calibration_batches: int = 4  # batch-norm re-estimation batches for the exported EMA generator
    precision: str = "fp32"  # fp32, or bf16 autocast (the trainer's --precision)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trainer_args(recipe: UserRecipe, *, progress_bar: bool = False) -> argparse.Namespace:
    """The gan trainer's arguments for this recipe, exactly as `atelier train gan` would parse them. (torch's thread
    count is the caller's to set: it is per process, and an embedded server runs other jobs beside this one.)"""
    parser = argparse.ArgumentParser()
    gan.add_arguments(parser)
    argv = ["--arch", "cdcgan", "--steps", str(recipe.steps), "--seed", str(recipe.seed),
            "--base-channels", str(recipe.base_channels), "--latent-dim", str(recipe.latent_dim),
            "--embed-dim", str(recipe.embed_dim), "--batch-size", str(recipe.batch_size),
            "--diffaugment", recipe.diffaugment, "--mode-seeking", str(recipe.mode_seeking),
            "--checkpoint-every", str(recipe.checkpoint_every), "--sample-every", str(recipe.sample_every),
            "--log-every", str(max(1, recipe.sample_every)),
            "--calibration-batches", str(recipe.calibration_batches), "--precision", recipe.precision,
            "--version", VERSION, "--card", ""]
    if not progress_bar:
        argv.append("--no-progress")
    args = gan.apply_defaults(parser.parse_args(argv))
    args.dataset = "your-images"  # not a preset: the manifest says "images of your own"
    return args


def open_trainer(data: ImageSet, recipe: UserRecipe, run_dir: Path, *, progress_bar: bool = False) -> gan.Trainer:
    """A trainer for `data`, resumed from `run_dir`'s latest snapshot when it has one (trainer.step says where)."""
    if len(data) == 0:
        raise ValueError("no images to train on")
    trainer = gan.Trainer(trainer_args(recipe, progress_bar=progress_bar), data)
    run_dir.mkdir(parents=True, exist_ok=True)
    snap = load_snapshot(run_dir)
    if snap is not None:
        try:
            trainer.restore(*snap)
        except SystemExit as exc:  # the trainer's CLI-minded refusal of a different config
            raise ValueError(str(exc)) from None
    return trainer


def describe(name: str, data: ImageSet, size: int) -> str:
    colour = "RGB" if data.images.ndim == 4 else "grey"
    kind = "Class-conditional DCGAN" if data.conditional else "DCGAN"
    return f"{name}: {kind} trained on {len(data)} of your images ({size}x{size} {colour})"


def export_user_model(trainer: gan.Trainer, folder: Path, *, model_id: str, name: str, recipe: UserRecipe,
                      data: ImageSet, source: dict[str, Any]) -> Path:
    """Write <id>.safetensors, <id>.json and <id>.preview.png into `folder`; returns the manifest path.
    `source` says where the images came from (job id, image count, ...), for the manifest's training record."""
    trainer.args.model_id = model_id
    # A deleted model's id may be given to a new model; a version of its own keeps the two apart wherever the
    # version is part of a key: the result cache, the loaded-model cache, a preview URL cached for good.
    trainer.args.version = f"{VERSION}+{secrets.token_hex(4)}"
    trainer.args.description = describe(name, data, recipe.image_size)
    extra = {"origin": ORIGIN, "name": name,
             "training": {"steps": trainer.step, "arch": "cdcgan", "loss": trainer.loss, "recipe": recipe.to_dict(),
                          "images": len(data), **source}}
    return trainer.export(folder, extra=extra)
