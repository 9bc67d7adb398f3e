"""/api/v1/jobs: submit jobs, read their status, fetch their PNGs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from app.deps import ServicesDep
from app.exploring import submit_interpolate, submit_variations
from app.upscaling import submit_upscale
from app.schemas import (
    ErrorResponse,
    GenerateRequest,
    InterpolateRequest,
    JobCreated,
    JobView,
    VariationsRequest,
)
from app.services import (
    delete_job,
    get_job,
    job_input,
    job_view,
    result_animation,
    result_png,
    submit_generate,
    submit_restore,
)
from worker.records import JobRecord

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

ERRORS = {code: {"model": ErrorResponse} for code in (404, 409, 413, 422, 503)}
PNG = {200: {"content": {"image/png": {}}, "description": "The PNG, with its parameters in a text chunk"}}
WEBP = {200: {"content": {"image/webp": {}}, "description": "Looped, lossless animated WebP of the frames"}}
UPLOAD = {200: {"content": {t: {} for t in ("image/png", "image/jpeg", "image/webp", "image/tiff")},
                "description": "The bytes exactly as uploaded, with their sniffed media type"}}


@router.post("/generate", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=ERRORS)
def create_generate_job(body: GenerateRequest, services: ServicesDep, response: Response) -> JobCreated:
    """Queue a generate job (or answer it from the result cache). Poll `status_url` until it finishes."""
    record = submit_generate(services, body)
    url = f"/api/v1/jobs/{record.id}"
    response.headers["Location"] = url
    return JobCreated(id=record.id, status_url=url)


@router.post("/interpolate", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=ERRORS)
def create_interpolate_job(body: InterpolateRequest, services: ServicesDep, response: Response) -> JobCreated:
    """Queue an interpolation between two images of one model: slerp of their latents, their classes blended in
    embedding space. Results: the frames (each PNG says how to re-create it), the frame strip as `grid_url`, and a
    looped animated WebP at `animation_url`. Either end may be an image of an earlier generate job."""
    return _created(submit_interpolate(services, body), response)


@router.post("/variations", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=ERRORS)
def create_variations_job(body: VariationsRequest, services: ServicesDep, response: Response) -> JobCreated:
    """Queue variations of one image (a seed, or an image of an earlier generate job): each latent is the
    source's turned `strength` of the way towards its own seeded noise (slerp), in the source's class."""
    return _created(submit_variations(services, body), response)


def _created(record: JobRecord, response: Response) -> JobCreated:
    url = f"/api/v1/jobs/{record.id}"
    response.headers["Location"] = url
    return JobCreated(id=record.id, status_url=url)


@router.post("/restore", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=ERRORS)
def create_restore_job(
    services: ServicesDep,
    response: Response,
    image: Annotated[UploadFile, File(description="The photo: PNG, JPEG, WebP or TIFF, 8 or 16 bit")],
    task: Annotated[Literal["denoise", "inpaint", "auto"], Form(description="denoise | inpaint | auto")],
    mask: Annotated[UploadFile | None, File(description="inpaint (required) / auto (optional, skips "
                                                        "detection): same size as the image, white = repair")] = None,
    sigma: Annotated[float | None, Form(ge=0, le=75, description="Noise level / strength on the 0-255 scale; "
                                                                 "omitted = blind (estimated)")] = None,
    quality: Annotated[Literal["standard", "high"], Form(
        description="standard: one pass of each network; high: each network on the 8 flips and rotations of the "
                    "photo, averaged — 4-8x the time, measurably better (docs/BENCHMARKS.md)")] = "standard",
) -> JobCreated:
    """Queue a photo repair. The result is the repaired PNG (same bit depth, alpha and ICC profile as the
    upload); an auto repair also returns the detected damage mask as image 1."""
    # An empty mask part counts as no mask: browsers send one for an untouched file input.
    mask_bytes = (mask.file.read() or None) if mask is not None else None
    record = submit_restore(services, task=task, image=image.file.read(), mask=mask_bytes, sigma=sigma,
                            quality=quality)
    url = f"/api/v1/jobs/{record.id}"
    response.headers["Location"] = url
    return JobCreated(id=record.id, status_url=url)


@router.post("/upscale", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=ERRORS)
def create_upscale_job(
    services: ServicesDep,
    response: Response,
    image: Annotated[UploadFile | None, File(description="The image to upscale: PNG, JPEG, WebP or TIFF, 8 or 16 "
                                                         "bit (or leave it out and give `job`)")] = None,
    job: Annotated[str | None, Form(description="Or: id of a finished job whose image to upscale ...")] = None,
    index: Annotated[int, Form(ge=0, description="... and which of its images (0 = the first)")] = 0,
    scale: Annotated[int, Form(description="2, 3, 4 or 8")] = 4,
) -> JobCreated:
    """Queue an upscale: the image `scale` times larger by `ibp-tv` (iterative back-projection with a
    total-variation prior, docs/BENCHMARKS.md#upscaling). Image 0 is ours, image 1 plain bicubic for comparison;
    both keep the source's bit depth, alpha and ICC profile and carry the source's metadata. A result side may be
    at most 4096 pixels (413 beyond, or beyond the server's pixel limit)."""
    # An empty file part counts as no file: browsers send one for an untouched file input.
    data = (image.file.read() or None) if image is not None else None
    return _created(submit_upscale(services, image=data, job=job or None, index=index, scale=scale), response)


@router.get("/{job_id}", response_model=JobView, responses=ERRORS)
def read_job(job_id: str, services: ServicesDep) -> JobView:
    return job_view(get_job(services, job_id))


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={code: ERRORS[code] for code in (404, 409, 503)})
def remove_job(job_id: str, services: ServicesDep) -> Response:
    """Delete a finished job: its record goes and its result URLs answer 404 from then on. A job still queued or
    running cannot be deleted (409)."""
    delete_job(services, job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _file_response(data: bytes, media_type: str, filename: str, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(content=data, media_type=media_type, headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        # A job's results and inputs never change once written (inputs are even named by their content).
        "Cache-Control": "private, max-age=86400, immutable",
        "X-Content-Type-Options": "nosniff",
    })


def _png_response(data: bytes, filename: str, download: bool) -> Response:
    return _file_response(data, "image/png", filename, download)


@router.get("/{job_id}/result", response_class=Response, responses={**PNG, **ERRORS})
def read_result_grid(job_id: str, services: ServicesDep, download: bool = False) -> Response:
    """All images of the job tiled in one PNG (for count = 1, the image itself)."""
    data, filename = result_png(services, job_id, None)
    return _png_response(data, filename, download)


@router.get("/{job_id}/result/{index}", response_class=Response, responses={**PNG, **ERRORS})
def read_result_image(job_id: str, index: int, services: ServicesDep, download: bool = False) -> Response:
    data, filename = result_png(services, job_id, index)
    return _png_response(data, filename, download)


@router.get("/{job_id}/animation", response_class=Response, responses={**WEBP, **ERRORS})
def read_animation(job_id: str, services: ServicesDep, download: bool = False) -> Response:
    """The looped animated WebP of an interpolate job (404 for other kinds of job)."""
    data, filename = result_animation(services, job_id)
    return _file_response(data, "image/webp", filename, download)


@router.get("/{job_id}/input/image", response_class=Response, responses={**UPLOAD, **ERRORS})
def read_input_image(job_id: str, services: ServicesDep, download: bool = False) -> Response:
    """The photo a repair job was submitted with, byte for byte (404 for generate jobs, or once it expired)."""
    return _file_response(*job_input(services, job_id, "image"), download)


@router.get("/{job_id}/input/mask", response_class=Response, responses={**UPLOAD, **ERRORS})
def read_input_mask(job_id: str, services: ServicesDep, download: bool = False) -> Response:
    """The mask a repair job was submitted with (404 when it had none: denoise, or auto with detection)."""
    return _file_response(*job_input(services, job_id, "mask"), download)
