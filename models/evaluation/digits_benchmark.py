"""The digits benchmark: `atelier benchmark digits` or `python -m models.evaluation.digits_benchmark`.

One run measures, with the same number of images in every row:

    real vs real   2,000 MNIST train-split digits (200 per class)   -> the floor FD can reach
    MLP GAN        the tutorial baseline (unconditional)            -> what a plain GAN reaches
    ours           the shipped `digits` checkpoint, 200 per class   -> FD and class accuracy

against the 2,000 held-out reference digits, on the evaluation classifier's penultimate features
(models/evaluation/classifier.py). Generated images go through models.generate.sample_one — the service's
own sampling path — with seeds 0..N-1. The results replace the `## Digits generator` section of
docs/BENCHMARKS.md and the `metrics` of the shipped manifest (JSON and safetensors metadata).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from models.entrypoint import module_main
from models.checkpoint import load_network, update_metrics
from models.data import DEFAULT_DATA_DIR, NUM_REFERENCE, REPO_ROOT, mnist_splits, split_indices
from models.evaluation.classifier import CLASSIFIER_NAME, classify, load_or_train_classifier
from models.evaluation.frechet import feature_stats, frechet_distance
from models.evaluation.report import machine, write_section
from models.generate import sample_one
from models.registry import ModelInfo, read_manifest
from models.training.gan import image_grid

log = logging.getLogger(__name__)

SECTION = "## Digits generator"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--weights", type=Path, default=REPO_ROOT / "models/weights/digits.json", help="manifest of the model to rate")
    a("--baseline", type=Path, default=REPO_ROOT / "models/baselines/digits-mlp.json",
      help="manifest of the MLP GAN baseline (exported by `atelier train gan --arch mlp --export ...`)")
    a("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of the fetched digit sets and classifier")
    a("--num-samples", type=int, default=2000, help="images per row (a multiple of 10; at most 2,000 reals)")
    a("--benchmarks-md", type=Path, default=REPO_ROOT / "docs/BENCHMARKS.md", help="file whose section is updated")
    a("--samples-png", type=Path, default=REPO_ROOT / "docs/models/digits-samples.png",
      help="10x10 grid (one row per class, seeds 0..9) of the rated model; '' to skip")
    a("--no-write", action="store_true", help="print the table only; touch no file")
    a("--threads", type=int, default=2, help="torch CPU threads")


def generate(info: ModelInfo, n: int, classes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """n images (n, H, W) or (n, H, W, 3) uint8 via the service's sampler, seeds 0..n-1, and the requested class
    of each (None for an unconditional model): `classes` (n,) where given, else equal shares (n/10 per digit)."""
    net = load_network(info, "cpu")
    latent_dim = int(info.config["latent_dim"])
    k = len(info.classes)
    if classes is None and k:
        classes = np.arange(n) * k // n  # (n,) requested class, equal counts per class
    elif classes is not None and len(classes) != n:
        raise ValueError(f"{len(classes)} classes for {n} images")
    images = [sample_one(net, seed=i, class_index=None if classes is None else int(classes[i]), truncation=1.0,
                         latent_dim=latent_dim).pixels for i in range(n)]
    return np.stack(images), classes


def real_floor_set(data_dir: Path, n: int) -> np.ndarray:
    """n train-split digits, n/10 per class, a fixed choice (seed 0)."""
    train, _ = mnist_splits(data_dir)
    _rest, chosen = split_indices(train.labels, num_reference=n, seed=0)
    return train.images[chosen]


def mean_nearest_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over a of the pixel L2 distance (pixels in [0, 1]) to its nearest neighbour in b."""
    x, y = a.reshape(len(a), -1).astype(np.float32) / 255, b.reshape(len(b), -1).astype(np.float32) / 255
    d2 = (x**2).sum(1)[:, None] + (y**2).sum(1)[None] - 2 * x @ y.T  # (len(a), len(b))
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0)).mean())


def command_line(args: argparse.Namespace) -> str:
    parts = ["atelier benchmark digits"]
    for flag, value in (("--weights", args.weights), ("--baseline", args.baseline), ("--num-samples", args.num_samples)):
        if isinstance(value, Path) and value.resolve().is_relative_to(REPO_ROOT):
            value = value.resolve().relative_to(REPO_ROOT)
        parts.append(f"{flag} {value}")
    return " ".join(parts)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    n = args.num_samples
    _train, reference = mnist_splits(args.data_dir)
    clf = load_or_train_classifier(args.data_dir)
    ref_feats, ref_pred = classify(clf, reference.images)
    ref_stats = feature_stats(ref_feats)

    def fd(images: np.ndarray) -> float:
        return frechet_distance(*feature_stats(classify(clf, images)[0]), *ref_stats)

    ours = read_manifest(args.weights)
    ours_images, ours_classes = generate(ours, n)
    _feats, ours_pred = classify(clf, ours_images)
    baseline = read_manifest(args.baseline)
    floor_images = real_floor_set(args.data_dir, n)
    result = {
        "fd_floor": fd(floor_images),
        "fd_mlp": fd(generate(baseline, n)[0]),
        "fd": fd(ours_images),
        "class_accuracy": float((ours_pred == ours_classes).mean()) if ours_classes is not None else None,
        "classifier_accuracy": float((ref_pred == reference.labels).mean()),
        "num_samples": n,
        "feature_extractor": f"{CLASSIFIER_NAME} penultimate ({ref_feats.shape[1]}-d)",
        "measured": dt.date.today().isoformat(),
    }
    # memorisation check: samples should be no closer to the digits trained on than to unseen ones
    result["memorisation"] = {"to_train": mean_nearest_distance(ours_images, floor_images),
                              "to_reference": mean_nearest_distance(ours_images, reference.images)}
    result["per_class_accuracy"] = [float((ours_pred[ours_classes == c] == c).mean())
                                    for c in range(len(ours.classes))] if ours_classes is not None else None
    return result


def table(m: dict[str, Any], ours: ModelInfo) -> str:
    acc = f"{100 * m['class_accuracy']:.1f}%" if m["class_accuracy"] is not None else "n/a"
    return "\n".join([
        "| row | FD to reference (lower is better) | class accuracy |",
        "|---|---:|---:|",
        f"| real vs real (floor: {m['num_samples']:,} train-split digits) | {m['fd_floor']:.2f} | — |",
        f"| MLP GAN baseline (tutorial, unconditional) | {m['fd_mlp']:.2f} | — |",
        f"| **ours: `{ours.id}` {ours.version}** (class-conditional DCGAN, EMA) | **{m['fd']:.2f}** | **{acc}** |",
    ])


def section(m: dict[str, Any], ours: ModelInfo, args: argparse.Namespace) -> str:
    n, len_ref = m["num_samples"], NUM_REFERENCE
    per_class = ", ".join(f"{c}: {100 * a:.1f}%" for c, a in zip(ours.classes, m["per_class_accuracy"] or []))
    return f"""{SECTION}

Fréchet distance (FD) of {m['num_samples']:,} images per row to the 2,000 held-out MNIST reference digits (never
used to train any network), on the penultimate features of the evaluation classifier `{CLASSIFIER_NAME}`
(trained on the 8,000 train-split digits plus OpenCV's digits that do not overlap the reference; its accuracy on
the reference digits is **{100 * m['classifier_accuracy']:.1f}%**). Class accuracy: the fraction of class-conditional
samples ({m['num_samples'] // 10} per class, seeds 0..{m['num_samples'] - 1}, truncation 1.0) that the classifier labels as
the requested class. Samples come from the service's sampler (`models.generate.sample_one`). See
[the model card](models/digits.md).

{table(m, ours)}

Per class: {per_class or 'n/a'}.

Memorisation check: mean pixel distance (L2, pixels in [0, 1]) from each of our samples to its nearest neighbour
among {n:,} train-split digits is {m['memorisation']['to_train']:.2f}, and among the {len_ref:,} reference digits it never
saw {m['memorisation']['to_reference']:.2f}: a memorising generator would sit much closer to the train split.

- Command: `{command_line(args)}`
- Date: {m['measured']}
- Machine: {machine()}
"""


def update_manifest(info: ModelInfo, metrics: dict[str, Any]) -> None:
    update_metrics(info, {k: v for k, v in metrics.items() if k not in ("per_class_accuracy", "memorisation")})


def write_sample_grid(info: ModelInfo, path: Path) -> None:
    """10 rows (one per class) x 10 seeds (0..9), exactly what the service returns for those seeds."""
    net = load_network(info, "cpu")
    images = [sample_one(net, seed=s, class_index=c, truncation=1.0, latent_dim=int(info.config["latent_dim"])).pixels
              for c in range(len(info.classes)) for s in range(10)]
    x = torch.from_numpy(np.stack(images)).float()[:, None] / 127.5 - 1  # (100, 1, 28, 28)
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = image_grid(x, nrow=10)
    grid.resize((grid.width * 2, grid.height * 2), Image.Resampling.NEAREST).save(path)


def run(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    if args.num_samples % 10 or not 10 <= args.num_samples <= 2000:
        log.error("--num-samples must be a multiple of 10 between 10 and 2000")
        return 2
    ours = read_manifest(args.weights)
    m = measure(args)
    text = section(m, ours, args)
    print(text)
    if not args.no_write:
        write_section(args.benchmarks_md, SECTION, text)
        update_manifest(ours, m)
        if str(args.samples_png):
            write_sample_grid(ours, args.samples_png)
        log.info("updated %s and %s", args.benchmarks_md, args.weights)
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.evaluation.digits_benchmark", description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
