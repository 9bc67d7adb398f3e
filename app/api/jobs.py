"""/api/v1/jobs: submit jobs, read their status, fetch their PNGs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from app.deps import ServicesDep
from app.schemas import ErrorResponse, GenerateRequest, JobCreated, JobView
from app.services import get_job, job_view, result_png, submit_generate, submit_restore

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

ERRORS = {code: {"model": ErrorResponse} for code in (404, 409, 413, 422, 503)}
PNG = {200: {"content": {"image/png": {}}, "description": "The PNG, with its parameters in a text chunk"}}


@router.post("/generate", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated, responses=ERRORS)
def create_generate_job(body: GenerateRequest, services: ServicesDep, response: Response) -> JobCreated:
    """Queue a generate job (or answer it from the result cache). Poll `status_url` until it finishes."""
    record = submit_generate(services, body)
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
) -> JobCreated:
    """Queue a photo repair. The result is the repaired PNG (same bit depth, alpha and ICC profile as the
    upload); an auto repair also returns the detected damage mask as image 1."""
    # An empty mask part counts as no mask: browsers send one for an untouched file input.
    mask_bytes = (mask.file.read() or None) if mask is not None else None
    record = submit_restore(services, task=task, image=image.file.read(), mask=mask_bytes, sigma=sigma)
    url = f"/api/v1/jobs/{record.id}"
    response.headers["Location"] = url
    return JobCreated(id=record.id, status_url=url)


@router.get("/{job_id}", response_model=JobView, responses=ERRORS)
def read_job(job_id: str, services: ServicesDep) -> JobView:
    return job_view(get_job(services, job_id))


def _png_response(data: bytes, filename: str, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(content=data, media_type="image/png", headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        # A job's result never changes once written.
        "Cache-Control": "private, max-age=86400, immutable",
    })


@router.get("/{job_id}/result", response_class=Response, responses={**PNG, **ERRORS})
def read_result_grid(job_id: str, services: ServicesDep, download: bool = False) -> Response:
    """All images of the job tiled in one PNG (for count = 1, the image itself)."""
    data, filename = result_png(services, job_id, None)
    return _png_response(data, filename, download)


@router.get("/{job_id}/result/{index}", response_class=Response, responses={**PNG, **ERRORS})
def read_result_image(job_id: str, index: int, services: ServicesDep, download: bool = False) -> Response:
    data, filename = result_png(services, job_id, index)
    return _png_response(data, filename, download)
