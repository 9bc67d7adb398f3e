"""An artist's training images, checked before anything trains on them. Torch-free: the API runs these checks on
an upload before a job exists, the worker runs them again on the stored zip (it trusts nothing it did not check
itself), and `atelier train images` runs them on a folder.

Each problem is a domain error whose message names the problem and the files, in this order:

    the upload is not a zip, or is encrypted         415  not_a_zip / encrypted_zip
    too many entries                                  413  too_many_files
    expands past the limit, or one entry is
    compressed beyond anything an image does          413  zip_bomb
    absolute names, '..', drive letters, links        422  unsafe_path
    no images / too few                               422  no_images / too_few_images
    too many images                                   413  too_many_images
    unreadable or truncated images                    422  corrupt_images
    over the pixel limit                              413  images_too_large
    smaller than the training resolution              422  images_too_small
    exact duplicates (same bytes)                     422  duplicate_images

Nothing is ever extracted to disk: a zip's entries are read into memory one at a time, each bounded by its declared
size, whose total was bounded first.

Sub-folders become classes (a conditional model) when there are at least two, every image is in one, and each
holds CLASS_MIN_IMAGES or more; otherwise the model is unconditional and `note` says why the folders were not used.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import warnings
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from atelier.errors import BadInput, TooLarge, UnsupportedMedia

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# Pillow tries only these decoders, whatever a file claims to be (no EPS/PostScript through Ghostscript, etc.).
PIL_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "BMP", "GIF", "TIFF")
_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
# Files a zip tool or a desktop adds on its own; skipped without a word.
_JUNK_DIRS = {"__MACOSX"}
_JUNK_FILES = {"thumbs.db", "desktop.ini"}
RATIO_CHECK_BYTES = 1024 * 1024  # the compression-ratio check applies to entries larger than this once expanded
CLASS_MIN_IMAGES = 8  # a sub-folder becomes a class only with at least this many images
MAX_CLASSES = 32  # more sub-folders than this and the model is unconditional
NAMES_SHOWN = 8  # an error lists this many file names, then "and N more"


@dataclass(frozen=True)
class TrainLimits:
    min_images: int = 16
    max_images: int = 2000
    max_upload_bytes: int = 100 * 1024 * 1024  # the zip itself
    max_uncompressed_bytes: int = 512 * 1024 * 1024  # all its image entries, expanded
    max_files: int = 5000  # entries of any kind
    max_ratio: int = 200  # expanded / compressed size of one large entry
    max_pixels: int = 40_000_000  # one image

    @classmethod
    def from_settings(cls, settings: Any) -> "TrainLimits":
        return cls(min_images=settings.train_min_images, max_images=settings.train_max_images,
                   max_upload_bytes=settings.train_max_zip_bytes,
                   max_uncompressed_bytes=settings.train_max_uncompressed_bytes,
                   max_files=settings.train_max_files, max_ratio=settings.train_max_ratio,
                   max_pixels=settings.max_pixels)


@dataclass(frozen=True)
class SourceFile:
    name: str  # '/'-separated path inside the zip or folder
    data: bytes


@dataclass(frozen=True)
class TrainingImage:
    name: str
    data: bytes  # the file as uploaded; models/datasets/user.py crops and resizes it
    width: int
    height: int
    grey: bool  # every pixel has R = G = B (or the file is a grey mode)


@dataclass(frozen=True)
class TrainingData:
    images: list[TrainingImage]
    labels: list[int]  # class index per image (all 0 when unconditional)
    classes: tuple[str, ...]  # () = unconditional
    channels: int  # 1 when every image is grey, else 3
    ignored: list[str] = field(default_factory=list)  # files that are not images, skipped
    note: str | None = None  # why sub-folders were not used as classes

    def summary(self) -> dict[str, Any]:
        """What the job record and the CLI say about the data (JSON-able)."""
        per_class = {c: self.labels.count(i) for i, c in enumerate(self.classes)}
        return {"images": len(self.images), "classes": list(self.classes), "per_class": per_class,
                "channels": self.channels, "ignored_files": len(self.ignored), "note": self.note}


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else "")


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


def _unsafe(name: str) -> bool:
    """Absolute, drive-lettered or parent-escaping names: extracting them anywhere would write outside the folder."""
    norm = name.replace("\\", "/")
    if "\x00" in norm or norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return True
    return ".." in norm.split("/")


def _junk(name: str) -> bool:
    parts = name.split("/")
    return any(p in _JUNK_DIRS for p in parts[:-1]) or parts[-1].startswith(".") \
        or parts[-1].lower() in _JUNK_FILES


def _is_image_name(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_SUFFIXES


# ---------------------------------------------------------------------------------------------------- reading

def read_zip(data: bytes, limits: TrainLimits) -> tuple[list[SourceFile], list[str]]:
    """(image files, names of other files skipped) of a zip upload, every guard applied before a byte is expanded."""
    if len(data) > limits.max_upload_bytes:
        raise TooLarge(f"The zip is {_mib(len(data))}; the limit is {_mib(limits.max_upload_bytes)}.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise UnsupportedMedia("The upload is not a zip file. Put your images in a .zip archive "
                               "(PNG, JPEG, WebP, BMP, GIF or TIFF files) and upload that.", code="not_a_zip") from exc
    if len(infos) > limits.max_files:
        raise TooLarge(f"The zip holds {len(infos):,} entries; the limit is {limits.max_files:,}.",
                       code="too_many_files")
    unsafe = [i.filename for i in infos if _unsafe(i.filename) or _is_link(i)]
    if unsafe:
        raise BadInput("The zip has entries whose names point outside it (absolute paths, '..' or links), so it "
                       f"was refused: {_names(unsafe)}.", code="unsafe_path")
    if any(i.flag_bits & 0x1 for i in infos):
        raise UnsupportedMedia("The zip is password-protected; upload one without a password.", code="encrypted_zip")
    wanted = [i for i in infos if not i.is_dir() and not _junk(i.filename) and _is_image_name(i.filename)]
    ignored = [i.filename for i in infos if not i.is_dir() and not _junk(i.filename) and not _is_image_name(i.filename)]
    total = sum(i.file_size for i in wanted)
    if total > limits.max_uncompressed_bytes:
        raise TooLarge(f"The zip's images expand to {_mib(total)}, over the {_mib(limits.max_uncompressed_bytes)} "
                       "limit; it was refused as a possible zip bomb.", code="zip_bomb")
    bombs = [i.filename for i in wanted
             if i.file_size > RATIO_CHECK_BYTES and i.file_size > limits.max_ratio * max(i.compress_size, 1)]
    if bombs:
        raise TooLarge(f"Some zip entries are compressed more than {limits.max_ratio}:1, which images never are; the "
                       f"zip was refused as a possible zip bomb: {_names(bombs)}.", code="zip_bomb")
    files, broken = [], []
    for info in wanted:
        try:
            with zf.open(info) as f:
                content = f.read(info.file_size + 1)  # never more than the declared size, which was bounded above
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, RuntimeError):
            broken.append(info.filename)
            continue
        if len(content) != info.file_size:
            broken.append(info.filename)
            continue
        files.append(SourceFile(info.filename, content))
    if broken:
        raise BadInput(f"Some files in the zip are damaged and cannot be read: {_names(broken)}.",
                       code="corrupt_images")
    return files, ignored


def _is_link(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)  # 3 = Unix, mode in the high bits


def read_folder(root: Path, limits: TrainLimits) -> tuple[list[SourceFile], list[str]]:
    """(image files, other files skipped) of a folder, with the zip's limits; links are refused, not followed."""
    root = Path(root)
    if not root.is_dir():
        raise BadInput(f"{root} is not a folder.")
    entries, links = [], []
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in [*dirs, *names]:
            path = Path(folder) / name
            if path.is_symlink():
                links.append(path.relative_to(root).as_posix())
        entries += [(Path(folder) / n).relative_to(root).as_posix() for n in names]
        if len(entries) > limits.max_files:
            raise TooLarge(f"{root} holds more than {limits.max_files:,} files.", code="too_many_files")
    if links:
        raise BadInput(f"The folder has links, which are not followed: {_names(sorted(links))}.", code="unsafe_path")
    entries.sort()
    wanted = [e for e in entries if not _junk(e) and _is_image_name(e)]
    ignored = [e for e in entries if not _junk(e) and not _is_image_name(e)]
    total = sum((root / e).stat().st_size for e in wanted)
    if total > limits.max_uncompressed_bytes:
        raise TooLarge(f"The folder's images hold {_mib(total)}, over the {_mib(limits.max_uncompressed_bytes)} "
                       "limit.", code="zip_bomb")
    return [SourceFile(e, (root / e).read_bytes()) for e in wanted], ignored


# ---------------------------------------------------------------------------------------------------- checking

def _inspect(data: bytes, max_pixels: int) -> tuple[int, int, bool] | str:
    """(width, height, grey) of a fully decoded image, or the problem: "corrupt" or "too large"."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning (we apply our limit) and odd-chunk notes
            with Image.open(io.BytesIO(data), formats=PIL_FORMATS) as img:
                w, h = img.size
                if w * h > max_pixels:
                    return "too large"
                img.load()  # decodes everything: a truncated or damaged file fails here
                if img.mode in _GREY_MODES:
                    return w, h, True
                rgb = np.asarray(img.convert("RGB"))  # (H, W, 3)
                grey = bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())
                return w, h, grey
    except Image.DecompressionBombError:
        return "too large"
    except Exception:  # Pillow raises many types for bad files (OSError, SyntaxError, struct.error, ...)
        return "corrupt"


def assign_classes(names: list[str], min_per_class: int = CLASS_MIN_IMAGES) -> tuple[list[str | None], str | None]:
    """The class folder of each image (None for all when the folders are not used as classes), and why not.

    Leading folders every image shares are dropped first, so a zip of one folder `my-art/` with `cats/` and `dogs/`
    inside has the classes cats and dogs. Deeper folders belong to their top class folder."""
    parts = [n.split("/") for n in names]
    depth = 0
    while all(len(p) > depth + 1 for p in parts) and len({p[depth] for p in parts}) == 1:
        depth += 1
    folders = [p[depth] if len(p) > depth + 1 else None for p in parts]
    counts: dict[str | None, int] = defaultdict(int)
    for f in folders:
        counts[f] += 1
    named = sorted(k for k in counts if k is not None)
    if not named:
        return [None] * len(names), None
    if None in counts:
        return [None] * len(names), (f"Folders were not used as classes: {counts[None]} images are outside any "
                                     "folder.")
    if len(named) < 2:
        return [None] * len(names), None  # one folder: nothing to tell apart
    if len(named) > MAX_CLASSES:
        return [None] * len(names), (f"Folders were not used as classes: there are {len(named)}, more than "
                                     f"{MAX_CLASSES}.")
    small = [f"{k} ({counts[k]})" for k in named if counts[k] < min_per_class]
    if small:
        return [None] * len(names), (f"Folders were not used as classes: each needs at least {min_per_class} "
                                     f"images, and {_names(small)} have fewer.")
    return folders, None


def check_images(files: list[SourceFile], *, image_size: int, limits: TrainLimits,
                 ignored: list[str] | None = None, what: str = "zip") -> TrainingData:
    """Count, decode, size and de-duplicate the images; every problem found is reported at once, naming files."""
    n = len(files)
    if n == 0:
        skipped = f" (it has {len(ignored)} other files, e.g. {_names(ignored[:3])})" if ignored else ""
        raise BadInput(f"The {what} holds no images{skipped}. Use PNG, JPEG, WebP, BMP, GIF or TIFF files.",
                       code="no_images")
    if n > limits.max_images:
        raise TooLarge(f"The {what} holds {n:,} images; the limit is {limits.max_images:,}.", code="too_many_images")
    if n < limits.min_images:
        raise BadInput(f"The {what} holds {n} images; training needs at least {limits.min_images}.",
                       code="too_few_images")
    images, corrupt, huge, small = [], [], [], []
    by_hash: dict[str, list[str]] = defaultdict(list)
    for f in files:
        by_hash[hashlib.sha256(f.data).hexdigest()].append(f.name)
        found = _inspect(f.data, limits.max_pixels)
        if found == "corrupt":
            corrupt.append(f.name)
        elif found == "too large":
            huge.append(f.name)
        else:
            w, h, grey = found  # type: ignore[misc]
            if min(w, h) < image_size:
                small.append(f"{f.name} ({w}x{h})")
            images.append(TrainingImage(f.name, f.data, w, h, grey))
    duplicates = [" = ".join(group) for group in by_hash.values() if len(group) > 1]
    problems: list[tuple[str, int, str]] = []  # (code, status, sentence)
    if corrupt:
        problems.append(("corrupt_images", 422, f"These files are damaged or not images: {_names(corrupt)}."))
    if huge:
        problems.append(("images_too_large", 413, f"These images are over the {limits.max_pixels / 1e6:.0f} "
                                                  f"megapixel limit: {_names(huge)}."))
    if small:
        problems.append(("images_too_small", 422, f"These images are smaller than {image_size}x{image_size} "
                                                  f"pixels, the training resolution: {_names(small)}."))
    if duplicates:
        problems.append(("duplicate_images", 422, "These files are exact duplicates; keep one of each: "
                                                  f"{_names(duplicates)}."))
    if problems:
        code, status, _ = problems[0]
        message = " ".join(sentence for _, _, sentence in problems)
        raise (TooLarge if status == 413 else BadInput)(message, code=code)
    folders, note = assign_classes([im.name for im in images])
    classes = tuple(sorted({f for f in folders if f is not None}))
    labels = [classes.index(f) if f is not None else 0 for f in folders]
    channels = 1 if all(im.grey for im in images) else 3
    return TrainingData(images=images, labels=labels, classes=classes, channels=channels,
                        ignored=list(ignored or []), note=note)


def check_zip(data: bytes, *, image_size: int, limits: TrainLimits) -> TrainingData:
    files, ignored = read_zip(data, limits)
    return check_images(files, image_size=image_size, limits=limits, ignored=ignored, what="zip")


def check_folder(root: Path, *, image_size: int, limits: TrainLimits) -> TrainingData:
    files, ignored = read_folder(root, limits)
    return check_images(files, image_size=image_size, limits=limits, ignored=ignored, what="folder")
