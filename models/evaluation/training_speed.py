"""Training speed in float32 and in bfloat16 autocast, in one run: `atelier benchmark training-speed`.

`--precision bf16` (models/training/common.py) runs the forward and backward passes of a training step in bfloat16
where autocast allows it. Whether that pays depends on the processor: CPUs with AVX512-BF16 or AMX have native
bf16 dot products (oneDNN uses them); others emulate them and get slower. This benchmark measures it on the machine
it runs on, for the shipped networks at their shipped sizes: the GAN presets (`digits` 28 px grey, `emoji` 64 px
RGB) and the three repair U-Nets at their training batch and patch sizes.

Each network trains from the same initial weights on one fixed batch of random images (speed does not depend on
the pixels), once per precision. The two trainers take turns, a block of steps each, for several rounds, so a
busy machine slows both alike; the speed-up reported is the median over the rounds of the per-round ratio of
float32 time to bf16 time. Writes the `## Training speed` section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import textwrap
import time
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from models.data import REPO_ROOT
from models.datasets.common import ImageSet
from models.entrypoint import module_main
from models.evaluation.report import machine, write_section
from models.training import gan, restore

log = logging.getLogger(__name__)

SECTION = "## Training speed"
GAN_SETS = {"digits": ((28, 28), 10), "emoji": ((64, 64, 3), 0)}  # image shape, classes (0 = unconditional)
REPAIR_TASKS = ("denoise", "inpaint", "detect")
NETWORKS = (*GAN_SETS, *REPAIR_TASKS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS), help="which trainers to time")
    a("--rounds", type=int, default=5, help="turns each precision takes")
    a("--seconds", type=float, default=4.0, help="about this long per block of steps (the block size is set from "
      "a first float32 step)")
    a("--threads", type=int, default=2, help="torch CPU threads")
    a("--benchmarks-md", type=Path, default=REPO_ROOT / "docs/BENCHMARKS.md", help="file whose section is updated")
    a("--no-write", action="store_true", help="print the table only")


def gan_step(name: str, precision: str) -> tuple[Callable[[], object], str]:
    """One optimiser step of the `name` preset's trainer (its recipe, with mode seeking), on random images;
    and what it trains."""
    shape, classes = GAN_SETS[name]
    parser = argparse.ArgumentParser()
    gan.add_arguments(parser)
    args = gan.apply_defaults(parser.parse_args(["--dataset", name, "--mode-seeking", "1", "--precision", precision]))
    rng = np.random.default_rng(0)
    n = 256
    data = ImageSet(rng.integers(0, 256, (n, *shape), dtype=np.uint8), (np.arange(n) % max(classes, 1)),
                    tuple(f"c{i}" for i in range(classes)), np.zeros(n, bool))
    trainer = gan.Trainer(args, data)  # seeded: both precisions start from the same weights
    colour = "RGB" if len(shape) == 3 else "grey"
    return trainer.train_step, (f"GAN `{name}` ({shape[0]} px {colour}, batch {args.batch_size}, "
                                f"base width {args.base_channels})")


def repair_step(task: str, precision: str) -> tuple[Callable[[], object], str]:
    """One optimiser step of the `task` U-Net at its shipped size, batch and patch size, on one fixed batch;
    and what it trains."""
    parser = argparse.ArgumentParser()
    restore.add_arguments(parser)
    args = parser.parse_args([task, "--precision", precision])
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (320, 320, 3), dtype=np.uint8) for _ in range(4)]
    trainer = restore.Trainer(args, images, [])
    batch = trainer.make_batch(0)
    return (lambda: trainer.train_step(batch)), f"U-Net `{task}` (batch {trainer.batch_size} x {trainer.patch} px)"


def time_pair(name: str, rounds: int, seconds: float) -> dict[str, object]:
    make = gan_step if name in GAN_SETS else repair_step
    made = {p: make(name, p) for p in ("fp32", "bf16")}
    steps = {p: step for p, (step, _) in made.items()}
    for step in steps.values():  # warm-up: oneDNN picks and caches its kernels on the first calls
        step(), step()
    t0 = time.perf_counter()
    steps["fp32"]()
    block = max(1, round(seconds / (time.perf_counter() - t0)))
    per_step: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for _ in range(rounds):
        for precision, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(block):
                step()
            per_step[precision].append((time.perf_counter() - t0) / block)
    ratios = [f / b for f, b in zip(per_step["fp32"], per_step["bf16"])]
    row = {"fp32_s": statistics.median(per_step["fp32"]), "bf16_s": statistics.median(per_step["bf16"]),
           "speedup": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "block": block,
           "what": made["fp32"][1]}
    log.info("%s: %s", name, row)
    return row


def bf16_native() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    native = [f for f in ("avx512_bf16", "amx_bf16") if f in flags]
    return ", ".join(native) if native else "none (bf16 is emulated)"


def command(args: argparse.Namespace) -> str:
    cmd = ["atelier benchmark training-speed"]
    if list(args.networks) != list(NETWORKS):
        cmd.append("--networks " + " ".join(args.networks))
    return " ".join(cmd + [f"--rounds {args.rounds} --seconds {args.seconds:g} --threads {args.threads}"])


def report(rows: dict[str, dict[str, object]], args: argparse.Namespace) -> str:
    intro = (f"Measured {date.today().isoformat()} on {machine()}; native bf16 instructions: {bf16_native()}. "
             f"Command: `{command(args)}` (models/evaluation/training_speed.py). Seconds per optimiser step of "
             "each trainer at its shipped size, float32 against `--precision bf16` (bfloat16 autocast), taking "
             f"turns for {args.rounds} rounds; the speed-up is the median of the per-round ratios (range in "
             "brackets), which a busy machine affects far less than the times themselves.")
    outro = ("Weights, optimiser state, losses and exported models stay float32 either way; what bf16 changes is "
             "the rounding inside each step, so a bf16 run is a different run of the same recipe (its model card "
             "says which precision trained it).")
    lines = [SECTION, "", textwrap.fill(intro, 120), "",
             "| trainer | float32 s/step | bf16 s/step | speed-up (range) |", "|---|---|---|---|"]
    for r in rows.values():
        lines.append(f"| {r['what']} | {r['fp32_s']:.3f} | {r['bf16_s']:.3f} | "
                     f"**{r['speedup']:.2f}x** ({r['min']:.2f}–{r['max']:.2f}) |")
    return "\n".join(lines + ["", textwrap.fill(outro, 120)]) + "\n"


def run(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    rows = {name: time_pair(name, args.rounds, args.seconds) for name in args.networks}
    text = report(rows, args)
    print(text)
    if not args.no_write:
        write_section(args.benchmarks_md, SECTION, text)
        log.info("wrote %s", args.benchmarks_md)
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.evaluation.training_speed",
                       description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    sys.exit(main())
