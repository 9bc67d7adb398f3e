"""Within-class variety of a class-conditional generator against real images of each class:
`python -m models.evaluation.diversity models/weights/calligraphy.json`.

For each class: the mean pairwise L1 distance (pixels in [0, 1]) between N samples (seeds 0..N-1, drawn as the
service draws them) and the same between N held-out real images of that class; their ratio is about 1 for a
generator that varies as much as the data and falls towards 0 as it collapses onto few images per class (a
collapsed class draws one image for every seed). Pixel distance is crude — blur lowers it, noise raises it — so read
it beside FD and recall (`atelier benchmark art`); it is quick (seconds) and says which classes collapsed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from models.checkpoint import load_network
from models.data import DEFAULT_DATA_DIR
from models.datasets import load_dataset
from models.entrypoint import module_main
from models.generate import sample_one
from models.registry import read_manifest


def mean_pairwise_l1(images: np.ndarray) -> float:
    """images (N, ...) uint8 -> mean L1 distance over all N(N-1)/2 pairs, pixels scaled to [0, 1]."""
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    d = np.abs(x[:, None] - x[None]).mean(axis=-1)  # (N, N)
    return float(d[np.triu_indices(len(x), 1)].mean())


def class_diversity(net: torch.nn.Module, latent_dim: int, reals_by_class: list[np.ndarray],
                    n: int) -> list[tuple[float, float]]:
    """(samples' spread, reals' spread) per class, n images of each (fewer reals if a class has fewer)."""
    rows = []
    for c, reals in enumerate(reals_by_class):
        fakes = np.stack([sample_one(net, seed=i, class_index=c, truncation=1.0, latent_dim=latent_dim).pixels
                          for i in range(n)])
        rows.append((mean_pairwise_l1(fakes), mean_pairwise_l1(reals[:n])))
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="a class-conditional generator's <id>.json")
    parser.add_argument("--dataset", default=None, help="its data set (default: the manifest's training.dataset)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of the fetched sets")
    parser.add_argument("-n", type=int, default=64, help="images per class, of each kind")


def run(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    info = read_manifest(args.manifest)
    if not info.classes:
        raise SystemExit(f"{info.id} is unconditional: use `atelier benchmark art` (recall) for its variety")
    name = args.dataset or json.loads(args.manifest.read_text()).get("training", {}).get("dataset")
    if name is None:
        raise SystemExit(f"{info.id}: say which data set it was trained on (--dataset)")
    ref = load_dataset(name, args.data_dir).reference()  # held-out images: never trained on
    reals = [ref.images[ref.labels == c] for c in range(len(info.classes))]
    rows = class_diversity(load_network(info, "cpu"), int(info.config["latent_dim"]), reals, args.n)
    print(f"{info.id} {info.version}: mean pairwise L1 of {args.n} samples / of {args.n} held-out reals, per class")
    for cls, (fake, real) in zip(info.classes, rows):
        print(f"  {cls:20s} samples {fake:.3f}  reals {real:.3f}  ratio {fake / real:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.evaluation.diversity",
                       description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
