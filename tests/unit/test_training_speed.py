"""The training-speed benchmark: both precisions really train, the section is written with its command."""

from pathlib import Path

import pytest

from models.evaluation import training_speed

pytestmark = pytest.mark.usefixtures("one_thread")


def test_times_both_precisions_and_writes_the_section(tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    assert training_speed.main(["--networks", "digits", "detect", "--rounds", "2", "--seconds", "0.01",
                                "--threads", "1", "--benchmarks-md", str(md)]) == 0
    text = md.read_text()
    assert "## Other\n\nkept" in text and text.count("## Training speed") == 1
    assert "`atelier benchmark training-speed --networks digits detect --rounds 2 --seconds 0.01 --threads 1`" \
        in text.replace("\n", " ")
    rows = [line for line in text.splitlines() if line.startswith("| GAN") or line.startswith("| U-Net")]
    assert [r.split("`")[1] for r in rows] == ["digits", "detect"]
    for row in rows:
        fp32, bf16, speedup = row.split("|")[2:5]
        assert float(fp32) > 0 and float(bf16) > 0
        assert "x** (" in speedup  # median ratio and its range over the rounds


def test_the_two_trainers_start_from_the_same_weights_and_differ_only_in_precision() -> None:
    fp32, _ = training_speed.gan_step("emoji", "fp32")
    bf16, what = training_speed.gan_step("emoji", "bf16")
    assert what == "GAN `emoji` (64 px RGB, batch 32, base width 16)"
    a, b = fp32.__self__, bf16.__self__
    assert all((pa == pb).all() for pa, pb in zip(a.G.parameters(), b.G.parameters()))
    assert (a.args.precision, b.args.precision) == ("fp32", "bf16")
