"""`atelier train images FOLDER --name NAME`: train a generator on your own images in this process.

The same checks as an upload to POST /api/v1/jobs/train (worker/training_data.py; a .zip works too), the same
recipe and trainer (models/training/user_model.py), a progress bar, and the model registered where the server
finds it: $ATELIER_DATA_DIR/user-models (or, with ATELIER_REDIS_URL set, in Redis for every worker), or written to
--export DIR instead. The run folder keeps resumable snapshots: an interrupted run continues with --resume.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("images", type=Path, help="a folder of images (sub-folders with 8+ images each become classes), or a .zip")
    a("--name", required=True, help="the model's name; its id is this in kebab-case, made unique")
    a("--steps", type=int, default=None, help="optimiser steps (default ATELIER_TRAIN_DEFAULT_STEPS)")
    a("--image-size", type=int, choices=[32, 64], default=64, help="training resolution (default 64)")
    a("--seed", type=int, default=0, help="seeds initialisation, data order and noise (default 0)")
    a("--run-dir", type=Path, default=None,
      help="folder for snapshots, sample grids and metrics (default $ATELIER_DATA_DIR/train-runs/<id>)")
    a("--resume", action="store_true", help="continue the run folder's latest snapshot")
    a("--export", type=Path, default=None, help="write <id>.{safetensors,json,preview.png} here instead of "
      "registering the model")
    a("--threads", type=int, default=None, help="torch CPU threads (default ATELIER_TRAIN_THREADS, else torch's)")
    a("--no-progress", action="store_true", help="no progress bar (logs only)")


def run(args: argparse.Namespace) -> int:
    from atelier.errors import AtelierError
    from atelier.settings import get_settings
    from worker.training_data import TrainLimits, check_folder, check_zip
    from worker.user_models import model_id_for

    settings = get_settings()
    limits = TrainLimits.from_settings(settings)
    steps = args.steps if args.steps is not None else settings.train_default_steps
    if not 1 <= steps <= settings.train_max_steps:
        print(f"error: --steps must be between 1 and {settings.train_max_steps} (ATELIER_TRAIN_MAX_STEPS)",
              file=sys.stderr)
        return 2
    try:
        if args.images.is_file() and args.images.suffix.lower() == ".zip":
            data = check_zip(args.images.read_bytes(), image_size=args.image_size, limits=limits)
        else:
            data = check_folder(args.images, image_size=args.image_size, limits=limits)
    except AtelierError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    base_id = model_id_for(args.name)
    kind = f"{len(data.classes)} classes ({', '.join(data.classes)})" if data.classes else "no classes"
    print(f"{len(data.images)} images, {kind}, {'grey' if data.channels == 1 else 'colour'}"
          + (f". {data.note}" if data.note else ""), flush=True)
    run_dir = args.run_dir or Path(settings.data_dir) / "train-runs" / base_id
    if (run_dir / "checkpoint.json").exists() and not args.resume:
        print(f"error: {run_dir} already holds a run; pass --resume to continue it or choose another --run-dir",
              file=sys.stderr)
        return 2
    return _train(args, settings, data, run_dir, steps, base_id)


def _train(args, settings, data, run_dir: Path, steps: int, base_id: str) -> int:  # noqa: ANN001
    import torch

    from models.datasets.user import build_user_set
    from models.training.user_model import UserRecipe, export_user_model, open_trainer
    from worker.user_models import open_registry, open_user_models

    threads = args.threads or settings.train_threads
    if threads:
        torch.set_num_threads(threads)
    dataset = build_user_set([im.data for im in data.images], data.labels, data.classes, size=args.image_size,
                             channels=data.channels, info={"source": str(args.images)})
    recipe = UserRecipe(steps=steps, image_size=args.image_size, seed=args.seed,
                        base_channels=settings.train_base_channels, checkpoint_every=settings.train_checkpoint_every,
                        sample_every=settings.train_sample_every,
                        calibration_batches=settings.train_calibration_batches,
                        precision=settings.train_precision)
    trainer = open_trainer(dataset, recipe, run_dir, progress_bar=not args.no_progress)
    if trainer.step:
        print(f"resuming {run_dir} at step {trainer.step} of {steps}", flush=True)
    try:
        trainer.run(run_dir)
    except KeyboardInterrupt:
        print(f"\nstopped at step {trainer.step}; the last snapshot is in {run_dir}: run the same command with "
              "--resume to continue", file=sys.stderr)
        return 130
    source = {"folder": args.images.name, "classes": list(data.classes), "channels": data.channels}
    if args.export is not None:
        path = export_user_model(trainer, args.export, model_id=base_id, name=args.name, recipe=recipe,
                                 data=dataset, source=source)
        print(path)
        return 0
    space = open_user_models(settings)
    registry = open_registry(settings, space)
    model_id = space.claim(owner=f"cli:{run_dir.resolve()}", base_id=base_id, registry=registry)
    with tempfile.TemporaryDirectory(prefix="atelier-export-") as tmp:
        export_user_model(trainer, Path(tmp), model_id=model_id, name=args.name, recipe=recipe, data=dataset,
                          source=source)
        space.publish(model_id, Path(tmp))
    print(f"registered model {model_id} in {space.folder}\n"
          f"  atelier generate --model {model_id} --count 16 --out out/   (or pick it on the studio's Generate page)")
    return 0
