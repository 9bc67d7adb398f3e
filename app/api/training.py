"""/api/v1/jobs/train (and the cancel and sample-grid routes long jobs need): train a generator on your images."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from app.api.jobs import ERRORS, PNG
from app.deps import ServicesDep
from app.schemas import ErrorResponse, JobCreated, JobView
from app.services import cancel_job, job_view
from app.training import latest_samples, submit_train

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

TRAIN_ERRORS = {**ERRORS, 415: {"model": ErrorResponse}}


@router.post("/train", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=TRAIN_ERRORS)
def create_train_job(
    services: ServicesDep,
    response: Response,
    images: Annotated[UploadFile, File(description="A .zip of your images (PNG, JPEG, WebP, BMP, GIF, TIFF); "
                                                   "sub-folders with enough images each become classes")],
    name: Annotated[str, Form(description="The model's name; its id is this in kebab-case, made unique")],
    steps: Annotated[int | None, Form(description="Optimiser steps (default and limit: see the server's "
                                                  "settings)")] = None,
    image_size: Annotated[int, Form(description="Training resolution: 32 or 64 pixels square")] = 64,
    seed: Annotated[int | None, Form(description="Seeds initialisation, data order and noise; omitted: random, "
                                                 "recorded in the job")] = None,
) -> JobCreated:
    """Check the zip (count, sizes, duplicates, damaged files, zip bombs, unsafe names; every problem is a 4xx
    naming the files), then queue a training job. Poll the job: `train` reports the step, losses, time left and
    the latest sample grid; on success `train.model_id` is a new model that generate, interpolate and variations
    accept like a shipped one. A worker that stops mid-way is replaced and the job resumes from its checkpoint."""
    record, _data = submit_train(services, images=images.file.read(), filename=images.filename, name=name,
                                 steps=steps, image_size=image_size, seed=seed)
    url = f"/api/v1/jobs/{record.id}"
    response.headers["Location"] = url
    return JobCreated(id=record.id, status_url=url)


@router.post("/{job_id}/cancel", response_model=JobView, responses={c: ERRORS[c] for c in (404, 409, 503)})
def cancel(job_id: str, services: ServicesDep) -> JobView:
    """Cancel a queued or running job: a queued one at once, a running one at its next step (`cancel_requested`
    is true meanwhile; poll until `status` is `cancelled`). 409 when it already finished."""
    return job_view(cancel_job(services, job_id))


@router.get("/{job_id}/samples/latest", response_class=Response, responses={**PNG, **ERRORS})
def read_latest_samples(job_id: str, services: ServicesDep) -> Response:
    """The newest sample grid of a train job (one row per class, fixed noise); 404 until the first is drawn."""
    return Response(content=latest_samples(services, job_id), media_type="image/png",
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
