"""Tiny-config training of the photo-repair networks: steps, samples, metrics, checkpoints, resume, export."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from models.checkpoint import load_network
from models.registry import read_manifest
from models.training import restore


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("photos")
    y, x = np.mgrid[0:48, 0:56].astype(np.float32)
    for split, n in (("train", 3), ("val", 2)):
        (root / split).mkdir()
        for i in range(n):
            a = np.stack([np.sin(x / (5 + i)), np.cos(y / (4 + i)), np.sin((x + y) / 7)], 2) * 0.4 + 0.5
            Image.fromarray((a * 255).astype(np.uint8)).save(root / split / f"{i}.png")
    return root / "train", root / "val"


def train(task: str, run_dir: Path, folders, *extra: str) -> int:
    parser = argparse.ArgumentParser()
    restore.add_arguments(parser)
    args = parser.parse_args([task, "--tiny", "--run-dir", str(run_dir), "--train-folder", str(folders[0]),
                              "--val-folder", str(folders[1]), "--batch-size", "2", "--patch-size", "32",
                              "--val-size", "32", "--val-images", "2", "--no-progress", "--threads", "1",
                              "--log-every", "1", "--sample-every", "2", "--val-every", "2",
                              "--checkpoint-every", "2", "--memory-format", "contiguous", *extra])
    return restore.run(args)


def rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("task", ["denoise", "inpaint", "detect"])
def test_two_steps_checkpoint_resume_and_export(task, folders, tmp_path):
    run_dir = tmp_path / "run"
    assert train(task, run_dir, folders, "--steps", "2") == 0
    first = rows(run_dir)
    assert [r["step"] for r in first if "loss" in r] == [1, 2]
    assert all(np.isfinite(r["loss"]) and r["loss"] > 0 for r in first if "loss" in r)
    val = [r for r in first if any(k.startswith("val_") for k in r)]
    assert val and val[-1]["step"] == 2
    assert (run_dir / "samples-000002.png").is_file()
    pointer = json.loads((run_dir / "checkpoint.json").read_text())
    assert pointer["step"] == 2 and pointer["task"] == task
    snap = load_file(str(run_dir / pointer["snapshot"]))
    assert any(k.startswith("ema.") for k in snap) and any(k.startswith("opt.") for k in snap)

    # a second start without --resume refuses to overwrite the run
    assert train(task, run_dir, folders, "--steps", "4") == 2

    weights = tmp_path / "weights"
    assert train(task, run_dir, folders, "--steps", "4", "--resume", "--export", str(weights),
                 "--model-id", f"{task}-test") == 0
    resumed = [r["step"] for r in rows(run_dir) if "loss" in r]
    assert resumed == [1, 2, 3, 4]  # continued at step 3, did not start over
    assert json.loads((run_dir / "checkpoint.json").read_text())["step"] == 4

    info = read_manifest(weights / f"{task}-test.json")
    assert info.kind == "restore" and info.architecture == f"{task}-unet" and info.channels == 3
    assert info.config["task"] == task and info.classes == () and info.image_size == 0
    net = load_network(info)
    x = torch.rand(1, 3, 21, 30)
    with torch.no_grad():
        out = net(x, torch.zeros(1, 1, 21, 30)) if task == "inpaint" else net(x)
    assert out.shape == (1, 1 if task == "detect" else 3, 21, 30)
    assert torch.isfinite(out).all()


def test_resumed_run_matches_an_uninterrupted_one(folders, tmp_path):
    """Batches are a function of (seed, step): stopping and resuming changes nothing."""
    assert train("denoise", tmp_path / "a", folders, "--steps", "4") == 0
    assert train("denoise", tmp_path / "b", folders, "--steps", "2") == 0
    assert train("denoise", tmp_path / "b", folders, "--steps", "4", "--resume") == 0
    a = load_file(str(tmp_path / "a" / json.loads((tmp_path / "a" / "checkpoint.json").read_text())["snapshot"]))
    b = load_file(str(tmp_path / "b" / json.loads((tmp_path / "b" / "checkpoint.json").read_text())["snapshot"]))
    for k in a:
        if k.startswith("ema."):
            assert torch.allclose(a[k], b[k], atol=1e-6), k


def test_stop_at_then_resume_matches_an_uninterrupted_run(folders, tmp_path):
    """--stop-at ends a run early without changing its schedule, so the recipe of a run stopped and resumed with
    another --steps can be replayed exactly."""
    assert train("detect", tmp_path / "a", folders, "--steps", "4") == 0
    assert train("detect", tmp_path / "b", folders, "--steps", "4", "--stop-at", "2") == 0
    assert json.loads((tmp_path / "b" / "checkpoint.json").read_text())["step"] == 2
    assert train("detect", tmp_path / "b", folders, "--steps", "4", "--resume") == 0
    a, b = (load_file(str(tmp_path / d / json.loads((tmp_path / d / "checkpoint.json").read_text())["snapshot"]))
            for d in ("a", "b"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a if k.startswith("ema."))


def test_more_data_workers_train_the_same_network(folders, tmp_path):
    """Batches prepared ahead by several threads arrive in step order: the weights are the same as with one."""
    assert train("inpaint", tmp_path / "one", folders, "--steps", "3") == 0
    assert train("inpaint", tmp_path / "three", folders, "--steps", "3", "--data-workers", "3") == 0
    one, three = (load_file(str(tmp_path / d / json.loads((tmp_path / d / "checkpoint.json").read_text())["snapshot"]))
                  for d in ("one", "three"))
    assert all(torch.equal(one[k], three[k]) for k in one if k.startswith("ema."))


def test_init_from_an_exported_model_starts_a_new_stage(folders, tmp_path):
    assert train("detect", tmp_path / "a", folders, "--steps", "2", "--export", str(tmp_path / "w"),
                 "--model-id", "detect-a") == 0
    assert train("detect", tmp_path / "b", folders, "--steps", "2", "--seed", "1", "--init-from",
                 str(tmp_path / "w" / "detect-a.json"), "--export", str(tmp_path / "w"), "--model-id", "detect-b") == 0
    record = json.loads((tmp_path / "w" / "detect-b.json").read_text())["training"]
    assert record["steps"] == 4 and [s["seed"] for s in record["stages"]] == [0, 1]
    assert record["stages"][0]["model"] == "detect-a@0.1.0"
    # a third stage: each earlier stage keeps the name of the model it made
    assert train("detect", tmp_path / "c", folders, "--steps", "1", "--seed", "2", "--init-from",
                 str(tmp_path / "w" / "detect-b.json"), "--export", str(tmp_path / "w"), "--model-id", "detect-c") == 0
    record = json.loads((tmp_path / "w" / "detect-c.json").read_text())["training"]
    assert [s.get("model") for s in record["stages"]] == ["detect-a@0.1.0", "detect-b@0.1.0", None]
    assert record["steps"] == 5


def test_resume_with_another_architecture_is_refused(folders, tmp_path):
    assert train("detect", tmp_path / "r", folders, "--steps", "2") == 0
    with pytest.raises(SystemExit):
        train("detect", tmp_path / "r", folders, "--steps", "4", "--resume", "--widths", "8,16")


def test_inpaint_with_adversarial_term_trains_and_resumes(folders, tmp_path):
    assert train("inpaint", tmp_path / "gan", folders, "--steps", "2", "--adv-weight", "0.01") == 0
    assert train("inpaint", tmp_path / "gan", folders, "--steps", "3", "--adv-weight", "0.01", "--resume") == 0
    last = [r for r in rows(tmp_path / "gan") if "loss" in r][-1]
    assert last["step"] == 3 and "d_loss" in last and "g_adv" in last


def test_batches_are_reproducible_and_corruptions_match_the_task(folders):
    parser = argparse.ArgumentParser()
    restore.add_arguments(parser)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folders[0].glob("*.png"))]
    for task in ("denoise", "inpaint", "detect"):
        args = parser.parse_args([task, "--tiny", "--batch-size", "4", "--patch-size", "32"])
        t = restore.Trainer(args, images, [])
        a, b = t.make_batch(7), t.make_batch(7)
        assert torch.equal(a.inp, b.inp) and not torch.equal(a.inp, t.make_batch(8).inp)
        assert a.inp.shape == (4, 3, 32, 32)
        if task == "denoise":
            assert a.aux.shape == (4,) and not torch.equal(a.inp, a.target)
        elif task == "inpaint":
            assert a.aux.shape == (4, 1, 32, 32) and 0 < a.aux.mean() <= 0.4
        else:
            assert a.target.shape == (4, 1, 32, 32) and set(a.target.unique().tolist()) <= {0.0, 1.0}
            # the damage's strength: above the visible 0.06 where marked, at most 0.06 per layer elsewhere
            assert a.aux.shape == (4, 1, 32, 32)
            assert a.aux[a.target == 1].min() > 0.06 and a.aux[a.target == 0].max() <= 4 * 0.06 + 1e-6
        t.pool.shutdown()


def test_scale_augmentation_reduces_larger_crops_and_is_off_by_default():
    from models.training.restore_data import PatchSampler

    ramp = np.tile(np.arange(200, dtype=np.uint8), (200, 1))  # intensity = x: a patch's slope is its reduction
    photo = np.repeat(ramp[..., None], 3, axis=2)

    def slopes(sampler: PatchSampler) -> list[float]:
        patches = sampler.sample(np.random.default_rng(3), 24) * 255
        # rotations / flips turn the ramp: take the steeper axis, away from the (Lanczos-ringing) borders
        return [max(abs(np.diff(p[8:-8, 8:-8, 0], axis=a)).mean() for a in (0, 1)) for p in patches]

    assert np.allclose(slopes(PatchSampler([photo], 32)), 1.0)
    scaled = slopes(PatchSampler([photo], 32, min_scale=0.5))
    assert min(scaled) > 0.97 and max(scaled) < 2.03 and max(scaled) > 1.5  # crops of 32 to 64 px reduced to 32

    # min_scale = 1 draws the random numbers the sampler always drew, so older recipes replay unchanged
    rng, expected = np.random.default_rng(5), np.random.default_rng(5)
    PatchSampler([photo], 32).sample(rng, 3)
    for _ in range(3):  # photo, top, left, rotation, mirror
        expected.choice(1, p=[1.0]), expected.integers(0, 169), expected.integers(0, 169)
        expected.integers(4), expected.random()
    assert rng.bit_generator.state == expected.bit_generator.state
    with pytest.raises(ValueError):
        PatchSampler([photo], 32, min_scale=0)


def test_scale_augmentation_is_part_of_the_recorded_recipe(folders, tmp_path):
    assert train("denoise", tmp_path / "s", folders, "--steps", "2", "--min-scale", "0.6",
                 "--export", str(tmp_path / "w")) == 0
    stage = json.loads((tmp_path / "w" / "denoise.json").read_text())["training"]["stages"][-1]
    assert stage["min_scale"] == 0.6 and stage["photos"] == 3  # the training photos this stage saw
    assert "photo_set" not in stage  # a folder of one's own is not a set of the cache


def test_inpaint_with_prefill_starts_at_the_prefill_trains_resumes_and_exports(folders, tmp_path):
    from models.networks.prefill import normconv_fill

    parser = argparse.ArgumentParser()
    restore.add_arguments(parser)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folders[0].glob("*.png"))]
    t = restore.Trainer(parser.parse_args(["inpaint", "--tiny", "--prefill", "normconv", "--batch-size", "2",
                                           "--patch-size", "32"]), images, [])
    b = t.make_batch(0)
    _, parts = t.losses(b)
    m = b.aux
    # the zero-initialised residual: the first loss is the prefill's own error
    assert parts["l1_hole"] == pytest.approx(((normconv_fill(b.inp, 1 - m) - b.target).abs() * m).mean().item())
    t.pool.shutdown()

    run_dir = tmp_path / "run"
    assert train("inpaint", run_dir, folders, "--steps", "2", "--prefill", "normconv") == 0
    assert all(np.isfinite(r["loss"]) for r in rows(run_dir) if "loss" in r)
    with pytest.raises(SystemExit):  # resuming needs the same architecture, prefill included
        train("inpaint", run_dir, folders, "--steps", "3", "--resume")
    assert train("inpaint", run_dir, folders, "--steps", "3", "--resume", "--prefill", "normconv",
                 "--export", str(tmp_path / "w"), "--model-id", "inpaint-pre") == 0
    assert [r["step"] for r in rows(run_dir) if "loss" in r] == [1, 2, 3]
    info = read_manifest(tmp_path / "w" / "inpaint-pre.json")
    assert info.config["prefill"] == "normconv"
    net = load_network(info)
    assert net.cfg.prefill == "normconv"
    x, mask = torch.rand(1, 3, 21, 30), torch.zeros(1, 1, 21, 30)
    mask[..., 5:12, 4:20] = 1
    with torch.no_grad():
        out = net(x, mask)
    assert torch.isfinite(out).all() and torch.equal(out[mask.expand_as(x) == 0], x[mask.expand_as(x) == 0])

    # a later stage from the prefill model keeps its prefill
    assert train("inpaint", tmp_path / "next", folders, "--steps", "1", "--init-from",
                 str(tmp_path / "w" / "inpaint-pre.json")) == 0
    assert json.loads((tmp_path / "next" / "checkpoint.json").read_text())["config"]["prefill"] == "normconv"
    # ... or swaps it for another smooth prefill: the residual network's weights carry over
    assert train("inpaint", tmp_path / "bih", folders, "--steps", "1", "--prefill", "normconv-biharmonic",
                 "--init-from", str(tmp_path / "w" / "inpaint-pre.json"), "--export", str(tmp_path / "w2"),
                 "--model-id", "inpaint-bih") == 0
    assert read_manifest(tmp_path / "w2" / "inpaint-bih.json").config["prefill"] == "normconv-biharmonic"


def test_inpaint_stage_with_redrawn_output_layers_and_squared_hole_error(folders, tmp_path):
    from models.networks.prefill import normconv_fill

    assert train("inpaint", tmp_path / "a", folders, "--steps", "1", "--prefill", "normconv",
                 "--export", str(tmp_path / "w"), "--model-id", "inpaint-a") == 0
    parser = argparse.ArgumentParser()
    restore.add_arguments(parser)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folders[0].glob("*.png"))]
    base = ["inpaint", "--tiny", "--prefill", "normconv", "--batch-size", "2", "--patch-size", "32",
            "--init-from", str(tmp_path / "w" / "inpaint-a.json"), "--hole-loss", "l2"]
    kept = restore.Trainer(parser.parse_args(base), images, [])
    redrawn = restore.Trainer(parser.parse_args(base + ["--reinit-output", "0.1"]), images, [])
    b = kept.make_batch(0)
    _, parts = kept.losses(b)
    m = b.aux
    # one step from a zero tail leaves the residual tiny: the hole term is still the prefill's squared error / 0.02
    prefill_err = ((normconv_fill(b.inp, 1 - m) - b.target) ** 2 * m).mean().item() / 0.02
    assert parts["l2_hole"] == pytest.approx(prefill_err, rel=0.05)
    assert kept.net.core.tail.weight.abs().max() < 0.01  # 0.2 the learning rate's size after one step
    tail = redrawn.net.core.tail.weight
    assert tail.abs().mean() > 10 * kept.net.core.tail.weight.abs().mean()
    assert torch.equal(tail, redrawn.ema.core.tail.weight)  # the EMA starts from the redrawn network
    # the redrawn layers are the only difference, and a redrawn network's first loss moves off the prefill's
    changed = [k for k, v in kept.net.state_dict().items() if not torch.equal(v, redrawn.net.state_dict()[k])]
    assert sorted(changed) == ["core.head.2.bias", "core.head.2.weight", "core.tail.bias", "core.tail.weight"]
    assert redrawn.losses(b)[1]["l2_hole"] != pytest.approx(parts["l2_hole"], rel=1e-4)
    kept.pool.shutdown()
    redrawn.pool.shutdown()

    assert train("inpaint", tmp_path / "b", folders, "--steps", "2", "--prefill", "normconv", "--hole-loss", "l2",
                 "--reinit-output", "0.1", "--init-from", str(tmp_path / "w" / "inpaint-a.json"),
                 "--export", str(tmp_path / "w"), "--model-id", "inpaint-b") == 0
    assert "l2_hole" in rows(tmp_path / "b")[0]
    stage = json.loads((tmp_path / "w" / "inpaint-b.json").read_text())["training"]["stages"][-1]
    assert stage["hole_loss"] == "l2" and stage["reinit_output"] == 0.1


def test_hole_terms_weigh_errors_as_documented():
    err = torch.zeros(2, 3, 8, 8)
    m = torch.zeros(2, 1, 8, 8)
    m[0, :, :4] = 1  # image 0: half its pixels missing, all off by 0.1
    err[0, :, :4] = 0.1
    m[1, :, 0, 0] = 1  # image 1: one missing pixel, off by 0.3 (a thin scratch's share of the batch is tiny)
    err[1, :, 0, 0] = 0.3
    assert restore.hole_term(err, m, "l1").item() == pytest.approx((0.1 * 96 + 0.3 * 3) / 384)
    assert restore.hole_term(err, m, "l2").item() == pytest.approx((0.01 * 96 + 0.09 * 3) / 384 / 0.02)
    # per image: the scratch's own mean counts as much as the large hole's
    assert restore.hole_term(err, m, "l2-image").item() == pytest.approx((0.01 + 0.09) / 2 / 0.1)


def test_faint_weights_raise_faintly_damaged_pixels_only():
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0]]).view(1, 1, 1, 5)
    change = torch.tensor([[0.06, 0.155, 0.5, 0.03, 0.2]]).view(1, 1, 1, 5)
    w = restore.faint_weights(mask, change, 2.0)
    # faintest visible damage 1 + 2, halfway to FAINT_UP_TO (0.25) 1 + 1, strong damage and intact pixels 1
    assert w.flatten().tolist() == pytest.approx([3.0, 2.0, 1.0, 1.0, 1.0])
    assert restore.faint_weights(mask, change, 0.0) is None
    assert restore.faint_weights(mask, None, 2.0) is None  # validation batches carry no strength


def test_faint_weight_changes_the_detector_stage_and_is_recorded(folders, tmp_path):
    assert train("detect", tmp_path / "plain", folders, "--steps", "2") == 0
    assert train("detect", tmp_path / "faint", folders, "--steps", "2", "--faint-weight", "2",
                 "--export", str(tmp_path / "w"), "--model-id", "d") == 0
    plain = rows(tmp_path / "plain")[0]["bce"]
    faint = rows(tmp_path / "faint")[0]["bce"]
    assert faint > plain  # the same batch and network, its faint damaged pixels weighing more
    stage = json.loads((tmp_path / "w" / "d.json").read_text())["training"]["stages"][-1]
    assert stage["faint_weight"] == 2.0


def test_init_from_a_model_without_prefill_into_a_prefill_network_is_refused(folders, tmp_path):
    assert train("inpaint", tmp_path / "a", folders, "--steps", "1", "--export", str(tmp_path / "w"),
                 "--model-id", "inpaint-blank") == 0
    with pytest.raises(SystemExit, match="prefill"):
        train("inpaint", tmp_path / "b", folders, "--steps", "1", "--prefill", "normconv", "--init-from",
              str(tmp_path / "w" / "inpaint-blank.json"))
    with pytest.raises(SystemExit, match="inpaint only"):
        train("denoise", tmp_path / "c", folders, "--steps", "1", "--prefill", "normconv")


def test_float16_export_halves_the_file_and_loads_as_float32(folders, tmp_path):
    run_dir = tmp_path / "run"
    assert train("inpaint", run_dir, folders, "--steps", "2", "--export", str(tmp_path / "w32"),
                 "--model-id", "inpaint-x") == 0
    assert train("inpaint", run_dir, folders, "--steps", "2", "--resume", "--export", str(tmp_path / "w16"),
                 "--model-id", "inpaint-x", "--export-dtype", "float16") == 0
    f32, f16 = (tmp_path / d / "inpaint-x.safetensors" for d in ("w32", "w16"))
    stored = load_file(str(f16))
    assert {v.dtype for v in stored.values()} == {torch.float16}
    assert f16.stat().st_size < 0.6 * f32.stat().st_size
    a, b = (load_network(read_manifest(tmp_path / d / "inpaint-x.json")) for d in ("w32", "w16"))
    assert all(p.dtype == torch.float32 for p in b.parameters())
    for (k, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(pa, pb, rtol=1e-3, atol=1e-4), k  # float16 keeps ~3 significant digits
    x, mask = torch.rand(1, 3, 40, 40), torch.zeros(1, 1, 40, 40)
    mask[..., 10:30, 12:20] = 1
    with torch.no_grad():
        assert (a(x, mask) - b(x, mask)).abs().max() < 2e-3


@pytest.mark.parametrize("task, extra", [("denoise", ()), ("inpaint", ("--adv-weight", "0.01")), ("detect", ())])
def test_bf16_steps_train_differently_but_keep_float32_weights(task, extra, folders, tmp_path):
    assert train(task, tmp_path / "fp32", folders, "--steps", "2", *extra) == 0
    assert train(task, tmp_path / "bf16", folders, "--steps", "2", "--precision", "bf16", *extra,
                 "--export", str(tmp_path / "w"), "--model-id", "t") == 0
    assert all(np.isfinite(r["loss"]) for r in rows(tmp_path / "bf16") if "loss" in r)
    snaps = [load_file(str(d / json.loads((d / "checkpoint.json").read_text())["snapshot"]))
             for d in (tmp_path / "fp32", tmp_path / "bf16")]
    assert {v.dtype for v in snaps[1].values() if v.is_floating_point()} == {torch.float32}
    assert any(not torch.equal(snaps[0][k], snaps[1][k]) for k in snaps[0] if k.startswith("net."))
    manifest = json.loads((tmp_path / "w" / "t.json").read_text())
    assert manifest["training"]["stages"][-1]["precision"] == "bf16"


def test_thin_share_draws_scratch_only_masks_and_leaves_old_recipes_unchanged():
    from argparse import Namespace

    from models import degrade
    from models.training.restore_data import corrupt

    clean = np.zeros((6, 64, 64, 3), np.float32)
    mixed = corrupt("inpaint", clean, np.random.default_rng(5), Namespace(max_coverage=0.4, thin_share=0.0))
    rng = np.random.default_rng(5)  # share 0: exactly the masks drawn before the option existed
    expected = np.stack([degrade.random_inpaint_mask(64, 64, rng, max_coverage=0.4) for _ in range(6)])
    assert np.array_equal(mixed.aux[:, 0].numpy(), expected)
    thin = corrupt("inpaint", clean, np.random.default_rng(5), Namespace(max_coverage=0.4, thin_share=1.0))
    rng = np.random.default_rng(5)
    kinds = [rng.random() for _ in range(6)]  # the share's draws come first, then one thin mask each
    expected = np.stack([degrade.random_inpaint_mask(64, 64, rng, "thin", max_coverage=0.4) for _ in kinds])
    assert np.array_equal(thin.aux[:, 0].numpy(), expected)
    assert thin.aux.mean(dim=(1, 2, 3)).max() <= 0.15  # thin strokes stop at 15% coverage


def test_shares_are_fractions_and_recorded(folders, tmp_path):
    for option in ("--thin-share", "--colour-aug"):
        with pytest.raises(SystemExit):
            train("inpaint", tmp_path / "x", folders, "--steps", "1", option, "1.5")
    assert train("inpaint", tmp_path / "a", folders, "--steps", "2", "--thin-share", "0.5", "--colour-aug", "0.25",
                 "--export", str(tmp_path / "w"), "--model-id", "inpaint-thin") == 0
    stage = json.loads((tmp_path / "w" / "inpaint-thin.json").read_text())["training"]["stages"][-1]
    assert stage["thin_share"] == 0.5 and stage["colour_aug"] == 0.25


def sampled_with_share(option: str, n: int, bad: float) -> tuple[np.ndarray, np.ndarray]:
    """8 patches of a random photo as sampled without `option`, and n with every patch given it (share 1), after
    checking what every share option of PatchSampler promises: share 0 draws nothing more (the patches older recipes
    saw), patches stay float32 in [0, 1], and a share outside [0, 1] is refused."""
    from models.training.restore_data import PatchSampler

    rng = np.random.default_rng(0)
    photo = (rng.random((48, 48, 3)) * 255).astype(np.uint8)
    plain = PatchSampler([photo], 32).sample(np.random.default_rng(1), 8)
    assert np.array_equal(PatchSampler([photo], 32, **{option: 0.0}).sample(np.random.default_rng(1), 8), plain)
    every = PatchSampler([photo], 32, **{option: 1.0}).sample(np.random.default_rng(1), n)
    assert every.min() >= 0 and every.max() <= 1 and every.dtype == np.float32
    with pytest.raises(ValueError):
        PatchSampler([photo], 32, **{option: bad})
    return plain, every


def test_colour_augmentation_recolours_the_given_share_and_is_off_by_default():
    from models.training.restore_data import LUMA, recolour

    plain, every = sampled_with_share("colour_aug", 64, bad=1.5)
    grey = np.abs(every - every.mean(axis=3, keepdims=True)).max(axis=(1, 2, 3)) < 1e-6
    assert 0 < grey.sum() < 64  # some patches grey, the others toned or shifted
    patch = plain[0]
    for seed in range(6):
        out = recolour(patch, np.random.default_rng(seed))
        assert out.shape == patch.shape
        # the scene stays: the recoloured patch's brightness follows the original's
        assert np.corrcoef((out @ LUMA).ravel(), (patch @ LUMA).ravel())[0, 1] > 0.9


def test_init_from_with_wider_architecture_grows_the_exported_network(folders, tmp_path):
    assert train("denoise", tmp_path / "a", folders, "--steps", "2", "--export", str(tmp_path / "w"),
                 "--model-id", "small") == 0
    # zero steps of the wider network: its export must compute exactly what the small one did
    assert train("denoise", tmp_path / "b", folders, "--steps", "0", "--widths", "16,12", "--enc-blocks", "2,1",
                 "--head-channels", "6", "--init-from", str(tmp_path / "w" / "small.json"),
                 "--export", str(tmp_path / "w"), "--model-id", "wide") == 0
    small, wide = (load_network(read_manifest(tmp_path / "w" / f"{m}.json")).eval() for m in ("small", "wide"))
    info = read_manifest(tmp_path / "w" / "wide.json")
    assert info.config["widths"] == [16, 12] and info.config["enc_blocks"] == [2, 1]
    assert info.config["head_channels"] == 6
    stages = json.loads((tmp_path / "w" / "wide.json").read_text())["training"]["stages"]
    assert stages[0]["model"] == "small@0.1.0" and stages[1]["widened_to"]["widths"] == [16, 12]
    x = torch.rand(1, 3, 40, 40)
    with torch.no_grad():
        assert torch.allclose(wide(x), small(x), atol=1e-5)
    # it trains and resumes like any run
    assert train("denoise", tmp_path / "c", folders, "--steps", "2", "--widths", "16,12",
                 "--init-from", str(tmp_path / "w" / "small.json")) == 0
    assert train("denoise", tmp_path / "c", folders, "--steps", "4", "--widths", "16,12", "--resume",
                 "--init-from", str(tmp_path / "w" / "small.json")) == 0
    assert [r["step"] for r in rows(tmp_path / "c") if "loss" in r] == [1, 2, 3, 4]


def test_init_from_cannot_shrink_the_exported_network(folders, tmp_path):
    assert train("denoise", tmp_path / "a", folders, "--steps", "1", "--export", str(tmp_path / "w"),
                 "--model-id", "small") == 0
    with pytest.raises(SystemExit, match="only grow"):
        train("denoise", tmp_path / "b", folders, "--steps", "1", "--widths", "4,12",
              "--init-from", str(tmp_path / "w" / "small.json"))


def test_clean_share_leaves_patches_untouched_and_old_recipes_unchanged(folders, tmp_path):
    from argparse import Namespace

    from models import degrade
    from models.training.restore_data import corrupt

    clean = np.random.default_rng(0).random((5, 32, 32, 3)).astype(np.float32)
    recipe = dict(max_sigma=50.0, blind_prob=0.0, low_sigma_share=0.0)  # every level given, to check it
    off = corrupt("denoise", clean, np.random.default_rng(3), Namespace(**recipe, clean_share=0.0))
    rng = np.random.default_rng(3)  # share 0: exactly what the mixture drew before the option existed
    expected = []
    for k in range(len(clean)):
        noisy, _ = degrade.random_noise(clean[k], rng, 50.0)
        rng.random()  # the blind draw
        expected.append(noisy)
    assert np.allclose(off.inp.permute(0, 2, 3, 1).numpy(), np.stack(expected), atol=1e-6)

    every = corrupt("denoise", clean, np.random.default_rng(3), Namespace(**recipe, clean_share=1.0))
    assert torch.equal(every.inp, every.target)  # nothing added: the target is the input itself
    assert (every.aux == 0).all()  # the given level says "no noise"

    assert train("denoise", tmp_path / "c", folders, "--steps", "2", "--clean-share", "0.3",
                 "--export", str(tmp_path / "w"), "--model-id", "denoise-clean") == 0
    stage = json.loads((tmp_path / "w" / "denoise-clean.json").read_text())["training"]["stages"][-1]
    assert stage["clean_share"] == 0.3
    assert any("val_psnr_clean_blind" in r for r in rows(tmp_path / "c"))  # the "leave it alone" check


def test_low_sigma_share_draws_plain_gaussian_noise_of_low_level(folders, tmp_path):
    from argparse import Namespace

    from models.training.restore_data import corrupt

    clean = np.full((64, 32, 32, 3), 0.5, np.float32)  # mid-grey: no clipping, so the residual is the noise
    recipe = dict(max_sigma=50.0, blind_prob=0.0, clean_share=0.0, low_sigma_max=20.0)
    off = corrupt("denoise", clean, np.random.default_rng(3), Namespace(**recipe, low_sigma_share=0.0))
    low = corrupt("denoise", clean, np.random.default_rng(3), Namespace(**recipe, low_sigma_share=1.0))
    assert off.aux.max() > 20.0  # the mixture reaches sigma 50 (and beyond, as an impulse noise's level)
    assert float(low.aux.min()) >= 0 and float(low.aux.max()) <= 20.0  # the given level: the drawn sigma
    residual = (low.inp - low.target).permute(0, 2, 3, 1).reshape(64, -1).std(1).numpy() * 255
    assert np.allclose(residual, low.aux.numpy(), atol=0.6)  # Gaussian of that sigma (8-bit quantised)

    assert train("denoise", tmp_path / "l", folders, "--steps", "2", "--low-sigma-share", "0.4",
                 "--export", str(tmp_path / "w"), "--model-id", "denoise-low") == 0
    stage = json.loads((tmp_path / "w" / "denoise-low.json").read_text())["training"]["stages"][-1]
    assert (stage["low_sigma_share"], stage["low_sigma_max"]) == (0.4, 25.0)


def test_dead_leaves_replace_the_given_share_of_patches_and_are_off_by_default():
    from models.training.dead_leaves import dead_leaves, radii

    plain, every = sampled_with_share("dead_leaves", 8, bad=-0.1)
    assert every.shape == plain.shape
    assert not np.allclose(every, plain)

    # same generator state, same picture; colours come from the palette (one colour -> that colour, jittered)
    palette = np.array([[0.2, 0.5, 0.8]], np.float32)
    a, b = (dead_leaves(np.random.default_rng(7), palette, 64) for _ in range(2))
    assert np.array_equal(a, b) and a.shape == (64, 64, 3)
    assert np.abs(a.reshape(-1, 3).mean(0) - palette[0]).max() < 0.03
    # what it is for: pixel-scale detail. Two-colour leaves show sharp edges and specks everywhere
    two = dead_leaves(np.random.default_rng(3), np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], np.float32), 128)
    steps = np.abs(np.diff(two.mean(2), axis=1))
    assert (steps > 0.3).mean() > 0.02
    # sizes follow the power law: most leaves are small, a few large
    r = radii(np.random.default_rng(0), 20_000, 1.0, 64.0)
    assert r.min() >= 1.0 and r.max() <= 64.0 and np.median(r) < 1.5 and (r > 16).any()


def test_dead_leaves_share_is_recorded_in_the_recipe(folders, tmp_path):
    assert train("denoise", tmp_path / "d", folders, "--steps", "2", "--dead-leaves", "0.5",
                 "--export", str(tmp_path / "w"), "--model-id", "denoise-dl") == 0
    stage = json.loads((tmp_path / "w" / "denoise-dl.json").read_text())["training"]["stages"][-1]
    assert stage["dead_leaves"] == 0.5


def test_memory_format_auto_times_both_layouts_and_leaves_the_weights_alone(folders, tmp_path, caplog):
    from models.training.common import faster_memory_format

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 3))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.rand(2, 3, 24, 24)
    seen = []

    def forward(fmt):
        seen.append(fmt)
        return net(x.contiguous(memory_format=fmt))

    with caplog.at_level("INFO", logger="models.training.common"):
        fmt = faster_memory_format(net, forward, repeats=1)
    assert set(seen) == {torch.channels_last, torch.contiguous_format} and len(seen) == 4  # warm-up + 1 each
    assert fmt in (torch.channels_last, torch.contiguous_format)
    assert net[0].weight.is_contiguous(memory_format=fmt)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # nothing stepped
    assert all(p.grad is None for p in net.parameters())
    assert "memory format:" in caplog.text

    # the trainer's default measures; an explicit layout is used as given, and either trains
    for layout in ("auto", "channels-last"):
        parser = argparse.ArgumentParser()
        restore.add_arguments(parser)
        assert parser.parse_args(["detect", "--memory-format", layout]).memory_format == layout
        assert train("detect", tmp_path / layout, folders, "--steps", "2", "--memory-format", layout) == 0
        assert all(np.isfinite(r["loss"]) for r in rows(tmp_path / layout) if "loss" in r)


def test_mixed_patch_sides_draw_one_side_a_step_at_the_same_pixels(folders, tmp_path):
    parser = argparse.ArgumentParser()
    restore.add_arguments(parser)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folders[0].glob("*.png"))]
    single = restore.Trainer(parser.parse_args(["detect", "--tiny", "--batch-size", "8", "--patch-size", "32"]),
                             images, [])
    mixed = restore.Trainer(parser.parse_args(["detect", "--tiny", "--batch-size", "8", "--patch-size", "32",
                                               "--mix-patch-sizes", "16,64"]), images, [])
    shapes = {tuple(mixed.make_batch(step).inp.shape) for step in range(24)}
    # 8 of 32 px = 32 of 16 px = 2 of 64 px: the same pixels whichever side a step draws
    assert shapes == {(8, 3, 32, 32), (32, 3, 16, 16), (2, 3, 64, 64)}
    assert torch.equal(mixed.make_batch(5).inp, mixed.make_batch(5).inp)  # still a function of (seed, step)
    # where a mixed run draws --patch-size, its batch is the single-side recipe's: old recipes replay unchanged
    same = next(s for s in range(24) if mixed.batch_side(s) == (32, 8))
    assert torch.equal(mixed.make_batch(same).inp, single.make_batch(same).inp)
    for t in (single, mixed):
        t.pool.shutdown()
    with pytest.raises(SystemExit):
        parser.parse_args(["detect", "--mix-patch-sizes", "8"])  # too small to fold down four levels
    assert train("detect", tmp_path / "mix", folders, "--steps", "2", "--mix-patch-sizes", "48",
                 "--export", str(tmp_path / "out")) == 0
    stage = json.loads((tmp_path / "out" / "detect.json").read_text())["training"]["stages"][-1]
    assert stage["mix_patch_sizes"] == [48] and stage["patch_size"] == 32
