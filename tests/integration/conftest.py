"""Real servers: a private Redis, Celery worker processes (`atelier worker`) and the app."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
import redis

from tests.conftest import make_tiny_digits, python_env, start_process, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def slow_models(tmp_path_factory) -> Path:
    """A wide untrained generator: ~0.1-0.3 s per image on 2 cores, so a test can kill a worker mid-job."""
    folder = tmp_path_factory.mktemp("slow-weights")
    make_tiny_digits(folder, base_channels=192, version="0.0.1-slow")
    return folder


class Cluster:
    """Environment and process management for one distributed-mode deployment under test."""

    def __init__(self, redis_url: str, models: Path, workdir: Path) -> None:
        self.redis_url = redis_url
        self.workdir = workdir
        self.env = python_env(ATELIER_REDIS_URL=redis_url, ATELIER_MODEL_DIRS=str(models),
                              ATELIER_DATA_DIR=str(workdir / "unused"),
                              # Short, so a job whose whole worker vanished is redelivered within the test.
                              ATELIER_VISIBILITY_TIMEOUT_SECONDS="4")
        self.procs: list[subprocess.Popen] = []

    def start_worker(self, name: str, *, queues: str | None = None, pool: str | None = None) -> subprocess.Popen:
        """queues, pool: `atelier worker --queues`, `--pool` (default: its own defaults, both queues, prefork)."""
        args = ["-m", "atelier.cli", "worker", "--concurrency", "1", "--hostname", f"{name}@test"]
        if queues is not None:
            args += ["--queues", queues]
        if pool is not None:
            args += ["--pool", pool]
        proc = start_process(args, self.env, self.workdir / f"{name}.log")
        self.procs.append(proc)
        client = redis.Redis.from_url(self.redis_url)
        # Ready once it has opened its consumer connection on the queue (kombu binds it in Redis).
        wait_until(lambda: self.log(name).count("ready.") >= 1 or proc.poll() is not None, timeout=60,
                   interval=0.2, what=f"worker {name} to start")
        assert proc.poll() is None, self.log(name)
        client.close()
        return proc

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def kill_hard(proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children at once: no chance to ack, requeue or clean up."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    @staticmethod
    def stop(proc: subprocess.Popen, *, timeout: float) -> float:
        """SIGTERM to the worker's main process only, as `docker stop` and Kubernetes send it; seconds to exit."""
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
        return time.monotonic() - started

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


@pytest.fixture
def cluster_factory(redis_server, tmp_path) -> Iterator[Callable[[Path], Cluster]]:
    redis.Redis.from_url(redis_server).flushdb()
    made: list[Cluster] = []

    def make(models: Path) -> Cluster:
        c = Cluster(redis_server, models, tmp_path)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop_all()


@pytest.fixture
def distributed_env(redis_server, tiny_models, monkeypatch) -> str:
    """Settings for an in-process API in distributed mode."""
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_REDIS_URL", redis_server)
    monkeypatch.setenv("ATELIER_MODEL_DIRS", str(tiny_models))
    get_settings.cache_clear()
    yield redis_server
    get_settings.cache_clear()


@pytest.fixture
def train_settings(distributed_env, monkeypatch, tmp_path):
    """The API's settings for training: the cluster's Redis, fast training, its own local copy of the user models."""
    from atelier.settings import get_settings
    from tests.train_data import FAST_TRAIN_ENV

    for key, value in FAST_TRAIN_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ATELIER_DATA_DIR", str(tmp_path / "api-data"))
    get_settings.cache_clear()
    yield distributed_env
    get_settings.cache_clear()
