"""The `atelier` command as a user types it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, python_env
from worker.images import read_provenance

pytestmark = pytest.mark.integration


def atelier(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atelier.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_generate_writes_one_png_per_image_sorted_by_index(tiny_models, tmp_path):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    out = tmp_path / "out"
    result = atelier("generate", "--model", "digits", "--seed", "40", "--count", "12", "--class", "3",
                     "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    files = sorted(out.iterdir())
    assert len(files) == 12
    seeds = [read_provenance(f.read_bytes())["seed"] for f in files]
    assert seeds == list(range(40, 52))  # name order == index order, also past 10
    assert all(read_provenance(f.read_bytes())["class"] == "3" for f in files)


def test_generate_reports_bad_input_without_a_traceback(tiny_models, tmp_path):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    result = atelier("generate", "--model", "nope", "--out", str(tmp_path), env=env)
    assert result.returncode == 2 and "unknown model 'nope'" in result.stderr and "Traceback" not in result.stderr
    result = atelier("generate", "--model", "digits", "--class", "x", "--out", str(tmp_path), env=env)
    assert result.returncode == 2 and "no class 'x'" in result.stderr


def test_models_lists_shipped_and_help_is_helpful(tiny_models):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    listed = atelier("models", env=env)
    assert listed.returncode == 0 and "digits" in listed.stdout and "0, 1, 2" in listed.stdout
    for cmd in (["--help"], ["serve", "--help"], ["worker", "--help"], ["generate", "--help"], ["train", "--help"],
                ["train", "gan", "--help"], ["train", "denoise", "--help"], ["train", "inpaint", "--help"],
                ["train", "detect", "--help"], ["restore", "--help"], ["benchmark", "digits", "--help"],
                ["benchmark", "restore", "--help"], ["upscale", "--help"],
                ["benchmark", "upscale", "--help"]):
        result = atelier(*cmd, env=env)
        assert result.returncode == 0 and "usage:" in result.stdout, (cmd, result.stderr)


def test_worker_refuses_to_start_without_redis(tiny_models):
    result = atelier("worker", env=python_env(ATELIER_MODEL_DIRS=str(tiny_models)))
    assert result.returncode == 2 and "ATELIER_REDIS_URL" in result.stderr


def _png(path, arr):
    from PIL import Image

    Image.fromarray(arr).save(path)


def test_restore_a_folder_with_masks_matched_by_name(tiny_models, tmp_path):
    import numpy as np
    from PIL import Image

    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    photos, masks, out = tmp_path / "photos", tmp_path / "masks", tmp_path / "out"
    photos.mkdir()
    masks.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        _png(photos / f"{name}.png", rng.integers(0, 256, (32, 40, 3), dtype=np.uint8))
        m = np.zeros((32, 40), np.uint8)
        m[5:15, 5:25] = 255
        _png(masks / f"{name}.png", m)
    result = atelier("restore", "inpaint", str(photos), str(out), "--mask-dir", str(masks), env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    a_in, a_out = np.asarray(Image.open(photos / "a.png")), np.asarray(Image.open(out / "a.png"))
    assert np.array_equal(a_in[20:], a_out[20:])  # outside the mask: untouched
    assert read_provenance((out / "a.png").read_bytes())["task"] == "inpaint"


def test_restore_single_file_auto_saves_the_mask_and_reports_bad_files(tiny_models, tmp_path):
    import numpy as np

    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    _png(tmp_path / "old.png", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    result = atelier("restore", "auto", str(tmp_path / "old.png"), str(tmp_path / "fixed.png"),
                     "--save-mask", str(tmp_path / "mask.png"), "--quality", "high", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fixed.png").is_file() and (tmp_path / "mask.png").is_file()
    assert read_provenance((tmp_path / "fixed.png").read_bytes())["quality"] == "high"
    (tmp_path / "broken.png").write_bytes(b"not a png")
    result = atelier("restore", "denoise", str(tmp_path / "broken.png"), str(tmp_path / "x.png"), env=env)
    assert result.returncode == 1 and "not an image" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_setting_is_reported_not_a_traceback(tiny_models):
    result = atelier("models", env=python_env(ATELIER_MODEL_DIRS=str(tiny_models), ATELIER_PORT="abc"))
    assert result.returncode == 2 and "ATELIER_PORT" in result.stderr and "Traceback" not in result.stderr


def test_models_preview_writes_the_grid_beside_the_weights_or_where_asked(tmp_path):
    from PIL import Image

    from tests.conftest import make_tiny_digits, make_tiny_restorers

    weights = tmp_path / "weights"
    make_tiny_digits(weights)
    make_tiny_restorers(weights)
    env = python_env(ATELIER_MODEL_DIRS=str(weights))
    result = atelier("models", "preview", "digits", env=env)
    assert result.returncode == 0, result.stderr
    beside = weights / "digits.preview.png"
    assert result.stdout.strip() == str(beside)
    meta = read_provenance(beside.read_bytes())
    assert meta["kind"] == "preview" and meta["model"] == "digits" and len(meta["images"]) == 80
    with Image.open(beside) as img:
        assert img.size == (8 * 28 + 9 * 2, 10 * 28 + 11 * 2)
    listed = atelier("models", env=env)
    assert listed.returncode == 0 and f"preview: {beside}" in listed.stdout

    out = tmp_path / "cards" / "digits.png"
    result = atelier("models", "preview", "digits", "--out", str(out), env=env)
    assert result.returncode == 0 and out.read_bytes() == beside.read_bytes()

    for model, words in (("nope", "unknown model 'nope'"), ("denoise", "only generators have previews")):
        result = atelier("models", "preview", model, env=env)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert "usage:" in atelier("models", "preview", "--help", env=env).stdout


def test_models_delete_removes_a_user_model_and_keeps_shipped_ones(tiny_models, tmp_path):
    from tests.conftest import make_tiny_digits
    from worker.user_models import DiskModelSpace

    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models), ATELIER_DATA_DIR=str(tmp_path / "data"))
    space = DiskModelSpace(tmp_path / "data" / "user-models")  # where `atelier train images` publishes
    space.publish("ink-cats", make_tiny_digits(tmp_path / "export", model_id="ink-cats").parent)
    assert "ink-cats" in atelier("models", env=env).stdout

    result = atelier("models", "delete", "ink-cats", env=env)
    assert result.returncode == 0 and result.stdout.strip() == "deleted model ink-cats", result.stderr
    assert not any(space.folder.glob("ink-cats*"))
    listed = atelier("models", env=env)
    assert "ink-cats" not in listed.stdout and "digits" in listed.stdout

    for model, status, words in (("ink-cats", 1, "Unknown model 'ink-cats'"),
                                 ("digits", 2, "Model 'digits' is shipped with Atelier; shipped models cannot be "
                                               "deleted.")):
        result = atelier("models", "delete", model, env=env)
        assert result.returncode == status and words in result.stderr and "Traceback" not in result.stderr
    assert (tiny_models / "digits.json").is_file()
    assert "usage:" in atelier("models", "delete", "--help", env=env).stdout


def test_interpolate_and_variations_write_frames_strip_and_animation(tiny_models, tmp_path):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    out = tmp_path / "interp"
    result = atelier("interpolate", "--model", "digits", "--from", "3:7", "--to", "11", "--frames", "4",
                     "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    names = sorted(f.name for f in out.iterdir())
    assert names == [f"digits-s3-to-s11-{i:03d}.png" for i in range(4)] + ["digits-s3-to-s11-strip.png",
                                                                           "digits-s3-to-s11.webp"]
    meta = read_provenance((out / "digits-s3-to-s11-003.png").read_bytes())
    assert meta["from"] == {"seed": 3, "class": "7"} and meta["to"]["seed"] == 11 and meta["t"] == 1.0
    assert (out / "digits-s3-to-s11.webp").read_bytes()[8:12] == b"WEBP"

    out = tmp_path / "var"
    result = atelier("variations", "--model", "digits", "--seed", "3", "--class", "7", "--count", "3",
                     "--strength", "0.3", "--variation-seed", "5", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("digits-s3-var-0*.png"))
    assert [read_provenance(f.read_bytes())["variation_seed"] for f in files] == [5, 6, 7]
    assert (out / "digits-s3-var-grid.png").exists()

    bad = atelier("interpolate", "--model", "digits", "--from", "3:x", "--to", "1", "--out", str(out), env=env)
    assert bad.returncode == 2 and "no class 'x'" in bad.stderr and "Traceback" not in bad.stderr
    bad = atelier("variations", "--model", "digits", "--seed", "1", "--strength", "2", "--out", str(out), env=env)
    assert bad.returncode == 2 and "strength" in bad.stderr


def test_upscale_a_folder_and_a_file_keeping_metadata(tiny_models, tmp_path):
    import numpy as np
    from PIL import Image

    from models.upscale import downscale

    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _png(src / "grey.png", np.random.default_rng(0).integers(0, 256, (10, 12), dtype=np.uint8))
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[2:6, 2:6] = (255, 0, 0, 255)
    _png(src / "icon.png", rgba)
    result = atelier("upscale", str(src), str(out), "--scale", "4", env=env)
    assert result.returncode == 0, result.stderr
    with Image.open(out / "grey.png") as grey, Image.open(out / "icon.png") as icon:
        assert (grey.size, grey.mode, icon.size, icon.mode) == ((48, 40), "L", (32, 32), "RGBA")
        big = np.asarray(grey)
    with Image.open(src / "grey.png") as small:
        assert np.abs(downscale(big, 4).astype(int) - np.asarray(small)).mean() < 3
    meta = read_provenance((out / "grey.png").read_bytes())
    assert meta["method"] == "ibp-tv" and meta["scale"] == 4 and meta["source"] is None

    # A generated PNG keeps its own metadata inside the upscaled one; --method picks a plain filter to compare.
    gen = atelier("generate", "--model", "digits", "--seed", "5", "--out", str(tmp_path / "gen"), env=env)
    assert gen.returncode == 0, gen.stderr
    first = sorted((tmp_path / "gen").iterdir())[0]
    one = atelier("upscale", str(first), str(tmp_path / "big.png"), "--scale", "8", "--method", "bicubic", env=env)
    assert one.returncode == 0, one.stderr
    meta = read_provenance((tmp_path / "big.png").read_bytes())
    assert meta["method"] == "bicubic" and meta["source"]["seed"] == 5
    with Image.open(tmp_path / "big.png") as big_png:
        assert big_png.size == (224, 224)

    (src / "broken.png").write_bytes(b"not a png")
    bad = atelier("upscale", str(src / "broken.png"), str(tmp_path / "x.png"), env=env)
    assert bad.returncode == 1 and "not an image" in bad.stderr and "Traceback" not in bad.stderr
    bad = atelier("upscale", str(src / "grey.png"), str(tmp_path / "x.png"), "--scale", "5", env=env)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
