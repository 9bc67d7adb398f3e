"""Architectures by name. A manifest's `architecture` picks the class, its `config` rebuilds it."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable

import torch

from models.networks.cdcgan import CDCGANConfig, Generator as CDCGANGenerator
from models.networks.mlp_gan import MLPGANConfig, MLPGenerator
from models.networks.restore_unet import builder as _restore_builder


def _known(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in config.items() if k in names}


def _build_cdcgan(config: dict[str, Any]) -> torch.nn.Module:
    return CDCGANGenerator(CDCGANConfig(**_known(CDCGANConfig, config)))


def _build_mlp_gan(config: dict[str, Any]) -> torch.nn.Module:
    return MLPGenerator(MLPGANConfig(**_known(MLPGANConfig, config)))


# name -> builder(config dict) -> inference network
ARCHITECTURES: dict[str, Callable[[dict[str, Any]], torch.nn.Module]] = {
    "cdcgan": _build_cdcgan,
    "mlp-gan": _build_mlp_gan,  # the tutorial baseline, benchmarked but not shipped
    "denoise-unet": _restore_builder("denoise"),  # photo repair (models/networks/restore_unet.py): RGB -> RGB
    "inpaint-unet": _restore_builder("inpaint"),  # RGB + mask -> RGB, unchanged outside the mask
    "detect-unet": _restore_builder("detect"),  # RGB -> damage-mask logits
}


def build_network(architecture: str, config: dict[str, Any]) -> torch.nn.Module:
    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; known: {sorted(ARCHITECTURES)}") from None
    return builder(config)
