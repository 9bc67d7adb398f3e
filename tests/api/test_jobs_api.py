"""REST API v1 in embedded mode, in-process (TestClient) with the real background worker thread."""

import io
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from worker.images import read_provenance


@pytest.fixture
def client(settings_env):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def wait_done(client, job_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise TimeoutError(job_id)


def submit(client, **body):
    r = client.post("/api/v1/jobs/generate", json={"model": "digits", **body})
    assert r.status_code == 202, r.text
    return r.json()


def test_generate_job_end_to_end(client):
    created = submit(client, seed=7, count=3, **{"class": "2"})
    assert created["status_url"] == f"/api/v1/jobs/{created['id']}"
    job = wait_done(client, created["id"])
    assert job["status"] == "succeeded" and job["progress"] == 1.0 and job["kind"] == "generate"
    assert job["params"] == {"model": "digits", "seed": 7, "count": 3, "class": "2", "truncation": 1.0}
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    assert job["cache_hit"] is False and job["error"] is None
    assert [im["seed"] for im in job["images"]] == [7, 8, 9]
    assert job["results"] == [f"/api/v1/jobs/{created['id']}/result/{i}" for i in range(3)]

    one = client.get(job["results"][1])
    assert one.status_code == 200 and one.headers["content-type"] == "image/png"
    assert read_provenance(one.content) == {"kind": "generate", "model": "digits", "model_version": "0.0.1-test",
                                            "seed": 8, "class": "2", "truncation": 1.0, "count": 1}
    with Image.open(io.BytesIO(one.content)) as img:
        assert img.size == (28, 28)
    grid = client.get(job["grid_url"], params={"download": 1})
    assert grid.headers["content-disposition"] == 'attachment; filename="digits-s7-grid.png"'
    with Image.open(io.BytesIO(grid.content)) as img:
        assert img.size == (2 * 28 + 6, 2 * 28 + 6)  # 3 images -> 2x2 grid with 2 px padding


def test_repeated_request_is_answered_from_cache_with_same_pixels(client):
    first = wait_done(client, submit(client, seed=99, count=2)["id"])
    second_id = submit(client, seed=99, count=2)["id"]
    second = client.get(f"/api/v1/jobs/{second_id}").json()  # answered at submission, no polling needed
    assert second["status"] == "succeeded" and second["cache_hit"] is True
    assert client.get(second["results"][0]).content == client.get(first["results"][0]).content


def test_seed_is_chosen_and_recorded_when_omitted(client):
    job = wait_done(client, submit(client)["id"])
    assert isinstance(job["params"]["seed"], int) and job["images"][0]["seed"] == job["params"]["seed"]
    assert job["images"][0]["class"] in [str(i) for i in range(10)]


@pytest.mark.parametrize("body, status, code", [
    ({"model": "nope"}, 404, "unknown_model"),
    ({"model": "digits", "count": 0}, 422, "bad_input"),
    ({"model": "digits", "count": 65}, 422, "bad_input"),
    ({"model": "digits", "class": "x"}, 422, "unknown_class"),
    ({"model": "digits", "seed": "abc"}, 422, "bad_input"),
    ({"model": "digits", "extra": 1}, 422, "bad_input"),
    ({}, 422, "bad_input"),
])
def test_bad_requests_get_clear_json_errors(client, body, status, code):
    r = client.post("/api/v1/jobs/generate", json=body)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and "Traceback" not in err["message"]


def test_malformed_json_and_wrong_content(client):
    r = client.post("/api/v1/jobs/generate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["message"] == "The request body is not valid JSON."


def test_oversized_body_is_refused_before_reading(client, monkeypatch):
    r = client.post("/api/v1/jobs/generate", content=b"x" * (51 * 1024 * 1024),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_unknown_job_and_result_before_ready(client):
    r = client.get("/api/v1/jobs/" + "0" * 32)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
    assert client.get("/api/v1/jobs/../../etc/passwd").status_code == 404
    # A job still queued: submit with the worker blocked by a long job is racy, so write a queued record directly.
    from worker.records import JobRecord, new_job_id, utcnow

    services = client.app.state.services
    rec = JobRecord(id=new_job_id(), kind="generate", created_at=utcnow(), params={"model": "digits"},
                    cache_key="e" * 64)
    services.store.create_job(rec)
    r = client.get(f"/api/v1/jobs/{rec.id}/result")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_ready"
    done = wait_done(client, submit(client, seed=1)["id"])
    r = client.get(f"/api/v1/jobs/{done['id']}/result/5")
    assert r.status_code == 404


def test_models_health_and_docs(client):
    models = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}
    assert sorted(models) == ["denoise", "detect", "digits", "inpaint"]
    assert models["digits"]["kind"] == "generator" and models["denoise"]["kind"] == "restore"
    assert models["digits"]["classes"] == [str(i) for i in range(10)] and models["digits"]["version"] == "0.0.1-test"
    assert client.get("/healthz").json() == {"status": "ok", "mode": None, "checks": {}}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["mode"] == "embedded"
    assert all(ready.json()["checks"].values())
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/jobs/generate", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/result",
            "/api/v1/jobs/{job_id}/result/{index}", "/api/v1/models", "/healthz", "/readyz"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
    assert client.get("/no/such/page").json()["error"]["code"] == "not_found"


def test_readyz_fails_without_models(settings_env, tmp_path, monkeypatch):
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(tmp_path / "empty"))
    get_settings.cache_clear()
    with TestClient(create_app()) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["models"] is False
        r = c.post("/api/v1/jobs/generate", json={"model": "digits"})
        assert r.status_code == 404 and "none" in r.json()["error"]["message"]


def _unfinished_record(client, status):
    """A job record written straight to the store, so it stays queued/running for as long as the test needs."""
    from worker.records import JobRecord, new_job_id, utcnow

    rec = JobRecord(id=new_job_id(), kind="generate", created_at=utcnow(), params={"model": "digits"},
                    cache_key="d" * 64, status=status)
    client.app.state.services.store.create_job(rec)
    return rec


def test_delete_job_forgets_it_and_keeps_shared_results(client):
    first = wait_done(client, submit(client, seed=42, count=2)["id"])
    twin = client.get(f"/api/v1/jobs/{submit(client, seed=42, count=2)['id']}").json()  # same pixels, from cache
    assert twin["cache_hit"] is True

    r = client.delete(f"/api/v1/jobs/{first['id']}")
    assert r.status_code == 204 and r.content == b""
    gone = client.get(f"/api/v1/jobs/{first['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_job"
    assert client.get(first["results"][0]).status_code == 404
    assert client.get(first["grid_url"]).status_code == 404
    # The other job points at the same content-addressed blobs: they stay.
    assert client.get(twin["results"][1]).status_code == 200
    assert client.get(twin["grid_url"]).status_code == 200

    again = client.delete(f"/api/v1/jobs/{first['id']}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "unknown_job"


def test_delete_failed_job(client):
    job = _unfinished_record(client, "failed")
    assert client.delete(f"/api/v1/jobs/{job.id}").status_code == 204
    assert client.get(f"/api/v1/jobs/{job.id}").status_code == 404


@pytest.mark.parametrize("status", ["queued", "running"])
def test_delete_refuses_an_unfinished_job(client, status):
    job = _unfinished_record(client, status)
    r = client.delete(f"/api/v1/jobs/{job.id}")
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "not_ready" and status in err["message"] and "finished" in err["message"]
    assert client.get(f"/api/v1/jobs/{job.id}").json()["status"] == status  # still there


@pytest.mark.parametrize("job_id", ["0" * 32, "not-a-job", "A" * 32])
def test_delete_unknown_job_is_404(client, job_id):
    r = client.delete(f"/api/v1/jobs/{job_id}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"


def test_delete_and_inputs_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    delete = paths["/api/v1/jobs/{job_id}"]["delete"]
    assert {"204", "404", "409"} <= set(delete["responses"])
    for which in ("image", "mask"):
        get = paths[f"/api/v1/jobs/{{job_id}}/input/{which}"]["get"]
        assert "image/jpeg" in get["responses"]["200"]["content"] and "404" in get["responses"]
