"""/api/v1/jobs: submit jobs, read their status, fetch their PNGs."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.deps import ServicesDep
from app.schemas import ErrorResponse, GenerateRequest, JobCreated, JobView
from app.services import get_job, job_view, result_png, submit_generate

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
