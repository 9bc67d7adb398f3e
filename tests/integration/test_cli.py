"""The `atelier` command as a user types it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, python_env
from worker.images import read_provenance

pytestmark = pytest.mark.integration


def atelier(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atelier.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_generate_writes_one_png_per_image_sorted_by_index(tiny_models, tmp_path):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    out = tmp_path / "out"
    result = atelier("generate", "--model", "digits", "--seed", "40", "--count", "12", "--class", "3",
                     "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    files = sorted(out.iterdir())
    assert len(files) == 12
    seeds = [read_provenance(f.read_bytes())["seed"] for f in files]
    assert seeds == list(range(40, 52))  # name order == index order, also past 10
    assert all(read_provenance(f.read_bytes())["class"] == "3" for f in files)


def test_generate_reports_bad_input_without_a_traceback(tiny_models, tmp_path):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    result = atelier("generate", "--model", "nope", "--out", str(tmp_path), env=env)
    assert result.returncode == 2 and "unknown model 'nope'" in result.stderr and "Traceback" not in result.stderr
    result = atelier("generate", "--model", "digits", "--class", "x", "--out", str(tmp_path), env=env)
    assert result.returncode == 2 and "no class 'x'" in result.stderr


def test_models_lists_shipped_and_help_is_helpful(tiny_models):
    env = python_env(ATELIER_MODEL_DIRS=str(tiny_models))
    listed = atelier("models", env=env)
    assert listed.returncode == 0 and "digits" in listed.stdout and "0, 1, 2" in listed.stdout
    for cmd in (["--help"], ["serve", "--help"], ["worker", "--help"], ["generate", "--help"], ["train", "--help"],
                ["train", "gan", "--help"], ["benchmark", "digits", "--help"]):
        result = atelier(*cmd, env=env)
        assert result.returncode == 0 and "usage:" in result.stdout, (cmd, result.stderr)


def test_worker_refuses_to_start_without_redis(tiny_models):
    result = atelier("worker", env=python_env(ATELIER_MODEL_DIRS=str(tiny_models)))
    assert result.returncode == 2 and "ATELIER_REDIS_URL" in result.stderr
