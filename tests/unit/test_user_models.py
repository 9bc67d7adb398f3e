"""The user-model space on disk (embedded mode and the CLI) and in Redis (distributed mode): ids from names, claimed
once, published so the registry sees a complete model, a shipped model's id never taken; deleted so that no process
lists or serves the model any more."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.errors import NotReady, UnknownModel
from models.registry import Registry
from tests.conftest import make_tiny_digits
from worker.runtime import ModelCache
from worker.user_models import (DiskModelSpace, RedisModelSpace, delete_user_model, model_id_for, open_registry,
                                refresh)


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


# ---------------------------------------------------------------- deleting a model

@pytest.fixture(params=["disk", "redis"])
def open_space(request, tmp_path):
    """Opens the user-model space as one more process would: embedded mode shares one folder on disk; in
    distributed mode each process has a local folder of its own, copied from a private Redis (flushed first)."""
    if request.param == "disk":
        return lambda name: DiskModelSpace(tmp_path / "user-models")
    import redis

    url = request.getfixturevalue("redis_server")
    redis.Redis.from_url(url).flushdb()
    return lambda name: RedisModelSpace(url, tmp_path / "user-models-cache" / name)


def _published(space, tmp_path: Path, model_id: str = "cats", *, owner: str = "job-a") -> Registry:
    """`model_id` claimed by `owner` and published, and a registry over the space that has read it."""
    registry = Registry([space.folder])
    assert space.claim(owner=owner, base_id=model_id, registry=registry) == model_id
    space.publish(model_id, _export(tmp_path / f"export-{owner}", model_id))
    refresh(registry, space)
    return registry


def test_deleting_a_model_removes_it_and_frees_its_id(open_space, tmp_path):
    space = open_space("api")
    registry = _published(space, tmp_path)
    assert "cats" in registry

    assert space.delete("cats") is True
    registry.reload()
    assert "cats" not in registry
    assert not any(space.folder.glob("cats*")), "manifest, weights and preview all go"
    assert space.claim(owner="job-b", base_id="cats", registry=registry) == "cats"  # the claim went too
    assert space.delete("cats") is False  # claimed by job b, but nothing published: not a model yet


def test_only_a_published_model_can_be_deleted(open_space, tmp_path):
    space = open_space("api")
    registry = Registry([space.folder])
    assert space.claim(owner="job-a", base_id="cats", registry=registry) == "cats"  # a job still training
    assert space.delete("cats") is False
    assert space.delete("dogs") is False
    assert space.delete("../user-models") is False  # not a model id, so never a path
    # The running job's claim is untouched: it still gets its id, and nobody else does.
    assert space.claim(owner="job-a", base_id="cats", registry=registry) == "cats"
    assert space.claim(owner="job-b", base_id="cats", registry=registry) == "cats-2"


def test_on_disk_the_manifest_goes_first_and_the_claim_last(tmp_path, monkeypatch):
    space = DiskModelSpace(tmp_path / "user-models")
    _published(space, tmp_path)
    removed = []
    unlink = Path.unlink

    def recording_unlink(path, missing_ok=False):
        removed.append(path.name)
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", recording_unlink)
    assert space.delete("cats") is True
    # Whatever moment the process stops at, the registry never lists a model whose weights are gone.
    assert removed[0] == "cats.json" and removed[-1] == ".claim-cats"
    assert set(removed) == {"cats.json", "cats.safetensors", "cats.preview.png", ".claim-cats"}


def test_in_redis_a_deletion_reaches_every_process(redis_server, tmp_path):
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    api = RedisModelSpace(redis_server, tmp_path / "api")
    worker = RedisModelSpace(redis_server, tmp_path / "worker")
    _published(api, tmp_path)
    worker_registry = Registry([worker.folder])
    refresh(worker_registry, worker)
    assert "cats" in worker_registry and (worker.folder / "cats.safetensors").is_file()
    revision = int(client.get(RedisModelSpace.REVISION))

    assert api.delete("cats") is True
    assert not any(api.folder.glob("cats*"))  # the deleting process's own copy goes at once
    assert int(client.get(RedisModelSpace.REVISION)) == revision + 1
    assert client.keys("atelier:usermodel:cats:*") == []
    assert not client.hexists(RedisModelSpace.MANIFESTS, "cats") and not client.hexists(RedisModelSpace.CLAIMS,
                                                                                        "cats")
    refresh(worker_registry, worker)  # the other process's next look drops its copy
    assert "cats" not in worker_registry and not any(worker.folder.glob("cats*"))


def test_delete_user_model_refuses_shipped_and_unknown_ids(open_space, tmp_path):
    shipped = tmp_path / "weights"
    make_tiny_digits(shipped)
    space = open_space("api")
    registry = Registry([space.folder, shipped])  # as open_registry builds it
    space.publish("cats", _export(tmp_path / "export", "cats"))

    with pytest.raises(NotReady, match="shipped models cannot be deleted") as refused:
        delete_user_model(registry, space, "digits")
    assert refused.value.code == "shipped_model" and (shipped / "digits.json").is_file()
    with pytest.raises(UnknownModel):
        delete_user_model(registry, space, "dogs")
    with pytest.raises(NotReady):  # without a user-model space at all (a process that cannot train)
        delete_user_model(registry, None, "digits")

    delete_user_model(registry, space, "cats")  # published after the registry was read: found all the same
    assert "cats" not in registry and "digits" in registry
    with pytest.raises(UnknownModel):
        delete_user_model(registry, space, "cats")


def test_a_deleted_model_is_no_longer_served_by_any_model_cache(open_space, tmp_path, one_thread):
    space = open_space("api")
    registry = _published(space, tmp_path)
    views = [(registry, space)]  # embedded: the API and its worker threads share one registry
    if isinstance(space, RedisModelSpace):  # distributed: a worker process has a registry and folder of its own
        worker_space = open_space("worker")
        views.append((Registry([worker_space.folder]), worker_space))
    caches = [ModelCache(r, device="cpu", refresh=lambda r=r, s=s: refresh(r, s), user_models=s) for r, s in views]
    assert all(c.get("cats").info.id == "cats" for c in caches)  # loaded

    delete_user_model(registry, space, "cats")
    for cache in caches:
        with pytest.raises(UnknownModel):
            cache.get("cats")
        assert cache._loaded == {}  # its network freed, not only hidden

    # A new model given the freed id is a new version (each export has its own), so nothing old is served.
    make_tiny_digits(tmp_path / "export-new", model_id="cats", version="1.0.0+new")
    space.publish("cats", tmp_path / "export-new")
    registry.reload()  # (on disk, a change within the folder's last mtime tick would not show in sync())
    assert all(c.get("cats").info.version == "1.0.0+new" for c in caches)
