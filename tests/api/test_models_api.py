"""GET /api/v1/models and /api/v1/models/{id}/preview, and DELETE /api/v1/models/{id}, in-process (TestClient)."""

from __future__ import annotations

import io
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from atelier.settings import get_settings
from models.checkpoint import load_network
from models.preview import write_preview
from models.registry import Registry, read_manifest
from tests.conftest import make_tiny_digits
from worker.images import read_provenance
from worker.user_models import DiskModelSpace


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


# ---------------------------------------------------------------- deleting a model trained from your images

def user_models(tmp_path) -> DiskModelSpace:
    """The embedded server's user-model space, in the data folder the client fixture gives it."""
    return DiskModelSpace(tmp_path / "data" / "user-models")


def publish_user_model(tmp_path, model_id: str = "ink-cats") -> DiskModelSpace:
    """A tiny model published as a finished train job publishes it (while the server runs)."""
    space = user_models(tmp_path)
    export = tmp_path / "export"
    make_tiny_digits(export, model_id=model_id, version="1.0.0+test")
    (export / f"{model_id}.preview.png").write_bytes(b"png")
    space.publish(model_id, export)
    return space


def generate(client, model: str) -> dict:
    """Submit a one-image generate job and wait for it to finish; the created job, or the refusal."""
    r = client.post("/api/v1/jobs/generate", json={"model": model, "seed": 1, "count": 1})
    if r.status_code != 202:
        return r.json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(r.json()["status_url"]).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise TimeoutError(r.json()["id"])


def model_ids(client) -> list[str]:
    return [m["id"] for m in client.get("/api/v1/models").json()["models"]]


def test_a_deleted_user_model_is_neither_listed_nor_served(client, tmp_path, one_thread):
    space = publish_user_model(tmp_path)
    assert "ink-cats" in model_ids(client)
    assert generate(client, "ink-cats")["status"] == "succeeded"  # now loaded in the embedded worker too

    r = client.delete("/api/v1/models/ink-cats")
    assert r.status_code == 204 and r.content == b""
    assert "ink-cats" not in model_ids(client) and "digits" in model_ids(client)
    assert not any(space.folder.glob("ink-cats*"))
    assert generate(client, "ink-cats")["error"]["code"] == "unknown_model"
    assert client.get("/api/v1/models/ink-cats/preview").json()["error"]["code"] == "unknown_model"
    again = client.delete("/api/v1/models/ink-cats")
    assert again.status_code == 404 and again.json()["error"]["code"] == "unknown_model"


def test_shipped_and_unknown_models_cannot_be_deleted(client):
    r = client.delete("/api/v1/models/digits")
    assert r.status_code == 409
    assert r.json() == {"error": {"code": "shipped_model", "message": "Model 'digits' is shipped with Atelier; "
                                                                      "shipped models cannot be deleted."}}
    assert "digits" in model_ids(client)
    r = client.delete("/api/v1/models/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_model"


def test_the_model_of_a_train_job_still_running_cannot_be_deleted(client, tmp_path):
    space = user_models(tmp_path)
    listed = model_ids(client)
    # What a train job holds before it publishes: a claim on its id, nothing else.
    assert space.claim(owner="a-running-job", base_id="ink-cats", registry=Registry([])) == "ink-cats"
    r = client.delete("/api/v1/models/ink-cats")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_model"
    assert (space.folder / ".claim-ink-cats").read_text() == "a-running-job"  # the job keeps its id
    assert model_ids(client) == listed


def test_delete_is_documented_in_openapi(client):
    spec = client.get("/openapi.json").json()["paths"]["/api/v1/models/{model_id}"]["delete"]
    assert {"204", "404", "409"} <= set(spec["responses"])
