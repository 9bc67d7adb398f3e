"""models/upscale.py and its benchmark: shapes, dtypes, modes, consistency with the input, beating bicubic."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from models import upscale as up
from models.datasets import ImageSet, cache_path
from models.datasets.common import save_set
from models.evaluation import upscale_benchmark


def flat_art(seed: int, size: int = 64, colour: bool = True) -> np.ndarray:
    """Flat-coloured shapes with crisp outlines on white, like our emoji and glyphs: drawn 4x larger, then reduced
    with Lanczos, as the data sets' images were made."""
    rng = np.random.default_rng(seed)
    big = Image.new("RGB", (4 * size, 4 * size), (255, 255, 255))
    draw = ImageDraw.Draw(big)
    for _ in range(4):
        x0, y0 = rng.integers(0, 3 * size, 2)
        x1, y1 = x0 + rng.integers(size // 2, 2 * size), y0 + rng.integers(size // 2, 2 * size)
        fill = tuple(int(v) for v in rng.integers(0, 256, 3)) if colour else (0, 0, 0)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=fill, outline=(20, 20, 20), width=int(rng.integers(4, 12)))
    draw.line([tuple(rng.integers(0, 4 * size, 2)) for _ in range(4)], fill=(0, 0, 0), width=10)
    small = big.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(small if colour else small.convert("L"))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / mse))


@pytest.mark.parametrize("shape, dtype", [((20, 12), np.uint8), ((20, 12, 1), np.uint8), ((20, 12, 2), np.uint8),
                                          ((20, 12, 3), np.uint8), ((20, 12, 4), np.uint8),
                                          ((20, 12, 3), np.uint16), ((20, 12), np.float32)])
@pytest.mark.parametrize("scale", up.SCALES)
def test_every_mode_dtype_and_scale(shape, dtype, scale):
    rng = np.random.default_rng(0)
    peak = 1.0 if dtype == np.float32 else np.iinfo(dtype).max
    image = (rng.random(shape) * peak).astype(dtype)
    out = up.upscale(image, scale)
    assert out.shape == (shape[0] * scale, shape[1] * scale, *shape[2:]) and out.dtype == dtype
    assert out.min() >= 0 and out.max() <= peak
    assert np.array_equal(out, up.upscale(image, scale))  # deterministic


def test_plain_filters_are_pillows():
    """Pillow's float resize, channel by channel (its 8-bit resize also clips between its two passes)."""
    image = flat_art(1, 32)
    for name, resample in up.FILTERS.items():
        theirs = np.stack([np.asarray(Image.fromarray(image[..., c].astype(np.float32)).resize((96, 96), resample))
                           for c in range(3)], axis=2)
        theirs = np.clip(np.rint(theirs), 0, 255)
        assert np.abs(up.upscale(image, 3, name).astype(int) - theirs).max() <= 1, name


def test_resample_matrix_is_pillows_kernel_exactly():
    x = np.random.default_rng(2).random((13, 17)).astype(np.float32)
    for n_out_h, n_out_w in ((52, 68), (4, 5)):
        pillow = np.asarray(Image.fromarray(x).resize((n_out_w, n_out_h), up.MODEL_FILTER))
        ours = up.resample_matrix(13, n_out_h, up.MODEL_FILTER) @ x @ up.resample_matrix(17, n_out_w,
                                                                                            up.MODEL_FILTER).T
        assert np.abs(ours - pillow).max() < 1e-5


def test_back_projection_gives_the_input_back():
    for seed, colour in ((3, True), (4, False)):
        real = flat_art(seed, colour=colour)
        small = up.downscale(real, 4)
        ours, bicubic = up.upscale(small, 4), up.upscale(small, 4, "bicubic")
        ours_error = np.abs(up.downscale(ours, 4).astype(int) - small).mean()
        bicubic_error = np.abs(up.downscale(bicubic, 4).astype(int) - small).mean()
        assert ours_error < 1.5 and ours_error < bicubic_error / 3, (ours_error, bicubic_error)


def test_beats_bicubic_and_lanczos_on_flat_art():
    for seed, colour in [(s, s % 2 == 0) for s in range(10, 16)]:
        real = flat_art(seed, colour=colour)
        small = up.downscale(real, 4)
        ours = psnr(real, up.upscale(small, 4))
        assert ours > psnr(real, up.upscale(small, 4, "bicubic")) + 0.5, seed
        assert ours > psnr(real, up.upscale(small, 4, "lanczos")), seed


def test_white_paper_stays_white():
    """Away from the ink, a white page must come out pure white (an unstable TV step leaves a grey haze there)."""
    glyph = np.full((64, 64), 255, np.uint8)
    glyph[20:44, 30:34] = 0
    out = up.upscale(glyph, 4)
    assert out[:, :60].min() == 255 and out[:, 200:].min() == 255


def test_alpha_is_premultiplied_so_hidden_colour_does_not_bleed():
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[...] = (0, 255, 0, 0)  # transparent, but green underneath
    rgba[4:12, 4:12] = (255, 0, 0, 255)
    out = up.upscale(rgba, 4)
    visible = out[..., 3] > 0
    assert out[visible][:, 1].max() <= 2 and out[visible][:, 0].min() >= 250


def test_large_images_run_in_tiles_that_match_the_whole():
    wide = np.concatenate([flat_art(s, 64) for s in range(3)], axis=1)[:40]  # 40 x 192 -> 160 x 768: 3 tiles
    tiled = up.upscale(wide, 4)
    planes, restore = up._to_planes(wide)
    whole = restore(up.ibp_tv(planes, 4))
    diff = np.abs(tiled.astype(int) - whole.astype(int))
    assert tiled.shape == (160, 768, 3) and diff.mean() < 0.2 and diff.max() <= 8


def test_unstable_settings_are_refused():
    with pytest.raises(ValueError, match="unstable"):
        up.IbpTvConfig(tv_step=8 / 255, tv_epsilon=2 / 255)
    with pytest.raises(ValueError, match="method"):
        up.upscale(np.zeros((4, 4), np.uint8), 2, "magic")


# ---------------------------------------------------------------- the benchmark, on a tiny fake data cache


@pytest.fixture
def tiny_sets(tmp_path):
    for name, colour in (("emoji", True), ("calligraphy", False)):
        images = np.stack([flat_art(100 + i, colour=colour) for i in range(4)])
        save_set(cache_path(name, tmp_path), ImageSet(images, np.zeros(4, np.int64), (), np.ones(4, bool), {}))
    return tmp_path


def test_benchmark_measures_without_writing(tiny_sets, capsys):
    md = tiny_sets / "BENCHMARKS.md"
    assert upscale_benchmark.main(["--data-dir", str(tiny_sets), "--sets", "emoji", "calligraphy", "--scales", "4",
                                   "--timing-images", "2",
                                   "--benchmarks-md", str(md), "--figures-dir", str(tiny_sets / "img"),
                                   "--no-write"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Upscaling") and "| **ours (ibp-tv)** |" in out and "4 emoji, 4 calligraphy" in out
    assert not md.exists() and not (tiny_sets / "img").exists()


def test_benchmark_writes_its_section_and_figures(tiny_sets):
    md = tiny_sets / "BENCHMARKS.md"
    args = ["--data-dir", str(tiny_sets), "--sets", "emoji", "calligraphy", "--scales", "4", "--timing-images", "1",
            "--benchmarks-md", str(md), "--figures-dir", str(tiny_sets / "img")]
    assert upscale_benchmark.main(args) == 0
    text = md.read_text()
    assert "## Upscaling" in text
    assert "atelier benchmark upscale --sets emoji calligraphy --scales 4 --timing-images 1" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    gain = rows["ours − bicubic"].split("|")[2]
    assert gain.strip().startswith("+")  # ours beats bicubic on these sharp-edged images
    for name, size in (("upscale-compare.png", (5 * 198 + 6, 2 * 216 + 6)), ("upscale-studio.png", (4 * 262 + 6,
                                                                                                     2 * 280 + 6))):
        with Image.open(tiny_sets / "img" / name) as im:
            assert im.size == size
