"""The repair networks' photo cache (models/photos.py), with the Debian download replaced by fake package files."""

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from models import photos
from tests.unit.test_rcc import build_rcc


def _jpeg(rng: np.random.Generator) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (360, 480, 3), dtype=np.uint8)).save(out, format="JPEG")
    return out.getvalue()


def fake_debian(monkeypatch, calls: list[str]) -> None:
    """extract_deb_members writes a 480x360 photo for every requested member (for a Qt resource bundle: a bundle
    holding one for every listed photo inside it) and logs the package."""

    def extract(package: str, members: list[str], dest: Path) -> None:
        calls.append(package)
        rng = np.random.default_rng(len(calls))
        for m in members:
            path = Path(dest) / m
            path.parent.mkdir(parents=True, exist_ok=True)
            if m.endswith(".rcc"):
                inside = [p.inside for p in photos.ALL_PHOTOS if p.member == m]
                path.write_bytes(build_rcc({name: _jpeg(rng) for name in inside} | {"x/README": b"credits"}))
            else:
                path.write_bytes(_jpeg(rng))

    monkeypatch.setattr(photos, "extract_deb_members", extract)


def test_every_listed_photo_is_fetched_downscaled_and_split_by_source(monkeypatch, tmp_path):
    calls: list[str] = []
    fake_debian(monkeypatch, calls)
    # PyPI photos come from an installed package's folder: point them at a scratch folder
    monkeypatch.setattr(photos, "_package_file", lambda p: _pypi_file(tmp_path / "site", p))
    manifest = photos.prepare_photos(tmp_path / "cache", max_side=64)

    names = [p.name for p in photos.ALL_PHOTOS]
    assert len(names) == len(set(names))
    assert manifest["counts"] == {"train": sum(p.split == "train" for p in photos.ALL_PHOTOS),
                                  "val": sum(p.split == "val" for p in photos.ALL_PHOTOS)}
    assert manifest["counts"]["train"] == 206 and manifest["counts"]["val"] == 18
    # one download per Debian package, whatever number of photos it holds
    debs = {p.source.split(":", 1)[1] for p in photos.ALL_PHOTOS if p.source.startswith("debian:")}
    assert sorted(calls) == sorted(debs)
    for e in manifest["photos"]:
        with Image.open(tmp_path / "cache" / e["file"]) as im:
            assert max(im.size) <= 64 and im.mode == "RGB" and list(im.size) == e["size"]
        assert e["licence"]
    # no source gives photos to both sides: a scene is never trained on and validated on
    sources = {s: {e["source"] for e in manifest["photos"] if e["split"] == s} for s in ("train", "val")}
    assert not sources["train"] & sources["val"]
    on_disk = json.loads((tmp_path / "cache" / "manifest.json").read_text())
    assert on_disk == manifest

    # a second call finds everything cached and downloads nothing; loading reads the manifest's order
    photos.prepare_photos(tmp_path / "cache", max_side=64)
    assert sorted(calls) == sorted(debs)
    val = photos.load_split("val", tmp_path / "cache")
    assert len(val) == 18 and all(a.dtype == np.uint8 and a.shape[2] == 3 for a in val)
    assert len(photos.load_split("train", tmp_path / "cache", "original")) == 45
    assert len(photos.load_split("train", tmp_path / "cache", "51")) == 51
    assert len(photos.load_split("train", tmp_path / "cache", "104")) == 104
    assert len(photos.load_split("train", tmp_path / "cache")) == 206
    # GCompris's photos come out of its Qt resource bundles, one download for all four bundles
    monuments = [e for e in manifest["photos"] if e["name"].startswith("gcompris-monuments-")]
    assert len(monuments) == 45 and all(e["inside"].endswith(".webp") and e["author"] for e in monuments)
    assert calls.count("gcompris-qt-data") == 1
    # the small JPEG sources are reduced further than MAX_SIDE (here 64): their own compression washed out
    album = next(e for e in manifest["photos"] if e["source"] == "debian:kphotoalbum")
    assert album["max_side"] == 512 and max(album["size"]) <= 64

    # a cache made before photos were added to the list: prepare_photos (python -m models.photos) fetches only those
    manifest["photos"] = [e for e in manifest["photos"] if e["name"] not in photos.ADDED_2026_12_06]
    (tmp_path / "cache" / "manifest.json").write_text(json.dumps(manifest))
    for name in photos.ADDED_2026_12_06:
        (tmp_path / "cache" / "train" / f"{name}.png").unlink()
    assert len(photos.load_split("train", tmp_path / "cache")) == 153  # loaded as it is
    calls.clear()
    photos.prepare_photos(tmp_path / "cache", max_side=64)
    assert sorted(calls) == ["kphotoalbum", "lxqt-themes", "tuxpaint-data"]
    assert len(photos.load_split("train", tmp_path / "cache")) == 206


def _pypi_file(root: Path, photo: photos.Photo) -> Path:
    path = root / photo.member
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (300, 200), (90, 120, 30)).save(path, format="PNG")
    return path
