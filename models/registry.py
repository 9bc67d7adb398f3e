"""The model registry: which networks exist, read from manifests without importing torch.

Each model is two files side by side in a weights folder, and a generator may have a third:

    <id>.json         manifest: id, kind, architecture, version, classes, config, metrics, card
    <id>.safetensors  weights (the EMA generator for GANs), the manifest repeated in its metadata
    <id>.preview.png  sample grid from fixed seeds (models/preview.py), shown where an artist picks a model

Model ids are short kebab-case strings used alike in URLs, file names and PNG metadata.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PREVIEW_SUFFIX = ".preview.png"


def preview_path_for(model_file: Path) -> Path:
    """Where a model's preview lives: beside its manifest and weights (either may be given), <id>.preview.png."""
    return model_file.with_name(model_file.stem + PREVIEW_SUFFIX)


@dataclass(frozen=True)
class ModelInfo:
    id: str  # kebab-case id, e.g. "digits"
    kind: str  # "generator" (later: "restore")
    architecture: str  # key into models.networks.ARCHITECTURES
    version: str  # bumped whenever the weights change; part of every cache key
    description: str
    classes: tuple[str, ...]  # class names a request may ask for; empty for unconditional models
    image_size: int  # side of a generated image, pixels
    channels: int  # 1 = grayscale, 3 = RGB
    config: dict[str, Any]  # the architecture's config dataclass, as saved by training
    metrics: dict[str, Any] = field(default_factory=dict)  # measured quality, see docs/BENCHMARKS.md
    card: str | None = None  # path of the model card, relative to the repository
    weights_path: Path | None = None  # <id>.safetensors beside the manifest
    preview_path: Path | None = None  # <id>.preview.png beside the manifest, None when there is none
    origin: str | None = None  # where it came from when not shipped, e.g. "trained from your images"

    def public(self) -> dict[str, Any]:
        """What GET /api/v1/models shows."""
        return {
            "id": self.id,
            "kind": self.kind,
            "version": self.version,
            "description": self.description,
            "classes": list(self.classes),
            "image_size": self.image_size,
            "channels": self.channels,
            "metrics": self.metrics,
            "card": self.card,
            "origin": self.origin,
            # keyed by version so the API can let browsers cache it for good; a new version is a new URL
            "preview_url": (f"/api/v1/models/{self.id}/preview?v={quote(self.version, safe='')}"
                            if self.preview_path else None),
        }


def read_manifest(path: Path) -> ModelInfo:
    data = json.loads(path.read_text())
    model_id = data["id"]
    if not MODEL_ID.match(model_id):
        raise ValueError(f"{path}: model id {model_id!r} is not kebab-case")
    if path.stem != model_id:
        raise ValueError(f"{path}: file name must be {model_id}.json")
    return ModelInfo(
        id=model_id,
        kind=data["kind"],
        architecture=data["architecture"],
        version=str(data["version"]),
        description=data.get("description", ""),
        classes=tuple(data.get("classes", [])),
        image_size=int(data["image_size"]),
        channels=int(data["channels"]),
        config=dict(data.get("config", {})),
        metrics=dict(data.get("metrics", {})),
        card=data.get("card"),
        origin=data.get("origin"),
        weights_path=path.with_suffix(".safetensors"),
        preview_path=preview if (preview := preview_path_for(path)).is_file() else None,
    )


class Registry:
    """Models found in the given folders; a later folder overrides an earlier one with the same id."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self._models: dict[str, ModelInfo] = {}
        self.reload()

    def reload(self) -> None:
        """Read the folders again (a model was trained and published into one). The new table replaces the old in
        one assignment, so a reader in another thread sees one or the other, never half of it."""
        models: dict[str, ModelInfo] = {}
        for folder in self.folders:
            for manifest in sorted(folder.glob("*.json")):
                info = read_manifest(manifest)
                models[info.id] = info
        self._models = models

    def __contains__(self, model_id: str) -> bool:
        return model_id in self._models

    def get(self, model_id: str) -> ModelInfo | None:
        return self._models.get(model_id)

    def all(self) -> list[ModelInfo]:
        return sorted(self._models.values(), key=lambda m: m.id)

    def missing_weights(self) -> list[str]:
        return [m.id for m in self._models.values() if not (m.weights_path and m.weights_path.is_file())]
