"""Resumable training snapshots without pickle: every tensor in one safetensors file, the rest in JSON.

A run folder holds

    network-snapshot-000400.safetensors   G, D, EMA, optimiser moments, RNG states (prefixed keys)
    checkpoint.json                       {"snapshot": file name, "step": 400, ...}: the latest complete snapshot

The safetensors file is written to a temporary name and renamed, then checkpoint.json is replaced the same way,
so a crash at any moment leaves the previous snapshot pointing at a complete file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

POINTER = "checkpoint.json"
KEEP = 2  # snapshots kept on disk (the newest ones)


def optimizer_to_flat(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Adam-style state_dict -> ({prefix.state.<param>.<name>: tensor}, JSON-able param_groups + scalars)."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.state.{idx}.{name}"] = value
            else:
                scalars.setdefault(str(idx), {})[name] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def optimizer_from_flat(opt: torch.optim.Optimizer, prefix: str, tensors: dict[str, torch.Tensor],
                        meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    head = f"{prefix}.state."
    for key, value in tensors.items():
        if key.startswith(head):
            idx, name = key[len(head):].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    for idx, values in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(values)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def save_snapshot(run_dir: Path, step: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> Path:
    """Write network-snapshot-<step>.safetensors, then point checkpoint.json at it; prune old snapshots."""
    run_dir.mkdir(parents=True, exist_ok=True)
    name = f"network-snapshot-{step:06d}.safetensors"
    tmp = run_dir / (name + ".tmp")
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp))
    os.replace(tmp, run_dir / name)
    _atomic_write_text(run_dir / POINTER, json.dumps({**meta, "step": step, "snapshot": name}, indent=2) + "\n")
    for old in sorted(run_dir.glob("network-snapshot-*.safetensors"))[:-KEEP]:
        if old.name != name:
            old.unlink()
    return run_dir / name


def load_snapshot(run_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
    """(tensors, meta) of the latest complete snapshot, or None if the run has none yet."""
    pointer = run_dir / POINTER
    if not pointer.is_file():
        return None
    meta = json.loads(pointer.read_text())
    return load_file(str(run_dir / meta["snapshot"])), meta


def sub_state(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries under `prefix.`, with the prefix removed (a module's state_dict)."""
    head = prefix + "."
    return {k[len(head):]: v for k, v in tensors.items() if k.startswith(head)}


# A run's latest snapshot as one self-contained safetensors blob, for job stores that are not a folder (Redis):
# the tensors, with checkpoint.json's content in the file's metadata. One write of one value, so a reader sees the
# previous checkpoint or the new one, never half of one.
BLOB_META_KEY = "atelier_checkpoint"


def snapshot_to_bytes(run_dir: Path) -> bytes | None:
    """The latest complete snapshot of `run_dir` as one blob (None when it has none yet)."""
    from safetensors.torch import save

    snap = load_snapshot(run_dir)
    if snap is None:
        return None
    tensors, meta = snap
    return save(tensors, metadata={BLOB_META_KEY: json.dumps(meta)})


def snapshot_from_bytes(run_dir: Path, blob: bytes) -> int:
    """Write a blob from `snapshot_to_bytes` into `run_dir` as its latest snapshot (what `load_snapshot` and a
    trainer's --resume read); returns its step."""
    from safetensors import safe_open

    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / "incoming.safetensors.tmp"
    tmp.write_bytes(blob)
    with safe_open(str(tmp), framework="pt") as f:  # reads the JSON header only; never unpickles
        meta = json.loads((f.metadata() or {})[BLOB_META_KEY])
    step = int(meta["step"])
    name = f"network-snapshot-{step:06d}.safetensors"
    os.replace(tmp, run_dir / name)
    _atomic_write_text(run_dir / POINTER, json.dumps({**meta, "step": step, "snapshot": name}, indent=2) + "\n")
    return step
