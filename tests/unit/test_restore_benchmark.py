"""The restore benchmark runs end to end (tiny untrained networks, two tiny photos) and writes its section."""

import json

import numpy as np
from PIL import Image

from models.evaluation import restore_benchmark
from tests.conftest import make_tiny_restorers


def test_benchmark_writes_every_table(tmp_path):
    weights, data = tmp_path / "weights", tmp_path / "photos"
    make_tiny_restorers(weights)
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
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n## Digits generator\n\nkept as is\n")
    parser = restore_benchmark.argparse.ArgumentParser()
    restore_benchmark.add_arguments(parser)
    args = parser.parse_args(["--weights", str(weights), "--data-dir", str(data), "--crop", "48", "--photos", "2",
                              "--speed-side", "48", "--benchmarks-md", str(md), "--examples-dir", str(tmp_path)])
    assert restore_benchmark.run(args) == 0
    text = md.read_text()
    assert "## Digits generator\n\nkept as is" in text  # other sections untouched
    for needle in ("## Photo repair", "Gaussian sigma 15", "Gaussian sigma 50", "salt-and-pepper 10%", "CBM3D",
                   "OpenCV NLM (h=", "**thin masks**", "**box masks**", "biharmonic", "top-hat + TELEA + NLM",
                   "s/MP", "val0, val1", "### Against the bars", "detection F1 at least 0.8"):
        assert needle in text, needle
    assert (tmp_path / "restore-auto.png").is_file()
    for model_id, key in (("denoise", "cbm3d_psnr_sigma25"), ("inpaint", "psnr_hole_box"), ("detect", "f1")):
        manifest = json.loads((weights / f"{model_id}.json").read_text())
        assert isinstance(manifest["metrics"][key], float), manifest["metrics"]  # measured numbers, in the manifest
