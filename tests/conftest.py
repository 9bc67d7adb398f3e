"""Shared fixtures: a tiny model checkpoint, settings pointing at temporary folders, and real servers
(Redis, Celery worker processes, the app) started and stopped by the tests themselves."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value; bounded, so a broken server fails the test quickly."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def make_tiny_digits(folder: Path, *, model_id: str = "digits", base_channels: int = 4,
                     version: str = "0.0.1-test") -> Path:
    """An untrained, tiny class-conditional generator saved exactly like a shipped checkpoint."""
    import torch
    from dataclasses import asdict

    from models.checkpoint import save_model
    from models.networks.cdcgan import CDCGANConfig, Generator

    torch.manual_seed(0)
    cfg = CDCGANConfig(latent_dim=8, embed_dim=4, base_channels=base_channels)
    net = Generator(cfg).eval()
    manifest = {
        "id": model_id, "kind": "generator", "architecture": "cdcgan", "version": version,
        "description": "tiny untrained test generator", "classes": [str(i) for i in range(10)],
        "image_size": 28, "channels": 1, "config": asdict(cfg), "metrics": {}, "card": None,
    }
    return save_model(folder, manifest, net.state_dict())


def make_tiny_unconditional(folder: Path, *, model_id: str = "scribbles", version: str = "0.0.1-test") -> Path:
    """An untrained, tiny unconditional generator (the MLP GAN architecture) saved like a shipped checkpoint."""
    import torch
    from dataclasses import asdict

    from models.checkpoint import save_model
    from models.networks.mlp_gan import MLPGANConfig, MLPGenerator

    torch.manual_seed(0)
    cfg = MLPGANConfig(latent_dim=8, hidden=8)
    manifest = {
        "id": model_id, "kind": "generator", "architecture": "mlp-gan", "version": version,
        "description": "tiny untrained unconditional test generator", "classes": [], "image_size": 28,
        "channels": 1, "config": asdict(cfg), "metrics": {}, "card": None,
    }
    return save_model(folder, manifest, MLPGenerator(cfg).state_dict())


def make_tiny_restorers(folder: Path, *, version: str = "0.0.1-test") -> None:
    """Untrained, tiny denoise / inpaint / detect networks saved like shipped ones: the whole restore pipeline
    runs on them (the outputs are not repairs, but shapes, formats, masks and metadata are all real)."""
    import torch

    from models.checkpoint import save_model
    from models.networks.restore_unet import build, tiny_config

    torch.manual_seed(0)
    for task in ("denoise", "inpaint", "detect"):
        cfg = tiny_config(task)
        manifest = {"id": task, "kind": "restore", "architecture": f"{task}-unet", "version": version,
                    "description": f"tiny untrained test {task} network", "classes": [], "image_size": 0,
                    "channels": 3, "config": cfg.to_dict(), "metrics": {}, "card": None}
        save_model(folder, manifest, build(cfg).state_dict())


def tiff_bytes(arr, *, photometric: int = 2, orientation: int = 1) -> bytes:
    """An uncompressed little-endian TIFF written by hand: (H, W, C) uint8 or uint16 pixels; photometric 1 = gray,
    2 = RGB, 5 = CMYK; `orientation` is TIFF tag 274 (EXIF's values). Pillow cannot write 16-bit colour TIFFs."""
    import struct

    h, w, spp = arr.shape
    itemsize = arr.dtype.itemsize
    pixels = arr.astype(f"<u{itemsize}").tobytes()
    bits = struct.pack(f"<{spp}H", *[8 * itemsize] * spp)  # (more than 4 bytes from 3 samples: stored after the IFD)
    tags = [(256, 4, w), (257, 4, h), (258, 3, None), (259, 3, 1), (262, 3, photometric), (273, 4, None),
            (274, 3, orientation), (277, 3, spp), (278, 4, h), (279, 4, len(pixels)), (284, 3, 1)]
    bits_at = 8 + 2 + 12 * len(tags) + 4
    pixels_at = bits_at + len(bits)
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        if tag == 258:
            ifd += struct.pack("<HHII", tag, kind, spp, bits_at) if spp > 2 else \
                struct.pack("<HHI", tag, kind, spp) + bits.ljust(4, b"\0")
        elif tag == 273:
            ifd += struct.pack("<HHII", tag, kind, 1, pixels_at)
        else:
            ifd += struct.pack("<HHII", tag, kind, 1, value) if kind == 4 else struct.pack("<HHIHH", tag, kind, 1,
                                                                                         value, 0)
    return b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + bits + pixels


@pytest.fixture
def one_thread():
    """Tiny networks run fastest on one thread (and do not fight a busy machine); restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("weights")
    make_tiny_digits(folder)
    make_tiny_restorers(folder)
    return folder


@pytest.fixture
def settings_env(tiny_models, tmp_path, monkeypatch) -> dict[str, str]:
    """Environment for an embedded-mode app: tiny model, temporary data folder, no Redis."""
    from atelier.settings import get_settings

    env = {"ATELIER_MODEL_DIRS": str(tiny_models), "ATELIER_DATA_DIR": str(tmp_path / "data")}
    monkeypatch.delenv("ATELIER_REDIS_URL", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A private redis-server on a free port (never the machine's shared one), persistence off."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; run the README's test command (scripts/test) which installs it")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(up, timeout=10, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def python_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_process(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    # New session so a test can kill the whole process group (a Celery worker and its pool children).
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, *args], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
