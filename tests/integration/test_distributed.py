"""Distributed mode with real components: a Redis server and Celery worker processes, no eager mode."""

from __future__ import annotations

import time

import pytest
import redis
from fastapi.testclient import TestClient

from app.main import create_app
from atelier.settings import get_settings
from tests.conftest import wait_until
from worker.images import read_provenance

pytestmark = pytest.mark.integration


def job_status(client, job_id):
    return client.get(f"/api/v1/jobs/{job_id}").json()


def wait_finished(client, job_id, timeout):
    return wait_until(lambda: (j := job_status(client, job_id))["status"] in ("succeeded", "failed") and j,
                      timeout=timeout, interval=0.1, what=f"job {job_id}")


def start_slow_job(client, *, seed: int, count: int) -> dict:
    """Submit a generate job and return once a worker is visibly part-way through it."""
    created = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": seed, "count": count}).json()
    wait_until(lambda: (j := job_status(client, created["id"]))["status"] == "running" and j["progress"] > 0,
               timeout=90, interval=0.1, what="the job to be running")
    return created


def test_generate_job_through_redis_and_a_worker_process(cluster_factory, tiny_models, distributed_env):
    cluster = cluster_factory(tiny_models)
    cluster.start_worker("w1")
    with TestClient(create_app()) as client:
        assert client.get("/readyz").json()["mode"] == "distributed"
        created = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 21, "count": 4,
                                                              "class": "5"}).json()
        job = wait_finished(client, created["id"], timeout=60)
        assert job["status"] == "succeeded", job
        assert [im["seed"] for im in job["images"]] == [21, 22, 23, 24]
        png = client.get(job["results"][3]).content
        assert read_provenance(png)["seed"] == 24

        # Same request again: answered from the Redis cache, the worker runs nothing.
        again = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 21, "count": 4,
                                                            "class": "5"}).json()
        hit = job_status(client, again["id"])
        assert hit["status"] == "succeeded" and hit["cache_hit"] is True
        assert client.get(hit["results"][3]).content == png
    assert "job %s kind=generate model=digits device=cpu" % created["id"] in cluster.log("w1")
    assert "status=succeeded" in cluster.log("w1")


def test_messages_are_json_and_results_expire(cluster_factory, tiny_models, distributed_env):
    """No pickle on the wire; every key Atelier writes carries a TTL."""
    r = redis.Redis.from_url(distributed_env)
    with TestClient(create_app()) as client:
        created = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 1}).json()
        # No worker yet: the message waits in the queue, and we can read it raw.
        raw = r.lrange("atelier", 0, -1)
        assert len(raw) == 1 and b'"content-type": "application/json"' in raw[0]
        cluster = cluster_factory(tiny_models)
        cluster.start_worker("w1")
        assert wait_finished(client, created["id"], timeout=60)["status"] == "succeeded"
    keys = [k for k in r.keys("atelier:*")]
    assert keys and all(0 < r.ttl(k) <= get_settings().result_ttl_seconds for k in keys)


def test_job_finishes_after_its_worker_is_killed_mid_job(cluster_factory, slow_models, distributed_env,
                                                          monkeypatch):
    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(slow_models))
    get_settings.cache_clear()
    cluster = cluster_factory(slow_models)
    victim = cluster.start_worker("victim")
    with TestClient(create_app()) as client:
        created = start_slow_job(client, seed=5, count=24)
        cluster.kill_hard(victim)
        assert job_status(client, created["id"])["status"] == "running"  # nobody finished it

        cluster.start_worker("rescuer")
        job = wait_finished(client, created["id"], timeout=180)
        assert job["status"] == "succeeded", job
        assert len(job["images"]) == 24
    from worker.store import RedisStore

    record = RedisStore(distributed_env, ttl_seconds=60).get_job(created["id"])
    assert record.attempts == 2  # started by the victim, redelivered to and finished by the rescuer
    assert f"job {created['id']}" in cluster.log("rescuer")


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def test_job_finishes_after_its_pool_process_is_killed(cluster_factory, slow_models, distributed_env, monkeypatch):
    """An out-of-memory kill of the process running the job: the message is rejected back to the queue at once
    (task_reject_on_worker_lost) and the worker's replacement pool process finishes it."""
    import os
    import signal

    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(slow_models))
    get_settings.cache_clear()
    cluster = cluster_factory(slow_models)
    worker = cluster.start_worker("w1")
    with TestClient(create_app()) as client:
        created = start_slow_job(client, seed=9, count=16)
        (child,) = _children(worker.pid)
        os.kill(child, signal.SIGKILL)
        job = wait_finished(client, created["id"], timeout=180)
        assert job["status"] == "succeeded", job
    assert worker.poll() is None  # the worker itself stayed up
    from worker.store import RedisStore

    assert RedisStore(distributed_env, ttl_seconds=60).get_job(created["id"]).attempts == 2
    assert "WorkerLostError" in cluster.log("w1") or "exited prematurely" in cluster.log("w1")


def test_queue_down_gives_503_with_retry_after(tiny_models, monkeypatch):
    monkeypatch.setenv("ATELIER_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(tiny_models))
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            started = time.monotonic()
            r = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 1})
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert r.json()["error"]["code"] == "queue_unavailable"
            assert time.monotonic() - started < 15
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["queue"] is False
    finally:
        get_settings.cache_clear()


def test_restore_job_through_redis_and_a_worker_process(cluster_factory, tiny_models, distributed_env):
    import io

    import numpy as np
    from PIL import Image

    cluster = cluster_factory(tiny_models)
    cluster.start_worker("w1")
    photo = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="JPEG", quality=90)
    with TestClient(create_app()) as client:
        r = client.post("/api/v1/jobs/restore", files={"image": ("old.jpg", buf.getvalue(), "image/jpeg")},
                        data={"task": "auto"})
        assert r.status_code == 202, r.text
        job = wait_finished(client, r.json()["id"], timeout=90)
        assert job["status"] == "succeeded", job
        assert [im["label"] for im in job["images"]] == ["result", "mask"]
        result = client.get(job["results"][0], params={"download": 1})
        assert result.headers["content-disposition"].endswith('-result.png"')
        assert read_provenance(result.content)["models"] == {"detect": "0.0.1-test", "inpaint": "0.0.1-test",
                                                             "denoise": "0.0.1-test"}
