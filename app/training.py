"""Training on an artist's own images, on the API side: check the upload completely (torch-free) before a job
exists, keep it by content hash, record the recipe, enqueue. The worker side is worker/train.py."""

from __future__ import annotations

import logging
import secrets
import time

from app.services import Services, _enqueue_or_answer_from_cache, _keep_input, get_job
from atelier.errors import BadInput, NotFound, TooLarge
from models.seeding import MAX_SEED
from worker.records import JobRecord, cache_key_for, new_job_id, utcnow
from worker.train import scratch_key
from worker.training_data import TrainLimits, TrainingData, check_zip
from worker.user_models import model_id_for

log = logging.getLogger(__name__)

IMAGE_SIZES = (32, 64)  # models/datasets/user.py SIZES (not imported: that module brings numpy and PIL only, but
#                         the recipe module brings torch, and the API must not)
MAX_NAME_LEN = 60


def recipe_for(services: Services, *, steps: int, image_size: int, seed: int) -> dict:
    """models.training.user_model.UserRecipe as a dict: what the user chose, the rest from the settings."""
    s = services.settings
    return {"steps": steps, "image_size": image_size, "seed": seed, "base_channels": s.train_base_channels,
            "checkpoint_every": s.train_checkpoint_every, "sample_every": s.train_sample_every,
            "calibration_batches": s.train_calibration_batches, "precision": s.train_precision}


def submit_train(services: Services, *, images: bytes, filename: str | None, name: str, steps: int | None,
                 image_size: int, seed: int | None) -> tuple[JobRecord, TrainingData]:
    settings = services.settings
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LEN:
        raise BadInput(f"Give the model a name of 1 to {MAX_NAME_LEN} characters.")
    if image_size not in IMAGE_SIZES:
        raise BadInput(f"image_size must be 32 or 64; got {image_size}.")
    steps = settings.train_default_steps if steps is None else steps
    if not 1 <= steps <= settings.train_max_steps:
        raise BadInput(f"steps must be between 1 and {settings.train_max_steps:,}; got {steps:,}.")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise BadInput(f"seed must be between 0 and {MAX_SEED}.")
    if len(images) > settings.train_max_zip_bytes:
        raise TooLarge(f"The zip is {len(images) / 2**20:.0f} MiB; the limit is "
                       f"{settings.train_max_zip_bytes / 2**20:.0f} MiB.")
    started = time.perf_counter()
    data = check_zip(images, image_size=image_size, limits=TrainLimits.from_settings(settings))
    log.info("training upload checked: %d images, %d classes, %d channels in %.0f ms", len(data.images),
             len(data.classes), data.channels, (time.perf_counter() - started) * 1000)
    params = {
        "name": name,
        "model_id": model_id_for(name),  # the intended id; the registered one may get a -2 when it is taken
        "upload": _keep_input(services.store, images),
        "filename": filename,
        "image_size": image_size,
        "recipe": recipe_for(services, steps=steps, image_size=image_size,
                             seed=seed if seed is not None else secrets.randbelow(2**31)),
        "data": data.summary(),
    }
    job_id = new_job_id()
    # Every training run makes a new model, so nothing is ever answered from the cache: the job id is in the key.
    record = JobRecord(id=job_id, kind="train", created_at=utcnow(), params=params,
                       cache_key=cache_key_for("train", params["model_id"], job_id, params))
    return _enqueue_or_answer_from_cache(services, record), data


def latest_samples(services: Services, job_id: str) -> bytes:
    """The newest sample grid of a train job (404 before its first, or for another kind of job)."""
    record = get_job(services, job_id)
    if record.kind != "train":
        raise NotFound(f"Job {job_id} is a {record.kind} job; only train jobs have sample grids.")
    data = services.store.get_blob(scratch_key(job_id, "samples"))
    if data is None:
        raise NotFound(f"Job {job_id} has no sample grid yet; the first comes after "
                       f"{record.params['recipe'].get('sample_every', '?')} steps.")
    return data
