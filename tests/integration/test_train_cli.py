"""`atelier train images` as a user types it: a folder in, a registered model out, usable by `atelier generate`."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_cli import atelier
from tests.conftest import python_env
from tests.train_data import FAST_TRAIN_ENV, art_entries, image_bytes
from worker.images import read_provenance

pytestmark = pytest.mark.integration


def write_folder(root, entries):
    for name, data in entries.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_train_a_folder_then_generate_with_the_model(tiny_models, tmp_path):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models), ATELIER_DATA_DIR=str(tmp_path / "data"), **FAST_TRAIN_ENV,
                     ATELIER_TRAIN_PRECISION="bf16")
    folder = write_folder(tmp_path / "sketches", art_entries(16, classes=("pencil", "charcoal"), root=""))
    (folder / "notes.txt").write_text("not an image")
    result = atelier("train", "images", str(folder), "--name", "My Sketches", "--steps", "6", "--image-size", "32",
                     "--no-progress", env=env)
    assert result.returncode == 0, result.stderr
    assert "16 images, 2 classes (charcoal, pencil), colour" in result.stdout
    assert "registered model my-sketches" in result.stdout
    manifest = json.loads((tmp_path / "data" / "user-models" / "my-sketches.json").read_text())
    assert manifest["origin"] == "trained from your images" and manifest["classes"] == ["charcoal", "pencil"]
    assert manifest["training"]["steps"] == 6 and manifest["training"]["recipe"]["image_size"] == 32
    assert manifest["training"]["recipe"]["mode_seeking"] == 1.0  # small sets collapse without it
    assert manifest["training"]["recipe"]["precision"] == "bf16"  # ATELIER_TRAIN_PRECISION reaches the trainer
    assert (tmp_path / "data" / "train-runs" / "my-sketches" / "checkpoint.json").is_file()

    listed = atelier("models", env=env)
    assert "my-sketches" in listed.stdout and "digits" in listed.stdout
    out = tmp_path / "out"
    gen = atelier("generate", "--model", "my-sketches", "--class", "pencil", "--seed", "2", "--count", "2",
                  "--out", str(out), env=env)
    assert gen.returncode == 0, gen.stderr
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 2 and read_provenance(pngs[0].read_bytes())["model"] == "my-sketches"

    again = atelier("train", "images", str(folder), "--name", "My Sketches", "--image-size", "32", env=env)
    assert again.returncode == 2 and "--resume" in again.stderr  # the run folder is not overwritten


def test_bad_folders_are_refused_with_the_same_messages_as_uploads(tmp_path):
    env = python_env(ATELIER_DATA_DIR=str(tmp_path / "data"), **FAST_TRAIN_ENV)
    few = write_folder(tmp_path / "few", art_entries(3, root=""))
    result = atelier("train", "images", str(few), "--name", "x", env=env)
    assert result.returncode == 2 and "holds 3 images; training needs at least 8" in result.stderr
    dup = art_entries(8, root="")
    dup["copy.png"] = dup["img-000.png"]
    dup["broken.png"] = image_bytes(4)[:100]
    result = atelier("train", "images", str(write_folder(tmp_path / "dup", dup)), "--name", "x", "--image-size", "32",
                     env=env)
    assert result.returncode == 2 and "damaged or not images: broken.png" in result.stderr
    assert "exact duplicates; keep one of each: copy.png = img-000.png" in result.stderr
    assert "Traceback" not in result.stderr
