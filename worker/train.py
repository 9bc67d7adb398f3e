"""The train job: an artist's zip -> checked again -> trained with the GAN trainer -> registered as a new model.

Everything a job needs between runs lives in the job store, never on a worker's disk (in distributed mode a job may
resume on another machine):

    inputs/<sha256>           the uploaded zip (content-addressed, like a repair's photo)
    train-<job id>/checkpoint the latest resumable snapshot, one safetensors blob (models/training/snapshots.py),
                              replaced every `train_checkpoint_every` steps and deleted when the job ends
    train-<job id>/samples    the latest sample grid PNG (GET /api/v1/jobs/{id}/samples/latest)

A job that starts again after its worker died (Celery redelivery) or its server restarted (embedded recovery)
finds the checkpoint and continues from that step with the same data order and noise; `train.resumed_from` says so.
Cancelling is checked at every progress report (JobCancelled); the result is the new model's preview grid, and
`train.model_id` names the model, which GET /api/v1/models lists from then on.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from atelier.errors import AtelierError, BadInput
from atelier.settings import get_settings
from worker.outputs import JobInterrupted, JobOutput
from worker.records import ImageInfo, JobRecord, TrainProgress
from worker.restore import input_key
from worker.runtime import ModelCache
from worker.store import Store
from worker.training_data import TrainLimits, check_zip
from worker.user_models import model_id_for

log = logging.getLogger(__name__)


def scratch_key(job_id: str, name: str) -> str:
    return f"train-{job_id}/{name}"


class Reporter:
    """Turns the training loop's steps into throttled progress reports with speed and time left."""

    def __init__(self, on_progress: Callable[..., None], *, total: int, start: int, resumed_from: int | None) -> None:
        self.on_progress = on_progress
        self.state = TrainProgress(phase="training", step=start, total_steps=total, resumed_from=resumed_from,
                                   checkpoint_step=resumed_from)
        self._t0, self._s0 = time.perf_counter(), start

    def report(self, fraction: float | None = None, **changes: Any) -> None:
        self.state = self.state.model_copy(update=changes)
        done = self.state.step / max(self.state.total_steps, 1)
        self.on_progress(fraction if fraction is not None else done, train=self.state)

    def step(self, step: int, losses: dict[str, float]) -> None:
        elapsed = time.perf_counter() - self._t0
        rate = (step - self._s0) / elapsed if elapsed > 0 and step > self._s0 else None
        eta = round((self.state.total_steps - step) / rate, 1) if rate else None
        self.report(step=step, losses={k: round(v, 4) for k, v in losses.items()},
                    steps_per_second=round(rate, 3) if rate else None, eta_seconds=eta)


def run_train_job(record: JobRecord, *, store: Store, models: ModelCache,
                  on_progress: Callable[..., None]) -> JobOutput:
    from models.datasets.user import build_user_set  # torch and numpy are for the worker only
    from models.training.gan import RunHooks
    from models.training.snapshots import snapshot_from_bytes, snapshot_to_bytes
    from models.training.user_model import UserRecipe, export_user_model, open_trainer

    settings = get_settings()
    space = models.user_models
    if space is None:
        raise AtelierError("This worker has nowhere to register a trained model.", code="internal")
    p = record.params
    on_progress(0.0, train=TrainProgress(phase="preparing", total_steps=p["recipe"]["steps"]))
    upload = store.get_blob(input_key(p["upload"]))
    if upload is None:
        raise BadInput("The uploaded images have expired from the job store; upload them again.", code="expired")
    # Checked again here: the worker trusts no input it has not checked itself (its limits may also be stricter).
    data = check_zip(upload, image_size=p["image_size"], limits=TrainLimits.from_settings(settings))
    dataset = build_user_set([im.data for im in data.images], data.labels, data.classes, size=p["image_size"],
                             channels=data.channels, info={"job": record.id})
    recipe = UserRecipe(**p["recipe"])
    if settings.train_threads:
        import torch

        torch.set_num_threads(settings.train_threads)
    checkpoint_key, samples_key = scratch_key(record.id, "checkpoint"), scratch_key(record.id, "samples")
    reporter: Reporter | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="atelier-train-") as tmp:
            run_dir, export_dir = Path(tmp) / "run", Path(tmp) / "export"
            blob = store.get_blob(checkpoint_key)
            resumed = snapshot_from_bytes(run_dir, blob) if blob is not None else None
            try:
                trainer = open_trainer(dataset, recipe, run_dir)
            except ValueError as exc:  # a checkpoint from another recipe: cannot happen unless the params changed
                raise AtelierError(f"The job's checkpoint does not fit its recipe: {exc}", code="internal") from exc
            if resumed is not None:
                log.info("job %s: resuming training at step %d of %d", record.id, trainer.step, recipe.steps)
            reporter = Reporter(on_progress, total=recipe.steps, start=trainer.step, resumed_from=resumed)
            reporter.report()

            def samples(step: int, path: Path) -> None:
                store.put_blob(samples_key, path.read_bytes())
                reporter.state = reporter.state.model_copy(update={"sample_step": step})

            def checkpoint(step: int, _path: Path) -> None:
                store.put_blob(checkpoint_key, snapshot_to_bytes(run_dir) or b"")
                reporter.state = reporter.state.model_copy(update={"checkpoint_step": step})

            if trainer.step < recipe.steps:
                trainer.run(run_dir, RunHooks(on_step=reporter.step, on_samples=samples, on_checkpoint=checkpoint))
            reporter.report(0.99, phase="exporting", eta_seconds=None)
            model_id = space.claim(owner=record.id, base_id=model_id_for(p["name"]), registry=models.registry)
            export_user_model(trainer, export_dir, model_id=model_id, name=p["name"], recipe=recipe, data=dataset,
                              source={"job": record.id, "classes": list(data.classes), "channels": data.channels})
            space.publish(model_id, export_dir)
            if models.refresh is not None:
                models.refresh()
            preview = (export_dir / f"{model_id}.preview.png").read_bytes()
    except JobInterrupted:
        # The checkpoint stays: the job resumes from it at the next start. The record must name that checkpoint, but
        # progress writes are throttled and the interruption is raised before one, so the last write may predate the
        # latest checkpoint: write the state as it is now.
        if reporter is not None:
            store.update_job(record.id, train=reporter.state)
        raise
    except BaseException:
        store.delete_blob(checkpoint_key)  # failed or cancelled: nothing will resume it
        raise
    store.delete_blob(checkpoint_key)
    final = reporter.state.model_copy(update={"phase": "done", "model_id": model_id, "eta_seconds": 0.0})
    log.info("job %s: registered model %s after %d steps", record.id, model_id, final.step)
    return JobOutput(images=[(ImageInfo(index=0, label="preview"), preview)], primary=preview, device="cpu",
                     fields={"train": final})
