"""The restore benchmark runs end to end (tiny untrained networks, two tiny photos) and writes its section."""

import json

import numpy as np
import pytest
from PIL import Image

from models.evaluation import restore_benchmark
from tests.conftest import make_tiny_restorers


def make_photos(data):
    entries = []
    rng = np.random.default_rng(0)
    for split, n in (("train", 3), ("val", 2)):
        (data / split).mkdir(parents=True)
        for i in range(n):
            y, x = np.mgrid[0:80, 0:96]
            img = np.stack([x * 2, y * 3, (x + y)], 2) % 256 + rng.integers(0, 20, (80, 96, 3))
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(data / split / f"{split}{i}.png")
            entries.append({"name": f"{split}{i}", "split": split, "file": f"{split}/{split}{i}.png"})
    (data / "manifest.json").write_text(json.dumps({"photos": entries}))


def parse(argv):
    parser = restore_benchmark.argparse.ArgumentParser()
    restore_benchmark.add_arguments(parser)
    return parser.parse_args(argv)


def test_benchmark_writes_every_table(tmp_path):
    weights, data = tmp_path / "weights", tmp_path / "photos"
    make_tiny_restorers(weights)
    make_photos(data)
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n## Digits generator\n\nkept as is\n")
    parser = restore_benchmark.argparse.ArgumentParser()
    restore_benchmark.add_arguments(parser)
    args = parser.parse_args(["--weights", str(weights), "--data-dir", str(data), "--crop", "48", "--photos", "2",
                              "--speed-side", "48", "--benchmarks-md", str(md), "--examples-dir", str(tmp_path),
                              "--tiling-photos", "1", "--large-megapixels", "0.2"])
    assert restore_benchmark.run(args) == 0
    text = md.read_text()
    assert "## Digits generator\n\nkept as is" in text  # other sections untouched
    for needle in ("## Photo repair", "Gaussian sigma 15", "Gaussian sigma 50", "salt-and-pepper 10%", "CBM3D",
                   "OpenCV NLM (h=", "**thin masks**", "**box masks**", "biharmonic", "top-hat + TELEA + NLM",
                   "s/MP", "val0, val1", "### Against the bars", "detection F1 at least 0.8",
                   "| ours: smooth prefill only |", "| ours: smooth prefill |", "| ours (blind, high quality) |",
                   "| ours (high quality) |", "| ours auto (high quality) |", "### Tiled against untiled",
                   "**denoise** (blind", "**inpaint** (thick", "**detect** (synthetic", "Memory and time",
                   "**clean photo (nothing to remove", "| ours (sigma 0 given) |",
                   "### Damage detection by picture size", "recall, large regions"):
        assert needle in text, needle
    assert (tmp_path / "restore-auto.png").is_file()
    for model_id, key in (("denoise", "cbm3d_psnr_sigma25"), ("inpaint", "psnr_hole_box"), ("detect", "f1"),
                          ("denoise", "psnr_sigma25_blind_high"), ("inpaint", "psnr_hole_thin_high"),
                          ("detect", "f1_high"), ("denoise", "psnr_clean_blind")):
        manifest = json.loads((weights / f"{model_id}.json").read_text())
        assert isinstance(manifest["metrics"][key], float), manifest["metrics"]  # measured numbers, in the manifest

    assert "best classical (ours" not in text  # our own prefill is not a classical method
    # the per-photo detection rows average to the table's F1
    def cells(line):
        return [c.strip() for c in line.strip("|").split("|")]

    per_photo = [cells(line) for line in text.splitlines()
                 if line.startswith(("| val0 |", "| val1 |")) and cells(line)[1].endswith("%")]  # not the tiling rows
    assert len(per_photo) == 2
    ours_row = next(cells(line) for line in text.splitlines() if line.startswith("| ours | ") and line.count("|") == 7)
    assert float(ours_row[3]) == pytest.approx(np.mean([float(r[5]) for r in per_photo]), abs=1e-3)

    # the per-photo denoising gaps average to the gap between the sigma-15 table's blind and CBM3D rows
    lines = text.splitlines()
    gaps = [cells(line) for line in lines
            if line.startswith(("| val0 |", "| val1 |")) and cells(line)[1][0] in "+-"]
    assert len(gaps) == 2 and all(len(g) == 5 for g in gaps)
    sigma15 = lines[lines.index("**Gaussian sigma 15**"):lines.index("**Gaussian sigma 25**")]
    psnr = {cells(line)[0]: float(cells(line)[1])
            for line in sigma15 if line.startswith("| ") and cells(line)[1][:1].isdigit()}  # not the header
    assert np.mean([float(g[1]) for g in gaps]) == pytest.approx(psnr["ours (blind)"] - psnr["CBM3D"], abs=0.011)


def test_no_write_measures_a_candidate_inpainter_alone_and_touches_nothing(tmp_path, capsys):
    """A candidate from a run (here an untrained prefill network, which returns its prefill exactly) measured on
    the inpainting table only: printed, with docs, manifests and images left as they were."""
    import torch

    from models.checkpoint import save_model
    from models.networks.restore_unet import RestoreUNetConfig, build, tiny_config

    weights, data, cand = tmp_path / "weights", tmp_path / "photos", tmp_path / "cand"
    make_tiny_restorers(weights)
    make_photos(data)
    torch.manual_seed(0)
    cfg = RestoreUNetConfig.from_dict(tiny_config("inpaint").to_dict() | {"prefill": "normconv"})
    save_model(cand, {"id": "inpaint-cand", "kind": "restore", "architecture": "inpaint-unet", "version": "0.0.9",
                      "description": "", "classes": [], "image_size": 0, "channels": 3, "config": cfg.to_dict(),
                      "metrics": {}}, build(cfg).state_dict())
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n")
    before = {p.name: p.read_bytes() for p in [*weights.iterdir(), *cand.iterdir()]}
    argv = ["--weights", str(weights), "--data-dir", str(data), "--crop", "48", "--photos", "2",
            "--benchmarks-md", str(md), "--examples-dir", str(tmp_path / "img"), "--sections", "inpaint",
            "--inpaint-model", str(cand / "inpaint-cand.json")]
    with pytest.raises(SystemExit, match="--no-write"):  # a partial benchmark must not write its section
        restore_benchmark.run(parse(argv))
    assert restore_benchmark.run(parse(argv + ["--no-write"])) == 0
    out = capsys.readouterr().out
    assert "`inpaint-cand` v0.0.9" in out and "**box masks**" in out and "Denois" not in out
    assert "s/MP" not in out and "old-photo" not in out
    ours = [line.split("|")[2:5] for line in out.splitlines() if line.startswith("| ours |")]
    prefill = [line.split("|")[2:5] for line in out.splitlines() if line.startswith("| ours: smooth prefill only |")]
    assert len(ours) == 3 and ours == prefill  # untrained: the network's fill is its prefill, to the digit
    assert md.read_text() == "# Benchmarks\n" and not (tmp_path / "img").exists()
    assert before == {p.name: p.read_bytes() for p in [*weights.iterdir(), *cand.iterdir()]}

    # the training photos, to see how far a network generalises: printed only, and labelled as such
    train = ["--weights", str(weights), "--data-dir", str(data), "--crop", "48", "--photos", "3",
             "--benchmarks-md", str(md), "--sections", "auto", "--split", "train"]
    with pytest.raises(SystemExit, match="--no-write"):
        restore_benchmark.run(parse(train))
    assert restore_benchmark.run(parse(train + ["--no-write"])) == 0
    out = capsys.readouterr().out
    assert "TRAINING photos" in out and "train0, train1, train2" in out and "| ours |" in out
    assert md.read_text() == "# Benchmarks\n"

    # photos past the benchmark's (--skip): printed only, and named
    later = ["--weights", str(weights), "--data-dir", str(data), "--crop", "48", "--photos", "1", "--skip", "1",
             "--benchmarks-md", str(md), "--sections", "auto"]
    with pytest.raises(SystemExit, match="--no-write"):
        restore_benchmark.run(parse(later))
    assert restore_benchmark.run(parse(later + ["--no-write"])) == 0
    out = capsys.readouterr().out
    assert "--photos 1 --skip 1 " in out and "centre crops): val1." in out and "val0" not in out
    assert md.read_text() == "# Benchmarks\n"
    with pytest.raises(SystemExit):
        parse(later[:-2] + ["--skip", "-1"])
    assert "must be 0 or more" in capsys.readouterr().err
