"""The upscale job: one image (a result of an earlier job, or an upload) made `scale` times larger.

The method is models/upscale.py's `ibp-tv`; plain bicubic of the same image comes with it as image 1, so the
studio (and anyone) can compare. Both PNGs keep the source's bit depth, grey or colour, alpha and ICC profile,
and say in their metadata what they are: method, scale, the source's hash and, when the source was one of our
PNGs, the source's own metadata (model, seed, class...), so the upscaled image still says how to re-create it.
The CLI (`atelier upscale`) calls `upscale_photo` and `encode_upscaled` directly.
"""

from __future__ import annotations

import io
import json
from typing import Any, Callable

import numpy as np
from PIL import Image

from atelier.errors import BadInput, TooLarge
from models import upscale as up
from worker.images import PROVENANCE_KEY
from worker.outputs import JobOutput
from worker.photo_io import Photo, decode_photo, encode_photo
from worker.records import ImageInfo, JobRecord
from worker.restore import WORKER_MAX_PIXELS, input_key
from worker.runtime import ModelCache
from worker.store import Store

COMPARISON = "bicubic"  # the plain method returned beside ours, as image 1
MAX_SIDE = 4096  # no result side may exceed this (the API refuses larger with 413 before a job exists)


def upscale_photo(photo: Photo, scale: int, method: str = up.METHOD,
                  on_progress: Callable[[float], None] = lambda fraction: None) -> Photo:
    """The photo `scale` times larger, its colour and alpha upscaled together (alpha premultiplied); grey stays
    one channel, so it costs a third of colour."""
    colour = photo.rgb[..., :1] if photo.grayscale else photo.rgb  # (H, W, 1|3) float32 in [0, 1]
    planes = colour if photo.alpha is None else np.concatenate([colour, photo.alpha[..., None]], axis=2)
    big = up.upscale(planes.astype(np.float32), scale, method, on_progress=on_progress)  # (sH, sW, C)
    alpha = big[..., -1] if photo.alpha is not None else None
    colour = big[..., :colour.shape[2]]
    rgb = np.repeat(colour, 3, axis=2) if photo.grayscale else colour
    return Photo(rgb=np.ascontiguousarray(rgb), alpha=None if alpha is None else np.ascontiguousarray(alpha),
                  grayscale=photo.grayscale, bit_depth=photo.bit_depth, icc_profile=photo.icc_profile,
                  source_format=photo.source_format)


def source_provenance(data: bytes) -> dict[str, Any] | None:
    """The Atelier metadata of a PNG (what made it), or None for any other file. Our PNGs carry it before the pixel
    data, where opening the file reads it (`info`), so nothing is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            text = img.info.get(PROVENANCE_KEY)
        return json.loads(text) if isinstance(text, str) else None
    except (OSError, ValueError):
        return None


def provenance_for(method: str, scale: int, *, width: int, height: int, image_sha256: str | None,
                   source: dict[str, Any] | None) -> dict[str, Any]:
    return {"kind": "upscale", "method": method, "method_version": up.METHOD_VERSION if method == up.METHOD else None,
            "scale": scale, "width": width, "height": height, "image_sha256": image_sha256, "source": source}


def encode_upscaled(big: Photo, provenance: dict[str, Any]) -> bytes:
    return encode_photo(big, big.rgb, provenance)


def check_scale(scale: int, size: tuple[int, int], *, max_pixels: int, max_side: int = MAX_SIDE) -> None:
    """BadInput for a scale we do not offer; TooLarge when the result of (W, H) = size would be too big."""
    if scale not in up.SCALES:
        raise BadInput(f"scale must be one of {', '.join(map(str, up.SCALES))}; got {scale}.")
    w, h = size[0] * scale, size[1] * scale
    if max(w, h) > max_side:
        raise TooLarge(f"{size[0]}×{size[1]} ×{scale} would be {w}×{h}; a side may be at most {max_side} pixels.")
    if w * h > max_pixels:
        raise TooLarge(f"{size[0]}×{size[1]} ×{scale} would be {w}×{h} = {w * h / 1e6:.1f} megapixels; the limit "
                       f"is {max_pixels / 1e6:.0f} megapixels.")


def run_upscale_job(record: JobRecord, *, store: Store, models: ModelCache,
                    on_progress: Callable[[float], None]) -> JobOutput:
    p = record.params
    data = store.get_blob(input_key(p["image"]))
    if data is None:
        raise BadInput("The image to upscale has expired from the store; send it again.")
    photo = decode_photo(data, max_pixels=WORKER_MAX_PIXELS)
    scale = int(p["scale"])
    source = source_provenance(data)
    outputs = []
    for index, method in enumerate((up.METHOD, COMPARISON)):
        big = upscale_photo(photo, scale, method, on_progress=on_progress if method == up.METHOD else lambda f: None)
        prov = provenance_for(method, scale, width=big.size[0], height=big.size[1], image_sha256=p["image"],
                              source=source)
        outputs.append((ImageInfo(index=index, label=method), encode_upscaled(big, prov)))
    return JobOutput(images=outputs, primary=outputs[0][1], device="cpu")
