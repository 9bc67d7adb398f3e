"""Training on your own images, embedded mode, in-process with the real background worker thread: upload ->
checks -> progress (step, losses, time left, sample grid) -> a registered model that generate uses; cancel; a
server restart resumes from the checkpoint; every bad upload refused before a job exists."""

from __future__ import annotations

import io
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from atelier.settings import get_settings
from tests.train_data import (FAST_TRAIN_ENV, art_entries, art_zip, image_bytes, make_zip, zip_bomb,
                              zip_with_symlink)
from worker.images import read_provenance


@pytest.fixture
def train_env(settings_env, monkeypatch, one_thread):
    for key, value in FAST_TRAIN_ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield settings_env
    get_settings.cache_clear()


@pytest.fixture
def client(train_env):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def train(client, zip_bytes: bytes, **form) -> dict:
    data = {"name": "Ink & Wash", "steps": "20", "image_size": "32", "seed": "3", **form}
    return client.post("/api/v1/jobs/train", files={"images": ("art.zip", zip_bytes, "application/zip")}, data=data)


def poll(client, job_id: str, until, timeout: float = 90.0) -> tuple[dict, list[dict]]:
    """The first status satisfying `until`, and every status seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        seen.append(job)
        if until(job):
            return job, seen
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id}: last seen {seen[-1] if seen else None}")


def finished(job: dict) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")


def test_training_lifecycle_registers_a_model_that_generates(client):
    r = train(client, art_zip(16, classes=("ink", "wash")))
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    job, seen = poll(client, job_id, finished)
    assert job["status"] == "succeeded", job["error"]

    # Progress while it ran: steps counted up, with losses, speed and time left, and a sample grid to look at.
    running = [j for j in seen if j["status"] == "running" and j["train"] and j["train"]["phase"] == "training"]
    assert running, "never saw the job training"
    steps = [j["train"]["step"] for j in running]
    assert steps == sorted(steps) and all(0 <= s <= 20 for s in steps)
    assert any(j["train"]["losses"].keys() >= {"d_loss", "g_loss"} and j["train"]["eta_seconds"] is not None
               for j in running)
    assert {j["train"]["total_steps"] for j in running} == {20}
    assert 0 < max(j["progress"] for j in running) < 1

    train_view = job["train"]
    assert train_view["phase"] == "done" and train_view["step"] == 20 and train_view["model_id"] == "ink-wash"
    assert train_view["sample_step"] == 20 and train_view["resumed_from"] is None
    samples = client.get(train_view["samples_url"])
    assert samples.status_code == 200 and samples.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(samples.content)) as grid:
        assert grid.mode == "RGB" and grid.size[0] > 32 * 10  # 10 samples a row, one row per class
    assert job["params"]["data"]["per_class"] == {"ink": 8, "wash": 8}
    assert job["params"]["recipe"]["base_channels"] == 4 and job["params"]["recipe"]["seed"] == 3
    assert job["params"]["recipe"]["precision"] == "fp32"  # ATELIER_TRAIN_PRECISION's default
    preview = client.get(job["results"][0])
    assert read_provenance(preview.content)["model"] == "ink-wash"

    # The new model is listed like a shipped one, with its preview grid.
    models = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}
    model = models["ink-wash"]
    assert model["origin"] == "trained from your images" and model["classes"] == ["ink", "wash"]
    assert (model["image_size"], model["channels"]) == (32, 3)
    assert model["description"].startswith("Ink & Wash: Class-conditional DCGAN trained on 16 of your images")
    assert client.get(model["preview_url"]).content == preview.content
    assert "ink-wash" in client.get("/").text  # the generate page offers it

    # ... and generate and variations jobs run on it.
    gen = client.post("/api/v1/jobs/generate", json={"model": "ink-wash", "class": "wash", "seed": 5, "count": 2})
    assert gen.status_code == 202, gen.text
    done, _ = poll(client, gen.json()["id"], finished)
    assert done["status"] == "succeeded" and [im["class"] for im in done["images"]] == ["wash", "wash"]
    with Image.open(io.BytesIO(client.get(done["results"][0]).content)) as img:
        assert (img.size, img.mode) == ((32, 32), "RGB")
    var = client.post("/api/v1/jobs/variations", json={"model": "ink-wash", "seed": 5, "class": "ink", "count": 2})
    assert poll(client, var.json()["id"], finished)[0]["status"] == "succeeded"
    assert client.post("/api/v1/jobs/generate", json={"model": "ink-wash", "class": "oil"}).json()["error"][
        "code"] == "unknown_class"

    # The same name again is a second model, not a replacement.
    again = train(client, art_zip(8, mode="L", start=50), steps="2", name="ink wash")
    done, _ = poll(client, again.json()["id"], finished)
    assert done["status"] == "succeeded" and done["train"]["model_id"] == "ink-wash-2"
    grey = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}["ink-wash-2"]
    assert grey["channels"] == 1 and grey["classes"] == []

    # Deleted, a model's id is free again: a new model of the same name gets it, in a version of its own, so the
    # old model's results are never answered from the cache for the new one.
    request = {"model": "ink-wash", "seed": 5, "count": 2}
    assert poll(client, client.post("/api/v1/jobs/generate", json=request).json()["id"], finished)[0][
        "status"] == "succeeded"
    assert client.delete("/api/v1/models/ink-wash").status_code == 204
    redo = train(client, art_zip(16, classes=("ink", "wash")), steps="2", seed="4")
    done, _ = poll(client, redo.json()["id"], finished)
    assert done["status"] == "succeeded" and done["train"]["model_id"] == "ink-wash"
    new = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}["ink-wash"]
    assert new["version"].startswith("1.0.0+") and new["version"] != model["version"]
    after, _ = poll(client, client.post("/api/v1/jobs/generate", json=request).json()["id"], finished)
    assert after["status"] == "succeeded" and after["cache_hit"] is False


BAD_UPLOADS = {
    "not a zip": (image_bytes(1), 415, "not_a_zip", "not a zip"),
    "zip bomb": (zip_bomb(8), 413, "zip_bomb", "bomb/evil.png"),
    "path traversal": (make_zip(art_entries(8) | {"../../etc/cron.d/evil.png": image_bytes(9)}), 422, "unsafe_path",
                       "../../etc/cron.d/evil.png"),
    "absolute path": (make_zip(art_entries(8) | {"/tmp/evil.png": image_bytes(9)}), 422, "unsafe_path",
                      "/tmp/evil.png"),
    "symlink": (zip_with_symlink(8), 422, "unsafe_path", "my-art/passwd.png"),
    "no images": (make_zip({"notes.txt": b"hello"}), 422, "no_images", "notes.txt"),
    "too few": (art_zip(3), 422, "too_few_images", "at least 8"),
    "too many": (art_zip(41), 413, "too_many_images", "limit is 40"),
    "corrupt": (make_zip(art_entries(8) | {"my-art/cut.png": image_bytes(9)[:150]}), 422, "corrupt_images",
                "my-art/cut.png"),
    "duplicates": (make_zip(art_entries(8) | {"my-art/again.png": art_entries(1)["my-art/img-000.png"]}), 422,
                   "duplicate_images", "my-art/img-000.png = my-art/again.png"),
    "too small": (make_zip(art_entries(8) | {"my-art/thumb.png": image_bytes(9, size=(20, 20))}), 422,
                  "images_too_small", "my-art/thumb.png (20x20)"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_before_a_job_exists(client, train_env, case):
    data, status, code, named = BAD_UPLOADS[case]
    r = train(client, data)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and named in error["message"]
    assert "Traceback" not in r.text
    jobs = get_settings().data_dir / "jobs"
    assert not list(jobs.glob("*.json"))  # nothing was queued


@pytest.mark.parametrize("form, message", [
    ({"name": "   "}, "name"),
    ({"steps": "0"}, "steps must be between 1"),
    ({"steps": "20001"}, "steps must be between 1"),
    ({"image_size": "48"}, "32 or 64"),
    ({"steps": "many"}, "steps"),
])
def test_bad_options_are_422(client, form, message):
    r = train(client, art_zip(8), **form)
    assert r.status_code == 422 and message in r.json()["error"]["message"]


def test_the_train_route_has_its_own_upload_limit(train_env, monkeypatch):
    monkeypatch.setenv("ATELIER_MAX_UPLOAD_BYTES", "20000")  # photos: 20 KB
    monkeypatch.setenv("ATELIER_TRAIN_MAX_ZIP_BYTES", "200000")  # training zips: 200 KB
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        ok = art_zip(16)
        assert 20_000 < len(ok) < 200_000
        created = train(client, ok, steps="1")
        assert created.status_code == 202, created.text
        big = client.post("/api/v1/jobs/train", files={"images": ("big.zip", b"\0" * 300_000)}, data={"name": "x"})
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        assert "0 MiB" not in big.json()["error"]["message"] or "limit" in big.json()["error"]["message"]
        poll(client, created.json()["id"], finished)


def test_cancel_a_queued_and_a_running_training_job(client):
    long_zip = art_zip(8)
    running = train(client, long_zip, steps="5000").json()["id"]
    queued = train(client, long_zip, steps="5000", name="second").json()["id"]  # one worker thread: it waits

    cancelled = client.post(f"/api/v1/jobs/{queued}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    poll(client, running, lambda j: j["train"] and j["train"]["step"] >= 2)
    # Training has a thread of its own: a quick job does not wait behind it.
    quick = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 2}).json()["id"]
    assert poll(client, quick, finished)[0]["status"] == "succeeded"
    assert client.get(f"/api/v1/jobs/{running}").json()["status"] == "running"

    r = client.post(f"/api/v1/jobs/{running}/cancel")
    assert r.status_code == 200 and r.json()["cancel_requested"] is True
    job, _ = poll(client, running, finished, timeout=30)
    assert job["status"] == "cancelled" and job["train"]["step"] < 5000 and job["error"] is None
    assert client.get(f"/api/v1/jobs/{running}/result").json()["error"]["message"].endswith("it has no result.")
    assert not (get_settings().data_dir / "blobs" / f"train-{running}" / "checkpoint.png").exists()

    # The queued one never ran; cancelling again answers the same; finished jobs can be deleted.
    assert client.get(f"/api/v1/jobs/{queued}").json()["started_at"] is None
    assert client.post(f"/api/v1/jobs/{queued}/cancel").status_code == 200
    assert client.delete(f"/api/v1/jobs/{running}").status_code == 204
    assert client.post("/api/v1/jobs/" + "0" * 32 + "/cancel").status_code == 404


def test_cancelling_a_finished_job_is_409(client):
    job_id = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 1}).json()["id"]
    poll(client, job_id, finished)
    r = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert r.status_code == 409 and "already succeeded" in r.json()["error"]["message"]
    assert client.get(f"/api/v1/jobs/{job_id}/samples/latest").status_code == 404


def test_a_restarted_server_resumes_training_from_its_checkpoint(train_env):
    with TestClient(create_app()) as first:
        job_id = train(first, art_zip(8), steps="30").json()["id"]
        poll(first, job_id, lambda j: ((j["train"] or {}).get("checkpoint_step") or 0) >= 10)
    # The server stopped: the job is back in the queue, its checkpoint in the data folder.
    from worker.store import DiskStore

    store = DiskStore(get_settings().data_dir, ttl_seconds=3600)
    record = store.get_job(job_id)
    assert record.status == "queued" and record.attempts == 0
    saved = record.train.checkpoint_step
    assert saved >= 10 and store.has_blob(f"train-{job_id}/checkpoint")

    with TestClient(create_app()) as second:  # start-up re-queues it
        job, _ = poll(second, job_id, finished)
    assert job["status"] == "succeeded", job["error"]
    assert job["train"]["resumed_from"] >= saved and job["train"]["step"] == 30
    assert store.get_job(job_id).attempts == 1  # the interrupted start did not count against it
    assert not store.has_blob(f"train-{job_id}/checkpoint")  # scratch cleaned up
