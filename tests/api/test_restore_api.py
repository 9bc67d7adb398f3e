"""POST /api/v1/jobs/restore in embedded mode: real files in, faithful PNGs out, every bad input refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageCms

from app.main import create_app
from tests.api.test_jobs_api import wait_done
from worker.images import read_provenance

RNG = np.random.default_rng(1)
PHOTO = RNG.integers(0, 256, (40, 56, 3), dtype=np.uint8)


def encode(arr, fmt="PNG", mode=None, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format=fmt, **kw)
    return buf.getvalue()


def box_mask(h=40, w=56) -> bytes:
    m = np.zeros((h, w), np.uint8)
    m[10:20, 15:35] = 255
    return encode(m)


@pytest.fixture
def client(settings_env):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def restore(client, image: bytes, task: str, mask: bytes | None = None, **form):
    files = {"image": ("photo.png", image, "image/png")}
    if mask is not None:
        files["mask"] = ("mask.png", mask, "image/png")
    return client.post("/api/v1/jobs/restore", files=files, data={"task": task, **form})


def result_of(client, response, index=0) -> bytes:
    assert response.status_code == 202, response.text
    job = wait_done(client, response.json()["id"])
    assert job["status"] == "succeeded", job
    return client.get(job["results"][index]).content


def test_denoise_keeps_size_and_records_provenance(client):
    png = result_of(client, restore(client, encode(PHOTO), "denoise", sigma="25"))
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == (56, 40) and img.mode == "RGB"
    meta = read_provenance(png)
    assert meta["task"] == "denoise" and meta["sigma"] == 25.0 and meta["models"] == {"denoise": "0.0.1-test"}
    assert meta["quality"] == "standard" and "estimated_sigma" not in meta  # a level given: nothing estimated


def test_blind_denoise_records_the_level_it_estimated(client):
    """Blind = a first pass reads the noise level, the second denoises with it (models/restore.py); the level read
    is in the metadata, and giving it back as sigma reproduces the result."""
    r = restore(client, encode(PHOTO), "denoise")
    blind = result_of(client, r)
    meta = read_provenance(blind)
    assert meta["sigma"] is None and meta["estimated_sigma"] > 0
    job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["images"][0]["noise_level"] == meta["estimated_sigma"]
    cached = wait_done(client, restore(client, encode(PHOTO), "denoise").json()["id"])
    assert cached["cache_hit"] and cached["images"][0]["noise_level"] == meta["estimated_sigma"]
    again = result_of(client, restore(client, encode(PHOTO), "denoise", sigma=str(meta["estimated_sigma"])))
    a, b = (np.asarray(Image.open(io.BytesIO(png))).astype(int) for png in (blind, again))
    assert np.abs(a - b).max() <= 1  # the level is recorded rounded to 0.01


def test_high_quality_is_recorded_and_cached_apart_from_standard(client):
    standard = wait_done(client, restore(client, encode(PHOTO), "auto").json()["id"])
    r = restore(client, encode(PHOTO), "auto", quality="high")
    high = wait_done(client, r.json()["id"])
    assert high["cache_hit"] is False and high["params"]["quality"] == "high"
    png = client.get(high["results"][0]).content
    assert read_provenance(png)["quality"] == "high"
    assert png != client.get(standard["results"][0]).content  # 8 orientations averaged: another result


def test_inpaint_leaves_every_pixel_outside_the_mask_unchanged(client):
    png = result_of(client, restore(client, encode(PHOTO), "inpaint", mask=box_mask()))
    out = np.asarray(Image.open(io.BytesIO(png)))
    outside = np.ones((40, 56), bool)
    outside[10:20, 15:35] = False
    assert np.array_equal(out[outside], PHOTO[outside])


def test_auto_returns_the_repair_and_the_detected_mask(client):
    r = restore(client, encode(PHOTO), "auto")
    job = wait_done(client, r.json()["id"])
    assert [im["label"] for im in job["images"]] == ["result", "mask"]
    mask = Image.open(io.BytesIO(client.get(job["results"][1]).content))
    assert mask.mode == "L" and mask.size == (56, 40)
    assert set(np.unique(np.asarray(mask))) <= {0, 255}
    # A person's edited mask replaces detection: it comes back as the mask that was used.
    edited = restore(client, encode(PHOTO), "auto", mask=box_mask())
    job = wait_done(client, edited.json()["id"])
    used = np.asarray(Image.open(io.BytesIO(client.get(job["results"][1]).content)))
    assert np.array_equal(used > 0, np.asarray(Image.open(io.BytesIO(box_mask()))) > 0)


def test_sixteen_bit_grayscale_tiff_comes_back_sixteen_bit_grayscale(client):
    gray16 = RNG.integers(0, 65536, (24, 30)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(gray16.astype(np.int32), "I").convert("I;16").save(buf, format="TIFF")
    png = result_of(client, restore(client, buf.getvalue(), "denoise"))
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode in ("I;16", "I") and img.size == (30, 24)


def test_alpha_and_icc_profile_are_carried(client):
    rgba = np.dstack([PHOTO, np.full((40, 56), 200, np.uint8)])
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = result_of(client, restore(client, encode(rgba, mode="RGBA", icc_profile=srgb), "denoise"))
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "RGBA" and img.info.get("icc_profile") == srgb
        assert np.all(np.asarray(img)[..., 3] == 200)


def test_same_upload_and_options_is_a_cache_hit(client):
    first = wait_done(client, restore(client, encode(PHOTO), "denoise", sigma="15").json()["id"])
    second = client.get(restore(client, encode(PHOTO), "denoise", sigma="15").json()["status_url"]).json()
    assert second["cache_hit"] is True and second["status"] == "succeeded"
    assert client.get(second["results"][0]).content == client.get(first["results"][0]).content
    other = client.get(restore(client, encode(PHOTO), "denoise", sigma="16").json()["status_url"]).json()
    assert other["cache_hit"] is False


def _bomb() -> bytes:
    buf = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("case, image, task, mask, form, status, words", [
    ("not an image", b"GIF89a but not really", "denoise", None, {}, 422, "not an image"),
    ("zero bytes", b"", "denoise", None, {}, 422, "empty"),
    ("truncated", encode(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))[:900], "denoise", None, {}, 422,
     "truncated or corrupt"),
    ("bomb", _bomb(), "denoise", None, {}, 413, "megapixels"),
    ("mask of another size", encode(PHOTO), "inpaint", encode(np.full((10, 10), 255, np.uint8)), {}, 422,
     "same size"),
    ("empty mask", encode(PHOTO), "inpaint", encode(np.zeros((40, 56), np.uint8)), {}, 422, "mask is empty"),
    ("inpaint without mask", encode(PHOTO), "inpaint", None, {}, 422, "needs a mask"),
    ("unknown task", encode(PHOTO), "sharpen", None, {}, 422, "task"),
    ("sigma out of range", encode(PHOTO), "denoise", None, {"sigma": "500"}, 422, "sigma"),
    ("unknown quality", encode(PHOTO), "denoise", None, {"quality": "ultra"}, 422, "quality"),
    ("mask for denoise", encode(PHOTO), "denoise", box_mask(), {}, 422, "no mask"),
])
def test_bad_input_is_refused_clearly_and_the_worker_stays_up(client, case, image, task, mask, form, status, words):
    r = restore(client, image, task, mask, **form)
    assert r.status_code == status, (case, r.text)
    assert words in r.json()["error"]["message"], (case, r.json())
    # Nothing broke: a good job still runs.
    assert wait_done(client, restore(client, encode(PHOTO), "denoise").json()["id"])["status"] == "succeeded"


def test_missing_image_part_and_missing_models(client, settings_env, tmp_path, monkeypatch):
    r = client.post("/api/v1/jobs/restore", data={"task": "denoise"})
    assert r.status_code == 422 and "image" in r.json()["error"]["message"]
    from atelier.settings import get_settings
    from tests.conftest import make_tiny_digits

    only_digits = tmp_path / "only-digits"
    make_tiny_digits(only_digits)
    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(only_digits))
    get_settings.cache_clear()
    with TestClient(create_app()) as c:
        r = restore(c, encode(PHOTO), "auto")
        assert r.status_code == 404 and "detect, inpaint, denoise" in r.json()["error"]["message"]


@pytest.mark.parametrize("fmt, media_type, ext, kw", [
    ("PNG", "image/png", "png", {}),
    ("JPEG", "image/jpeg", "jpg", {"quality": 90}),
    ("WEBP", "image/webp", "webp", {"lossless": True}),
    ("TIFF", "image/tiff", "tif", {}),
])
def test_inputs_come_back_byte_for_byte(client, fmt, media_type, ext, kw):
    image = encode(PHOTO, fmt, **kw)
    r = restore(client, image, "inpaint", mask=box_mask())
    assert r.status_code == 202, r.text
    job = wait_done(client, r.json()["id"])
    digest = job["params"]["image"]

    got = client.get(f"/api/v1/jobs/{job['id']}/input/image")
    assert got.status_code == 200 and got.content == image
    assert got.headers["content-type"] == media_type
    assert got.headers["content-disposition"] == f'inline; filename="inpaint-{digest[:8]}-image.{ext}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    attached = client.get(f"/api/v1/jobs/{job['id']}/input/image", params={"download": 1})
    assert attached.headers["content-disposition"].startswith("attachment;")

    mask = client.get(f"/api/v1/jobs/{job['id']}/input/mask")
    assert mask.status_code == 200 and mask.content == box_mask() and mask.headers["content-type"] == "image/png"


def test_inputs_that_do_not_exist_are_404(client):
    job = wait_done(client, restore(client, encode(PHOTO), "denoise").json()["id"])
    r = client.get(f"/api/v1/jobs/{job['id']}/input/mask")  # denoise takes no mask
    assert r.status_code == 404 and "without a mask" in r.json()["error"]["message"]
    assert client.get(f"/api/v1/jobs/{job['id']}/input/image").status_code == 200

    generated = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 3}).json()
    wait_done(client, generated["id"])
    r = client.get(f"/api/v1/jobs/{generated['id']}/input/image")
    assert r.status_code == 404 and "only repair jobs" in r.json()["error"]["message"]

    r = client.get(f"/api/v1/jobs/{'0' * 32}/input/image")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
    assert client.get(f"/api/v1/jobs/{job['id']}/input/other").status_code == 404


def test_an_expired_input_is_404(client):
    from worker.restore import input_key

    job = wait_done(client, restore(client, encode(PHOTO), "denoise", sigma="10").json()["id"])
    store = client.app.state.services.store
    store._blob_path(input_key(job["params"]["image"])).unlink()  # what purge_expired does after the TTL
    r = client.get(f"/api/v1/jobs/{job['id']}/input/image")
    assert r.status_code == 404 and "expired" in r.json()["error"]["message"]
