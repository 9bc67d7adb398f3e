"""Model previews: drawn by the job API's own sampler and grid, found by the torch-free registry."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.checkpoint import load_network
from models.preview import PREVIEW_COLS, preview_tiles, render_preview, write_preview
from models.registry import Registry, read_manifest
from tests.conftest import REPO, make_tiny_digits, make_tiny_restorers, make_tiny_unconditional
from worker.generate import generate_images
from worker.images import read_provenance
from worker.runtime import LoadedModel

SIDE = 28
PAD = 2  # make_grid's padding


def _tile(grid: np.ndarray, row: int, col: int) -> np.ndarray:
    y, x = PAD + row * (SIDE + PAD), PAD + col * (SIDE + PAD)
    return grid[y:y + SIDE, x:x + SIDE]


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as img:
        return np.asarray(img)


@pytest.fixture
def tiny(tmp_path: Path, one_thread):
    info = read_manifest(make_tiny_digits(tmp_path / "weights"))
    return info, load_network(info)


def test_class_conditional_preview_is_one_row_per_class_of_the_job_apis_images(tiny) -> None:
    info, net = tiny
    png = render_preview(net, info)
    grid = _pixels(png)
    assert grid.shape == (10 * SIDE + 11 * PAD, PREVIEW_COLS * SIDE + (PREVIEW_COLS + 1) * PAD)  # 10 rows x 8 seeds
    meta = read_provenance(png)
    assert (meta["kind"], meta["model"], meta["model_version"], meta["truncation"]) == \
        ("preview", "digits", "0.0.1-test", 1.0)
    assert meta["images"][:2] == [{"seed": 0, "class": "0"}, {"seed": 1, "class": "0"}]
    assert meta["images"][8 * 7 + 3] == {"seed": 3, "class": "7"}
    # Row 7, column 3 is exactly what the job API returns for class 7, seed 3.
    job = generate_images(LoadedModel(info=info, net=net, device="cpu"), seed=3, count=1, class_name="7",
                          truncation=1.0)
    assert np.array_equal(_tile(grid, 7, 3), _pixels(job.images[0].png))
    assert render_preview(net, info) == png  # fixed seeds: the same file every time


def test_unconditional_preview_is_four_rows_of_eight_seeds(tmp_path: Path, one_thread) -> None:
    info = read_manifest(make_tiny_unconditional(tmp_path))
    png = render_preview(load_network(info), info)
    assert _pixels(png).shape == (4 * SIDE + 5 * PAD, 8 * SIDE + 9 * PAD)
    assert [im["seed"] for im in read_provenance(png)["images"]] == list(range(32))
    assert all(im["class"] is None for im in read_provenance(png)["images"])


def test_many_classes_show_the_first_ten(tiny) -> None:
    info, _ = tiny
    wide = replace(info, classes=tuple(f"c{i}" for i in range(26)))
    tiles = preview_tiles(wide)
    assert len(tiles) == 10 * PREVIEW_COLS and tiles[-1] == (PREVIEW_COLS - 1, 9)


def test_written_beside_the_weights_and_found_by_the_registry(tmp_path: Path, tiny) -> None:
    info, net = tiny
    folder = info.weights_path.parent
    assert info.preview_path is None and info.public()["preview_url"] is None
    path = write_preview(net, info)
    assert path == folder / "digits.preview.png" and path.stat().st_size < 64_000
    found = Registry([folder]).get("digits")
    assert found.preview_path == path
    assert found.public()["preview_url"] == "/api/v1/models/digits/preview?v=0.0.1-test"
    elsewhere = write_preview(net, info, out=tmp_path / "elsewhere" / "p.png")
    assert elsewhere.read_bytes() == path.read_bytes()


def test_restore_models_have_no_preview(tmp_path: Path) -> None:
    make_tiny_restorers(tmp_path)
    info = read_manifest(tmp_path / "denoise.json")
    with pytest.raises(ValueError, match="previews are drawn by generators"):
        render_preview(load_network(info), info)


def test_the_shipped_preview_is_found_without_torch() -> None:
    code = ("import sys; from app.main import create_app; from models.registry import Registry; "
            f"r = Registry([{str(REPO / 'models' / 'weights')!r}]); create_app(); "
            "print(json.dumps([[m.id, m.public()['preview_url']] for m in r.all()]), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[-1] == "False"
    assert ["digits", "/api/v1/models/digits/preview?v=1.0.0"] in json.loads(" ".join(out[:-1]))
