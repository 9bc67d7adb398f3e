"""Distributed mode, two queues and warm shutdown, with real components: a private Redis, `atelier worker`
processes, the API in-process.

- SIGTERM to a worker that is training (as `docker compose stop` sends it): the job stops at its next step, goes
  back to `queued` with its checkpoint kept, its message goes straight back to the train queue, and the worker exits
  in seconds instead of after hours. The next worker resumes the job from the checkpoint, and it succeeds. So with
  each pool `atelier worker --pool` offers, and for a quick job too.
- Training jobs have a queue of their own: a worker that only trains never takes a generate job, and a generate job
  runs on a quick-queue worker while the training worker is busy.
"""

from __future__ import annotations

import time

import pytest
import redis
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import wait_until
from tests.integration.test_distributed import start_slow_job
from tests.integration.test_train_distributed import status, wait_job
from tests.train_data import FAST_TRAIN_ENV, art_zip
from worker.routing import LONG_QUEUE, QUICK_QUEUE
from worker.store import RedisStore

pytestmark = pytest.mark.integration

# The worker is stopped just after the first checkpoint (step 5): still mid-training even on a fast idle CPU
# (~20 steps/s), and the rest finishes within the test's timeouts on a loaded one (~5 steps/s).
STEPS = 150
# SIGTERM to exit: the job stops at its next progress report (well under a second here), then Celery's warm
# shutdown; 2.5 to 3.5 s on a loaded 2-core machine.
EXIT_WITHIN_S = 10


def train(client, *, name: str, steps: int, images: int = 16) -> str:
    created = client.post("/api/v1/jobs/train", files={"images": ("art.zip", art_zip(images))},
                          data={"name": name, "steps": str(steps), "image_size": "32", "seed": "1"})
    assert created.status_code == 202, created.text
    return created.json()["id"]


def finished(client, job_id, timeout):
    return wait_job(client, job_id, lambda j: j["status"] in ("succeeded", "failed", "cancelled"), timeout,
                    f"job {job_id} to finish")


def stop_and_check_handed_back(cluster, worker, name, client, r, job_id, queue) -> dict:
    """SIGTERM the worker running job_id; it exits at once and the job is queued again, its message straight back in
    its queue (not after the visibility timeout), nothing left unacknowledged, and the interrupted start not counted
    towards the job's attempts. Returns the job as the API shows it."""
    took = cluster.stop(worker, timeout=60)
    log = cluster.log(name)
    assert took < EXIT_WITHIN_S and worker.returncode == 0, f"exit {worker.returncode} after {took:.1f}s\n{log}"
    assert f"job {job_id} kind=" in log and "interrupted by shutdown; queued again" in log, log
    assert "reject requeue=True" in log and "WorkerLostError" not in log, log  # handed back, not lost
    assert "Traceback" not in log, log  # the planned path of every deploy: an INFO line, not a warning with a trace
    job = status(client, job_id)
    assert job["status"] == "queued", job
    assert r.llen(queue) == 1 and r.llen(QUICK_QUEUE if queue == LONG_QUEUE else LONG_QUEUE) == 0
    assert r.hlen("unacked") == 0 and r.zcard("unacked_index") == 0
    assert RedisStore(cluster.redis_url, ttl_seconds=60).get_job(job_id).attempts == 0
    return job


def start_training(cluster, client, pool=None) -> tuple:
    worker = cluster.start_worker("first", pool=pool)  # default queues: both
    job_id = train(client, name="Deploy Day", steps=STEPS)
    job = wait_job(client, job_id, lambda j: (j["train"] or {}).get("checkpoint_step"), 90, "a checkpoint")
    assert job["status"] == "running"
    return worker, job_id, job["train"]["checkpoint_step"]


def test_sigterm_hands_a_training_job_back_to_resume_on_the_next_worker(cluster_factory, tiny_models, train_settings):
    r = redis.Redis.from_url(train_settings)
    cluster = cluster_factory(tiny_models)
    cluster.env.update(FAST_TRAIN_ENV)
    with TestClient(create_app()) as client:
        worker, job_id, saved = start_training(cluster, client)  # prefork: the job runs in a pool child
        job = stop_and_check_handed_back(cluster, worker, "first", client, r, job_id, LONG_QUEUE)
        kept = job["train"]["checkpoint_step"]
        assert saved <= kept < STEPS and r.exists(f"atelier:blob:train-{job_id}/checkpoint")

        cluster.start_worker("second")
        job = finished(client, job_id, 400)
        assert job["status"] == "succeeded", job["error"]
        assert job["train"]["resumed_from"] == kept and job["train"]["step"] == STEPS
        assert RedisStore(train_settings, ttl_seconds=60).get_job(job_id).attempts == 1  # one run to the end
        assert f"job {job_id}: resuming training at step {kept} of {STEPS}" in cluster.log("second")
        assert not r.exists(f"atelier:blob:train-{job_id}/checkpoint")
        assert r.llen(LONG_QUEUE) == 0
        # The job's record says succeeded before the task returns; Celery acks (acks_late) just after it: allow that.
        wait_until(lambda: r.hlen("unacked") == 0, timeout=15, what="the worker's late ack")


# With these pools the job runs in the worker's main process: the SIGTERM handler's flag reaches its thread directly.
@pytest.mark.parametrize("pool", ["solo", "threads"])
def test_sigterm_hands_a_training_job_back_in_the_other_pools(pool, cluster_factory, tiny_models, train_settings):
    r = redis.Redis.from_url(train_settings)
    cluster = cluster_factory(tiny_models)
    cluster.env.update(FAST_TRAIN_ENV)
    with TestClient(create_app()) as client:
        worker, job_id, _ = start_training(cluster, client, pool)
        stop_and_check_handed_back(cluster, worker, "first", client, r, job_id, LONG_QUEUE)
        assert r.exists(f"atelier:blob:train-{job_id}/checkpoint")


def test_sigterm_hands_a_quick_job_back_too(cluster_factory, slow_models, distributed_env, monkeypatch):
    """A quick job is handed back as well (worker/celery_app.py says why), and another worker runs it from the start."""
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(slow_models))
    get_settings.cache_clear()
    r = redis.Redis.from_url(distributed_env)
    cluster = cluster_factory(slow_models)
    worker = cluster.start_worker("first")
    with TestClient(create_app()) as client:
        created = start_slow_job(client, seed=7, count=24)
        stop_and_check_handed_back(cluster, worker, "first", client, r, created["id"], QUICK_QUEUE)
        cluster.start_worker("second")
        job = finished(client, created["id"], 180)
        assert job["status"] == "succeeded" and len(job["images"]) == 24, job


def test_training_has_a_queue_of_its_own(cluster_factory, tiny_models, train_settings):
    r = redis.Redis.from_url(train_settings)
    cluster = cluster_factory(tiny_models)
    cluster.env.update(FAST_TRAIN_ENV)
    cluster.start_worker("trainer", queues=LONG_QUEUE)
    with TestClient(create_app()) as client:
        # An idle worker that only trains leaves a generate job alone.
        gen = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 3, "count": 2}).json()["id"]
        time.sleep(2)
        assert status(client, gen)["status"] == "queued"
        assert r.llen(QUICK_QUEUE) == 1 and r.llen(LONG_QUEUE) == 0
        assert client.get("/readyz").status_code == 200

        # The trainer takes a training job and is busy with it for a long while ...
        long = train(client, name="marathon", steps=20000, images=8)
        wait_job(client, long, lambda j: (j["train"] or {}).get("step", 0) >= 2, 90, "the long job to train")

        # ... and a quick-queue worker runs the generate jobs meanwhile: the waiting one and a new one.
        cluster.start_worker("quick", queues=QUICK_QUEUE)
        assert finished(client, gen, 60)["status"] == "succeeded"
        again = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 9, "count": 2}).json()["id"]
        assert finished(client, again, 60)["status"] == "succeeded"
        assert status(client, long)["status"] == "running"

        assert client.post(f"/api/v1/jobs/{long}/cancel").status_code == 200
        assert finished(client, long, 30)["status"] == "cancelled"
    quick, trainer = cluster.log("quick"), cluster.log("trainer")
    assert f"job {gen} kind=generate" in quick and f"job {again} kind=generate" in quick
    assert "kind=generate" not in trainer and f"job {long} kind=train" in trainer and "kind=train" not in quick


def test_the_queue_limit_counts_jobs_waiting_in_both_queues(train_settings, monkeypatch):
    """ATELIER_MAX_QUEUED_JOBS is the limit of jobs waiting in either queue (no worker here, so all of them wait)."""
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_MAX_QUEUED_JOBS", "2")
    get_settings.cache_clear()
    r = redis.Redis.from_url(train_settings)
    r.flushdb()
    with TestClient(create_app()) as client:
        train(client, name="waiting", steps=10, images=8)
        assert client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 1}).status_code == 202
        assert r.llen(LONG_QUEUE) == 1 and r.llen(QUICK_QUEUE) == 1
        refused = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 2})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "queue_unavailable"
        assert client.get("/readyz").status_code == 200
