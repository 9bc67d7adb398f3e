"""Training in distributed mode with real components: a private Redis, Celery worker processes, the API in-process.

The worker running a training job is SIGKILLed part-way: a new worker picks the job up after the visibility
timeout and resumes from the checkpoint kept in Redis. While the job runs longer than that timeout, its message is
not redelivered (the worker's heartbeat). The model it registers lives in Redis, so the API lists it and another
worker generates with it.
"""

from __future__ import annotations

import time

import pytest
import redis
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import wait_until
from tests.train_data import FAST_TRAIN_ENV, art_zip, image_bytes
from worker.routing import LONG_QUEUE, QUICK_QUEUE
from worker.store import RedisStore

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT_S = 4  # tests/integration/conftest.py Cluster
# Enough steps that the job is still running well past the visibility timeout on a fast idle CPU (80 steps were
# done within it on an idle 2-core machine, where this whole test takes about a minute at 600), yet few enough to
# finish inside the test timeout on a loaded CPU (~5 steps/s).
STEPS = 600


def status(client, job_id):
    return client.get(f"/api/v1/jobs/{job_id}").json()


def wait_job(client, job_id, until, timeout, what):
    return wait_until(lambda: (j := status(client, job_id)) and until(j) and j, timeout=timeout, interval=0.1,
                      what=what)


# Its own waits are bounded (60 s for a checkpoint, 400 s for the resumed job); the suite-wide 300 s limit is below
# their sum, and on a slow shared CPU late in the suite the resumed job alone has taken longer than that.
@pytest.mark.timeout(600)
def test_training_survives_a_killed_worker_and_its_model_is_served(cluster_factory, tiny_models, train_settings):
    r = redis.Redis.from_url(train_settings)
    cluster = cluster_factory(tiny_models)
    cluster.env.update(FAST_TRAIN_ENV)
    victim = cluster.start_worker("victim")
    with TestClient(create_app()) as client:
        created = client.post("/api/v1/jobs/train", files={"images": ("art.zip", art_zip(16, classes=("ink", "wash")))},
                              data={"name": "Night Sketches", "steps": str(STEPS), "image_size": "32", "seed": "1"})
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]

        # It trains and reports; after a checkpoint, keep it running past the visibility timeout: the heartbeat
        # keeps its message from being handed out again (the queue stays empty, the job is on its first attempt).
        job = wait_job(client, job_id, lambda j: (j["train"] or {}).get("checkpoint_step"), 60, "a checkpoint")
        assert job["status"] == "running" and job["train"]["losses"]
        time.sleep(VISIBILITY_TIMEOUT_S + 2)
        job = status(client, job_id)
        assert job["status"] == "running", job
        assert r.llen(LONG_QUEUE) == 0 and RedisStore(train_settings, ttl_seconds=60).get_job(job_id).attempts == 1
        saved = job["train"]["checkpoint_step"]
        assert 0 < saved < STEPS
        assert r.exists(f"atelier:blob:train-{job_id}/checkpoint")
        assert client.get(job["train"]["samples_url"]).headers["content-type"] == "image/png"

        cluster.kill_hard(victim)  # no chance to checkpoint, ack or clean up
        cluster.start_worker("rescuer")
        job = wait_job(client, job_id, lambda j: j["status"] in ("succeeded", "failed", "cancelled"), 400,
                       "the resumed job")
        assert job["status"] == "succeeded", job["error"]
        assert job["train"]["resumed_from"] >= saved and job["train"]["step"] == STEPS
        assert RedisStore(train_settings, ttl_seconds=60).get_job(job_id).attempts == 2
        assert f"job {job_id}: resuming training at step {job['train']['resumed_from']}" in cluster.log("rescuer")
        assert "no delivery tag" not in cluster.log("victim") + cluster.log("rescuer")
        assert not r.exists(f"atelier:blob:train-{job_id}/checkpoint")

        # The model lives in Redis without a TTL; the API lists it and a worker generates with it.
        model_id = job["train"]["model_id"]
        assert model_id == "night-sketches"
        assert r.ttl(f"atelier:usermodel:{model_id}:weights") == -1 and r.hexists("atelier:usermodels:manifests",
                                                                                   model_id)
        listed = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}
        assert listed[model_id]["classes"] == ["ink", "wash"] and listed[model_id]["origin"]
        assert client.get(listed[model_id]["preview_url"]).status_code == 200
        gen = client.post("/api/v1/jobs/generate", json={"model": model_id, "class": "ink", "seed": 4, "count": 3})
        assert gen.status_code == 202, gen.text
        done = wait_job(client, gen.json()["id"], lambda j: j["status"] in ("succeeded", "failed"), 60, "generate")
        assert done["status"] == "succeeded", done["error"]
        assert [im["class"] for im in done["images"]] == ["ink"] * 3

        # Cancelling a running training job through Redis: the worker stops at its next step.
        long = client.post("/api/v1/jobs/train", files={"images": ("art.zip", art_zip(8))},
                           data={"name": "endless", "steps": "20000", "image_size": "32"}).json()["id"]
        wait_job(client, long, lambda j: (j["train"] or {}).get("step", 0) >= 2, 60, "the long job to train")
        assert client.post(f"/api/v1/jobs/{long}/cancel").status_code == 200
        job = wait_job(client, long, lambda j: j["status"] != "running", 30, "the cancel")
        assert job["status"] == "cancelled" and job["train"]["step"] < 20000
    assert f"job {long} kind=train ms=" in cluster.log("rescuer") and "status=cancelled" in cluster.log("rescuer")


def test_bad_upload_is_refused_by_the_api_without_touching_the_queue(train_settings):
    r = redis.Redis.from_url(train_settings)
    r.flushdb()
    with TestClient(create_app()) as client:
        resp = client.post("/api/v1/jobs/train", files={"images": ("photo.zip", image_bytes(3))},
                           data={"name": "oops"})
        assert resp.status_code == 415 and resp.json()["error"]["code"] == "not_a_zip"
    assert r.llen(LONG_QUEUE) == 0 and r.llen(QUICK_QUEUE) == 0 and not r.keys("atelier:job:*")
