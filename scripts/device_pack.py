"""Get this checkout ready for a lent GPU (the `device` tool, docs/gpu-runs.md), or back from it.

    .venv/bin/python scripts/device_pack.py emoji                   # before the device call
    .venv/bin/python scripts/device_pack.py photos --keep detect    # keep the checkpoint a stage starts from
    .venv/bin/python scripts/device_pack.py --restore      # after it

The device call sends the working tree and the paths it is told to carry, 64 MiB in all. The tree holds ~65 MB of
shipped checkpoints and baselines that a training run there does not read, so they are staged as deleted (`git rm
--cached` and removed: git's index and the files agree, whichever the tool reads) and `--restore` brings them back
from HEAD. The training data, which git ignores, is copied into `.devpack/` (ignored too: name it in `carry`):

    emoji   data-cache/emoji-v2.npz as it is (4.9 MB)
    photos  the repair photos as lossless WebP (the PNG cache is 99 MB): the training photos in the cache's manifest
            order, as many as fit the budget, named so that `--train-folder` reads them in that order, and a few
            validation photos; .devpack/photos.json lists what was packed and what was left out
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

from models.datasets import cache_path
from models.photos import MANIFEST

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / ".devpack"
HEAVY = ("models/weights/*.safetensors", "models/baselines/*.safetensors")
LIMIT = 64 * 2**20  # what one device call may send (tree + carried paths)
MARGIN = 2 * 2**20  # for what the tree gains before the call (a log, a note)
VAL_PHOTOS = 6


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def heavy_files() -> list[str]:
    return git("ls-files", "--", *HEAVY).split()


def travelling_bytes() -> int:
    """Bytes the device call would send without carry: files git tracks or would track (not ignored)."""
    names = git("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    return sum((ROOT / n).stat().st_size for n in names if n and (ROOT / n).is_file())


def slim_tree(keep: list[str]) -> None:
    files = [f for f in heavy_files() if not (f.startswith("models/weights/") and Path(f).stem in keep)]
    if files and git("status", "--porcelain", "--", *files).strip():
        raise SystemExit("the checkpoints have uncommitted changes: commit them first (nothing was moved)")
    if files:
        git("rm", "-q", "--cached", "--", *files)
        for f in files:
            (ROOT / f).unlink()
        print(f"staged {len(files)} checkpoints as deleted (scripts/device_pack.py --restore brings them back)")


def restore_tree() -> None:
    deleted = git("diff", "--cached", "--name-only", "--diff-filter=D", "--", *HEAVY).split()
    if deleted:
        git("reset", "-q", "HEAD", "--", *deleted)
        git("checkout", "--", *deleted)
    print(f"restored {len(deleted)} checkpoints from HEAD")


def pack_emoji() -> None:
    src = cache_path("emoji", ROOT / "data-cache")  # the name `--data-dir .devpack/data` is looked up by there
    if not src.is_file():
        raise SystemExit(f"{src} is missing: run `atelier data fetch emoji` first")
    (PACK / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, PACK / "data" / src.name)


def save_webp(src: Path, dst: Path) -> int:
    with Image.open(src) as im:
        im.convert("RGB").save(dst, "WEBP", lossless=True, quality=100, method=4)
    return dst.stat().st_size


def pack_photos(budget: int) -> None:
    cache = ROOT / "data-cache" / "photos"
    manifest = json.loads((cache / MANIFEST).read_text())
    (PACK / "train").mkdir(parents=True, exist_ok=True)
    (PACK / "val").mkdir(parents=True, exist_ok=True)
    packed: dict[str, list[str]] = {"train": [], "val": [], "left_out": []}
    used = 0
    for e in [e for e in manifest["photos"] if e["split"] == "val"][:VAL_PHOTOS]:
        used += save_webp(cache / e["file"], PACK / "val" / f"{e['name']}.webp")
        packed["val"].append(e["name"])
    for i, e in enumerate(e for e in manifest["photos"] if e["split"] == "train"):
        dst = PACK / "train" / f"{i:03d}-{e['name']}.webp"
        size = save_webp(cache / e["file"], dst)
        if used + size > budget:
            dst.unlink()
            packed["left_out"].append(e["name"])
            continue
        used += size
        packed["train"].append(e["name"])
    (PACK / "photos.json").write_text(json.dumps(packed, indent=1) + "\n")
    print(f"photos: {len(packed['train'])} train + {len(packed['val'])} val packed ({used / 2**20:.1f} MiB), "
          f"{len(packed['left_out'])} train photos left out (.devpack/photos.json)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", nargs="?", choices=["emoji", "photos"])
    p.add_argument("--keep", action="append", default=[], metavar="MODEL",
                   help="leave models/weights/MODEL.safetensors in the tree (a stage's --init-from); repeatable")
    p.add_argument("--restore", action="store_true", help="bring the checkpoints back and remove .devpack/")
    args = p.parse_args(argv)
    if args.restore:
        restore_tree()
        shutil.rmtree(PACK, ignore_errors=True)
        return 0
    if args.what is None:
        p.error("say what to pack (emoji or photos), or --restore")
    shutil.rmtree(PACK, ignore_errors=True)
    slim_tree(args.keep)
    tree = travelling_bytes()
    if args.what == "emoji":
        pack_emoji()
    else:
        pack_photos(LIMIT - MARGIN - tree)
    carried = sum(f.stat().st_size for f in PACK.rglob("*") if f.is_file())
    print(f"the call sends {(tree + carried) / 2**20:.1f} MiB of {LIMIT / 2**20:.0f} "
          f"(tree {tree / 2**20:.1f}, .devpack {carried / 2**20:.1f}); carry=[\".devpack\"]")
    return 0 if tree + carried <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
