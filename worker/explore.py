"""The interpolate and variations jobs: PNGs that each carry what re-creates them, plus a strip, grid, animation.

The maths is in models/explore.py; here are the job shapes, the provenance and the files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from PIL import Image

from atelier.errors import BadInput, UnknownClass
from models.explore import (
    class_input,
    frame_times,
    interpolation_latent,
    render,
    variation_latent,
)
from models.seeding import MAX_SEED, class_for_seed
from worker.images import encode_png, make_grid
from worker.outputs import JobOutput
from worker.records import ImageInfo, JobRecord
from worker.runtime import LoadedModel, ModelCache
from worker.store import Store

# Animated WebP, not GIF: lossless (GIF would dither the colour models down to 256 colours) and several times
# smaller; every current browser plays it. Frame time 1/12 s.
ANIMATION_FORMAT = "webp"
ANIMATION_MEDIA_TYPE = "image/webp"
FRAME_MS = 83


@dataclass
class ExploreImage:
    index: int
    png: bytes
    pixels: np.ndarray
    info: ImageInfo


@dataclass
class ExploreOutput:
    images: list[ExploreImage]
    summary_png: bytes  # interpolate: the frame strip (one row); variations: the grid
    animation: bytes | None = None  # interpolate only: the looped animated WebP


def _class_index(model: LoadedModel, class_name: str | None) -> int | None:
    classes = list(model.info.classes)
    if not classes:
        if class_name is not None:
            raise UnknownClass(f"model {model.info.id!r} is unconditional; it takes no class")
        return None
    if class_name not in classes:
        raise UnknownClass(f"model {model.info.id!r} has no class {class_name!r}; it knows {classes}")
    return classes.index(class_name)


def default_class(model: LoadedModel, seed: int, class_name: str | None) -> str | None:
    """The class a generate job draws for this seed when asked for none, so that an end given as a bare seed is
    the image generate makes from it."""
    classes = list(model.info.classes)
    if not classes or class_name is not None:
        return class_name
    return classes[class_for_seed(seed, len(classes))]


def _base(model: LoadedModel, kind: str, truncation: float) -> dict[str, Any]:
    return {"kind": kind, "model": model.info.id, "model_version": model.info.version, "truncation": truncation}


def interpolation_frame(model: LoadedModel, *, start: dict[str, Any], end: dict[str, Any], t: float,
                        truncation: float) -> np.ndarray:
    """The pixels of one frame; `start` and `end` are {"seed", "class"}. A frame's PNG metadata holds all of it."""
    a, b = _class_index(model, start.get("class")), _class_index(model, end.get("class"))
    z = interpolation_latent(start["seed"], end["seed"], t, latent_dim=int(model.info.config["latent_dim"]),
                             truncation=truncation)
    return render(model.net, z, class_input(len(model.info.classes), a, b, t), model.device)


def interpolate(model: LoadedModel, *, start: dict[str, Any], end: dict[str, Any], frames: int, truncation: float,
                ease: str = "linear", pingpong: bool = False,
                on_progress: Callable[[float], None] = lambda fraction: None) -> ExploreOutput:
    """`frames` images from `start` to `end` inclusive; the animation plays them forwards and loops (forwards then
    backwards with `pingpong`)."""
    if frames < 2:
        raise BadInput(f"an interpolation needs at least 2 frames; got {frames}")
    base = _base(model, "interpolate", truncation)
    conditional = bool(model.info.classes)
    images = []
    for i, t in enumerate(frame_times(frames, ease)):
        pixels = interpolation_frame(model, start=start, end=end, t=t, truncation=truncation)
        prov = {**base, "from": start, "to": end, "t": t, "method": "slerp",
                "class_mix": "linear-embedding" if conditional else None, "ease": ease, "frame": i, "frames": frames}
        images.append(ExploreImage(index=i, png=encode_png(pixels, prov), pixels=pixels,
                                   info=ImageInfo(index=i, t=t)))
        on_progress((i + 1) / frames)
    strip = encode_png(make_grid([im.pixels for im in images], cols=frames),
                       {**base, "from": start, "to": end, "method": "slerp", "ease": ease, "frames": frames,
                        "t": [im.info.t for im in images]})
    order = [im.pixels for im in images]
    if pingpong:
        order += order[-2:0:-1]
    return ExploreOutput(images=images, summary_png=strip, animation=encode_animation(order))


def encode_animation(frames: list[np.ndarray]) -> bytes:
    """Looped, lossless animated WebP of same-sized uint8 frames."""
    pics = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    pics[0].save(buf, format="WEBP", save_all=True, append_images=pics[1:], duration=FRAME_MS, loop=0,
                 lossless=True, quality=100, method=4)
    return buf.getvalue()


def variation_image(model: LoadedModel, *, seed: int, class_name: str | None, variation_seed: int,
                    strength: float, truncation: float) -> np.ndarray:
    """The pixels of one variation; every argument is in its PNG metadata."""
    z = variation_latent(seed, variation_seed, strength, latent_dim=int(model.info.config["latent_dim"]),
                         truncation=truncation)
    idx = _class_index(model, class_name)
    return render(model.net, z, class_input(len(model.info.classes), idx, idx, 0.0), model.device)


def variations(model: LoadedModel, *, seed: int, class_name: str | None, count: int, strength: float,
               variation_seed: int, truncation: float,
               on_progress: Callable[[float], None] = lambda fraction: None) -> ExploreOutput:
    """Variation i uses variation seed variation_seed + i (mod 2^32)."""
    if count < 1 or not 0.0 <= strength <= 1.0:
        raise BadInput(f"count must be at least 1 and strength within 0..1; got {count} and {strength}")
    base = {**_base(model, "variations", truncation), "seed": seed, "class": class_name, "strength": strength,
            "method": "slerp"}
    images = []
    for i in range(count):
        vseed = (variation_seed + i) % (MAX_SEED + 1)
        pixels = variation_image(model, seed=seed, class_name=class_name, variation_seed=vseed, strength=strength,
                                 truncation=truncation)
        images.append(ExploreImage(index=i, png=encode_png(pixels, {**base, "variation_seed": vseed}),
                                   pixels=pixels, info=ImageInfo(index=i, seed=seed, class_name=class_name,
                                                                 variation_seed=vseed)))
        on_progress((i + 1) / count)
    summary = images[0].png if count == 1 else encode_png(
        make_grid([im.pixels for im in images]), {**base, "variation_seed": variation_seed, "count": count})
    return ExploreOutput(images=images, summary_png=summary)


def run_interpolate_job(record: JobRecord, *, store: Store, models: ModelCache,
                        on_progress: Callable[[float], None]) -> JobOutput:
    p = record.params
    model = models.get(p["model"])
    out = interpolate(model, start=p["from"], end=p["to"], frames=p["frames"], truncation=p["truncation"],
                      ease=p["ease"], pingpong=p["pingpong"], on_progress=on_progress)
    assert out.animation is not None
    return JobOutput(images=[(im.info, im.png) for im in out.images], primary=out.summary_png,
                     device=str(model.device), extras={"animation": out.animation})


def run_variations_job(record: JobRecord, *, store: Store, models: ModelCache,
                       on_progress: Callable[[float], None]) -> JobOutput:
    p = record.params
    model = models.get(p["model"])
    out = variations(model, seed=p["seed"], class_name=p["class"], count=p["count"], strength=p["strength"],
                     variation_seed=p["variation_seed"], truncation=p["truncation"], on_progress=on_progress)
    return JobOutput(images=[(im.info, im.png) for im in out.images], primary=out.summary_png,
                     device=str(model.device))
