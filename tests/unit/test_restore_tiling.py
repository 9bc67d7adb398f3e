"""models/evaluation/restore_tiling.py: tiled against untiled on photos larger than a tile, and the memory probe."""

from __future__ import annotations

import numpy as np

from models.checkpoint import load_network
from models.evaluation import restore_tiling
from models.registry import Registry
from tests.conftest import make_tiny_restorers


def test_a_photo_of_several_tiles_matches_its_untiled_repair(tmp_path):
    make_tiny_restorers(tmp_path)
    registry = Registry([tmp_path])
    nets = {m: load_network(registry.get(m)) for m in ("denoise", "inpaint", "detect")}
    y, x = np.mgrid[0:600, 0:820]
    photo = np.stack([x % 256, y % 256, (x + y) % 256], 2).astype(np.uint8)  # 820x600: 4 to 6 tiles
    result = restore_tiling.compare(nets, [photo], ["ramp"], seed=0)
    den, inp, det = result["denoise"][0], result["inpaint"][0], result["detect"][0]
    assert den["size"] == (820, 600) and den["tiles"] == 4 and inp["tiles"] == 2 and det["tiles"] == 4
    # The overlaps blend away what a tile's padding changes: at most a few levels apart, the same quality.
    assert den["max"] < 8 and den["psnr_between"] > 40, den
    assert inp["psnr_between"] > 40, inp
    assert abs(den["psnr_tiled"] - den["psnr_untiled"]) < 0.1
    assert 0 <= det["differ"] < 0.01
    text = "\n".join(restore_tiling.render({"compare": result}))
    assert "| ramp | 820x600 | 4 |" in text and "### Tiled against untiled" in text


def test_the_memory_probe_reports_time_and_peak_memory(tmp_path):
    make_tiny_restorers(tmp_path)
    row = restore_tiling.probe(tmp_path, 0.3, "tiled", threads=1)
    assert 0.25 < row["megapixels"] < 0.35 and row["width"] > row["height"]
    assert row["seconds"] > 0 and row["peak_mb"] > 0 and row["image_mb"] > 3
