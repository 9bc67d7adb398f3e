"""Fashion-MNIST: 70,000 grey 28x28 photos of clothing in 10 classes, class-conditional.

Source: Debian dataset-fashion-mnist (Zalando Research, MIT/Expat), the original idx files in
/usr/share/datasets/fashion-mnist/, fetched with `apt-get download`, only those four files extracted
(models/debian.py). Images are kept as published: bright garments on black, 28x28.

Split: the official one — 60,000 train, the 10,000 test images held out (the Fréchet-distance reference).
Class names (the official ones, made kebab-case: "T-shirt/top" -> "t-shirt-top", "Ankle boot" -> "ankle-boot").
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from models.datasets.common import ImageSet
from models.debian import package_files

NAME = "fashion"
VERSION = 1
PACKAGE = "dataset-fashion-mnist"
FOLDER = "./usr/share/datasets/fashion-mnist"
FILES = {split: (f"{FOLDER}/{p}-images-idx3-ubyte.gz", f"{FOLDER}/{p}-labels-idx1-ubyte.gz")
         for split, p in (("train", "train"), ("test", "t10k"))}
LICENCE = "MIT (Expat), Zalando SE"
CLASSES = ("t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot")


def read_idx(path: Path, offset: int) -> np.ndarray:
    """An idx .gz file's payload as uint8 (offset: 16 for images, 8 for labels)."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def build(*, downloads: Path, root: Path | None = None) -> ImageSet:
    members = [m for pair in FILES.values() for m in pair]
    folder = package_files(PACKAGE, members, downloads, root)
    images, labels, heldout = [], [], []
    for split, (img_file, label_file) in FILES.items():
        y = read_idx(folder / label_file, 8).astype(np.int64)
        x = read_idx(folder / img_file, 16).reshape(len(y), 28, 28)  # (n, 28, 28)
        images.append(x)
        labels.append(y)
        heldout.append(np.full(len(y), split == "test"))
    info = {
        "name": NAME, "version": VERSION,
        "sources": [{"package": f"debian:{PACKAGE}", "files": members, "licence": LICENCE}],
        "split": "official: train-* files train, t10k-* files held out",
    }
    return ImageSet(np.concatenate(images), np.concatenate(labels), CLASSES, np.concatenate(heldout), info)
