import os
import time

import pytest

from atelier.errors import UnknownJob
from worker.records import JobRecord, new_job_id, utcnow
from worker.store import DiskStore, RedisStore, cached_result


def _record(**kw):
    return JobRecord(id=new_job_id(), kind="generate", created_at=utcnow(), params={"seed": 1}, cache_key="c" * 64,
                     **kw)


def test_disk_store_jobs_round_trip_and_update(tmp_path):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    rec = _record()
    store.create_job(rec)
    assert store.get_job(rec.id) == rec
    updated = store.update_job(rec.id, status="running", progress=0.5)
    assert updated.status == "running" and updated.progress == 0.5
    assert store.get_job(rec.id).progress == 0.5
    assert [r.id for r in store.iter_jobs()] == [rec.id]
    assert store.get_job("0" * 32) is None
    with pytest.raises(UnknownJob):
        store.update_job("0" * 32, status="failed")


def test_disk_store_refuses_keys_that_could_escape_its_folder(tmp_path):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    for bad in ("../etc/passwd", "a/b/c", "", "..", "a\\b"):
        with pytest.raises(ValueError):
            store.get_blob(bad)


def test_disk_store_blobs_and_cache_entry_needs_its_blobs(tmp_path):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    key = "f" * 64
    store.put_cache(key, {"images": []})
    assert cached_result(store, key) is None  # entry without results is not a hit
    store.put_blob(f"{key}/grid", b"png")
    assert store.get_blob(f"{key}/grid") == b"png"
    assert cached_result(store, key) == {"images": []}


def test_disk_store_purges_expired_files(tmp_path):
    store = DiskStore(tmp_path, ttl_seconds=60)
    old, new = _record(), _record()
    store.create_job(old)
    store.create_job(new)
    stale = time.time() - 120
    os.utime(tmp_path / "jobs" / f"{old.id}.json", (stale, stale))
    assert store.purge_expired() == 1
    assert store.get_job(old.id) is None and store.get_job(new.id) is not None
    assert store.ping()


@pytest.fixture(params=["disk", "redis"])
def store(request, tmp_path):
    """A fresh store of each kind: on disk (embedded mode) and on a private Redis."""
    if request.param == "disk":
        return DiskStore(tmp_path, ttl_seconds=3600)
    return RedisStore(request.getfixturevalue("redis_server"), ttl_seconds=60)


def test_delete_job_keeps_blobs_and_cache(store):
    rec, other = _record(), _record()
    store.create_job(rec)
    store.create_job(other)
    store.put_blob(f"{rec.cache_key}/grid", b"png")
    store.put_cache(rec.cache_key, {"images": []})

    assert store.delete_job(rec.id) is True
    assert store.get_job(rec.id) is None and store.get_job(other.id) == other
    if isinstance(store, DiskStore):  # only the disk store can list its jobs
        assert [r.id for r in store.iter_jobs()] == [other.id]
    assert store.delete_job(rec.id) is False
    with pytest.raises(UnknownJob):  # a worker writing to a deleted job does not bring it back
        store.update_job(rec.id, progress=0.5)
    assert store.get_job(rec.id) is None
    # Results are shared with the cache (and other jobs with the same parameters): they stay.
    assert store.get_blob(f"{rec.cache_key}/grid") == b"png"
    assert cached_result(store, rec.cache_key) == {"images": []}
    with pytest.raises(ValueError):
        store.delete_job("../jobs")
