"""What every trainer does around its loop: open (or resume) a run folder, and keep an EMA of the weights."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import time
from pathlib import Path
from typing import Callable, Protocol, TypeVar

import torch
import torch.nn as nn

from models.training.snapshots import POINTER, load_snapshot

log = logging.getLogger(__name__)


class Resumable(Protocol):
    step: int

    def restore(self, tensors: dict[str, torch.Tensor], meta: dict) -> None: ...


T = TypeVar("T", bound=Resumable)


def open_run(run_dir: Path, args: argparse.Namespace, make_trainer: Callable[[], T]) -> T | None:
    """Create the trainer for `run_dir`, resumed from its latest snapshot with --resume; None (after logging why)
    when the folder already holds a run and --resume was not given. Records the arguments in args.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if not args.resume and (run_dir / POINTER).exists():
        log.error("%s already holds a run; pass --resume or choose another --run-dir", run_dir)
        return None
    trainer = make_trainer()
    if args.resume:
        snap = load_snapshot(run_dir)
        if snap is None:
            log.warning("--resume: no snapshot in %s, starting from step 0", run_dir)
        else:
            trainer.restore(*snap)
            log.info("resumed %s at step %d", run_dir, trainer.step)
    (run_dir / "args.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v
                                                   for k, v in vars(args).items()}, indent=2) + "\n")
    return trainer


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--precision", choices=["fp32", "bf16"], default="fp32",
        help="bf16: forward and backward passes' convolutions and matrix products in bfloat16 under autocast "
             "(weights, optimiser state, losses and exports stay float32); ~1.9x faster on CPUs with AVX512-BF16 "
             "or AMX (`atelier benchmark training-speed`), and on recent GPUs")


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """The context a training step's forward passes run in: bf16 autocast with --precision bf16, else a no-op.
    bfloat16 has float32's range, so unlike float16 it needs no loss scaling."""
    if precision == "bf16" and device.type == "cpu" and not fast_cpu_bf16():
        _warn_slow_bf16()
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


@functools.cache  # asked on every training step; the CPU does not change
def fast_cpu_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX); elsewhere oneDNN emulates it."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


@functools.cache
def _warn_slow_bf16() -> None:
    # Seen on an Intel Xeon with AVX512 but neither: the grown denoiser made under 50 bf16 steps in five minutes,
    # against 0.46 steps/s in float32.
    log.warning("--precision bf16 on a CPU without AVX512-BF16 or AMX: bfloat16 is emulated there and runs several "
                "times slower than float32; use --precision fp32 on this machine")


MEMORY_FORMATS = {"channels-last": torch.channels_last, "contiguous": torch.contiguous_format}


def add_memory_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memory-format", choices=["auto", *MEMORY_FORMATS], default="auto",
        help="layout of the network's weights and inputs; auto times a forward and backward pass in each at start-up "
             "and keeps the faster (which one wins depends on the CPU)")


def faster_memory_format(module: nn.Module, forward: Callable[[torch.memory_format], torch.Tensor],
                         precision: str = "fp32", repeats: int = 2) -> torch.memory_format:
    """The layout in which `module` trains faster: `forward(fmt)` runs it on a real batch whose inputs are in layout
    `fmt`, and a backward pass follows; both layouts are timed here.

    oneDNN (and cuDNN) pick different convolution kernels per layout and which wins depends on the processor:
    channels-last trained the repair U-Nets ~15% faster on an earlier machine, where it was once hard-coded; on
    an AMD EPYC without AVX512 (2026-12-06) the denoiser's pass took 3.10 s channels-last against 3.02 s contiguous.
    Timing costs a few passes at start-up and picks right on a machine nobody measured. The module is left in the
    returned layout with its weights as they were and no gradients; the choice changes rounding, not the recipe."""
    times: dict[torch.memory_format, float] = {}
    for fmt in (torch.channels_last, torch.contiguous_format):
        module.to(memory_format=fmt)
        spent = []
        for _ in range(repeats + 1):  # the first pass of a layout pays for oneDNN's kernel selection
            start = time.perf_counter()
            with autocast(next(module.parameters()).device, precision):
                out = forward(fmt)
            out.float().square().mean().backward()
            if out.device.type == "cuda":
                torch.cuda.synchronize(out.device)
            spent.append(time.perf_counter() - start)
        times[fmt] = min(spent[1:])
        module.zero_grad(set_to_none=True)
    best = min(times, key=times.get)
    module.to(memory_format=best)
    log.info("memory format: %s (forward + backward %.3f s channels-last, %.3f s contiguous)",
             "channels-last" if best == torch.channels_last else "contiguous",
             times[torch.channels_last], times[torch.contiguous_format])
    return best


def add_export_arguments(parser: argparse.ArgumentParser, *, network: str, version: str, default_id: str,
                         default_card: str) -> None:
    """The --export group every trainer offers: where the EMA network goes and what its manifest says."""
    e = parser.add_argument_group("export")
    e.add_argument("--export", type=Path, default=None, help=f"write the EMA {network} to this weights folder")
    e.add_argument("--model-id", default=None, help=f"kebab-case id of the exported model (default: {default_id})")
    e.add_argument("--version", default=version, help="version of the exported weights")
    e.add_argument("--description", default=None, help="one line shown by the API")
    e.add_argument("--card", default=None, help=f"model card path, relative to the repo (default: {default_card})")


@torch.no_grad()
def update_ema(ema: nn.Module, net: nn.Module, step: int, decay: float) -> None:
    """EMA of the parameters (ramped up: early on it follows the network closely); buffers such as batch-norm
    statistics are copied as they are."""
    d = min(decay, (1 + step) / (10 + step))
    for pe, p in zip(ema.parameters(), net.parameters()):
        pe.lerp_(p, 1 - d)
    for be, b in zip(ema.buffers(), net.buffers()):
        be.copy_(b)
