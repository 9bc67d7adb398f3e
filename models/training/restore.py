"""Train the photo-repair networks on CPU: `atelier train denoise|inpaint|detect ...` or
`python -m models.training.restore denoise|inpaint|detect ...`.

    denoise   Denoiser (models/networks/restore_unet.py): a noise mixture (Gaussian sigma 0-50, salt-and-pepper,
              film grain, JPEG, mixtures; models/degrade.py), Charbonnier loss; the noise level is given with a
              "known" flag for half the images and withheld (blind) for the rest
    inpaint   Inpainter: thin / thick strokes, blobs and boxes covering up to 40%; L1 on the whole guess plus a
              heavier L1 in the hole; optionally a light hinge-GAN term from a patch discriminator (--adv-weight);
              --prefill normconv: the network refines a smooth fill of the hole instead of a blank one
    detect    DamageDetector: synthetic old-photo damage with its true mask; BCE + Dice

Training photos: the train split of models/photos.py (or --train-folder); validation crops: its held-out val split
(or --val-folder), never trained on. Patches are cut on the fly with random flips / rotations; the corruption of
step k is drawn from a generator seeded by (seed, k), so a resumed run sees exactly the batches an uninterrupted
one would. AdamW, linear warm-up then cosine decay (a function of the step, nothing to save), an EMA copy of the
weights (what samples, validation and exports use). The run folder collects

    train.log / metrics.jsonl              losses, lr and speed every --log-every steps; val_* rows every --val-every
    samples-000400.png                     rows of input | EMA output | target on fixed validation crops
    network-snapshot-000400.safetensors    resumable snapshot (models/training/snapshots.py)
    checkpoint.json                        pointer to the latest snapshot + step, task, config, optimiser scalars

`--resume` continues where the latest snapshot stopped; `--export DIR` writes the EMA network as
DIR/<model-id>.{safetensors,json} via models.checkpoint.save_model (`--export-dtype float16`: half the size).
"""

from __future__ import annotations

import argparse
import dataclasses
import copy
import json
import logging
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from models import degrade
from models.entrypoint import module_main
from models.checkpoint import WEIGHT_DTYPES, load_weights, save_model
from models.networks.prefill import PREFILLS
from models.networks.restore_unet import (TASKS, RestoreUNetConfig, build, can_widen, macs_per_pixel, tiny_config,
                                          widen_into)
from models.registry import read_manifest
from models.photos import DEFAULT_PHOTO_DIR, PHOTO_SETS, load_folder, load_split
from models.quality import mask_scores, psnr, ssim
from models.training.common import (MEMORY_FORMATS, add_export_arguments, add_memory_format_argument,
                                    add_precision_argument, autocast, faster_memory_format, open_run, update_ema)
from models.training.restore_data import Batch, PatchSampler, centre_crops, corrupt, to_uint8, validation_batches
from models.training.restore_losses import PatchDiscriminator, charbonnier, dice_loss, lr_at
from models.training.snapshots import optimizer_from_flat, optimizer_to_flat, save_snapshot, sub_state

log = logging.getLogger(__name__)

# task -> defaults of the architecture and the recipe (each can be overridden on the command line)
DEFAULTS: dict[str, dict[str, Any]] = {
    "denoise": dict(widths=(32, 64, 96, 128), enc_blocks=(1, 2, 2, 2), dec_blocks=(1, 1, 1), dilations=(),
                    gated=False, head_channels=16, patch_size=128, batch_size=16, lr=1e-3),
    "inpaint": dict(widths=(32, 64, 96, 128), enc_blocks=(1, 2, 2, 2), dec_blocks=(1, 1, 1), dilations=(2, 4, 8),
                    gated=True, head_channels=16, prefill="none", patch_size=192, batch_size=8, lr=5e-4),
    "detect": dict(widths=(24, 48, 64, 96), enc_blocks=(1, 1, 2, 2), dec_blocks=(1, 1, 1), dilations=(),
                   gated=False, head_channels=8, patch_size=128, batch_size=16, lr=1e-3),
}
ARCHITECTURE = {t: f"{t}-unet" for t in TASKS}  # manifest architecture names (models/networks/__init__.py)
WIDENABLE = ("widths", "enc_blocks", "dec_blocks", "head_channels", "dilations")  # --init-from may grow these
VAL_SIGMAS = (15, 25, 50)


HOLE_LOSSES = ("l1", "l2", "l2-image")
FAINT_UP_TO = 0.25  # --faint-weight: damage changing a pixel by this much or more is not faint (0-1 scale)


def hole_term(err: torch.Tensor, m: torch.Tensor, kind: str) -> torch.Tensor:
    """The inpainter's loss in the hole (err = prediction - target, m = 1 in the hole); see --hole-loss. The
    divisors put the three on one scale at typical errors (0.02 absolute, holes of ~20% of an image)."""
    if kind == "l1":
        return (err.abs() * m).mean()
    sq = err.float() ** 2 * m
    if kind == "l2":
        return sq.mean() / 0.02
    per_image = sq.sum(dim=(1, 2, 3)) / (m.sum(dim=(1, 2, 3)) * err.shape[1]).clamp_min(1)
    return per_image.mean() / 0.1


def faint_weights(mask: torch.Tensor, change: torch.Tensor | None, extra: float) -> torch.Tensor | None:
    """The detector's per-pixel BCE weights for --faint-weight: 1 + extra on a damaged pixel changed by the
    smallest visible amount (degrade.VISIBLE_CHANGE, 0.06), falling linearly to 1 at a change of FAINT_UP_TO and
    above; 1 elsewhere. Faint damage (a pale stain on a light wall, a low-contrast scratch) is what the detector
    misses, yet each of its pixels counts as much in F1 as a black speck's. None (unweighted) when extra is 0."""
    if not extra or change is None:
        return None
    faintness = ((FAINT_UP_TO - change) / (FAINT_UP_TO - degrade.VISIBLE_CHANGE)).clamp(0, 1)
    return 1 + extra * mask * faintness


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share is between 0 and 1, got {text}")
    return value


def _sides(text: str) -> tuple[int, ...]:
    try:
        sides = _ints(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"patch sides are whole numbers separated by commas, got {text!r}") from None
    if not sides or min(sides) < 16:
        raise argparse.ArgumentTypeError(f"patch sides are at least 16 pixels, got {text!r}")
    return sides


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("task", choices=TASKS, help="which network to train")
    a("--run-dir", type=Path, default=None, help="run folder (default runs/<task>)")
    a("--data-dir", type=Path, default=DEFAULT_PHOTO_DIR, help="cache of the fetched photos (models/photos.py)")
    a("--photo-set", choices=PHOTO_SETS, default="all",
      help="training photos of the cache: all (206), the 104 before GCompris's joined them, the 51 every shipped "
           "stage since 2026-11-22 trained on (up to denoise 0.7.0 / inpaint 0.5.0 / detect 0.7.0), or the 45 "
           "original ones (how the models up to denoise 0.3.0 / inpaint 0.3.0 / detect 0.2.0 trained); "
           "docs/models/repair-data.md")
    a("--train-folder", type=Path, default=None, help="train on the images below this folder instead")
    a("--val-folder", type=Path, default=None, help="validate on the images below this folder instead")
    a("--steps", type=int, default=100_000, help="total optimiser steps (a resumed run continues to this)")
    a("--stop-at", type=int, default=None,
      help="stop (with a snapshot) after this step; the schedule still spans --steps (resume to go on)")
    a("--batch-size", type=int, default=None, help="patches per step (default per task: 16 / 8 / 16)")
    a("--patch-size", type=int, default=None, help="side of the training patches (default 128 / 192 / 128)")
    a("--mix-patch-sizes", type=_sides, default=(),
      help="also train on patches of these sides (comma-separated): each step draws one side, --patch-size or one "
           "of these, and scales the batch to the same pixels. Damage is drawn at the scale of its patch, so a "
           "detector trained on one side learns the damage of pictures of that size (off by default)")
    a("--lr", type=float, default=None, help="peak AdamW learning rate (default 1e-3 / 5e-4 / 1e-3)")
    a("--min-scale", type=float, default=1.0,
      help="scale augmentation: cut each patch up to 1/MIN_SCALE times larger and reduce it to the patch size "
           "(1 = off, how denoise up to 0.3.0, inpaint up to 0.3.0 and detect up to 0.2.0 trained)")
    a("--colour-aug", type=_share, default=0.0,
      help="share of the patches recoloured: grey, sepia, or shifted saturation and white balance (0 = off)")
    a("--dead-leaves", type=_share, default=0.0,
      help="share of the patches replaced by a synthetic dead-leaves image (models/training/dead_leaves.py) in "
           "the photo patch's colours: sharp edges and pixel-sized specks that are content, not noise (0 = off)")
    a("--min-lr-ratio", type=float, default=0.02, help="cosine decay ends at lr * this")
    a("--warmup", type=int, default=500, help="linear learning-rate warm-up steps")
    a("--weight-decay", type=float, default=1e-4, help="AdamW weight decay")
    a("--ema-decay", type=float, default=0.999, help="EMA decay (ramped up over the first steps)")
    a("--seed", type=int, default=0, help="seeds initialisation, patches and corruptions")
    a("--threads", type=int, default=2, help="torch CPU threads")
    a("--device", default="cpu", help="cpu, cuda or cuda:N (a GPU trains the same recipe, much faster)")
    add_precision_argument(parser)
    add_memory_format_argument(parser)
    a("--data-workers", type=int, default=1,
      help="threads corrupting upcoming batches while the network trains (raise it on a GPU)")
    a("--log-every", type=int, default=50, help="append a metrics.jsonl line every N steps")
    a("--sample-every", type=int, default=1000, help="write samples-<step>.png every N steps")
    a("--val-every", type=int, default=1000, help="validate the EMA network every N steps")
    a("--checkpoint-every", type=int, default=500, help="write a resumable snapshot every N steps")
    a("--val-images", type=int, default=6, help="validation photos used (fixed centre crops)")
    a("--val-size", type=int, default=256, help="side of the validation crops")
    a("--resume", action="store_true", help="continue from the run folder's latest snapshot")
    a("--init-from", type=Path, default=None,
      help="start a new run from an exported model (its .json or .safetensors): same architecture, fresh "
           "optimiser and schedule; how the shipped weights keep improving across machines (runs/ is scratch). "
           "With --widths / --enc-blocks / --dec-blocks / --head-channels / --dilations the network grows: it "
           "starts out computing exactly what the exported one did, its new channels and blocks free to learn")
    a("--no-progress", action="store_true", help="no tqdm bar (logs only)")
    g = parser.add_argument_group("architecture (models/networks/restore_unet.py; defaults per task)")
    g.add_argument("--tiny", action="store_true", help="a tiny network (tests)")
    g.add_argument("--widths", type=_ints, default=None, help="channels per level, e.g. 32,64,96,128")
    g.add_argument("--enc-blocks", type=_ints, default=None, help="residual blocks per encoder level, e.g. 1,2,2,2")
    g.add_argument("--dec-blocks", type=_ints, default=None, help="residual blocks per decoder level, e.g. 1,1,1")
    g.add_argument("--dilations", type=_ints, default=None,
                   help="dilated context blocks at the deepest level, e.g. 2,4 (growing a model with --init-from: "
                        "its own, then the new ones)")
    g.add_argument("--gated", action=argparse.BooleanOptionalAction, default=None, help="gated convolutions")
    g.add_argument("--head-channels", type=int, default=None, help="full-resolution head channels (0 = none)")
    g.add_argument("--prefill", choices=tuple(PREFILLS), default=None,
                   help="inpaint: none = the network fills a blank hole (0.1.0); normconv = it refines a smooth "
                        "normalised-convolution fill (models/networks/prefill.py), starting out equal to it")
    t = parser.add_argument_group("task recipes")
    t.add_argument("--max-sigma", type=float, default=50.0, help="denoise: largest Gaussian sigma (0-255 scale)")
    t.add_argument("--clean-share", type=_share, default=0.0,
                   help="denoise: share of patches left uncorrupted, so the network learns to keep fine texture "
                        "(0 = off, how denoise up to 0.4.0 trained)")
    t.add_argument("--low-sigma-share", type=_share, default=0.0,
                   help="denoise: share of patches given plain Gaussian noise of sigma uniform in 0-LOW_SIGMA_MAX "
                        "instead of the mixture, whose half of Gaussian patches spreads over 0-MAX_SIGMA and so has few "
                        "at the low levels where fine texture survives (0 = off, how denoise up to 0.8.0 trained)")
    t.add_argument("--low-sigma-max", type=float, default=25.0, help="denoise: see --low-sigma-share")
    t.add_argument("--blind-prob", type=float, default=0.5, help="denoise: share of images without a noise level")
    t.add_argument("--max-coverage", type=float, default=0.4, help="inpaint: largest hole fraction")
    t.add_argument("--thin-share", type=_share, default=0.0,
                   help="inpaint: share of training images whose mask is thin strokes only (the rest draw the "
                        "usual mixture); a mixture's few scratch pixels barely weigh against its boxes")
    t.add_argument("--hole-weight", type=float, default=6.0, help="inpaint: weight of the hole term")
    t.add_argument("--hole-loss", choices=HOLE_LOSSES, default="l1",
                   help="inpaint: the hole term; l2 = squared error / 0.02 (the size of l1 at typical errors), "
                        "which is what PSNR measures and gives a residual a gradient that grows with its error; "
                        "l2-image = each image's mean squared error over its own hole / 0.1, so that a thin "
                        "scratch weighs as much as a large box")
    t.add_argument("--reinit-output", type=float, default=0.0,
                   help="after --init-from, draw the output layers again at this fraction of Kaiming scale "
                        "(0 = keep them): an inpainter whose residual sits at zero gets a body gradient again")
    t.add_argument("--adv-weight", type=float, default=0.0, help="inpaint: hinge-GAN weight (0 = no discriminator)")
    t.add_argument("--pos-weight", type=float, default=3.0, help="detect: BCE weight of damaged pixels")
    t.add_argument("--dice-weight", type=float, default=1.0, help="detect: weight of the Dice loss")
    t.add_argument("--faint-weight", type=float, default=0.0,
                   help=f"detect: extra BCE weight of faintly damaged pixels (changed by {degrade.VISIBLE_CHANGE}, "
                        f"falling to none at {FAINT_UP_TO}; 0 = off, how detect up to 0.8.0 trained)")
    add_export_arguments(parser, network="network", version="0.1.0", default_id="the task",
                         default_card="docs/models/<id>.md")
    parser.add_argument("--export-dtype", choices=tuple(WEIGHT_DTYPES), default="float32",
                        help="how the exported weights are stored: float16 halves the file (loading widens it back)")


def build_config(args: argparse.Namespace) -> RestoreUNetConfig:
    if args.prefill not in (None, "none") and args.task != "inpaint":
        raise SystemExit(f"--prefill {args.prefill} is for inpaint only, not {args.task}")
    if args.init_from is not None:  # the exported model fixes the architecture
        info = read_manifest(manifest_path(args.init_from))
        cfg = RestoreUNetConfig.from_dict(info.config)
        # one smooth prefill for another (normconv -> normconv-biharmonic): the planes still hold a smooth fill of
        # the hole, so the residual network is a good start; a blank hole for a smooth fill is not
        if args.prefill is not None and args.prefill != cfg.prefill and "none" in (args.prefill, cfg.prefill):
            raise SystemExit(
                f"--init-from: {info.id}@{info.version} was trained with prefill {cfg.prefill!r}, not "
                f"{args.prefill!r}: its input planes mean something else (a blank hole vs. a smooth fill of it), "
                f"so its weights are no starting point; train a --prefill {args.prefill} network from scratch")
        if args.prefill is not None:
            cfg = dataclasses.replace(cfg, prefill=args.prefill)
        grown = {k: getattr(args, k) for k in WIDENABLE if getattr(args, k) is not None}
        if grown:  # a wider / deeper network seeded with the exported one (restore_unet.widen_into)
            wider = dataclasses.replace(cfg, **grown)
            why = can_widen(cfg, wider)
            if why is not None:
                raise SystemExit(f"--init-from {info.id}@{info.version} cannot seed {wider.to_dict()}: {why}")
            cfg = wider
        return cfg
    if args.tiny:
        base = tiny_config(args.task)
        d = base.to_dict()
    else:
        d = {k: v for k, v in DEFAULTS[args.task].items() if k in RestoreUNetConfig.__dataclass_fields__}
        d["task"] = args.task
    for k in ("widths", "enc_blocks", "dec_blocks", "dilations", "gated", "head_channels", "prefill"):
        if getattr(args, k) is not None:
            d[k] = getattr(args, k)
    return RestoreUNetConfig(**d)


def manifest_path(path: Path) -> Path:
    return path.with_suffix(".json") if path.suffix == ".safetensors" else path


def load_init(args: argparse.Namespace, task: str
              ) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]], RestoreUNetConfig]:
    """Weights, earlier training stages and architecture of the --init-from model (checked to be of this task)."""
    path = manifest_path(args.init_from)
    info = read_manifest(path)
    if info.architecture != ARCHITECTURE[task]:
        raise SystemExit(f"--init-from: {info.id} is a {info.architecture} model, not {ARCHITECTURE[task]}")
    training = dict(json.loads(path.read_text()).get("training") or {})
    stages = [dict(s) for s in training.pop("stages", None) or [training]]
    stages[-1]["model"] = f"{info.id}@{info.version}"  # the stage that made it; earlier ones name their own models
    return load_weights(info.weights_path), stages, RestoreUNetConfig.from_dict(info.config)


def hyper(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name)
    return DEFAULTS[args.task][name] if value is None else value


# ---------------------------------------------------------------------------------------------------- the loop

class Trainer:
    def __init__(self, args: argparse.Namespace, train_images: list[np.ndarray], val_images: list[np.ndarray]) -> None:
        self.args = args
        self.task = args.task
        self.cfg = build_config(args)
        self.batch_size, self.patch = hyper(args, "batch_size"), hyper(args, "patch_size")
        self.peak_lr = hyper(args, "lr")
        # --mix-patch-sizes: one sampler per side; --patch-size's comes first and alone draws what it always did
        self.samplers = {side: PatchSampler(train_images, side, args.min_scale, args.colour_aug, args.dead_leaves)
                         for side in dict.fromkeys([self.patch, *args.mix_patch_sizes])}
        self.num_train = len(train_images)
        torch.manual_seed(args.seed)
        self.net = build(self.cfg)
        self.earlier_stages: list[dict[str, Any]] = []
        self.widened = False  # grown from the --init-from model (restore_unet.widen_into)
        if args.init_from is not None:
            state, self.earlier_stages, init_cfg = load_init(args, self.task)
            self.widened = any(getattr(init_cfg, k) != getattr(self.cfg, k) for k in WIDENABLE)
            if self.widened:  # --widths / --enc-blocks / ... grew it: the old network's function, new capacity
                widen_into(self.net, state)
            else:
                self.net.load_state_dict(state)
            if args.reinit_output > 0:
                self.reinit_output(args.reinit_output)
        self.device = torch.device(args.device)
        self.net = self.net.to(self.device)
        self.memory_format = self.choose_memory_format()  # exports are made contiguous again
        self.ema = copy.deepcopy(self.net).requires_grad_(False).eval()
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=self.peak_lr, betas=(0.9, 0.99),
                                     weight_decay=args.weight_decay)
        self.disc = self.opt_d = None
        if self.task == "inpaint" and args.adv_weight > 0:
            self.disc = PatchDiscriminator().to(self.device)
            self.opt_d = torch.optim.AdamW(self.disc.parameters(), lr=self.peak_lr, betas=(0.5, 0.99),
                                           weight_decay=0.0)
        self.val = {name: b.to(self.device) for name, b in validation_batches(
            self.task, centre_crops(val_images, args.val_images, args.val_size),
            VAL_SIGMAS).items()} if val_images else {}
        self.step = 0
        # corrupts upcoming batches while the network trains on this one
        self.pool = ThreadPoolExecutor(max(1, args.data_workers))

    def choose_memory_format(self) -> torch.memory_format:
        if self.args.memory_format != "auto":
            fmt = MEMORY_FORMATS[self.args.memory_format]
            self.net.to(memory_format=fmt)
            return fmt
        self.memory_format = torch.contiguous_format
        batch = self.make_batch(0).to(self.device)  # a pure function of (seed, step): drawing it changes nothing

        def forward(fmt: torch.memory_format) -> torch.Tensor:  # the network's part of train_step, nothing stepped
            inp = batch.inp.contiguous(memory_format=fmt)
            if self.task == "denoise":
                return self.net(inp, batch.aux)
            return self.net.predict(inp, batch.aux) if self.task == "inpaint" else self.net(inp)

        return faster_memory_format(self.net, forward, self.args.precision)

    @torch.no_grad()
    def reinit_output(self, scale: float) -> None:
        """Output layers drawn again, small but not zero. Zero-initialised (so that an untrained inpainter returns
        its prefill exactly) they pass the body almost no gradient, and an L1 hole term's sign-only error gives them
        nothing consistent to grow on: inpaint 0.3.0 stayed at its prefill for 2,800 steps that way."""
        core = self.net.core
        for conv in [core.tail] + ([core.head[2]] if core.head is not None else []):
            nn.init.kaiming_normal_(conv.weight)
            conv.weight.mul_(scale)
            conv.bias.zero_()

    # --- batches: a function of (seed, step) only
    def batch_side(self, step: int) -> tuple[int, int]:
        """(patch side, batch size) of a step: --patch-size and --batch-size unless --mix-patch-sizes draws another
        side (from a stream of its own, so single-side recipes replay unchanged), with the batch scaled to the
        same number of pixels."""
        sides = list(self.samplers)
        if len(sides) == 1:
            return self.patch, self.batch_size
        side = sides[int(np.random.default_rng([self.args.seed, step, 1]).integers(len(sides)))]
        return side, max(1, round(self.batch_size * (self.patch / side) ** 2))

    def make_batch(self, step: int) -> Batch:
        rng = np.random.default_rng([self.args.seed, step])
        side, n = self.batch_side(step)
        b = corrupt(self.task, self.samplers[side].sample(rng, n), rng, self.args)
        b.inp = b.inp.contiguous(memory_format=self.memory_format)
        return b

    # --- snapshots
    def meta(self) -> dict[str, Any]:
        return {"task": self.task, "architecture": ARCHITECTURE[self.task], "config": self.cfg.to_dict(),
                "seed": self.args.seed, "adversarial": self.disc is not None,
                "earlier_stages": self.earlier_stages,
                "hyper": {"batch_size": self.batch_size, "patch_size": self.patch, "lr": self.peak_lr,
                          "mix_patch_sizes": list(self.args.mix_patch_sizes),
                          **{k: getattr(self.args, k) for k in ("min_lr_ratio", "warmup", "weight_decay",
                                                                  "ema_decay", "max_sigma", "blind_prob",
                                                                  "max_coverage", "hole_weight", "adv_weight",
                                                                  "pos_weight", "dice_weight", "precision",
                                                                  "min_scale", "hole_loss", "reinit_output",
                                                                  "thin_share", "colour_aug", "clean_share",
                                                                  "low_sigma_share", "low_sigma_max",
                                                                  "dead_leaves", "faint_weight")}}}

    def save(self) -> None:
        t = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        t |= {f"ema.{k}": v for k, v in self.ema.state_dict().items()}
        to, meta = optimizer_to_flat(self.opt, "opt")
        t |= to
        meta = self.meta() | {"opt": meta}
        if self.disc is not None:
            t |= {f"disc.{k}": v for k, v in self.disc.state_dict().items()}
            td, meta["opt_d"] = optimizer_to_flat(self.opt_d, "opt_d")
            t |= td
        save_snapshot(self.run_dir, self.step, t, meta)

    def restore(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        if meta["task"] != self.task or RestoreUNetConfig.from_dict(meta["config"]) != self.cfg:
            raise SystemExit(f"--resume: the run trained task {meta['task']} with config {meta['config']}; "
                             f"got {self.task} {self.cfg.to_dict()}")
        self.net.load_state_dict(sub_state(tensors, "net"))
        self.ema.load_state_dict(sub_state(tensors, "ema"))
        optimizer_from_flat(self.opt, "opt", tensors, meta["opt"])
        if self.disc is not None and meta.get("adversarial"):
            self.disc.load_state_dict(sub_state(tensors, "disc"))
            optimizer_from_flat(self.opt_d, "opt_d", tensors, meta["opt_d"])
        self.step = int(meta["step"])

    # --- one step
    def losses(self, b: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        a = self.args
        if self.task == "denoise":
            loss = charbonnier(self.net(b.inp, b.aux), b.target)
            return loss, {"loss": loss.item()}
        if self.task == "inpaint":
            m = b.aux
            pred = self.net.predict(b.inp, m)
            l_valid = (torch.abs(pred - b.target) * (1 - m)).mean()
            l_hole = hole_term(pred - b.target, m, a.hole_loss)
            loss = l_valid + a.hole_weight * l_hole
            parts = {"l1_valid": l_valid.item(), f"{a.hole_loss}_hole": l_hole.item()}
            if self.disc is not None:
                comp = pred * m + b.target * (1 - m)
                parts["d_loss"] = self.disc_step(comp.detach(), b.target, m)
                g_adv = -self.disc(comp, m).mean()
                loss = loss + a.adv_weight * g_adv
                parts["g_adv"] = g_adv.item()
            return loss, {"loss": loss.item(), **parts}
        logits = self.net(b.inp)
        pw = torch.tensor(a.pos_weight, device=logits.device)
        bce = F.binary_cross_entropy_with_logits(logits, b.target, pos_weight=pw,
                                                 weight=faint_weights(b.target, b.aux, a.faint_weight))
        dice = dice_loss(logits, b.target)
        loss = bce + a.dice_weight * dice
        return loss, {"loss": loss.item(), "bce": bce.item(), "dice": dice.item()}

    def disc_step(self, fake: torch.Tensor, real: torch.Tensor, m: torch.Tensor) -> float:
        self.disc.requires_grad_(True)
        d_loss = F.relu(1 - self.disc(real, m)).mean() + F.relu(1 + self.disc(fake, m)).mean()
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        self.disc.requires_grad_(False)
        return d_loss.item()

    def train_step(self, b: Batch) -> dict[str, float]:
        lr = lr_at(self.step, self.args, self.peak_lr)
        for group in self.opt.param_groups:
            group["lr"] = lr
        if self.opt_d is not None:
            for group in self.opt_d.param_groups:
                group["lr"] = lr
        self.net.train()
        with autocast(self.device, self.args.precision):
            loss, parts = self.losses(b)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.opt.step()
        update_ema(self.ema, self.net, self.step, self.args.ema_decay)
        self.step += 1
        return parts | {"lr": lr, "grad_norm": float(grad_norm)}

    # --- evaluation on the fixed validation crops
    @torch.no_grad()
    def outputs(self, b: Batch, blind: bool = False) -> torch.Tensor:
        if self.task == "denoise":
            return self.ema(b.inp, None if blind else b.aux).clamp(0, 1)
        if self.task == "inpaint":
            return self.ema(b.inp, b.aux)
        return torch.sigmoid(self.ema(b.inp))

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        row: dict[str, float] = {}
        for name, b in self.val.items():
            if self.task == "denoise":
                out = self.outputs(b, blind=True)
                row[f"val_psnr_{name}_blind"] = psnr(out, b.target).mean().item()
                row[f"val_ssim_{name}_blind"] = ssim(out, b.target).mean().item()
                if not torch.isnan(b.aux).any():
                    row[f"val_psnr_{name}"] = psnr(self.outputs(b), b.target).mean().item()
            elif self.task == "inpaint":
                out = self.outputs(b)
                row[f"val_psnr_{name}"] = psnr(out, b.target).mean().item()
                row[f"val_psnr_{name}_hole"] = psnr(out, b.target, b.aux).mean().item()
                row[f"val_ssim_{name}"] = ssim(out, b.target).mean().item()
            else:
                scores = mask_scores((self.outputs(b) > 0.5).float(), b.target)
                row |= {f"val_{k}": v.mean().item() for k, v in scores.items()}
        return {k: round(v, 4) for k, v in row.items()}

    def sample_rows(self, count: int = 4) -> list[np.ndarray]:
        """Rows of input | EMA output | target (detect: damaged | predicted mask | true mask | clean)."""
        if self.val:
            b = next(iter(self.val.values()))
            b = Batch(b.inp[:count], b.target[:count], None if b.aux is None else b.aux[:count],
                      None if b.clean is None else b.clean[:count])
        else:
            b = self.make_batch(2**31).to(self.device)  # a fixed batch no training step draws
        b, out = b.to(torch.device("cpu")), self.outputs(b).cpu()
        shown_in = b.inp * (1 - b.aux) + b.aux if self.task == "inpaint" else b.inp  # holes shown white
        rows = []
        for k in range(min(count, len(b.inp))):
            cells = [to_uint8(shown_in[k]), to_uint8(out[k]), to_uint8(b.target[k])]
            if b.clean is not None:
                cells.append(to_uint8(b.clean[k]))
            gap = np.full((cells[0].shape[0], 4, 3), 255, np.uint8)
            rows.append(np.concatenate(sum(([c, gap] for c in cells), [])[:-1], axis=1))
        return rows

    def write_samples(self) -> None:
        rows = self.sample_rows()
        gap = np.full((4, rows[0].shape[1], 3), 255, np.uint8)
        Image.fromarray(np.concatenate(sum(([r, gap] for r in rows), [])[:-1], axis=0)).save(
            self.run_dir / f"samples-{self.step:06d}.png")

    def log_row(self, metrics, row: dict[str, Any]) -> None:
        row = {"step": self.step, **row, "time": round(time.time(), 1)}
        metrics.write(json.dumps(row) + "\n")
        metrics.flush()
        log.info("%s", row)

    def run(self, run_dir: Path) -> None:
        a = self.args
        self.run_dir = run_dir
        metrics = open(run_dir / "metrics.jsonl", "a")
        end = min(a.steps, a.stop_at or a.steps)
        bar = tqdm(total=end, initial=self.step, disable=a.no_progress, desc=self.task, dynamic_ncols=True)
        t0, s0, acc = time.perf_counter(), self.step, {}
        ahead = max(1, a.data_workers)  # batches being prepared: each is a function of (seed, step) alone
        pending = deque(self.pool.submit(self.make_batch, k) for k in range(self.step, min(end, self.step + ahead)))
        try:
            while self.step < end:
                batch = pending.popleft().result().to(self.device)
                if self.step + ahead < end:
                    pending.append(self.pool.submit(self.make_batch, self.step + ahead))
                for k, v in self.train_step(batch).items():
                    acc[k] = acc.get(k, 0.0) + v
                bar.update(1)
                done = self.step == end
                if self.step % a.log_every == 0 or done:
                    n = self.step - s0
                    row = {k: round(v / n, 6) for k, v in acc.items()}
                    self.log_row(metrics, row | {"steps_per_s": round(n / (time.perf_counter() - t0), 4)})
                    bar.set_postfix(loss=f"{row['loss']:.4f}")
                    t0, s0, acc = time.perf_counter(), self.step, {}
                if self.val and (self.step % a.val_every == 0 or done):
                    self.log_row(metrics, self.validate())
                if self.step % a.sample_every == 0 or done:
                    self.write_samples()
                if self.step % a.checkpoint_every == 0 or done:
                    self.save()
        finally:
            bar.close()
            metrics.close()
            self.pool.shutdown(wait=True, cancel_futures=True)

    def training_record(self) -> dict[str, Any]:
        """The recipe: this run's stage after those of the model it started from (--init-from)."""
        a = self.args
        stage = {"task": self.task, "steps": self.step, "seed": a.seed, "photos": self.num_train,
                 "batch_size": self.batch_size, "patch_size": self.patch, "lr": self.peak_lr, "warmup": a.warmup,
                 "min_lr_ratio": a.min_lr_ratio,
                 **({"precision": a.precision} if a.precision != "fp32" else {}),
                 **({"photo_set": a.photo_set} if a.photo_set != "all" and not a.train_folder else {}),
                 **({"mix_patch_sizes": list(a.mix_patch_sizes)} if a.mix_patch_sizes else {}),
                 **({"min_scale": a.min_scale} if a.min_scale != 1 else {}),
                 **({"colour_aug": a.colour_aug} if a.colour_aug else {}),
                 **({"dead_leaves": a.dead_leaves} if a.dead_leaves else {}),
                 **({"clean_share": a.clean_share} if a.task == "denoise" and a.clean_share else {}),
                 **({"low_sigma_share": a.low_sigma_share, "low_sigma_max": a.low_sigma_max}
                    if a.task == "denoise" and a.low_sigma_share else {}),
                 **({"hole_loss": a.hole_loss} if a.hole_loss != "l1" else {}),
                 **({"reinit_output": a.reinit_output} if a.reinit_output else {}),
                 **({"thin_share": a.thin_share} if a.thin_share else {}),
                 **({"faint_weight": a.faint_weight} if a.task == "detect" and a.faint_weight else {}),
                 **({"widened_to": self.cfg.to_dict()} if self.widened else {})}
        stages = self.earlier_stages + [stage]
        return {"steps": sum(int(s.get("steps", 0)) for s in stages), "stages": stages,
                "macs_per_pixel": round(macs_per_pixel(self.cfg))}

    def export(self, folder: Path) -> Path:
        a = self.args
        model_id = a.model_id or self.task
        what = {"denoise": "Colour denoiser (Gaussian sigma up to 50, impulse noise, film grain, JPEG; blind or "
                           "with a noise level)",
                "inpaint": "Inpainter: fills the white region of a mask; pixels outside it come back unchanged",
                "detect": "Old-photo damage detector: scratches, dust, specks, blotches and tears -> mask"}[self.task]
        manifest = {
            "id": model_id,
            "kind": "restore",
            "architecture": ARCHITECTURE[self.task],
            "version": a.version,
            "description": a.description or f"{what}; trained on {self.num_train} openly licensed photos",
            "classes": [],
            "image_size": 0,  # any size
            "channels": 3,
            "config": self.cfg.to_dict(),
            "metrics": {},  # filled in by the benchmark (docs/BENCHMARKS.md)
            "card": a.card or f"docs/models/{model_id}.md",
            "training": self.training_record(),
        }
        return save_model(folder, manifest, self.ema.state_dict(), dtype=a.export_dtype)


def load_images(args: argparse.Namespace) -> tuple[list[np.ndarray], list[np.ndarray]]:
    train = (load_folder(args.train_folder) if args.train_folder
             else load_split("train", args.data_dir, args.photo_set))
    if args.val_folder:
        val = load_folder(args.val_folder)
    elif args.train_folder:
        val = []  # a user's own folder: the cached validation photos may not exist; skip validation
    else:
        val = load_split("val", args.data_dir)
    return train, val


def run(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"):  # TF32 convolutions: ample precision for training, several times faster
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    run_dir = args.run_dir or Path("runs") / args.task
    trainer = open_run(run_dir, args, lambda: Trainer(args, *load_images(args)))
    if trainer is None:
        return 2
    log.info("%s: %s, %.0f MACs/pixel, %d parameters", args.task, trainer.cfg.to_dict(),
             macs_per_pixel(trainer.cfg), sum(p.numel() for p in trainer.net.parameters()))
    trainer.run(run_dir)
    if args.export is not None:
        log.info("exported %s", trainer.export(args.export))
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.training.restore",
                       description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
