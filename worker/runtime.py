"""Per-process model cache: each network is loaded once, lazily, on first use, on CUDA when present.

Nothing here runs at import time, so a Celery prefork parent never touches CUDA before it forks.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from atelier.errors import UnknownModel
from models.registry import ModelInfo, Registry

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    info: ModelInfo
    net: "torch.nn.Module"
    device: "torch.device"


def pick_device(preferred: str | None) -> "torch.device":
    import torch

    if preferred:
        return torch.device(preferred)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class ModelCache:
    def __init__(self, registry: Registry, *, device: str | None = None,
                 refresh: Callable[[], None] | None = None, user_models: object | None = None) -> None:
        """refresh: re-reads the registry when a user model was published or deleted (by another process too);
        called before every look-up, as it is cheap (a directory stat or one Redis GET) and a deleted model must
        not be served from a table read before. user_models: where a train job publishes (worker/user_models.py),
        None where this process cannot train."""
        self.registry = registry
        self.refresh = refresh
        self.user_models = user_models
        self._device_name = device
        self._loaded: dict[tuple[str, str], LoadedModel] = {}
        self._lock = threading.Lock()  # two threads asking for one model load it once

    def get(self, model_id: str) -> LoadedModel:
        if self.refresh is not None:
            self.refresh()
        info = self.registry.get(model_id)
        with self._lock:
            self._unload_removed()
            if info is None:
                raise UnknownModel(f"unknown model {model_id!r}")
            key = (info.id, info.version)
            if key not in self._loaded:
                from models.checkpoint import load_network

                device = pick_device(self._device_name)
                log.info("loading model %s v%s on %s", info.id, info.version, device)
                self._loaded[key] = LoadedModel(info=info, net=load_network(info, device), device=device)
            return self._loaded[key]

    def _unload_removed(self) -> None:
        """Free the networks of models the registry no longer has (a deleted user model) or has in another version.
        A job already running on one keeps its own reference until it finishes."""
        for key in list(self._loaded):
            info = self.registry.get(key[0])
            if info is None or info.version != key[1]:
                log.info("unloading model %s v%s: deleted or replaced", *key)
                del self._loaded[key]
