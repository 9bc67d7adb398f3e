"""POST /api/v1/previews: the photos browsers cannot show (16-bit TIFF, CMYK) as 8-bit PNGs on the repair job's
pixel grid, bad uploads refused as the restore endpoint refuses them, nothing queued or stored."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from tests.api.test_restore_api import _bomb, encode, restore
from tests.conftest import REPO, tiff_bytes

RNG = np.random.default_rng(2)
RGB16 = RNG.integers(0, 65536, (40, 56, 3)).astype(np.uint16)  # (H, W, 3)
CMYK = RNG.integers(0, 256, (40, 56, 4), dtype=np.uint8)


@pytest.fixture
def client(settings_env):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def preview(client, image: bytes, name: str = "scan.tif"):
    return client.post("/api/v1/previews", files={"image": (name, image, "image/tiff")})


def png_of(response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(response.content))
    assert img.format == "PNG"
    return img


def stored_files(settings_env) -> list[str]:
    from pathlib import Path

    root = Path(settings_env["ATELIER_DATA_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_16_bit_tiff_comes_back_8_bit_turned_upright(client, settings_env):
    before = stored_files(settings_env)
    r = preview(client, tiff_bytes(RGB16, orientation=6))  # rotate 90° clockwise to display
    img = png_of(r)
    assert img.mode == "RGB" and img.size == (40, 56)
    assert np.abs(np.asarray(img).astype(float) - np.rot90(RGB16, -1) / 257).max() <= 0.5 + 1e-3
    assert r.headers["cache-control"] == "no-store" and r.headers["x-content-type-options"] == "nosniff"
    assert stored_files(settings_env) == before, "a preview queues no job and keeps no file"


def test_cmyk_tiff_comes_back_rgb_turned_upright(client):
    img = png_of(preview(client, tiff_bytes(CMYK, photometric=5, orientation=8)))  # rotate 90° anticlockwise
    expected = np.rot90(np.asarray(Image.fromarray(CMYK, "CMYK").convert("RGB")), 1)
    assert img.mode == "RGB" and img.size == (40, 56)
    assert np.array_equal(np.asarray(img), expected)


def test_a_mask_painted_on_the_preview_fits_the_repair_job(client):
    """The preview is the job's pixel grid: a mask of its size is taken, and the job measures the photo the same."""
    scan = tiff_bytes(RGB16, orientation=5)
    size = png_of(preview(client, scan)).size
    mask = np.zeros(size[::-1], np.uint8)
    mask[5:15, 10:20] = 255
    r = restore(client, scan, "inpaint", mask=encode(mask))
    assert r.status_code == 202, r.text
    job = client.get(r.json()["status_url"]).json()
    assert (job["params"]["width"], job["params"]["height"]) == size == (40, 56)


@pytest.mark.parametrize("case, image, status, words", [
    ("not an image", b"GIF89a but not really", 422, "not an image"),
    ("zero bytes", b"", 422, "empty"),
    ("truncated", tiff_bytes(RGB16)[:5000], 422, "truncated or corrupt"),
    ("a GIF", encode(np.zeros((4, 4), np.uint8), "GIF"), 422, "use PNG, JPEG, WebP or TIFF"),
    ("bomb", _bomb(), 413, "megapixels"),
    ("too many pixels", encode(np.zeros((5200, 8000), np.uint8)), 413, "41.6 megapixels; the limit is 40"),
])
def test_bad_input_is_refused_as_the_restore_endpoint_refuses_it(client, case, image, status, words):
    r = preview(client, image)
    assert r.status_code == status, (case, r.text)
    error = r.json()["error"]
    assert words in error["message"], (case, error)
    assert error["code"] == ("bad_input" if status == 422 else "too_large")
    same = restore(client, image, "denoise")
    assert (same.status_code, same.json()["error"]) == (status, error), "the two endpoints should agree"


def test_missing_part_and_an_oversized_body(client, settings_env, monkeypatch):
    r = client.post("/api/v1/previews", data={"task": "denoise"})
    assert r.status_code == 422 and "image" in r.json()["error"]["message"]
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_MAX_UPLOAD_BYTES", str(8 * 1024))
    get_settings.cache_clear()
    with TestClient(create_app()) as small:
        r = preview(small, tiff_bytes(RGB16))  # 56 × 40 × 3 × 2 bytes: over 8 KiB
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_documented_in_openapi(client):
    post = client.get("/openapi.json").json()["paths"]["/api/v1/previews"]["post"]
    assert "image/png" in post["responses"]["200"]["content"]
    assert {"413", "422"} <= set(post["responses"])
    assert "browsers" in post["description"] and "original file" in post["description"]


def test_previews_need_no_torch():
    """The web process decodes previews itself; in distributed mode it must stay torch-free."""
    code = ("import sys, numpy as np; from tests.conftest import tiff_bytes; from app.main import create_app; "
            "from worker.photo_io import preview_png; create_app(); "
            "preview_png(tiff_bytes(np.zeros((4, 6, 3), np.uint16), orientation=6), max_pixels=100); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "False"
