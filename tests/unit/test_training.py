"""GAN training: a tiny config trains, snapshots, resumes exactly, and exports a loadable model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from models.checkpoint import load_network
from models.generate import sample_one
from models.registry import read_manifest
from models.training import gan
from models.training.snapshots import sub_state

TINY_ARGS = ["--base-channels", "4", "--embed-dim", "4", "--latent-dim", "8", "--batch-size", "4", "--threads", "1",
             "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "2", "--no-progress"]


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """3 classes x 3 random 28x28 PNGs: <root>/<class>/*.png, as a user would lay them out."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for name in ("a", "b", "c"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    gan.add_arguments(parser)
    return gan.run(parser.parse_args(argv))


def _g_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    meta = json.loads((run_dir / "checkpoint.json").read_text())
    return sub_state(load_file(str(run_dir / meta["snapshot"])), "G")


def test_train_resume_matches_uninterrupted(tmp_path: Path, image_folder: Path) -> None:
    common = ["--image-folder", str(image_folder), *TINY_ARGS]
    resumed, straight = tmp_path / "resumed", tmp_path / "straight"

    assert _run([*common, "--run-dir", str(resumed), "--steps", "2"]) == 0
    assert json.loads((resumed / "checkpoint.json").read_text())["step"] == 2
    assert (resumed / "samples-000002.png").is_file()
    # without --resume an existing run is refused rather than overwritten
    assert _run([*common, "--run-dir", str(resumed), "--steps", "3"]) == 2

    assert _run([*common, "--run-dir", str(resumed), "--steps", "3", "--resume"]) == 0
    assert _run([*common, "--run-dir", str(straight), "--steps", "3"]) == 0

    assert json.loads((resumed / "checkpoint.json").read_text())["step"] == 3
    steps = [json.loads(line)["step"] for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]  # the resumed run continued at step 3, not from 0
    a, b = _g_weights(resumed), _g_weights(straight)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)  # same data order, noise and optimiser state


def test_export_writes_a_loadable_model(tmp_path: Path, image_folder: Path) -> None:
    run_dir, weights = tmp_path / "run", tmp_path / "weights"
    assert _run(["--image-folder", str(image_folder), *TINY_ARGS, "--run-dir", str(run_dir), "--steps", "2",
                 "--export", str(weights), "--model-id", "tiny-digits", "--version", "0.0.1"]) == 0
    info = read_manifest(weights / "tiny-digits.json")
    assert (info.kind, info.architecture, info.version) == ("generator", "cdcgan", "0.0.1")
    assert info.classes == ("a", "b", "c")
    assert info.config["base_channels"] == 4 and info.config["num_classes"] == 3
    net = load_network(info)
    sample = sample_one(net, seed=7, class_index=2, truncation=1.0, latent_dim=info.config["latent_dim"])
    assert sample.pixels.shape == (28, 28)
    # The export draws the preview too, found by the registry: one row per class (3) by 8 seeds.
    assert info.preview_path == weights / "tiny-digits.preview.png"
    with Image.open(info.preview_path) as grid:
        assert grid.size == (8 * 28 + 9 * 2, 3 * 28 + 4 * 2)


def test_mlp_baseline_trains_even_with_grad_disabled(tmp_path: Path, image_folder: Path) -> None:
    run_dir, weights = tmp_path / "mlp", tmp_path / "weights"
    with torch.no_grad():  # a caller's global grad mode must not break training
        assert _run(["--arch", "mlp", "--image-folder", str(image_folder), *TINY_ARGS, "--hidden", "8",
                     "--run-dir", str(run_dir), "--steps", "2", "--export", str(weights), "--model-id", "mlp"]) == 0
    info = read_manifest(weights / "mlp.json")
    assert info.architecture == "mlp-gan" and info.classes == ()
    assert load_network(info)(torch.zeros(1, 8)).shape == (1, 1, 28, 28)
    with Image.open(info.preview_path) as grid:  # unconditional: 4 rows of 8 seeds
        assert grid.size == (8 * 28 + 9 * 2, 4 * 28 + 5 * 2)


def test_batch_indices_cover_each_epoch_once() -> None:
    n, bs = 10, 3  # 3 batches per epoch, one image dropped
    epoch = torch.cat([gan.batch_indices(s, n, bs, seed=0) for s in range(3)])
    assert len(set(epoch.tolist())) == 9
    assert torch.equal(gan.batch_indices(4, n, bs, seed=0), gan.batch_indices(4, n, bs, seed=0))
    assert gan.batch_indices(0, 2, 4, seed=0).shape == (4,)  # smaller than a batch: wraps around
