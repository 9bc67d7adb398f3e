"""Art data sets: builders on tiny local fonts and files laid out like the unpacked Debian packages (nothing is
fetched), the .npz cache with its split and licences, and the fetch command."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFont

from models import debian
from models.datasets import DATASETS, cache_path, calligraphy, emoji, fashion, fetch, load_dataset
from models.datasets.common import ImageSet, fit_in_square, heldout_by_key, load_set, save_set


@pytest.fixture(scope="module")
def font_bytes() -> bytes:
    """Pillow's own bundled TrueType font (Aileron, Latin only): a real font file without any download."""
    stream = ImageFont.load_default(size=20).path
    stream.seek(0)
    return stream.read()


def _fake_tree(root: Path, members: list[str], data: bytes) -> Path:
    for m in members:
        (root / m).parent.mkdir(parents=True, exist_ok=True)
        (root / m).write_bytes(data)
    return root


def _ink_box(img: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(img < 128)
    return ys.min(), ys.max(), xs.min(), xs.max()


# ---------------------------------------------------------------------------------------------------- calligraphy

def test_common_characters_are_shared_level1_ideographs() -> None:
    chars = calligraphy.common_characters()
    assert len(chars) == 1583
    assert {"一", "人", "山", "水"} <= set(chars)
    assert all(0x4E00 <= ord(c) < 0xA000 for c in chars)


def test_glyphs_are_centred_scaled_and_missing_ones_skipped(tmp_path: Path, font_bytes: bytes) -> None:
    path = tmp_path / "font.ttf"
    path.write_bytes(font_bytes)
    images, kept = calligraphy.render_glyphs(path, ["A", "一", "l", "W"])
    assert kept == ["A", "l", "W"]  # the Latin font has no ideograph: skipped, not drawn as a box
    assert images.shape == (3, 64, 64) and images.dtype == np.uint8
    for img in images:
        assert img[0, 0] == 255  # black ink on white paper
        top, bottom, left, right = _ink_box(img)
        assert max(bottom - top, right - left) + 1 in (55, 56, 57)  # longer side scaled to 56 px
        assert abs((top + bottom) / 2 - 31.5) <= 1 and abs((left + right) / 2 - 31.5) <= 1  # box centred


def test_calligraphy_build_labels_styles_and_holds_out_whole_characters(tmp_path: Path, font_bytes: bytes) -> None:
    styles = (calligraphy.FontStyle("plain", "fonts-one", "./usr/share/fonts/a.ttf", "OFL-1.1"),
              calligraphy.FontStyle("other", "fonts-two", "./usr/share/fonts/b.ttf", "public-domain"))
    root = _fake_tree(tmp_path / "root", [s.member for s in styles], font_bytes)
    chars = list("ABCDEFGHIJKLMNOPQRST") + ["一"]
    ds = calligraphy.build(styles, chars, downloads=tmp_path / "unused", root=root)
    assert ds.classes == ("plain", "other")
    assert len(ds) == 40 and np.bincount(ds.labels).tolist() == [20, 20]
    held = set(ds.info["heldout_characters"])
    assert len(held) == 2  # 10% of the 21 characters, one of which no font has
    assert ds.heldout.sum() == 2 * len(held - {"一"})
    # a held-out character is held out in every style: the two styles' split masks are identical
    assert np.array_equal(ds.heldout[ds.labels == 0], ds.heldout[ds.labels == 1])
    assert [s["licence"] for s in ds.info["sources"]] == ["OFL-1.1", "public-domain"]


# ---------------------------------------------------------------------------------------------------- emoji

def test_emoji_composite_fits_and_centres_on_white() -> None:
    rgba = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    rgba.paste(Image.new("RGBA", (40, 20), (255, 0, 0, 128)), (10, 50))
    out = emoji.composite(rgba, rgba.getchannel("A").getbbox())
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert out[0, 0].tolist() == [255, 255, 255]  # background
    assert out[32, 32, 0] == 255 and 120 <= out[32, 32, 1] <= 135  # half-transparent red on white: pink
    assert out[32, 2, 1] < 140 and out[32, 61, 1] < 140  # the 40 px side now spans 60 px (margins of 2)


EMOJI_TEST = """# group: Smileys & Emotion
# subgroup: face-smiling
1F600                                                  ; fully-qualified     # 😀 E1.0 grinning face
# group: People & Body
1F44B 1F3FB                                            ; fully-qualified     # 👋🏻 E1.0 waving hand: light skin tone
# group: Component
1F3FB                                                  ; component           # 🏻 E1.0 light skin tone
# group: Symbols
2764 FE0F                                              ; fully-qualified     # ❤️ E0.6 red heart
2764                                                   ; unqualified         # ❤ E0.6 red heart
# group: Flags
1F3C1                                                  ; fully-qualified     # 🏁 E0.6 chequered flag
"""


def _emoji_test_file(letters: dict[str, str]) -> str:
    """EMOJI_TEST with Latin letters filed under groups (Pillow's bundled font draws letters, not emoji)."""
    extra = "".join(f"# group: {group}\n{ord(c):04X} ; fully-qualified # {c}\n" for c, group in letters.items())
    return EMOJI_TEST + extra


def test_emoji_groups_are_read_from_emoji_test_txt() -> None:
    groups = emoji.read_groups(EMOJI_TEST)
    # single code points only (a variation selector aside); components left out; flags join symbols
    assert groups == {0x1F600: "smileys-emotion", 0x2764: "symbols", 0x1F3C1: "symbols"}
    assert set(emoji.GROUP_CLASS.values()) == set(emoji.CLASSES)


def test_emoji_build_labels_by_group_and_skips_code_points_the_font_lacks(tmp_path: Path, font_bytes: bytes) -> None:
    root = _fake_tree(tmp_path / "root", [emoji.MEMBER], font_bytes)
    letters = {c: "Animals & Nature" if c < "K" else "Objects" for c in "ABCDEFGHIJKLMNOPQRS"} | {"T": "Flags"}
    _fake_tree(root, [emoji.GROUPS_MEMBER], _emoji_test_file(letters).encode())
    code_points = [ord(c) for c in "ABCDEFGHIJKLMNOPQRSTU"] + [0x1F600]  # Aileron has no emoji; U is in no group
    ds = emoji.build(code_points, downloads=tmp_path / "unused", root=root, font_px=40)
    assert len(ds) == 20 and ds.images.shape == (20, 64, 64, 3)
    assert ds.classes == emoji.CLASSES and ds.conditional
    names = [ds.classes[i] for i in ds.labels]
    assert names == ["animals-nature"] * 10 + ["objects"] * 9 + ["symbols"]
    assert ds.heldout.sum() == 3  # 15% of 20
    assert "U+1F600" not in ds.info["code_points"] and "U+0055" not in ds.info["code_points"]
    assert [s["package"] for s in ds.info["sources"]] == ["debian:fonts-noto-color-emoji", "debian:unicode-data"]


def test_emoji_candidates_leave_out_flag_letters_and_skin_tones() -> None:
    cps = set(emoji.candidate_code_points())
    assert 0x1F600 in cps and 0x2764 in cps
    assert not cps & {0x1F1E6, 0x1F3FB, 0x20E3}


# ---------------------------------------------------------------------------------------------------- fashion

def _write_idx(path: Path, header: bytes, payload: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(header + payload.astype(np.uint8).tobytes())


@pytest.fixture
def fashion_root(tmp_path: Path) -> Path:
    """The four idx files of dataset-fashion-mnist, 6 train + 4 test images, where the package puts them."""
    root = tmp_path / "root"
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("test", 4)):
        img_file, label_file = fashion.FILES[split]
        _write_idx(root / img_file, b"\0" * 16, rng.integers(0, 256, (n, 28, 28)))
        _write_idx(root / label_file, b"\0" * 8, np.arange(n) % 10)
    return root


def test_fashion_keeps_the_official_split(tmp_path: Path, fashion_root: Path) -> None:
    ds = fashion.build(downloads=tmp_path / "unused", root=fashion_root)
    assert ds.images.shape == (10, 28, 28) and len(ds.classes) == 10
    assert ds.classes[0] == "t-shirt-top" and ds.classes[9] == "ankle-boot"
    assert ds.heldout.tolist() == [False] * 6 + [True] * 4
    assert ds.train().labels.tolist() == [0, 1, 2, 3, 4, 5] and len(ds.reference()) == 4


# ---------------------------------------------------------------------------------------------------- cache, fetching

def test_cache_round_trip_without_pickle(tmp_path: Path) -> None:
    ds = ImageSet(np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3), np.array([0, 1]), ("a", "b"),
                  np.array([False, True]), {"sources": [{"licence": "CC0"}]})
    save_set(tmp_path / "x.npz", ds)
    back = load_set(tmp_path / "x.npz")
    assert np.array_equal(back.images, ds.images) and back.classes == ("a", "b")
    assert back.heldout.tolist() == [False, True]
    assert back.info["sources"] == [{"licence": "CC0"}] and back.info["counts"]["heldout"] == 1


def test_load_dataset_builds_once_then_reads_the_cache(tmp_path: Path, fashion_root: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "cache"
    first = load_dataset("fashion", data_dir, root=fashion_root)
    assert cache_path("fashion", data_dir).is_file()

    def no_fetching(*args: object) -> None:
        raise AssertionError("the cached set must be used")

    monkeypatch.setattr(debian, "extract_deb_members", no_fetching)
    again = load_dataset("fashion", data_dir)  # no root, no package: only the cache can answer
    assert np.array_equal(first.images, again.images) and again.info["counts"]["train"] == 6


def test_package_files_fetches_only_missing_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_extract(package: str, members: list[str], dest: Path) -> None:
        calls.append((package, members))
        _fake_tree(dest, members, b"x")

    monkeypatch.setattr(debian, "extract_deb_members", fake_extract)
    folder = debian.package_files("fonts-x", ["./usr/a.ttf"], tmp_path)
    assert (folder / "usr/a.ttf").read_bytes() == b"x"
    debian.package_files("fonts-x", ["./usr/a.ttf"], tmp_path)  # already there: no second download
    assert calls == [("fonts-x", ["./usr/a.ttf"])]
    with pytest.raises(FileNotFoundError, match="fonts-y files missing"):
        debian.package_files("fonts-y", ["./usr/b.ttf"], tmp_path, root=tmp_path / "empty")


def test_fetch_command_prints_counts_and_draws_a_sheet(tmp_path: Path, fashion_root: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    common = ["fashion", "--data-dir", str(tmp_path), "--root", str(fashion_root)]
    assert fetch.main(["fetch", *common]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (row["name"], row["total"], row["train"], row["heldout"]) == ("fashion", 10, 6, 4)
    assert fetch.main(["sheet", *common, "--out", str(tmp_path / "sheet.png"), "--per-class", "2"]) == 0
    with Image.open(tmp_path / "sheet.png") as im:
        assert im.size == (2 + 2 * 30, 2 + 10 * 30)  # 10 class rows of 2, 28 px + 2 px gaps


def test_registry_names_match_modules() -> None:
    assert sorted(DATASETS) == ["calligraphy", "emoji", "fashion"]
    with pytest.raises(ValueError, match="unknown data set"):
        load_dataset("nope")


def test_fit_in_square_and_heldout_keys() -> None:
    img = Image.new("L", (50, 10), 0)
    img.paste(255, (0, 0, 50, 10))
    out = np.asarray(fit_in_square(img, (0, 0, 50, 10), 20, 2))
    assert (out[:, 2:18] > 0).any(axis=0).all() and out[:, :2].max() == 0  # 16 px wide inside a 2 px margin
    held = heldout_by_key([str(i) for i in range(100)] * 2, 0.1, seed=0)
    assert len(held) == 10 and held == heldout_by_key([str(i) for i in range(100)], 0.1, seed=0)
