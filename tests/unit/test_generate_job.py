"""The generate job and the task function, run in-process against a disk store (no queue)."""

import pytest

from atelier.errors import UnknownClass
from models.registry import Registry
from worker.generate import generate_images
from worker.images import read_provenance
from worker.records import JobRecord, blob_key, cache_key_for, new_job_id, utcnow
from worker.runtime import ModelCache
from worker.store import DiskStore
from worker.tasks import MAX_ATTEMPTS, run_job


@pytest.fixture
def models(tiny_models):
    return ModelCache(Registry([tiny_models]), device="cpu")


def test_same_request_gives_identical_pixels(models):
    model = models.get("digits")
    a = generate_images(model, seed=11, count=3, class_name="4", truncation=0.9)
    b = generate_images(model, seed=11, count=3, class_name="4", truncation=0.9)
    assert [im.png for im in a.images] == [im.png for im in b.images]
    assert a.grid_png == b.grid_png
    c = generate_images(model, seed=12, count=1, class_name="4", truncation=0.9)
    assert c.images[0].png != a.images[0].png


def test_each_image_can_be_recreated_alone_from_its_metadata(models):
    model = models.get("digits")
    batch = generate_images(model, seed=100, count=4, class_name=None, truncation=1.0)
    third = batch.images[2]
    meta = read_provenance(third.png)
    assert meta["seed"] == 102 and meta["model"] == "digits" and meta["model_version"] == "0.0.1-test"
    again = generate_images(model, seed=meta["seed"], count=1, class_name=meta["class"], truncation=meta["truncation"])
    assert again.images[0].png == third.png
    assert again.grid_png == third.png  # the "grid" of a single image is that image


def test_progress_is_reported_up_to_one(models):
    seen = []
    generate_images(models.get("digits"), seed=0, count=4, class_name="1", truncation=1.0, on_progress=seen.append)
    assert seen == [0.25, 0.5, 0.75, 1.0]


def test_unknown_class_is_a_domain_error(models):
    with pytest.raises(UnknownClass):
        generate_images(models.get("digits"), seed=0, count=1, class_name="x", truncation=1.0)


def _job(store, params, **kw):
    rec = JobRecord(id=new_job_id(), kind="generate", created_at=utcnow(), params=params,
                    cache_key=cache_key_for("generate", params["model"], "0.0.1-test", params), **kw)
    store.create_job(rec)
    return rec


PARAMS = {"model": "digits", "seed": 5, "count": 2, "class": "3", "truncation": 1.0}


def test_run_job_stores_results_and_cache_then_is_idempotent(tmp_path, models):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    rec = _job(store, PARAMS)
    run_job(rec.id, store=store, models=models)
    done = store.get_job(rec.id)
    assert done.status == "succeeded" and done.progress == 1.0 and done.attempts == 1 and not done.cache_hit
    assert [im.seed for im in done.images] == [5, 6] and done.device == "cpu" and done.duration_ms >= 0
    grid = store.get_blob(blob_key(rec.cache_key, "grid"))
    assert read_provenance(grid)["count"] == 2
    run_job(rec.id, store=store, models=models)  # a redelivered message changes nothing
    assert store.get_job(rec.id) == done


def test_second_identical_job_is_a_cache_hit(tmp_path, models):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    first = _job(store, PARAMS)
    run_job(first.id, store=store, models=models)
    second = _job(store, PARAMS)
    run_job(second.id, store=store, models=models)
    rec = store.get_job(second.id)
    assert rec.status == "succeeded" and rec.cache_hit and rec.attempts == 0
    assert rec.images == store.get_job(first.id).images


def test_bad_params_fail_with_a_code_not_a_traceback(tmp_path, models):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    rec = _job(store, {**PARAMS, "model": "gone"})
    run_job(rec.id, store=store, models=models)
    failed = store.get_job(rec.id)
    assert failed.status == "failed" and failed.error.code == "unknown_model"
    assert "Traceback" not in failed.error.message


def test_a_job_that_kept_killing_workers_is_marked_failed(tmp_path, models):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    rec = _job(store, PARAMS, attempts=MAX_ATTEMPTS, status="running")
    run_job(rec.id, store=store, models=models)
    failed = store.get_job(rec.id)
    assert failed.status == "failed" and failed.error.code == "worker_crashed"


def test_missing_record_is_ignored(tmp_path, models):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    run_job("0" * 32, store=store, models=models)
    assert list(store.iter_jobs()) == []


def test_a_job_interrupted_by_shutdown_is_queued_again_and_says_so(tmp_path, models):
    """run_job's answer is what the Celery task acts on: True = requeue the message (worker/celery_app.py)."""
    store = DiskStore(tmp_path, ttl_seconds=3600)
    rec = _job(store, PARAMS)
    assert run_job(rec.id, store=store, models=models, interrupted=lambda: True) is True
    back = store.get_job(rec.id)
    assert back.status == "queued" and back.attempts == 0 and not back.images  # the start is not counted
    assert run_job(rec.id, store=store, models=models, interrupted=lambda: False) is False
    assert store.get_job(rec.id).status == "succeeded"
    assert run_job(rec.id, store=store, models=models, interrupted=lambda: True) is False  # finished: nothing to do
