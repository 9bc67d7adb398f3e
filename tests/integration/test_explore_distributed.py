"""Interpolate and variations jobs in distributed mode: a real Redis server and a Celery worker process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.integration.test_distributed import job_status, wait_finished
from worker.images import read_provenance

pytestmark = pytest.mark.integration


def test_interpolate_and_variations_through_a_celery_worker(cluster_factory, tiny_models, distributed_env):
    cluster = cluster_factory(tiny_models)
    cluster.start_worker("w1")
    with TestClient(create_app()) as client:
        gen = client.post("/api/v1/jobs/generate", json={"model": "digits", "seed": 5, "count": 2}).json()
        assert wait_finished(client, gen["id"], timeout=60)["status"] == "succeeded"
        body = {"from": {"job": gen["id"], "index": 0}, "to": {"seed": 9, "class": "3"}, "frames": 3}
        created = client.post("/api/v1/jobs/interpolate", json=body).json()
        job = wait_finished(client, created["id"], timeout=60)
        assert job["status"] == "succeeded", job
        anim = client.get(job["animation_url"])
        assert anim.status_code == 200 and anim.headers["content-type"] == "image/webp"
        assert read_provenance(client.get(job["results"][2]).content)["to"] == {"seed": 9, "class": "3"}
        hit = job_status(client, client.post("/api/v1/jobs/interpolate", json=body).json()["id"])
        assert hit["cache_hit"] is True and client.get(hit["animation_url"]).content == anim.content

        var = client.post("/api/v1/jobs/variations", json={"job": gen["id"], "index": 1, "count": 2,
                                                            "variation_seed": 3}).json()
        done = wait_finished(client, var["id"], timeout=60)
        assert done["status"] == "succeeded" and [im["variation_seed"] for im in done["images"]] == [3, 4]
    assert "kind=interpolate model=digits" in cluster.log("w1")
    assert "kind=variations model=digits" in cluster.log("w1")
