"""scripts/device_pack.py: the checkout slimmed for a lent GPU's 64 MiB and brought back unchanged."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "device_pack.py"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def pack(tmp_path: Path, monkeypatch):
    """The script's module pointed at a small repository laid out like ours."""
    repo = tmp_path / "repo"
    for rel, size in {"models/weights/emoji.safetensors": 3000, "models/weights/detect.safetensors": 2000,
                      "models/baselines/emoji-mlp.safetensors": 1000, "models/code.py": 100}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(bytes(range(256)) * (size // 256 + 1))
    (repo / ".gitignore").write_text("/data-cache/\n/.devpack/\n")
    (repo / "data-cache").mkdir()
    np.savez(repo / "data-cache" / "emoji-v2.npz", x=np.zeros(10))
    _git(repo.parent, "init", "-q", str(repo))
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    spec = importlib.util.spec_from_file_location("device_pack", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", repo)
    monkeypatch.setattr(module, "PACK", repo / ".devpack")
    return module, repo


def test_pack_slims_the_tree_keeps_what_a_stage_needs_and_restores_it(pack) -> None:
    module, repo = pack
    before = module.travelling_bytes()
    assert module.main(["emoji", "--keep", "detect"]) == 0
    assert not (repo / "models/weights/emoji.safetensors").exists()
    assert not (repo / "models/baselines/emoji-mlp.safetensors").exists()
    assert (repo / "models/weights/detect.safetensors").is_file()  # --keep: the checkpoint a stage starts from
    assert (repo / ".devpack/data/emoji-v2.npz").is_file()
    # the index agrees with the files: the tool sends 2,000 + 100 + .gitignore's bytes, not the 6,000 before
    assert _git(repo, "ls-files").split() == [".gitignore", "models/code.py", "models/weights/detect.safetensors"]
    assert module.travelling_bytes() < before - 3000
    assert module.main(["--restore"]) == 0
    assert _git(repo, "status", "--porcelain") == "" and not (repo / ".devpack").exists()
    assert (repo / "models/weights/emoji.safetensors").stat().st_size >= 3000


def test_pack_refuses_to_move_uncommitted_checkpoints(pack) -> None:
    module, repo = pack
    (repo / "models/weights/emoji.safetensors").write_bytes(b"new weights")
    with pytest.raises(SystemExit, match="uncommitted"):
        module.main(["emoji"])
    assert (repo / "models/weights/emoji.safetensors").read_bytes() == b"new weights"  # nothing was moved
