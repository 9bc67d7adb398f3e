"""Shared by the benchmarks: which machine measured, and rewriting one section of docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import torch

BENCHMARKS_INTRO = """# Benchmarks

Measured quality of Atelier's models. Each section is written by the benchmark command it names, on the machine
it names; re-run that command to refresh it. Numbers from different sections or feature extractors are not
comparable with each other, nor with published FID scores (no Inception-v3 weights are available offline).
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPU cores, torch {torch.__version__} (CPU, {torch.get_num_threads()} threads)"


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def write_section(path: Path, heading: str, text: str) -> None:
    """Replace the section that starts with `heading` (up to the next '## ') by `text`, or append it."""
    old = path.read_text() if path.is_file() else BENCHMARKS_INTRO
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _m: text.rstrip("\n") + "\n\n", old) if pattern.search(old) \
        else old.rstrip("\n") + "\n\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new.rstrip("\n") + "\n")
