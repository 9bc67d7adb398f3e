"""The generate job: one PNG per seed plus a grid, each carrying its provenance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from atelier.errors import UnknownClass
from models.generate import sample_one
from models.seeding import MAX_SEED, class_for_seed
from worker.images import encode_png, make_grid
from worker.outputs import JobOutput
from worker.records import ImageInfo, JobRecord
from worker.runtime import LoadedModel, ModelCache
from worker.store import Store


@dataclass
class GeneratedImage:
    index: int
    seed: int
    class_name: str | None
    png: bytes


@dataclass
class GenerateOutput:
    images: list[GeneratedImage]
    grid_png: bytes


def generate_images(
    model: LoadedModel,
    *,
    seed: int,
    count: int,
    class_name: str | None,
    truncation: float,
    on_progress: Callable[[float], None] = lambda fraction: None,
) -> GenerateOutput:
    """Image i is drawn from seed + i (mod 2^32), so every image can be re-created alone from its metadata."""
    info = model.info
    classes = list(info.classes)
    if class_name is not None and class_name not in classes:
        raise UnknownClass(f"model {info.id!r} has no class {class_name!r}; it knows {classes}")
    base: dict[str, Any] = {"kind": "generate", "model": info.id, "model_version": info.version,
                            "truncation": truncation}
    images, pixels = [], []
    for i in range(count):
        image_seed = (seed + i) % (MAX_SEED + 1)
        if classes:
            idx = classes.index(class_name) if class_name is not None else class_for_seed(image_seed, len(classes))
        else:
            idx = None
        sample = sample_one(model.net, seed=image_seed, class_index=idx, truncation=truncation,
                            latent_dim=int(info.config["latent_dim"]), device=model.device)
        name = classes[idx] if idx is not None else None
        png = encode_png(sample.pixels, {**base, "seed": image_seed, "class": name, "count": 1})
        images.append(GeneratedImage(index=i, seed=image_seed, class_name=name, png=png))
        pixels.append(sample.pixels)
        on_progress((i + 1) / count)
    if count == 1:
        return GenerateOutput(images=images, grid_png=images[0].png)  # a grid of one is the image itself
    grid = encode_png(make_grid(pixels), {**base, "seed": seed, "count": count, "class": class_name,
                                           "images": [{"seed": im.seed, "class": im.class_name} for im in images]})
    return GenerateOutput(images=images, grid_png=grid)


def run_generate_job(record: JobRecord, *, store: Store, models: ModelCache,
                     on_progress: Callable[[float], None]) -> JobOutput:
    params = record.params
    model = models.get(params["model"])
    out = generate_images(model, seed=params["seed"], count=params["count"], class_name=params.get("class"),
                          truncation=params["truncation"], on_progress=on_progress)
    images = [(ImageInfo(index=im.index, seed=im.seed, class_name=im.class_name), im.png) for im in out.images]
    return JobOutput(images=images, primary=out.grid_png, device=str(model.device))
