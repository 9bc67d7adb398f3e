"""Artists' uploads for the training tests: small generated images in zips, good ones and every kind of bad one.

Tiny on purpose (16 images of 40x48 pixels, a few KiB) so a whole training job on them takes seconds.
"""

from __future__ import annotations

import io
import stat
import zipfile

import numpy as np
from PIL import Image

# Settings for a training job that runs in seconds on a busy CPU: see tests/api/test_train_api.py.
FAST_TRAIN_ENV = {
    "ATELIER_TRAIN_MIN_IMAGES": "8",
    "ATELIER_TRAIN_MAX_IMAGES": "40",
    "ATELIER_TRAIN_BASE_CHANNELS": "4",
    "ATELIER_TRAIN_CHECKPOINT_EVERY": "5",
    "ATELIER_TRAIN_SAMPLE_EVERY": "10",
    "ATELIER_TRAIN_CALIBRATION_BATCHES": "1",
    "ATELIER_TRAIN_THREADS": "1",
}


def image_bytes(seed: int, *, size: tuple[int, int] = (48, 40), mode: str = "RGB", fmt: str = "PNG") -> bytes:
    """A random but smooth picture (blobs of colour, like a painting at this size), W x H = size."""
    rng = np.random.default_rng(seed)
    w, h = size
    small = rng.integers(0, 256, (max(2, h // 8), max(2, w // 8), 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((w, h), Image.Resampling.BILINEAR).convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def art_entries(n: int = 16, *, classes: tuple[str, ...] = (), root: str = "my-art/", mode: str = "RGB",
                size: tuple[int, int] = (48, 40), start: int = 0) -> dict[str, bytes]:
    """n images, spread over the class folders when given, inside one top folder as a zip tool would make it."""
    entries = {}
    for i in range(n):
        folder = f"{classes[i % len(classes)]}/" if classes else ""
        entries[f"{root}{folder}img-{i:03d}.png"] = image_bytes(start + i, size=size, mode=mode)
    return entries


def art_zip(n: int = 16, **kwargs) -> bytes:
    return make_zip(art_entries(n, **kwargs))


def zip_with_symlink(n: int = 16) -> bytes:
    """A zip whose extra entry is a Unix symbolic link to /etc/passwd."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in art_entries(n).items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("my-art/passwd.png")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return buf.getvalue()


def zip_bomb(expanded_mib: int = 64) -> bytes:
    """One entry of zeros that deflates over 1000:1, named like an image."""
    return make_zip({"bomb/evil.png": b"\0" * (expanded_mib * 1024 * 1024)})
