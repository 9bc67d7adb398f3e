"""Openly licensed photographs for the restoration networks, fetched offline by package name and cached as PNG.

    python -m models.photos [--data-dir data-cache/photos]      fetch, downscale and write manifest.json

Sources (licences per file in the manifest):

    train       Debian lomiri-wallpapers-16.04   13 photos (2 of its 15 wallpapers are abstract art and skipped)
                Debian mate-backgrounds          12 photos of nature/
                Debian plasma-workspace-wallpapers 11 photos (the rest of that package is abstract art)
                Debian palapeli-data              5 photos of its jigsaw collection (a castle, a bridge by night, ...)
                Debian lomiri-wallpapers-20.04    1 photo (the other 3 wallpapers are drawings or renders)
                Debian kphotoalbum               23 snapshots of its demo album (people, a pub, a pool hall, dogs)
                Debian tuxpaint-data             19 photo templates (bark, rock, waves, a lighthouse, mill gears)
                Debian lxqt-themes               11 photo wallpapers (the rest are logos and origami renders)
                Debian gcompris-qt-data         102 photos in Qt resource bundles: wildlife, animals, 45 monuments
                scikit-image (if installed)       astronaut, chelsea, coffee, rocket; grey camera, coins, textures
    validation  Debian opencv-doc                 16 colour photos from examples/data (VALIDATION_OPENCV below)
                scikit-learn (if installed)       china.jpg, flower.jpg

Validation photos are never trained on; they are what the benchmark corrupts with fixed seeds. Debian packages
are fetched with `apt-get download` and only the needed files are unpacked (`dpkg-deb --fsys-tarfile | tar -x`,
what `dpkg -x` does, no root needed). Photos are downscaled so the longest side is at most MAX_SIDE (which also
washes out most of the sources' own JPEG noise: the networks learn that "clean" means clean), converted to RGB
and stored as PNG under <data-dir>/{train,val}/. Training samples patches from them on the fly.

A user's own folder of images works too (`load_folder`): every image file below it, any size.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import logging
import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from models import photos_gcompris as gcompris
from models.debian import extract_deb_members
from models.entrypoint import module_main
from models.rcc import read_rcc

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PHOTO_DIR = REPO_ROOT / "data-cache" / "photos"  # gitignored
MAX_SIDE = 1024  # longest side of a cached photo, pixels
MANIFEST = "manifest.json"
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Photo:
    name: str  # file stem in the cache, unique
    split: str  # "train" or "val"
    source: str  # "debian:<package>", "pypi:scikit-image", ...
    member: str  # path inside the package
    licence: str
    author: str = ""
    max_side: int | None = None  # a smaller longest side than MAX_SIDE: washes out a small source's own JPEG noise
    inside: str = ""  # where member is a Qt resource bundle (.rcc): the photo's path inside it


def _lomiri(stem: str, licence: str, author: str) -> Photo:
    return Photo(f"lomiri-{stem}", "train", "debian:lomiri-wallpapers-16.04",
                 f"./usr/share/backgrounds/{stem}.jpg", licence, author)


# analogpattern_by_Peter_Nerlich (a grainy texture) and umang_by_Abhishek_Mudgal (a colour gradient) are left out
LOMIRI = [
    _lomiri("aitzgorri_by_Aitzol_Berasategi", "CC-BY-4.0", "Aitzol Berasategi"),
    _lomiri("Bridge_by_Sander_Klootwijk", "CC-BY-SA-4.0", "Sander Klootwijk"),
    _lomiri("Dragonfly_by_Bolly", "CC-BY-SA-4.0", "Bolly"),
    _lomiri("free_by_Peter_Nerlich", "CC-BY-SA-4.0", "Peter Nerlich"),
    _lomiri("friends_by_Aitzol_Berasategi", "CC-BY-4.0", "Aitzol Berasategi"),
    _lomiri("greentock_by_Peter_Nerlich", "CC-BY-SA-4.0", "Peter Nerlich"),
    _lomiri("life_by_Aitzol_Berasategi", "CC-BY-4.0", "Aitzol Berasategi"),
    _lomiri("picosdeeuropa_by_Aitzol_Berasategi", "CC-BY-4.0", "Aitzol Berasategi"),
    _lomiri("Picture_0B_by_freespace", "CC-BY-4.0", "Trevor Freespace"),
    _lomiri("Picture_1A_by_freespace", "CC-BY-4.0", "Trevor Freespace"),
    _lomiri("seeding_by_Clements_Engelhardt", "CC0-1.0", "Clemens Engelhardt"),
    _lomiri("sunset_by_Aitzol_Berasategi", "CC-BY-4.0", "Aitzol Berasategi"),
    _lomiri("Wine_by_Jakkub_Mede", "CC-BY-4.0", "Jakub Mede"),
]
MATE = [Photo(f"mate-{n}", "train", "debian:mate-backgrounds", f"./usr/share/backgrounds/mate/nature/{n}.jpg",
              "GPL-2+")
        for n in ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm",
                  "TwoWings", "Wood", "YellowFlower")]
PLASMA = [Photo(f"plasma-{n}", "train", "debian:plasma-workspace-wallpapers",
                f"./usr/share/wallpapers/{n}/contents/images/2560x1600.jpg", "LGPL-3", a)
          for n, a in (("BytheWater", "Maciej Wiklo"), ("ColdRipple", "Risto Saukonpää"),
                       ("ColorfulCups", "Dmitri Popov"), ("DarkestHour", "Risto Saukonpää"),
                       ("EveningGlow", "Ian Hex"), ("FallenLeaf", "Martin Klapetek"), ("Grey", "Sigi Sagi"),
                       ("Kite", "Risto Saukonpää"), ("OneStandsOut", "Risto Saukonpää"),
                       ("Path", "Risto Saukonpää"), ("summer_1am", "Risto Saukonpää"))]
# KDE's jigsaw game ships five photographs (Wikimedia Commons originals; authors from its .desktop files): man-made
# structure (a castle, a bridge by night) that the landscapes above lack and old-photo damage detection needs
PALAPELI = [Photo(f"palapeli-{n}", "train", "debian:palapeli-data", f"./usr/share/palapeli/collection/{n}.jpg",
                  "GPL-2+ (Debian palapeli-data)", a)
            for n, a in (("castle-maintenon", "Eric Pouhier"), ("cincinnati-bridge", "Derek Jensen"),
                         ("citrus-fruits", "US Department of Agriculture"), ("european-honey-bee", "John Severns"),
                         ("panther-chameleon-female", "B. Navez"))]
LOMIRI_2004 = [Photo("lomiri-Kleiber_by_Lukas_Baubkus", "train", "debian:lomiri-wallpapers-20.04",
                     "./usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "CC-BY-SA-3.0", "Lukas Baubkus")]
# Photos added on 2026-12-06 (docs/models/repair-data.md has the survey they came from): people indoors and out, rock,
# bark, water and machinery, which the wallpapers above lack. The album's and the templates' files are small JPEGs
# whose own compression shows at full size, so they are reduced further (to 512 / 640 pixels) to be clean targets.
KPHOTOALBUM = [Photo(f"kphotoalbum-{n}", "train", "debian:kphotoalbum", f"./usr/share/kphotoalbum/demo/{n}.jpg",
                     "GPL-2+ (Debian kphotoalbum)", max_side=512)
               for n in ("anne_helene", "bar55", "bar55_2", "blackie", "cold_water", "donna", "donna_2",
                         "grand_canyon_1", "grand_canyon_2", "grand_canyon_3", "jesper", "jesper_2", "new_wave_1",
                         "new_wave_2", "pool", "pool_2", "skagen", "skagen_2", "snow", "spiff", "spiff_2", "sunset",
                         "wayne")]  # qt-logo.jpg is left out
TUXPAINT = [Photo(f"tuxpaint-{n}", "train", "debian:tuxpaint-data", f"./usr/share/tuxpaint/templates/{n}.jpg",
                  "GPL-2+", "Bill Kendrick", max_side=640)
            for n in ("burnt_bark", "cliff", "corn_maze", "jellyfish", "lighthouse", "mossy_bark", "mossy_log",
                      "mudstone", "ocean_splash", "ocean_waves", "redwoods_above", "rocks", "sheep", "spiders_web",
                      "sun_behind_clouds", "sun_behind_leaves", "trees_above", "trees_at_dusk", "wool_mill_machine")]
LXQT = [Photo(f"lxqt-{Path(f).stem}", "train", "debian:lxqt-themes", f"./usr/share/lxqt/wallpapers/{f}",
              "CC-BY-SA-3.0 (the wallpapers' License file)", a)
        for f, a in (("Butterfly-Kenneth-Wimer.jpg", "Kenneth Wimer"), ("Valendas.png", ""),
                     ("after-the-rain.jpg", "stefonarch"), ("appleflower.png", "stefonarch"),
                     ("beam.png", "stefonarch"), ("butterfly.png", "stefonarch"), ("cloud.png", ""),
                     ("drop.png", "stefonarch"), ("flowers.png", "stefonarch"), ("fog.jpg", "stefonarch"),
                     ("this-is-not-windows.jpg", "stefonarch"))]


def _gcompris(bundle: str, rel: str, licence: str, author: str) -> Photo:
    """('explore_monuments', 'france/eiffelTower.webp', ...) -> the photo gcompris-monuments-france-eiffelTower."""
    stem = Path(rel).with_suffix("").as_posix().replace("/", "-")
    return Photo(f"gcompris-{bundle.removeprefix('explore_')}-{stem}", "train", f"debian:{gcompris.PACKAGE}",
                 f"{gcompris.RCC_DIR}/{bundle}.rcc", licence, author, max_side=gcompris.MAX_SIDE[bundle],
                 inside=f"{gcompris.RESOURCE[bundle]}/{rel}")


# GCompris's photos (models/photos_gcompris.py says which and why), added on 2026-12-06 after the three above: 102
# wildlife, animal and monument photos from Qt resource bundles, each credited in its bundle's README
GCOMPRIS = [_gcompris(bundle, *row) for bundle, rows in gcompris.FILES.items() for row in rows]
# Natural colour photos only: no logos, drawings, renders, charts, calibration boards or text; of the stereo /
# before-after pairs (aloeL/R, graf1/3, leuvenA/B, rubberwhale1/2, ela_original/modified, aero1/3) one image;
# apple.jpg and orange.jpg are left out (old scans full of their own grain), as are the webcam shots (left*, right*,
# stuff) and the blurred licenseplate_motion.
VALIDATION_OPENCV = ("aero1.jpg", "aloeL.jpg", "baboon.jpg", "board.jpg", "building.jpg", "butterfly.jpg",
                     "chicky_512.png", "ela_original.jpg", "fruits.jpg", "graf1.png", "home.jpg", "leuvenA.jpg",
                     "messi5.jpg", "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg")
OPENCV = [Photo(f"opencv-{Path(n).stem}", "val", "debian:opencv-doc", f"./usr/share/doc/opencv-doc/examples/data/{n}",
                "Apache-2.0 / BSD-3-Clause") for n in VALIDATION_OPENCV]
# scikit-image's bundled photos (licences from skimage.data's docstrings); motorcycle (Middlebury) has no clear
# licence and moon / hubble / retina / ihc are noisy or not photographs of scenes, so they are left out.
SKIMAGE = [Photo(f"skimage-{n}", "train", "pypi:scikit-image", f"skimage/data/{n}.{ext}", lic)
           for n, ext, lic in (("astronaut", "png", "public domain (NASA)"), ("chelsea", "png", "CC0"),
                               ("coffee", "png", "CC0"), ("rocket", "jpg", "public domain (NASA / SpaceX)"),
                               ("camera", "png", "CC0"), ("coins", "png", "public domain"),
                               ("brick", "png", "CC0"), ("grass", "png", "CC0"), ("gravel", "png", "CC0"))]
SKLEARN = [Photo(f"sklearn-{n}", "val", "pypi:scikit-learn", f"sklearn/datasets/images/{n}.jpg", "CC-BY-2.0", a)
           for n, a in (("china", "danielbuechele"), ("flower", "vultilion"))]
ALL_PHOTOS = (LOMIRI + MATE + PLASMA + PALAPELI + LOMIRI_2004 + SKIMAGE + KPHOTOALBUM + TUXPAINT + LXQT + GCOMPRIS
              + OPENCV + SKLEARN)
# photo sets a training run can ask for: "original" is the 45 training photos every repair model up to denoise 0.3.0,
# inpaint 0.3.0 and detect 0.2.0 trained on (in the same order), before PALAPELI and LOMIRI_2004 joined them; "51" is
# the 51 that every later stage up to detect 0.7.0 trained on, before KPHOTOALBUM, TUXPAINT and LXQT joined them;
# "104" is those and the 51 before GCompris's joined them
ADDED_2026_11_22 = frozenset(p.name for p in PALAPELI + LOMIRI_2004)
ADDED_2026_12_06 = frozenset(p.name for p in KPHOTOALBUM + TUXPAINT + LXQT)
ADDED_GCOMPRIS = frozenset(p.name for p in GCOMPRIS)
PHOTO_SETS = ("all", "104", "51", "original")
LEFT_OUT = {"all": frozenset(), "104": ADDED_GCOMPRIS, "51": ADDED_2026_12_06 | ADDED_GCOMPRIS,
            "original": ADDED_2026_11_22 | ADDED_2026_12_06 | ADDED_GCOMPRIS}


# ---------------------------------------------------------------------------------------------------- fetching

def _package_file(photo: Photo) -> Path | None:
    """Where a PyPI package's bundled photo lies, or None if the package is not installed."""
    module = photo.source.split(":", 1)[1].replace("scikit-image", "skimage").replace("scikit-learn", "sklearn")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent.parent / photo.member


def downscale(img: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """RGB, longest side at most max_side (Lanczos, aspect kept); never upscales."""
    img = img.convert("RGB")
    scale = max_side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS)
    return img


def _store(photo: Photo, src: Path | io.BytesIO, dest: Path, max_side: int) -> tuple[int, int]:
    """Cache one photo as PNG, reduced to max_side or to the photo's own smaller max_side."""
    with Image.open(src) as im:
        out = downscale(im, min(max_side, photo.max_side or max_side))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    out.save(tmp, format="PNG")
    os.replace(tmp, dest)  # atomic: a half-written photo is never read
    return out.size


def prepare_photos(data_dir: Path = DEFAULT_PHOTO_DIR, max_side: int = MAX_SIDE) -> dict:
    """Fetch every photo not yet cached; (re)write manifest.json; returns the manifest."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    missing_debs: dict[str, list[Photo]] = {}
    for p in ALL_PHOTOS:
        if p.source.startswith("debian:") and not (data_dir / p.split / f"{p.name}.png").is_file():
            missing_debs.setdefault(p.source.split(":", 1)[1], []).append(p)
    for package, photos in missing_debs.items():
        with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
            extract_deb_members(package, sorted({p.member for p in photos}), Path(tmp))
            bundles: dict[str, dict[str, bytes]] = {}  # member -> the files of that resource bundle
            for p in photos:
                src: Path | io.BytesIO = Path(tmp) / p.member
                if p.inside:  # a photo inside a Qt resource bundle (each bundle read once): decoded from memory
                    src = io.BytesIO(bundles.setdefault(p.member, read_rcc(src))[p.inside])
                _store(p, src, data_dir / p.split / f"{p.name}.png", max_side)
    for p in ALL_PHOTOS:
        dest = data_dir / p.split / f"{p.name}.png"
        if not dest.is_file() and p.source.startswith("pypi:"):
            src = _package_file(p)
            if src is None or not src.is_file():
                log.warning("%s not installed: skipping %s", p.source, p.name)
                continue
            _store(p, src, dest, max_side)
        if dest.is_file():
            with Image.open(dest) as im:
                size = im.size
            entries.append({**asdict(p), "file": f"{p.split}/{p.name}.png", "size": list(size)})
    manifest = {"max_side": max_side, "photos": entries,
                "counts": {s: sum(e["split"] == s for e in entries) for s in ("train", "val")}}
    tmp = data_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, data_dir / MANIFEST)
    log.info("photos in %s: %s", data_dir, manifest["counts"])
    return manifest


# ---------------------------------------------------------------------------------------------------- loading

def read_rgb(path: Path) -> np.ndarray:
    """Any image file -> (H, W, 3) uint8 RGB (EXIF orientation applied, alpha dropped)."""
    from PIL import ImageOps

    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def load_split(split: str, data_dir: Path = DEFAULT_PHOTO_DIR, photo_set: str = "all") -> list[np.ndarray]:
    """The cached photos of one split ("train" or "val") in the manifest's order, fetching them first if the
    manifest is missing; photo_set "104" leaves out GCompris's photos, "51" the others added on 2026-12-06 too,
    "original" those added since 2026-11-22 too (PHOTO_SETS)."""
    if photo_set not in PHOTO_SETS:
        raise ValueError(f"unknown photo set {photo_set!r}; known: {PHOTO_SETS}")
    data_dir = Path(data_dir)
    manifest_path = data_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else prepare_photos(data_dir)
    listed = {e["name"] for e in manifest["photos"]}
    behind = [p.name for p in ALL_PHOTOS
              if p.split == split and p.source.startswith("debian:") and p.name not in listed]
    # the project's cache made before photos joined the list: say so and load it as it is (another folder is a
    # layout of a test's or a user's own, which need not hold every listed photo)
    if behind and data_dir == DEFAULT_PHOTO_DIR:
        log.warning("%s lacks %d %s photos added since it was made (%s...): `python -m models.photos` fetches them",
                    data_dir, len(behind), split, behind[0])
    return [read_rgb(data_dir / e["file"]) for e in manifest["photos"]
            if e["split"] == split and e["name"] not in LEFT_OUT[photo_set]]


def load_folder(folder: Path, max_side: int | None = None) -> list[np.ndarray]:
    """Every image below a user's folder, sorted by path, as (H, W, 3) uint8 (downscaled if max_side is given)."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not paths:
        raise FileNotFoundError(f"no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) below {folder}")
    images = []
    for p in paths:
        a = read_rgb(p)
        if max_side is not None and max(a.shape[:2]) > max_side:
            a = np.asarray(downscale(Image.fromarray(a), max_side))
        images.append(a)
    return images


# ---------------------------------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_PHOTO_DIR, help="cache folder of the photos")
    parser.add_argument("--max-side", type=int, default=MAX_SIDE, help="downscale so the longest side is this")


def run(args: argparse.Namespace) -> int:
    manifest = prepare_photos(args.data_dir, args.max_side)
    print(json.dumps(manifest["counts"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.photos", description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
