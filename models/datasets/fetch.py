"""`python -m models.datasets fetch|sheet NAME` (also `atelier data ...`): fetch and cache a data set, or draw
a contact sheet of it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from models.data import DEFAULT_DATA_DIR
from models.datasets import DATASETS, cache_path, load_dataset
from models.datasets.common import contact_sheet
from models.entrypoint import module_main


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("action", choices=["fetch", "sheet"], help="fetch: build the cache and print counts; sheet: write a PNG grid")
    a("name", choices=[*sorted(DATASETS), "all"], help="which data set")
    a("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache folder (packages go to <data-dir>/downloads)")
    a("--root", type=Path, default=None, help="read the package files from this unpacked tree (e.g. /) instead")
    a("--rebuild", action="store_true", help="rebuild the cache even if it exists")
    a("--out", type=Path, default=None, help="sheet: output PNG (default <data-dir>/<name>-sheet.png)")
    a("--per-class", type=int, default=16, help="sheet: images per class row (unconditional: 16 rows of this)")


def _sheet(name: str, args: argparse.Namespace) -> Path:
    ds = load_dataset(name, args.data_dir, root=args.root)
    rng = np.random.default_rng(0)
    n = args.per_class
    if ds.conditional:  # one row per class, left-aligned; a class with fewer images leaves grey cells
        images = np.full((len(ds.classes) * n, *ds.images.shape[1:]), 128, np.uint8)
        for k in range(len(ds.classes)):
            pick = rng.permutation(np.flatnonzero(ds.labels == k))[:n]
            images[k * n:k * n + len(pick)] = ds.images[pick]
    else:
        images = ds.images[rng.permutation(len(ds))[:n * 16]]
    out = args.out or Path(args.data_dir) / f"{name}-sheet.png"
    contact_sheet(images, columns=n).save(out)
    return out


def run(args: argparse.Namespace) -> int:
    names = sorted(DATASETS) if args.name == "all" else [args.name]
    for name in names:
        if args.action == "sheet":
            print(_sheet(name, args))
            continue
        ds = load_dataset(name, args.data_dir, root=args.root, rebuild=args.rebuild)
        print(json.dumps({"name": name, "cache": str(cache_path(name, args.data_dir)), **ds.counts()}))
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.datasets", description=__doc__.split("\n")[0],
                       argv=argv)


if __name__ == "__main__":
    sys.exit(main())
