"""The user-model space on disk (embedded mode and the CLI): ids from names, claimed once, published so the
registry sees a complete model, and a shipped model's id never taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import Registry
from tests.conftest import make_tiny_digits
from worker.user_models import DiskModelSpace, model_id_for, open_registry, refresh


@pytest.mark.parametrize("name, expected", [
    ("Ink & Wash", "ink-wash"),
    ("  Café Crème—2nd try!! ", "cafe-creme-2nd-try"),
    ("猫", "my-model"),
    ("a" * 80, "a" * 40),
    ("---", "my-model"),
])
def test_model_id_for(name, expected):
    assert model_id_for(name) == expected


def _export(folder: Path, model_id: str) -> Path:
    """A model's files as the trainer's export writes them (tiny untrained weights)."""
    make_tiny_digits(folder, model_id=model_id)
    (folder / f"{model_id}.preview.png").write_bytes(b"png")
    return folder


def test_claims_are_unique_and_a_job_gets_its_own_claim_back(tmp_path):
    shipped = tmp_path / "weights"
    make_tiny_digits(shipped)  # "digits" is shipped: nobody may take it
    space = DiskModelSpace(tmp_path / "user-models")
    registry = Registry([space.folder, shipped])
    assert space.claim(owner="job-a", base_id="digits", registry=registry) == "digits-2"
    assert space.claim(owner="job-b", base_id="digits", registry=registry) == "digits-3"
    assert space.claim(owner="job-a", base_id="digits", registry=registry) == "digits-2"  # a re-run of job a
    assert space.claim(owner="job-c", base_id="cats", registry=registry) == "cats"


def test_published_models_appear_in_the_registry_after_a_refresh(tmp_path):
    space = DiskModelSpace(tmp_path / "user-models")

    class FakeSettings:
        model_dirs = [tmp_path / "no-shipped-models"]

    registry = open_registry(FakeSettings, space)
    assert registry.folders[0] == space.folder and registry.all() == []
    model_id = space.claim(owner="job-a", base_id="cats", registry=registry)
    space.publish(model_id, _export(tmp_path / "export", model_id))
    assert "cats" not in registry  # not until someone looks again ...
    refresh(registry, space)
    assert registry.get("cats").weights_path == space.folder / "cats.safetensors"  # ... and then it is there
    assert registry.get("cats").preview_path == space.folder / "cats.preview.png"
    assert space.sync() is False  # nothing changed since: no re-read


def test_a_shipped_model_wins_over_a_user_model_of_the_same_id(tmp_path):
    space = DiskModelSpace(tmp_path / "user-models")
    _export(space.folder, "digits")  # e.g. a model copied in by hand
    shipped = tmp_path / "weights"
    make_tiny_digits(shipped, version="9.9.9")
    registry = Registry([space.folder, shipped])
    assert registry.get("digits").version == "9.9.9"


def test_purging_expired_jobs_never_touches_user_models(tmp_path):
    import os
    import time

    from worker.store import DiskStore

    store = DiskStore(tmp_path, ttl_seconds=60)  # embedded mode: the data folder holds both
    space = DiskModelSpace(tmp_path / "user-models")
    space.publish("cats", _export(tmp_path / "export", "cats"))
    store.put_blob("train-x/checkpoint", b"old scratch")
    stale = time.time() - 3600
    for path in [*space.folder.iterdir(), tmp_path / "blobs" / "train-x" / "checkpoint.png"]:
        os.utime(path, (stale, stale))
    assert store.purge_expired() == 1  # the job's old scratch blob, nothing else
    assert (space.folder / "cats.json").is_file() and (space.folder / "cats.safetensors").is_file()
