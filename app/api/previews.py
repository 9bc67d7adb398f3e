"""/api/v1/previews: a photo as a PNG any browser can show, on the pixel grid a repair job will use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from app.deps import ServicesDep
from app.schemas import ErrorResponse
from app.services import photo_preview

router = APIRouter(prefix="/api/v1/previews", tags=["previews"])

RESPONSES = {
    200: {"content": {"image/png": {}},
          "description": "An 8-bit sRGB PNG at the photo's full size, EXIF orientation applied"},
    **{code: {"model": ErrorResponse} for code in (413, 422)},
}


@router.post("", response_class=Response, responses=RESPONSES)
def create_preview(
    services: ServicesDep,
    image: Annotated[UploadFile, File(description="The photo: PNG, JPEG, WebP or TIFF, 8 or 16 bit")],
) -> Response:
    """Decode a photo exactly as `POST /api/v1/jobs/restore` will and answer it as an 8-bit sRGB PNG.

    Why it exists: old-photo scans are often TIFF, often 16-bit or CMYK, which the repair API takes but browsers
    cannot display, so the studio could not show them to paint a mask on. The studio shows this PNG instead and
    still sends the original file as the job's image (its depth and ICC profile are kept). The preview has the
    job's pixel grid (full resolution, EXIF orientation applied), so a mask painted on it has the job's size.

    The upload is checked like a restore upload (422 not an image, empty, truncated or corrupt; 413 over the
    upload or pixel limit). Nothing is queued or stored.
    """
    png = photo_preview(services, image=image.file.read())
    return Response(content=png, media_type="image/png", headers={
        "Cache-Control": "no-store",  # nothing is kept: the page holds the PNG for as long as it needs it
        "X-Content-Type-Options": "nosniff",
    })
