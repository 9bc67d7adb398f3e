"""The restore job: denoise, inpaint or auto-repair one uploaded photo.

auto = the damage detector finds scratches, dust, specks, blotches and tears (or the user's edited mask is used
instead), the inpainter fills them, the blind denoiser reduces grain; the detected mask is returned too so a
person can edit it and run again. The CLI (`atelier restore`) calls `restore_photo` directly.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from atelier.errors import BadInput
from worker.images import encode_png
from worker.outputs import JobOutput
from worker.photo_io import Photo, decode_mask, decode_photo, encode_photo
from worker.records import ImageInfo, JobRecord
from worker.runtime import LoadedModel, ModelCache
from worker.store import Store

Progress = Callable[[float], None]
TASKS = ("denoise", "inpaint", "auto")
# standard: one pass of each network (blind denoising: a level-estimating pass first). high: each network on the 8
# flips and rotations of the photo, averaged (models/restore.py: self_ensemble): 4-8x the time for a measured gain
# (docs/BENCHMARKS.md#photo-repair).
QUALITIES = ("standard", "high")
# Which networks each task runs (model ids in the registry).
TASK_MODELS: dict[str, tuple[str, ...]] = {
    "denoise": ("denoise",),
    "inpaint": ("inpaint",),
    "auto": ("detect", "inpaint", "denoise"),
}
# The API enforces the configured pixel limit before a job exists; this only guards the worker itself.
WORKER_MAX_PIXELS = 250_000_000


def input_key(sha256: str) -> str:
    return f"inputs/{sha256}"


def _stage(on_progress: Progress, start: float, end: float) -> Progress:
    return lambda f: on_progress(start + (end - start) * f)


class Restored(NamedTuple):
    image: np.ndarray  # repaired RGB (H, W, 3) in [0, 1]
    mask: np.ndarray | None  # the damage mask auto used, else None
    noise_level: float | None  # the level the denoiser ran with (estimated when blind), or None: no denoising

    @property
    def shown_level(self) -> float | None:
        """noise_level as the PNG's metadata and the job record show it."""
        return None if self.noise_level is None else round(self.noise_level, 2)


def restore_photo(task: str, photo: Photo, mask: np.ndarray | None, *, sigma: float | None,
                  nets: dict[str, LoadedModel], quality: str = "standard", on_progress: Progress = lambda f: None,
                  ) -> Restored:
    from models import restore

    if quality not in QUALITIES:
        raise BadInput(f"Unknown quality {quality!r}; choose one of {', '.join(QUALITIES)}.")
    ensemble = quality == "high"
    rgb = photo.rgb
    if task == "denoise":
        net = nets["denoise"]
        result, level = restore.denoise_with_level(net.net, rgb, sigma=sigma, device=net.device, ensemble=ensemble,
                                                   on_progress=on_progress)
        return Restored(result, None, level)
    if task == "inpaint":
        if mask is None or not mask.any():
            raise BadInput("Inpainting needs a mask that marks the areas to fill in white.")
        net = nets["inpaint"]
        return Restored(restore.inpaint(net.net, rgb, mask, device=net.device, ensemble=ensemble,
                                        on_progress=on_progress), None, None)
    if task != "auto":
        raise BadInput(f"Unknown task {task!r}; choose one of {', '.join(TASKS)}.")
    if mask is None:
        det = nets["detect"]
        mask = restore.detect(det.net, rgb, device=det.device, ensemble=ensemble,
                              on_progress=_stage(on_progress, 0.0, 0.3))
    inp = nets["inpaint"]
    filled = restore.inpaint(inp.net, rgb, mask, device=inp.device, ensemble=ensemble,
                             on_progress=_stage(on_progress, 0.3, 0.7)) if mask.any() else rgb
    den = nets["denoise"]
    result, level = restore.denoise_with_level(den.net, filled, sigma=sigma, device=den.device, ensemble=ensemble,
                                               on_progress=_stage(on_progress, 0.7, 1.0))
    return Restored(result, mask, level)


def provenance_for(task: str, nets: dict[str, LoadedModel], *, sigma: float | None, image_sha256: str | None,
                   mask_sha256: str | None, quality: str = "standard", noise_level: float | None = None
                   ) -> dict[str, Any]:
    """What the PNG's metadata records. sigma is the user's option (None = blind); noise_level, when the blind
    denoiser estimated one, is what it read off the photo: a user can give it back as sigma to set the strength
    relative to it, and the same options reproduce the same result either way."""
    prov = {"kind": "restore", "task": task, "sigma": sigma, "quality": quality, "image_sha256": image_sha256,
            "mask_sha256": mask_sha256, "models": {m: n.info.version for m, n in nets.items()}}
    if sigma is None and noise_level is not None:
        prov["estimated_sigma"] = noise_level
    return prov


def encode_mask(mask: np.ndarray, provenance: dict[str, Any]) -> bytes:
    """White = damaged, the same convention as uploaded masks, so an edited mask can be sent straight back."""
    return encode_png((mask * 255).astype(np.uint8), {**provenance, "output": "damage-mask"})


def run_restore_job(record: JobRecord, *, store: Store, models: ModelCache, on_progress: Progress) -> JobOutput:
    params = record.params
    task = params["task"]
    photo = decode_photo(_input(store, params["image"]), max_pixels=WORKER_MAX_PIXELS)
    mask = None
    if params.get("mask"):
        mask = decode_mask(_input(store, params["mask"]), size=photo.size, max_pixels=WORKER_MAX_PIXELS)
    nets = {model_id: models.get(model_id) for model_id in TASK_MODELS[task]}
    quality = params.get("quality", "standard")  # jobs queued before the option existed ran one pass
    restored = restore_photo(task, photo, mask, sigma=params.get("sigma"), nets=nets, quality=quality,
                             on_progress=on_progress)
    result, used_mask = restored.image, restored.mask
    provenance = provenance_for(task, nets, sigma=params.get("sigma"), image_sha256=params["image"],
                                mask_sha256=params.get("mask"), quality=quality, noise_level=restored.shown_level)
    png = encode_photo(photo, result, provenance)
    outputs = [(ImageInfo(index=0, label="result", noise_level=restored.shown_level), png)]
    if task == "auto" and used_mask is not None:
        outputs.append((ImageInfo(index=1, label="mask"), encode_mask(used_mask, provenance)))
    return JobOutput(images=outputs, primary=png, device=str(next(iter(nets.values())).device))


def _input(store: Store, sha256: str) -> bytes:
    data = store.get_blob(input_key(sha256))
    if data is None:
        raise BadInput("The uploaded file has expired from the store; upload it again.")
    return data
