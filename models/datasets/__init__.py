"""Art data sets for the generators beyond digits, fetched offline by package name, cached as compact .npz.

    calligraphy  64x64 grey CJK glyphs, 9 brush / Kai / handwriting styles (label = style)   calligraphy.py
    emoji        64x64 RGB colour emoji, 8 Unicode emoji groups (label = group)           emoji.py
    fashion      28x28 grey Fashion-MNIST, 10 classes                                      fashion.py

`python -m models.datasets fetch NAME` (or `atelier data fetch NAME`) fetches and caches one; `load_dataset`
does the same on first use. Each cache file records its sources, licences and train / held-out split (`info`).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from models.data import DEFAULT_DATA_DIR
from models.datasets import calligraphy, emoji, fashion
from models.datasets.common import ImageSet, load_set, save_set

# name -> module with NAME, VERSION and build(*, downloads, root) -> ImageSet
DATASETS: dict[str, ModuleType] = {m.NAME: m for m in (calligraphy, emoji, fashion)}


def cache_path(name: str, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    return Path(data_dir) / f"{name}-v{DATASETS[name].VERSION}.npz"


def load_dataset(name: str, data_dir: Path = DEFAULT_DATA_DIR, *, root: Path | None = None,
                 rebuild: bool = False) -> ImageSet:
    """The cached set, built (packages fetched into <data_dir>/downloads, or files read from `root`) if missing."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; known: {sorted(DATASETS)}")
    path = cache_path(name, data_dir)
    if path.is_file() and not rebuild:
        return load_set(path)
    ds = DATASETS[name].build(downloads=Path(data_dir) / "downloads", root=root)
    save_set(path, ds)
    return load_set(path)  # what later calls will see, info counts included


__all__ = ["DATASETS", "ImageSet", "cache_path", "load_dataset"]
