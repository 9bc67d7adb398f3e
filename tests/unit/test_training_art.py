"""GAN training beyond digits: each data set's configuration trains a few tiny steps, resumes exactly (with
DiffAugment and lazy R1), exports, loads through the registry and generates through the job path."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from models.datasets import cache_path
from models.datasets.common import ImageSet, save_set
from models.registry import Registry
from models.training import gan
from models.training.snapshots import sub_state
from worker.generate import generate_images
from worker.runtime import ModelCache

TINY = ["--base-channels", "4", "--embed-dim", "4", "--latent-dim", "8", "--batch-size", "4", "--threads", "1",
        "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "2", "--no-progress",
        "--calibration-batches", "1"]

# data set -> (image shape, class names): tiny stand-ins with the real sets' shapes
SETS = {
    "calligraphy": ((64, 64), ("ukai", "seto", "kouzan-sosho")),
    "emoji": ((64, 64, 3), ("animals-nature", "objects", "symbols")),
    "fashion": ((28, 28), ("t-shirt-top", "trouser", "bag")),
}


def _tiny_cache(data_dir: Path, name: str, n: int = 6) -> None:
    """A few random images saved exactly where `load_dataset` looks for the real set's cache."""
    shape, classes = SETS[name]
    rng = np.random.default_rng(0)
    labels = np.arange(n) % max(len(classes), 1)
    heldout = np.zeros(n, bool)
    heldout[-1] = True  # one held-out image, which training must not see
    save_set(cache_path(name, data_dir), ImageSet(rng.integers(0, 256, (n, *shape), dtype=np.uint8),
                                                  labels.astype(np.int64), classes, heldout, {"name": name}))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    for name in SETS:
        _tiny_cache(folder, name)
    return folder


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    gan.add_arguments(parser)
    return gan.run(parser.parse_args(argv))


def _snapshot(run_dir: Path) -> dict[str, torch.Tensor]:
    meta = json.loads((run_dir / "checkpoint.json").read_text())
    return load_file(str(run_dir / meta["snapshot"]))


@pytest.mark.parametrize("name", sorted(SETS))
def test_each_dataset_trains_exports_and_generates(tmp_path: Path, data_dir: Path, name: str) -> None:
    shape, classes = SETS[name]
    run_dir, weights = tmp_path / "run", tmp_path / "weights"
    assert _run(["--dataset", name, "--data-dir", str(data_dir), *TINY, "--run-dir", str(run_dir),
                 "--steps", "2", "--export", str(weights), "--version", "0.0.1"]) == 0
    assert (run_dir / "samples-000002.png").is_file()
    meta = json.loads((run_dir / "checkpoint.json").read_text())
    assert meta["dataset"] == name and meta["config"]["image_size"] == shape[0]

    model = ModelCache(Registry([weights]), device="cpu").get(name)  # the preset's model id
    info = model.info
    channels = shape[2] if len(shape) == 3 else 1
    assert (info.image_size, info.channels, info.classes) == (shape[0], channels, classes)
    assert info.config["num_classes"] == max(len(classes), 1)
    assert info.card == f"docs/models/{name}.md" and info.description.startswith(
        "Class-conditional DCGAN" if classes else "Unconditional DCGAN")
    out = generate_images(model, seed=5, count=2, class_name=classes[-1] if classes else None, truncation=0.7)
    again = generate_images(model, seed=5, count=1, class_name=classes[-1] if classes else None, truncation=0.7)
    assert out.images[0].png == again.images[0].png  # one seed, one image, whatever the count
    assert [im.class_name for im in out.images] == ([classes[-1]] * 2 if classes else [None, None])


def test_fake_labels_follow_unequal_class_frequencies(tmp_path: Path) -> None:
    """Emoji's groups are unequal (85 to 261 images): D must see each class's fakes as often as its reals."""
    n = 400
    labels = np.repeat([0, 1, 2], [40, 80, 280]).astype(np.int64)
    data = ImageSet(np.zeros((n, 64, 64, 3), np.uint8), labels, ("a", "b", "c"), np.zeros(n, bool), {})
    args = gan.apply_defaults(_parse(["--dataset", "emoji", *TINY, "--run-dir", str(tmp_path / "r")]))
    drawn = gan.Trainer(args, data).fake_labels(20_000).numpy()
    assert np.allclose(np.bincount(drawn, minlength=3) / len(drawn), [0.1, 0.2, 0.7], atol=0.015)
    equal = ImageSet(data.images, np.arange(n) % 4, ("a", "b", "c", "d"), data.heldout, {})
    trainer = gan.Trainer(args, equal)
    assert trainer.label_weights is None  # equal classes: nothing to follow
    assert set(trainer.fake_labels(400).tolist()) == {0, 1, 2, 3}
    # the other presets keep the uniform draw their shipped runs used, unequal classes or not (MNIST's are)
    fashion = gan.apply_defaults(_parse(["--dataset", "fashion", *TINY, "--run-dir", str(tmp_path / "f")]))
    assert fashion.fake_classes == "uniform" and gan.Trainer(fashion, data).label_weights is None
    assert gan.apply_defaults(_parse([])).fake_classes == "uniform"  # digits


def test_training_never_sees_the_heldout_images(data_dir: Path) -> None:
    args = gan.apply_defaults(argparse.Namespace(**{**vars(_parse(["--dataset", "calligraphy"])),
                                                    "data_dir": data_dir}))
    assert len(gan.load_training_set(args)) == 5  # 6 cached, the held-out one left out


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    gan.add_arguments(parser)
    return parser.parse_args(argv)


def test_resume_matches_uninterrupted_with_diffaugment_and_r1(tmp_path: Path, data_dir: Path) -> None:
    common = ["--dataset", "emoji", "--data-dir", str(data_dir), *TINY, "--diffaugment", "color,translation,cutout",
              "--r1-gamma", "1", "--r1-every", "2", "--loss", "bce"]
    resumed, straight = tmp_path / "resumed", tmp_path / "straight"
    assert _run([*common, "--run-dir", str(resumed), "--steps", "2"]) == 0
    assert _run([*common, "--run-dir", str(resumed), "--steps", "3", "--resume"]) == 0
    assert _run([*common, "--run-dir", str(straight), "--steps", "3"]) == 0
    a, b = _snapshot(resumed), _snapshot(straight)
    assert a.keys() == b.keys() and "rng.augment" in a
    assert all(torch.equal(a[k], b[k]) for k in a)  # same batches, noise, augmentations and optimiser state
    rows = [json.loads(line) for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and rows[0]["r1"] > 0


def test_r1_without_spectral_norm_and_the_mlp_baseline_at_64px(tmp_path: Path, data_dir: Path) -> None:
    assert _run(["--dataset", "calligraphy", "--data-dir", str(data_dir), *TINY, "--run-dir", str(tmp_path / "r1"),
                 "--steps", "1", "--no-spectral-norm", "--r1-gamma", "0.5", "--r1-every", "1"]) == 0
    assert not any(".parametrizations." in k for k in sub_state(_snapshot(tmp_path / "r1"), "D"))
    weights = tmp_path / "weights"
    assert _run(["--arch", "mlp", "--dataset", "emoji", "--data-dir", str(data_dir), *TINY, "--hidden", "8",
                 "--run-dir", str(tmp_path / "mlp"), "--steps", "1", "--export", str(weights),
                 "--model-id", "emoji-mlp"]) == 0
    model = ModelCache(Registry([weights]), device="cpu").get("emoji-mlp")
    assert model.info.architecture == "mlp-gan" and model.info.channels == 3
    assert generate_images(model, seed=1, count=1, class_name=None, truncation=1.0).images[0].png


def test_mode_seeking_pairs_classes_and_penalises_identical_fakes(tmp_path: Path, data_dir: Path) -> None:
    z = torch.randn(4, 8)
    same = torch.zeros(4, 1, 8, 8)
    apart = torch.cat([torch.zeros(2, 1, 8, 8), torch.ones(2, 1, 8, 8)])
    assert gan.mode_seeking_loss(same, z) > 1e3 > gan.mode_seeking_loss(apart, z)  # collapse costs, variety pays

    common = ["--dataset", "calligraphy", "--data-dir", str(data_dir), *TINY, "--mode-seeking", "1"]
    resumed, straight = tmp_path / "resumed", tmp_path / "straight"
    assert _run([*common, "--run-dir", str(resumed), "--steps", "2"]) == 0
    assert _run([*common, "--run-dir", str(resumed), "--steps", "3", "--resume"]) == 0
    assert _run([*common, "--run-dir", str(straight), "--steps", "3", "--export", str(tmp_path / "w")]) == 0
    a, b = _snapshot(resumed), _snapshot(straight)
    assert all(torch.equal(a[k], b[k]) for k in a)
    rows = [json.loads(line) for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert all(r["mode_seeking"] > 0 for r in rows)
    manifest = json.loads((tmp_path / "w" / "calligraphy.json").read_text())
    assert manifest["training"]["mode_seeking"] == 1.0



def test_bf16_trains_in_bfloat16_resumes_exactly_and_exports_float32(tmp_path: Path, data_dir: Path) -> None:
    common = ["--dataset", "emoji", "--data-dir", str(data_dir), *TINY, "--mode-seeking", "1", "--r1-gamma", "1",
              "--r1-every", "2"]
    bf16 = [*common, "--precision", "bf16"]
    resumed, straight, fp32 = tmp_path / "resumed", tmp_path / "straight", tmp_path / "fp32"
    assert _run([*bf16, "--run-dir", str(resumed), "--steps", "2"]) == 0
    assert _run([*bf16, "--run-dir", str(resumed), "--steps", "3", "--resume"]) == 0
    assert _run([*bf16, "--run-dir", str(straight), "--steps", "3", "--export", str(tmp_path / "w")]) == 0
    assert _run([*common, "--run-dir", str(fp32), "--steps", "3"]) == 0
    a, b, c = _snapshot(resumed), _snapshot(straight), _snapshot(fp32)
    assert all(torch.equal(a[k], b[k]) for k in a)  # resuming a bf16 run is as exact as an fp32 one
    assert {v.dtype for v in a.values() if v.is_floating_point()} == {torch.float32}  # master weights, Adam state
    assert not torch.equal(a["G.to_image.weight"], c["G.to_image.weight"])  # the flag changes the arithmetic
    assert torch.allclose(a["G.to_image.weight"], c["G.to_image.weight"], atol=0.05)  # ... but not the recipe
    rows = [json.loads(line) for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) and r["r1"] > 0 for r in rows)

    args = gan.apply_defaults(_parse(bf16))
    trainer = gan.Trainer(args, gan.load_training_set(args))
    with trainer.autocast():  # what train_step runs G and D under
        assert trainer.G(torch.randn(2, 8), torch.zeros(2, dtype=torch.long)).dtype == torch.bfloat16

    weights = tmp_path / "w"
    manifest = json.loads((weights / "emoji.json").read_text())
    assert manifest["training"]["precision"] == "bf16"
    exported = load_file(str(weights / "emoji.safetensors"))
    assert all(v.is_contiguous() for v in exported.values())
    assert {v.dtype for v in exported.values() if v.is_floating_point()} == {torch.float32}
    model = ModelCache(Registry([weights]), device="cpu").get("emoji")  # served in float32 like any other
    assert generate_images(model, seed=1, count=1, class_name=None, truncation=1.0).images[0].png

@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown where there is no GPU")
def test_cuda_without_a_gpu_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(SystemExit, match="no CUDA device"):
        _run(["--dataset", "fashion", "--data-dir", str(data_dir), *TINY, "--run-dir", str(tmp_path / "r"),
              "--device", "cuda"])


def test_digits_defaults_are_unchanged() -> None:
    args = gan.apply_defaults(_parse([]))
    assert (args.dataset, args.steps, args.batch_size, args.base_channels, args.embed_dim, args.latent_dim) == (
        "digits", 9_000, 64, 32, 32, 64)
    assert (args.loss, args.diffaugment, args.r1_gamma, args.no_spectral_norm, args.mode_seeking) == (
        "hinge", "", 0.0, False, 0.0)
    assert (args.model_id, args.card, args.lr_g, args.lr_d) == ("digits", "docs/models/digits.md", 1e-4, 4e-4)
    mlp = gan.apply_defaults(_parse(["--arch", "mlp"]))
    assert (mlp.loss, mlp.latent_dim, mlp.lr_g, mlp.model_id) == ("bce", 100, 2e-4, "digits-mlp")


def test_presets_for_the_art_sets() -> None:
    emoji = gan.apply_defaults(_parse(["--dataset", "emoji"]))
    assert (emoji.diffaugment, emoji.model_id, emoji.base_channels) == ("color,translation,cutout", "emoji", 16)
    baseline = gan.apply_defaults(_parse(["--dataset", "emoji", "--arch", "mlp"]))
    assert (baseline.diffaugment, baseline.model_id) == ("", "emoji-mlp")  # the tutorial baseline stays plain
    given = gan.apply_defaults(_parse(["--dataset", "calligraphy", "--diffaugment", "", "--steps", "5"]))
    assert (given.diffaugment, given.steps, given.model_id) == ("", 5, "calligraphy")  # given options win


def test_bad_diffaugment_policy_fails_before_training() -> None:
    with pytest.raises(ValueError, match="unknown DiffAugment policy"):
        gan.apply_defaults(_parse(["--diffaugment", "colour"]))


def test_bf16_on_a_cpu_that_emulates_it_warns_once(monkeypatch, caplog):
    from models.training import common

    common._warn_slow_bf16.cache_clear()
    monkeypatch.setattr(common, "fast_cpu_bf16", lambda: False)
    cpu = torch.device("cpu")
    with caplog.at_level("WARNING", logger=common.log.name):
        for _ in range(3):
            with common.autocast(cpu, "bf16"):
                pass
        with common.autocast(cpu, "fp32"):
            pass
    warnings = [r for r in caplog.records if "emulated" in r.getMessage()]
    assert len(warnings) == 1 and "--precision fp32" in warnings[0].getMessage()
    common._warn_slow_bf16.cache_clear()
    monkeypatch.setattr(common, "fast_cpu_bf16", lambda: True)
    caplog.clear()
    with caplog.at_level("WARNING", logger=common.log.name), common.autocast(cpu, "bf16"):
        pass
    assert not caplog.records


def test_max_minutes_stops_with_a_snapshot_and_export_that_steps_replay(tmp_path: Path, data_dir: Path,
                                                                        monkeypatch) -> None:
    """A lent GPU gives a fixed time, not a step count: --max-minutes stops there, writes what --steps would, and
    the exported manifest's step count replays the run exactly (the learning rates do not depend on --steps)."""
    clock = iter(range(100))  # each reading of the clock one minute later than the last
    monkeypatch.setattr(gan, "minutes_clock", lambda: float(next(clock)))
    common = ["--dataset", "emoji", "--data-dir", str(data_dir), *TINY, "--checkpoint-every", "100"]
    timed, weights = tmp_path / "timed", tmp_path / "weights"
    assert _run([*common, "--run-dir", str(timed), "--steps", "1000", "--max-minutes", "2.5",
                 "--export", str(weights), "--version", "0.0.1"]) == 0
    monkeypatch.undo()
    steps = json.loads((weights / "emoji.json").read_text())["training"]["steps"]
    assert steps == 3  # the deadline (minute 2.5) passed after the third step's clock reading (minute 3)
    assert (timed / f"samples-{steps:06d}.png").is_file()
    rows = [json.loads(line) for line in (timed / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == steps
    replay = tmp_path / "replay"
    assert _run([*common, "--run-dir", str(replay), "--steps", str(steps)]) == 0
    a, b = _snapshot(timed), _snapshot(replay)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
