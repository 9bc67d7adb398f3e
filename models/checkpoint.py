"""Safetensors checkpoints with their manifest: save, load, rebuild — never unpickle anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from models.networks import build_network
from models.registry import ModelInfo, read_manifest


WEIGHT_DTYPES = {"float32": torch.float32, "float16": torch.float16}  # how floating weights may be stored


def save_model(folder: Path, manifest: dict[str, Any], state_dict: dict[str, torch.Tensor], *,
               dtype: str | None = None) -> Path:
    """Write <id>.safetensors (manifest in its metadata) and <id>.json; returns the manifest path. `dtype`
    "float16" stores the floating tensors at half the size (loading converts them back to float32); None keeps
    them as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    model_id = manifest["id"]
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    if dtype is not None:
        to = WEIGHT_DTYPES[dtype]
        tensors = {k: v.to(to) if v.is_floating_point() else v for k, v in tensors.items()}
        bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:
            raise ValueError(f"weights {', '.join(bad[:5])} do not fit in {dtype} (overflow or non-finite)")
    weights = folder / f"{model_id}.safetensors"
    save_file(tensors, str(weights), metadata={"atelier": json.dumps(manifest)})
    weights.chmod(0o644)  # safetensors writes 0600; shipped weights must be readable by the service's user
    manifest_path = folder / f"{model_id}.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest_path


def load_network(info: ModelInfo, device: torch.device | str = "cpu") -> torch.nn.Module:
    """Rebuild the network from its config and load its weights, ready for inference."""
    if info.weights_path is None or not info.weights_path.is_file():
        raise FileNotFoundError(f"weights of model {info.id!r} are missing: {info.weights_path}")
    net = build_network(info.architecture, info.config)
    net.load_state_dict(load_weights(info.weights_path), strict=True)
    return net.to(device).eval().requires_grad_(False)


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """A model's tensors on the CPU; half-precision ones (float16 exports) widened to float32."""
    state = load_file(str(path), device="cpu")
    return {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in state.items()}


def update_metrics(info: ModelInfo, metrics: dict[str, Any]) -> None:
    """Rewrite <id>.json and the safetensors metadata with measured metrics (the weights stay as they are)."""
    manifest = json.loads(info.weights_path.with_suffix(".json").read_text())
    manifest["metrics"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    save_model(info.weights_path.parent, manifest, load_file(str(info.weights_path)))


def load_manifest(path: Path) -> ModelInfo:
    return read_manifest(path)
