"""Models trained from artists' images: one space that the API and every worker see, read like a weights folder.

    embedded     DiskModelSpace   <data_dir>/user-models/ holds <id>.json, <id>.safetensors, <id>.preview.png like
                                  models/weights; the one process (and `atelier train images`) writes it directly.
    distributed  RedisModelSpace  API and workers share nothing but Redis, so each model's manifest, weights and
                                  preview live there, without a TTL (a model outlives the job that made it). Every
                                  process copies them into a local folder of its own the first time it looks
                                  (<data_dir>/user-models-cache/<hash of the Redis URL>/) and reads that folder.

Either way the registry (models/registry.py, torch-free) sees one more folder, placed before the shipped ones so
that a shipped model always keeps its id. `sync()` is cheap when nothing changed (one directory stat, or one Redis
GET of a revision counter), so the API calls it before it lists or looks up models.

A model's id is the artist's name in kebab-case, made unique (`-2`, `-3`, ...) against every model the registry
knows and every user model. The id is claimed for the job that trains it, so a job run again after its worker died
while publishing gets the same id back rather than a second model.

A published user model can be deleted (`delete_user_model`: the API's DELETE /api/v1/models/{id} and `atelier models
delete`); its id, claim included, is then free for a new model. A shipped model cannot be deleted, and neither can a
model that a train job has claimed but not yet published: that job is cancelled instead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import unicodedata
from pathlib import Path
from typing import Protocol

import redis

from atelier.errors import BadInput, NotReady, QueueUnavailable, UnknownModel
from models.registry import MODEL_ID, PREVIEW_SUFFIX, Registry

log = logging.getLogger(__name__)

MAX_BASE_LEN = 40  # room for "-999" and more within the registry's 64 characters
FALLBACK_ID = "my-model"  # a name with no letters or digits in it (e.g. only emoji)
MAX_SUFFIX = 999
_UNSEEN = b"\0unseen"  # no revision looked at yet (distinct from Redis having none)


def model_id_for(name: str) -> str:
    """`"Ink Cats — 2nd try!"` -> `"ink-cats-2nd-try"`: accents folded, everything else a single hyphen."""
    letters = (c for c in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(c))
    text = "".join(c if c.isascii() and c.isalnum() else "-" for c in letters)  # a dash or an emoji separates too
    slug = re.sub(r"-+", "-", text).strip("-")[:MAX_BASE_LEN].strip("-")
    return slug or FALLBACK_ID


def candidates(base: str) -> list[str]:
    return [base, *(f"{base}-{n}" for n in range(2, MAX_SUFFIX + 1))]


def _files(model_id: str) -> list[str]:
    """A model's files, in the order they are published: the manifest last, since it is what makes a model exist."""
    return [f"{model_id}.safetensors", f"{model_id}{PREVIEW_SUFFIX}", f"{model_id}.json"]


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class UserModelSpace(Protocol):
    folder: Path  # the local folder the registry reads

    def claim(self, *, owner: str, base_id: str, registry: Registry) -> str: ...
    def publish(self, model_id: str, source: Path) -> None: ...  # source holds the model's files (export)
    def sync(self) -> bool: ...  # bring the local folder up to date; True when it changed
    def delete(self, model_id: str) -> bool: ...  # remove a published model; False when there is none of that id


class DiskModelSpace:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seen: int | None = None

    def _claim_path(self, model_id: str) -> Path:
        return self.folder / f".claim-{model_id}"  # a dot file: the registry only reads *.json

    def claim(self, *, owner: str, base_id: str, registry: Registry) -> str:
        for candidate in candidates(base_id):
            path = self._claim_path(candidate)
            try:
                if path.read_text() == owner:
                    return candidate  # ours already: a re-run of the same job
            except FileNotFoundError:
                pass
            if candidate in registry or (self.folder / f"{candidate}.json").exists():
                continue
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)  # atomic, across processes too
            except FileExistsError:
                continue
            with os.fdopen(fd, "w") as f:
                f.write(owner)
            return candidate
        raise BadInput(f"No free model id left for {base_id!r}; choose another name.")

    def publish(self, model_id: str, source: Path) -> None:
        for name in _files(model_id):
            if (source / name).is_file():
                _atomic_write(self.folder / name, (source / name).read_bytes())
        log.info("published user model %s in %s", model_id, self.folder)

    def sync(self) -> bool:
        seen = self.folder.stat().st_mtime_ns if self.folder.is_dir() else 0
        changed, self._seen = seen != self._seen, seen
        return changed

    def delete(self, model_id: str) -> bool:
        if not MODEL_ID.match(model_id):
            return False  # not a name this space could hold (and never a path outside the folder)
        try:
            (self.folder / f"{model_id}.json").unlink()  # first: from here on the model does not exist
        except FileNotFoundError:
            return False  # never published, or only claimed by a job still training
        for name in _files(model_id)[:-1]:  # then the weights and the preview
            (self.folder / name).unlink(missing_ok=True)
        self._claim_path(model_id).unlink(missing_ok=True)  # last: the id is free for a new model
        log.info("deleted user model %s from %s", model_id, self.folder)
        return True


class RedisModelSpace:
    CLAIMS = "atelier:usermodels:claims"  # hash: model id -> job id that claimed it
    MANIFESTS = "atelier:usermodels:manifests"  # hash: model id -> manifest JSON (what makes a model exist)
    REVISION = "atelier:usermodels:rev"  # incremented on every publish: a process syncs only when it moved

    def __init__(self, url: str, folder: Path) -> None:
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=30)
        self.folder = Path(folder)  # created when the first model is copied in
        self._revision: bytes | None = _UNSEEN
        self._lock = threading.Lock()  # API threads may sync at once; one copies, the others wait

    @staticmethod
    def _blob(model_id: str, what: str) -> str:
        return f"atelier:usermodel:{model_id}:{what}"

    def claim(self, *, owner: str, base_id: str, registry: Registry) -> str:
        try:
            for candidate in candidates(base_id):
                holder = self.redis.hget(self.CLAIMS, candidate)
                if holder is not None and holder.decode() == owner:
                    return candidate
                if holder is not None or (candidate in registry and not self.redis.hexists(self.MANIFESTS, candidate)):
                    continue  # another job's, or a shipped model's
                if self.redis.hsetnx(self.CLAIMS, candidate, owner):
                    return candidate
        except redis.ConnectionError as exc:
            raise QueueUnavailable("The job store (Redis) is unreachable.") from exc
        raise BadInput(f"No free model id left for {base_id!r}; choose another name.")

    def publish(self, model_id: str, source: Path) -> None:
        weights, preview, manifest = (source / name for name in _files(model_id))
        try:
            self.redis.set(self._blob(model_id, "weights"), weights.read_bytes())
            if preview.is_file():
                self.redis.set(self._blob(model_id, "preview"), preview.read_bytes())
            with self.redis.pipeline() as pipe:  # MULTI: the manifest and the new revision appear together
                pipe.hset(self.MANIFESTS, model_id, manifest.read_bytes())
                pipe.incr(self.REVISION)
                pipe.execute()
        except redis.ConnectionError as exc:
            raise QueueUnavailable("The job store (Redis) is unreachable.") from exc
        log.info("published user model %s to Redis", model_id)  # copied locally by the next sync(), as elsewhere

    def sync(self) -> bool:
        with self._lock:
            try:
                revision = self.redis.get(self.REVISION)
                if revision == self._revision:
                    return False
                manifests = {k.decode(): v for k, v in self.redis.hgetall(self.MANIFESTS).items()}
                for model_id, manifest in manifests.items():
                    self._materialise(model_id, manifest)
            except redis.RedisError as exc:
                # The API keeps answering with the models it has; the next call tries again.
                log.warning("could not sync user models from Redis: %s", exc)
                return False
            for path in self.folder.glob("*.json"):  # deleted, or a model this Redis never had (another deployment's)
                if path.stem not in manifests:
                    self._forget_local(path.stem)
            self._revision = revision
            return True

    def delete(self, model_id: str) -> bool:
        if not MODEL_ID.match(model_id):
            return False

        def remove(pipe: redis.client.Pipeline) -> bool:
            # WATCH (by transaction()) then check: a claim without a manifest is a job still training, not ours.
            if not pipe.hexists(self.MANIFESTS, model_id):
                return False
            pipe.multi()  # the manifest, claim and blobs go together, and the revision tells every process
            pipe.hdel(self.MANIFESTS, model_id)
            pipe.hdel(self.CLAIMS, model_id)
            pipe.delete(self._blob(model_id, "weights"), self._blob(model_id, "preview"))
            pipe.incr(self.REVISION)
            return True

        try:
            deleted = self.redis.transaction(remove, self.MANIFESTS, value_from_callable=True)
        except redis.ConnectionError as exc:
            raise QueueUnavailable("The job store (Redis) is unreachable.") from exc
        if deleted:
            # This process's copy goes now; other processes drop theirs at their next sync(), as the revision moved.
            self._forget_local(model_id)
            log.info("deleted user model %s from Redis", model_id)
        return deleted

    def _forget_local(self, model_id: str) -> None:
        for name in reversed(_files(model_id)):  # the manifest first, as on disk
            (self.folder / name).unlink(missing_ok=True)

    def _materialise(self, model_id: str, manifest: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        local = self.folder / f"{model_id}.json"
        if local.is_file() and local.read_bytes() == manifest:
            return  # the manifest names the job that trained it, so the same text means the same weights
        weights = self.redis.get(self._blob(model_id, "weights"))
        if weights is None:
            log.warning("user model %s has a manifest but no weights in Redis; skipped", model_id)
            return
        _atomic_write(self.folder / f"{model_id}.safetensors", weights)
        preview = self.redis.get(self._blob(model_id, "preview"))
        if preview is not None:
            _atomic_write(self.folder / f"{model_id}{PREVIEW_SUFFIX}", preview)
        _atomic_write(local, manifest)


def open_user_models(settings) -> UserModelSpace:  # noqa: ANN001 — atelier.settings.Settings
    if settings.redis_url:
        tag = hashlib.sha256(settings.redis_url.encode()).hexdigest()[:12]
        return RedisModelSpace(settings.redis_url, Path(settings.data_dir) / "user-models-cache" / tag)
    return DiskModelSpace(Path(settings.data_dir) / "user-models")


def open_registry(settings, space: UserModelSpace) -> Registry:  # noqa: ANN001
    """The registry over the shipped weights folders and the user models (first, so a shipped id always wins)."""
    space.sync()
    return Registry([space.folder, *settings.model_dirs])


def refresh(registry: Registry, space: UserModelSpace | None) -> None:
    """Re-read the registry when a user model was published or deleted since the last look."""
    if space is not None and space.sync():
        registry.reload()


def delete_user_model(registry: Registry, space: UserModelSpace | None, model_id: str) -> None:
    """Delete a model trained from an artist's images: its manifest, weights, preview and claim, everywhere.

    Only a published model can be deleted. A train job still running has claimed its id but published nothing, so
    its id is unknown here (404); cancel the job to stop it, or delete its model once it has finished. Shipped
    models (the ATELIER_MODEL_DIRS folders) are refused with 409. Jobs queued for the model afterwards fail as
    for any unknown model. The registry is re-read before this returns, so this process stops serving the model
    at once; other processes do at their next `refresh`.
    """
    refresh(registry, space)  # a model published elsewhere since the last look can be deleted too
    info = registry.get(model_id)
    if info is None:
        raise UnknownModel(f"Unknown model {model_id!r}; there is no model of that id to delete.")
    if space is None or info.weights_path is None or info.weights_path.parent != space.folder:
        raise NotReady(f"Model {model_id!r} is shipped with Atelier; shipped models cannot be deleted.",
                       code="shipped_model")
    if not space.delete(model_id):  # deleted by another request (or process) since we looked
        raise UnknownModel(f"Unknown model {model_id!r}; there is no model of that id to delete.")
    registry.reload()  # not refresh(): a deletion within the folder's last mtime tick would not show in sync()

