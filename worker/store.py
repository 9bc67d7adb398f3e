"""Where jobs, results and the result cache live.

Distributed mode keeps everything in Redis with a TTL, so API and worker processes on different machines share
nothing but Redis. Embedded mode keeps the same things as files under one data folder, written atomically, so a
restart of the single process loses nothing.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, TypeVar

import redis

from atelier.errors import QueueUnavailable, UnknownJob
from worker.records import JobRecord, blob_key

log = logging.getLogger(__name__)

T = TypeVar("T")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)?$")


class Store(Protocol):
    def create_job(self, record: JobRecord) -> None: ...
    def get_job(self, job_id: str) -> JobRecord | None: ...
    def update_job(self, job_id: str, **fields: Any) -> JobRecord: ...
    def delete_job(self, job_id: str) -> bool: ...  # True if there was a record to delete
    def put_blob(self, key: str, data: bytes) -> None: ...
    def get_blob(self, key: str) -> bytes | None: ...
    def has_blob(self, key: str) -> bool: ...
    def delete_blob(self, key: str) -> None: ...  # a job's own scratch blobs (training checkpoints), never results
    def get_cache(self, cache_key: str) -> dict[str, Any] | None: ...
    def put_cache(self, cache_key: str, entry: dict[str, Any]) -> None: ...
    def ping(self) -> bool: ...


def _check_key(key: str) -> str:
    # Keys come from our own hex ids, but a store must never turn a key into a path outside its folder.
    if not _SAFE_KEY.match(key):
        raise ValueError(f"invalid store key {key!r}")
    return key


def _redis_down_is_503(method: Callable[..., T]) -> Callable[..., T]:
    """Redis unreachable is not a bug: callers get QueueUnavailable (HTTP 503 with Retry-After)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except redis.ConnectionError as exc:
            raise QueueUnavailable("The job store (Redis) is unreachable.") from exc

    return wrapper


class RedisStore:
    """Everything under `atelier:` keys, each with the result TTL."""

    def __init__(self, url: str, *, ttl_seconds: int) -> None:
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        self.ttl = ttl_seconds

    def _job(self, job_id: str) -> str:
        return f"atelier:job:{_check_key(job_id)}"

    @_redis_down_is_503
    def create_job(self, record: JobRecord) -> None:
        self.redis.set(self._job(record.id), record.to_json(), ex=self.ttl)

    @_redis_down_is_503
    def get_job(self, job_id: str) -> JobRecord | None:
        raw = self.redis.get(self._job(job_id))
        return JobRecord.from_json(raw) if raw else None

    @_redis_down_is_503
    def update_job(self, job_id: str, **fields: Any) -> JobRecord:
        key = self._job(job_id)
        # Optimistic transaction: API and worker may both touch a record (e.g. progress vs. a status read).
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        raise UnknownJob(f"job {job_id} does not exist or has expired")
                    record = JobRecord.from_json(raw).model_copy(update=fields)
                    pipe.multi()
                    pipe.set(key, record.to_json(), ex=self.ttl)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue

    @_redis_down_is_503
    def delete_job(self, job_id: str) -> bool:
        # Only the record: its result blobs are shared with the result cache (see app.services.delete_job).
        return bool(self.redis.delete(self._job(job_id)))

    @_redis_down_is_503
    def put_blob(self, key: str, data: bytes) -> None:
        self.redis.set(f"atelier:blob:{_check_key(key)}", data, ex=self.ttl)

    @_redis_down_is_503
    def get_blob(self, key: str) -> bytes | None:
        return self.redis.get(f"atelier:blob:{_check_key(key)}")

    @_redis_down_is_503
    def has_blob(self, key: str) -> bool:
        return bool(self.redis.exists(f"atelier:blob:{_check_key(key)}"))

    @_redis_down_is_503
    def delete_blob(self, key: str) -> None:
        self.redis.delete(f"atelier:blob:{_check_key(key)}")

    @_redis_down_is_503
    def get_cache(self, cache_key: str) -> dict[str, Any] | None:
        raw = self.redis.get(f"atelier:cache:{_check_key(cache_key)}")
        return json.loads(raw) if raw else None

    @_redis_down_is_503
    def put_cache(self, cache_key: str, entry: dict[str, Any]) -> None:
        self.redis.set(f"atelier:cache:{_check_key(cache_key)}", json.dumps(entry), ex=self.ttl)

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except redis.RedisError:
            return False


class DiskStore:
    """jobs/<id>.json, blobs/<cache_key>/<name>.png, cache/<cache_key>.json under one folder."""

    def __init__(self, root: Path, *, ttl_seconds: int) -> None:
        self.root = Path(root)
        self.ttl = ttl_seconds
        for sub in ("jobs", "blobs", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # serialises read-modify-write of job records between threads

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: readers see the old or the new file, never half of one

    def _job_path(self, job_id: str) -> Path:
        return self.root / "jobs" / f"{_check_key(job_id)}.json"

    def create_job(self, record: JobRecord) -> None:
        self._write(self._job_path(record.id), record.to_json().encode())

    def get_job(self, job_id: str) -> JobRecord | None:
        path = self._job_path(job_id)
        try:
            return JobRecord.from_json(path.read_bytes())
        except FileNotFoundError:
            return None

    def update_job(self, job_id: str, **fields: Any) -> JobRecord:
        with self._lock:
            record = self.get_job(job_id)
            if record is None:
                raise UnknownJob(f"job {job_id} does not exist or has expired")
            record = record.model_copy(update=fields)
            self._write(self._job_path(job_id), record.to_json().encode())
            return record

    def delete_job(self, job_id: str) -> bool:
        # Only the record: its result blobs are shared with the result cache (see app.services.delete_job).
        path = self._job_path(job_id)
        with self._lock:  # never interleaved with an update_job that would write the record back
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        return True

    def iter_jobs(self) -> Iterator[JobRecord]:
        for path in sorted((self.root / "jobs").glob("*.json")):
            try:
                yield JobRecord.from_json(path.read_bytes())
            except (OSError, ValueError):
                log.warning("skipping unreadable job record %s", path)

    def _blob_path(self, key: str) -> Path:
        return self.root / "blobs" / f"{_check_key(key)}.png"

    def put_blob(self, key: str, data: bytes) -> None:
        self._write(self._blob_path(key), data)

    def get_blob(self, key: str) -> bytes | None:
        try:
            return self._blob_path(key).read_bytes()
        except FileNotFoundError:
            return None

    def has_blob(self, key: str) -> bool:
        return self._blob_path(key).is_file()

    def delete_blob(self, key: str) -> None:
        self._blob_path(key).unlink(missing_ok=True)

    def get_cache(self, cache_key: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / "cache" / f"{_check_key(cache_key)}.json").read_text())
        except FileNotFoundError:
            return None

    def put_cache(self, cache_key: str, entry: dict[str, Any]) -> None:
        self._write(self.root / "cache" / f"{_check_key(cache_key)}.json", json.dumps(entry).encode())

    def ping(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.W_OK)

    def purge_expired(self) -> int:
        """Delete records, cache entries and results older than the TTL; returns how many files went. Only the
        store's own folders: the data folder also holds what must outlive jobs (user-models/, train-runs/)."""
        cutoff = time.time() - self.ttl
        removed = 0
        for sub in ("jobs", "blobs", "cache"):
            for path in (self.root / sub).rglob("*"):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


def open_store(*, redis_url: str | None, data_dir: Path, ttl_seconds: int) -> Store:
    if redis_url:
        return RedisStore(redis_url, ttl_seconds=ttl_seconds)
    return DiskStore(data_dir, ttl_seconds=ttl_seconds)


def cached_result(store: Store, cache_key: str) -> dict[str, Any] | None:
    """The cache entry, if every result it points to is still stored."""
    entry = store.get_cache(cache_key)
    if entry is None or not store.has_blob(blob_key(cache_key, "grid")):
        return None
    return entry
