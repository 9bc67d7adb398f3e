"""Embedded mode as a user runs it: one `atelier serve` process, no Redis, jobs in a background thread."""

from __future__ import annotations

import os
import signal

import httpx2 as httpx
import pytest

from tests.conftest import free_port, python_env, start_process, wait_until
from worker.images import read_provenance

pytestmark = pytest.mark.integration


class Server:
    def __init__(self, models, data_dir, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = python_env(ATELIER_MODEL_DIRS=str(models), ATELIER_DATA_DIR=str(data_dir))
        self.proc = start_process(["-m", "atelier.cli", "serve", "--port", str(self.port)], env, log_path)
        self.log_path = log_path
        wait_until(self._up, timeout=60, interval=0.1, what="atelier serve")

    def _up(self) -> bool:
        assert self.proc.poll() is None, self.log_path.read_text()
        try:
            return httpx.get(self.base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def job(self, job_id):
        return httpx.get(f"{self.base}/api/v1/jobs/{job_id}", timeout=5).json()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)


def test_serve_prints_url_and_runs_a_job(tiny_models, tmp_path):
    server = Server(tiny_models, tmp_path / "data", tmp_path / "serve.log")
    try:
        assert f"http://127.0.0.1:{server.port}/" in (tmp_path / "serve.log").read_text()
        created = httpx.post(server.base + "/api/v1/jobs/generate",
                             json={"model": "digits", "seed": 3, "count": 2, "class": "9"}, timeout=10)
        assert created.status_code == 202
        job = wait_until(lambda: (j := server.job(created.json()["id"]))["status"] == "succeeded" and j,
                         timeout=60, interval=0.1, what="the job")
        png = httpx.get(server.base + job["results"][0], timeout=5).content
        assert read_provenance(png)["class"] == "9"
        assert httpx.get(server.base + "/readyz", timeout=5).json()["mode"] == "embedded"
        # Results are files under the data folder, not in memory.
        assert list((tmp_path / "data" / "blobs").rglob("*.png"))
    finally:
        server.stop()


def test_job_interrupted_by_a_crash_finishes_after_restart(slow_models, tmp_path):
    data = tmp_path / "data"
    server = Server(slow_models, data, tmp_path / "first.log")
    try:
        created = httpx.post(server.base + "/api/v1/jobs/generate",
                             json={"model": "digits", "seed": 8, "count": 24}, timeout=10).json()
        wait_until(lambda: server.job(created["id"])["status"] == "running", timeout=60, interval=0.1,
                   what="the job to start")
    finally:
        server.stop(signal.SIGKILL)  # a crash: no shutdown handler runs
    server = Server(slow_models, data, tmp_path / "second.log")
    try:
        job = wait_until(lambda: (j := server.job(created["id"]))["status"] in ("succeeded", "failed") and j,
                         timeout=180, interval=0.2, what="the recovered job")
        assert job["status"] == "succeeded" and len(job["images"]) == 24
        assert "re-queued 1 unfinished jobs" in (tmp_path / "second.log").read_text()
    finally:
        server.stop()
