"""POST /api/v1/jobs/upscale in embedded mode: a job's image or an upload in, a larger PNG with provenance out."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from models import upscale as up
from tests.api.test_jobs_api import submit, wait_done
from worker.images import read_provenance


@pytest.fixture
def client(settings_env):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def png(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    (Image.fromarray(arr) if mode is None else Image.fromarray(arr).convert(mode)).save(buf, format="PNG")
    return buf.getvalue()


def upscale(client, *, image: bytes | None = None, **form):
    files = {"image": ("in.png", image, "image/png")} if image is not None else None
    return client.post("/api/v1/jobs/upscale", files=files, data={k: str(v) for k, v in form.items()})


def finished(client, response) -> dict:
    assert response.status_code == 202, response.text
    job = wait_done(client, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def test_upscale_an_image_of_a_generate_job(client):
    gen = wait_done(client, submit(client, seed=3, count=2, **{"class": "5"})["id"])
    source = client.get(gen["results"][1]).content
    job = finished(client, upscale(client, job=gen["id"], index=1, scale=4))
    assert job["kind"] == "upscale" and [im["label"] for im in job["images"]] == ["ibp-tv", "bicubic"]
    assert job["params"]["source"] == {"job": gen["id"], "index": 1}
    assert job["params"]["scale"] == 4 and (job["params"]["width"], job["params"]["height"]) == (28, 28)

    ours = client.get(job["results"][0], params={"download": 1})
    assert ours.headers["content-type"] == "image/png"
    assert ours.headers["content-disposition"].startswith('attachment; filename="upscale-')
    assert ours.headers["content-disposition"].endswith('-x4-ibp-tv.png"')
    assert client.get(job["grid_url"]).content == ours.content  # the job's result is ours
    meta = read_provenance(ours.content)
    assert meta["kind"] == "upscale" and meta["method"] == "ibp-tv" and meta["scale"] == 4
    assert meta["method_version"] == up.METHOD_VERSION and (meta["width"], meta["height"]) == (112, 112)
    # The source's own metadata rides along: the upscaled PNG still says how to draw the original.
    assert meta["source"] == read_provenance(source) and meta["source"]["seed"] == 4
    with Image.open(io.BytesIO(ours.content)) as im:
        assert im.size == (112, 112) and im.mode == "L"
        big = np.asarray(im)
    small = np.asarray(Image.open(io.BytesIO(source)))
    # Back-projection: reducing the result the way the method assumes gives the source back.
    assert np.abs(up.downscale(big, 4).astype(int) - small).mean() < 2.0
    bicubic = client.get(job["results"][1])
    assert read_provenance(bicubic.content)["method"] == "bicubic"
    assert Image.open(io.BytesIO(bicubic.content)).size == (112, 112)


def test_same_pixels_by_reference_or_upload_share_one_cached_result(client):
    gen = wait_done(client, submit(client, seed=11)["id"])
    first = finished(client, upscale(client, job=gen["id"], scale=2))
    assert first["cache_hit"] is False
    again = finished(client, upscale(client, job=gen["id"], scale=2))
    uploaded = finished(client, upscale(client, image=client.get(gen["results"][0]).content, scale=2))
    assert again["cache_hit"] is True and uploaded["cache_hit"] is True
    assert uploaded["params"]["source"] is None
    assert client.get(uploaded["results"][0]).content == client.get(first["results"][0]).content
    other_scale = finished(client, upscale(client, job=gen["id"], scale=3))
    assert other_scale["cache_hit"] is False
    assert Image.open(io.BytesIO(client.get(other_scale["results"][0]).content)).size == (84, 84)


def test_upload_keeps_alpha_and_colour(client):
    rgba = np.zeros((16, 20, 4), np.uint8)
    rgba[4:12, 5:15] = (200, 30, 40, 255)  # an opaque red box on transparent green
    rgba[rgba[..., 3] == 0] = (0, 255, 0, 0)
    job = finished(client, upscale(client, image=png(rgba), scale=3))
    with Image.open(io.BytesIO(client.get(job["results"][0]).content)) as im:
        assert im.size == (60, 48) and im.mode == "RGBA"
        out = np.asarray(im)
    assert out[..., 3].min() == 0 and out[..., 3].max() == 255
    opaque = out[..., 3] > 128
    assert out[opaque][:, 1].max() < 40  # no green from the transparent pixels bleeds into the visible red
    assert read_provenance(client.get(job["results"][0]).content)["source"] is None


def test_sixteen_bit_grey_stays_sixteen_bit(client):
    ramp = (np.linspace(0, 65535, 24 * 24).reshape(24, 24)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, format="PNG")
    job = finished(client, upscale(client, image=buf.getvalue(), scale=2))
    with Image.open(io.BytesIO(client.get(job["results"][0]).content)) as im:
        assert im.size == (48, 48) and im.mode.startswith("I")  # 16-bit grey, not squeezed into 8 bits
        assert len(np.unique(np.asarray(im))) > 256


@pytest.mark.parametrize("form, upload, status, words", [
    ({"scale": 4}, None, 422, "neither"),
    ({"scale": 5}, "ok", 422, "scale must be one of 2, 3, 4, 8"),
    ({"scale": "x"}, "ok", 422, "scale"),
    ({"job": "0" * 32}, None, 422, "no job"),
    ({"job": "not-a-job"}, None, 422, "no job"),
    ({"scale": 4}, "garbage", 422, "not an image"),
    ({"scale": 8}, "wide", 413, "at most 4096"),
])
def test_bad_requests(client, form, upload, status, words):
    images = {"ok": png(np.zeros((8, 8), np.uint8)), "garbage": b"not an image at all",
              "wide": png(np.zeros((4, 600), np.uint8))}
    r = upscale(client, image=images.get(upload), **form)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert words in err["message"] and "Traceback" not in err["message"]


def test_job_references_that_do_not_fit(client):
    gen = wait_done(client, submit(client, seed=2, count=2)["id"])
    r = upscale(client, job=gen["id"], index=2)
    assert r.status_code == 422 and "has 2 images; there is no image 2" in r.json()["error"]["message"]
    r = upscale(client, image=png(np.zeros((8, 8), np.uint8)), job=gen["id"])
    assert r.status_code == 422 and "not both" in r.json()["error"]["message"]


def test_pixel_limit_caps_the_result(settings_env, monkeypatch):
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_MAX_PIXELS", "10000")
    get_settings.cache_clear()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        r = upscale(client, image=png(np.zeros((40, 40), np.uint8)), scale=4)  # 160 x 160 = 25,600 pixels
        assert r.status_code == 413 and "megapixels" in r.json()["error"]["message"], r.text
        assert upscale(client, image=png(np.zeros((40, 40), np.uint8)), scale=2).status_code == 202


def test_documented_in_openapi(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/jobs/upscale"]["post"]
    assert {"202", "404", "413", "422", "503"} <= set(post["responses"])
    ref = post["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].split("/")[-1]
    assert set(spec["components"]["schemas"][ref]["properties"]) == {"image", "job", "index", "scale"}
    assert "ibp-tv" in post["description"]
