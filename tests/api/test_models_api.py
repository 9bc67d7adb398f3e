"""GET /api/v1/models and /api/v1/models/{id}/preview, in-process (TestClient)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from atelier.settings import get_settings
from models.checkpoint import load_network
from models.preview import write_preview
from models.registry import read_manifest
from tests.conftest import make_tiny_digits
from worker.images import read_provenance


@pytest.fixture(scope="module")
def preview_models(tmp_path_factory):
    """`digits` with a preview beside its weights, `plain` without one."""
    folder = tmp_path_factory.mktemp("preview-weights")
    info = read_manifest(make_tiny_digits(folder))
    write_preview(load_network(info), info)
    make_tiny_digits(folder, model_id="plain")
    return folder


@pytest.fixture
def client(preview_models, tmp_path, monkeypatch):
    monkeypatch.delenv("ATELIER_REDIS_URL", raising=False)
    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(preview_models))
    monkeypatch.setenv("ATELIER_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c
    get_settings.cache_clear()


def test_models_list_their_preview_url(client):
    models = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}
    assert models["digits"]["preview_url"] == "/api/v1/models/digits/preview?v=0.0.1-test"
    assert models["plain"]["preview_url"] is None


def test_preview_is_served_as_png_cached_by_version(client):
    url = client.get("/api/v1/models").json()["models"][0]["preview_url"]
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert read_provenance(r.content)["model"] == "digits"
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.size == (8 * 28 + 9 * 2, 10 * 28 + 11 * 2)
    # Without the current version in the URL, browsers must check back; the ETag makes that cheap.
    stale = client.get("/api/v1/models/digits/preview", params={"v": "0.0.0-old"})
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    again = client.get("/api/v1/models/digits/preview", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_missing_preview_and_unknown_model_are_404_json(client):
    r = client.get("/api/v1/models/plain/preview")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert r.json() == {"error": {"code": "not_found", "message": "model 'plain' has no preview"}}
    r = client.get("/api/v1/models/nope/preview")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_model"
