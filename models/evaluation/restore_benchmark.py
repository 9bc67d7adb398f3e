"""Photo repair against the classical methods, in one run: `atelier benchmark restore`.

Validation photos are the held-out split of models/photos.py (never trained on); each contributes a centre crop,
corrupted with fixed seeds. Rows, side by side:

    denoise   ours (known sigma), ours (blind: the level estimated by a first blind pass, as served), ours
              (blind, one pass: the network alone), CBM3D (true sigma), OpenCV NLM (h tuned per sigma on training
              crops) at sigma 15 / 25 / 50; salt-and-pepper 10%: ours (blind) vs a 3x3 median; per photo,
              ours (blind) minus CBM3D at each sigma
    inpaint   ours, ours' smooth prefill alone (models/networks/prefill.py), OpenCV TELEA and NS, scikit-image
              biharmonic on thin strokes, thick strokes and boxes: PSNR over the image and over the hole, SSIM
    auto      synthetic scratches, specks, blotches, tears, grain and JPEG: ours (detect -> inpaint -> blind
              denoise) vs top-hat detection -> TELEA -> NLM; detection precision / recall / F1, PSNR / SSIM
    scale     damage detection on crops of 192, 384 and 768 px, recall split by the size of the damaged regions
              (models/evaluation/detect_scale.py)
    speed     seconds per megapixel of every method on one 512x512 crop, and each as a multiple of ours
    tiling    whole photos tiled as the service runs them against one tile covering the photo, and the memory and
              time of a 24-megapixel photo (models/evaluation/restore_tiling.py)

Each task also has a row for quality=high (every network on the 8 flips and rotations, averaged: the
self-ensemble of models/restore.py), which the service offers at 4-8x the time; the bars are judged on the
default (standard quality: blind denoising being the level-estimating pass, then the denoising one).

It writes the `## Photo repair` section of docs/BENCHMARKS.md, the measured metrics into the manifests and
before/after examples to docs/images/. `--no-write` only prints the tables; with it, `--sections` can measure a
part (e.g. `inpaint`) and `--inpaint-model` a candidate inpainter from a run folder's export.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image

from models import degrade, restore
from models.entrypoint import module_main
from models.checkpoint import load_network, update_metrics
from models.evaluation import detect_scale
from models.evaluation import restore_baselines as classical
from models.evaluation import restore_tiling as tiling
from models.evaluation.report import machine, markdown_table, write_section
from models.photos import DEFAULT_PHOTO_DIR, load_split
from models.quality import mask_scores_of, ssim
from models.registry import ModelInfo, Registry, read_manifest

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Photo repair"
SIGMAS = (15, 25, 50)
MASK_KINDS = ("thin", "thick", "box")
SECTIONS = ("denoise", "inpaint", "auto", "scale", "speed", "tiling")
NEEDS = {"denoise": ("denoise",), "inpaint": ("inpaint",), "auto": ("detect", "inpaint", "denoise"),
         "scale": ("detect",), "speed": ("denoise", "inpaint", "detect"),
         "tiling": ("denoise", "inpaint", "detect")}  # section -> networks
PREFILL_ROW = "ours: smooth prefill only"  # the inpainter's prefill alone, without the network
HIGH = "ours (high quality)"  # quality=high: the 8-orientation self-ensemble
BLIND_HIGH = "ours (blind, high quality)"
BLIND_ONE_PASS = "ours (blind, one pass)"  # the network guessing the level itself (restore.denoise estimate=False)
CLEAN = "clean photo (nothing to remove; PSNR against the photo itself)"


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _sections(text: str) -> tuple[str, ...]:
    picked = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    unknown = [v for v in picked if v not in SECTIONS]
    if unknown or not picked:
        raise argparse.ArgumentTypeError(f"sections are a comma-separated subset of {','.join(SECTIONS)}")
    return tuple(v for v in SECTIONS if v in picked)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--weights", type=Path, default=REPO_ROOT / "models" / "weights", help="folder with denoise/inpaint/detect")
    a("--data-dir", type=Path, default=DEFAULT_PHOTO_DIR, help="photo cache (models/photos.py)")
    a("--crop", type=int, default=192, help="side of the centre crop taken from each validation photo")
    a("--photos", type=int, default=12, help="how many validation photos (CBM3D costs ~10 s per crop)")
    a("--skip", type=_not_negative, default=0,
      help="leave out the first N photos of the split: --skip 12 --photos 6 scores the six held-out photos the "
           "reported benchmark never scores, to choose between candidates without looking at its photos "
           "(needs --no-write)")
    a("--seed", type=int, default=2026, help="seed of every corruption")
    a("--speed-side", type=int, default=512, help="side of the square crop the speed rows are timed on")
    a("--tiling-photos", type=int, default=3, help="how many whole validation photos (the largest) the tiling "
                                                   "section compares")
    a("--large-megapixels", type=float, default=tiling.LARGE_MEGAPIXELS,
      help="size of the large photo whose memory and time the tiling section measures")
    a("--benchmarks-md", type=Path, default=REPO_ROOT / "docs" / "BENCHMARKS.md", help="file whose section is updated")
    a("--examples-dir", type=Path, default=REPO_ROOT / "docs" / "images", help="where before/after images go")
    a("--sections", type=_sections, default=SECTIONS,
      help=f"tables to measure, comma-separated subset of {','.join(SECTIONS)} (a subset needs --no-write)")
    a("--inpaint-model", type=Path, default=None,
      help="measure this inpainter (an exported .json or .safetensors, e.g. from a run) instead of the one in "
           "--weights (needs --no-write)")
    a("--split", choices=("val", "train"), default="val",
      help="score the held-out photos (the benchmark) or the training photos, to see how far a network "
           "generalises (train needs --no-write)")
    a("--no-write", action="store_true",
      help="print the tables only; docs/BENCHMARKS.md, the manifests' metrics and the example images stay as they are")


# ---------------------------------------------------------------------------------------------- helpers

def score(clean: np.ndarray, out: np.ndarray, hole: np.ndarray | None = None) -> dict[str, float]:
    s = {"psnr": classical.psnr(clean, out), "ssim": float(ssim(classical.as_batch(out), classical.as_batch(clean))[0])}
    if hole is not None:
        s["psnr_hole"] = classical.psnr(clean, out, hole)
    return s


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def centre_crop(img: np.ndarray, side: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = min(side, h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return img[y:y + s, x:x + s].astype(np.float32) / 255.0


def rng_for(seed: int, *parts: int) -> np.random.Generator:
    return np.random.default_rng([seed, *parts])


class Ours:
    """The shipped networks (or those `needed`, with the inpainter optionally from another manifest), loaded once."""

    def __init__(self, weights: Path, *, needed: tuple[str, ...] = ("denoise", "inpaint", "detect"),
                 inpaint_model: Path | None = None) -> None:
        registry = Registry([weights])
        self.info: dict[str, ModelInfo] = {}
        if inpaint_model is not None and "inpaint" in needed:
            self.info["inpaint"] = read_manifest(inpaint_model.with_suffix(".json"))
            if self.info["inpaint"].architecture != "inpaint-unet":
                raise SystemExit(f"--inpaint-model: {inpaint_model} is a {self.info['inpaint'].architecture} model")
        missing = [m for m in needed if m not in self.info and m not in registry]
        if missing:
            raise SystemExit(f"missing models in {weights}: {', '.join(missing)} — train and export them first "
                             "(atelier train denoise|inpaint|detect ... --export models/weights)")
        self.info |= {m: registry.get(m) for m in needed if m not in self.info}
        self.nets = {m: load_network(info) for m, info in self.info.items()}

    def denoise(self, x: np.ndarray, sigma: float | None, ensemble: bool = False, estimate: bool = True
                ) -> np.ndarray:
        return restore.denoise(self.nets["denoise"], x, sigma=sigma, ensemble=ensemble, estimate=estimate)

    def inpaint(self, x: np.ndarray, mask: np.ndarray, ensemble: bool = False) -> np.ndarray:
        return restore.inpaint(self.nets["inpaint"], x, mask, ensemble=ensemble)

    def prefill(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The inpainter's smooth prefill alone (normconv for an inpainter without one, as 0.1.0)."""
        name = self.nets["inpaint"].cfg.prefill
        return restore.smooth_fill(x, mask, prefill="normconv" if name == "none" else name)

    def auto(self, x: np.ndarray, ensemble: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """What worker/restore.py runs for task=auto (quality=high when ensemble)."""
        mask = restore.detect(self.nets["detect"], x, ensemble=ensemble)
        filled = restore.inpaint(self.nets["inpaint"], x, mask, ensemble=ensemble) if mask.any() else x
        return restore.denoise(self.nets["denoise"], filled, sigma=None, ensemble=ensemble), mask


# ---------------------------------------------------------------------------------------------- measurements

def bench_denoise(ours: Ours, crops: list[np.ndarray], tune: list[np.ndarray], seed: int) -> dict[str, Any]:
    """Mean scores per condition, and per photo ours (blind) against CBM3D: a mean gap to CBM3D hides whether every
    scene falls a little short or a few scenes (pixel-sized texture the network takes for noise) fall far short."""
    table: dict[str, Any] = {}
    per_photo: list[dict[str, float]] = [{} for _ in crops]
    for sigma in SIGMAS:
        tune_noisy = [degrade.gaussian_noise(c, sigma, rng_for(seed, 1, sigma, i)) for i, c in enumerate(tune)]
        h = classical.tune_nlm(tune, tune_noisy)
        rows: dict[str, list] = {"noisy input": [], "ours (sigma given)": [], "ours (blind)": [], BLIND_ONE_PASS: [],
                                 BLIND_HIGH: [], "CBM3D": [], f"OpenCV NLM (h={h:g})": []}
        for i, clean in enumerate(crops):
            noisy = degrade.gaussian_noise(clean, sigma, rng_for(seed, 2, sigma, i))
            rows["noisy input"].append(score(clean, noisy))
            rows["ours (sigma given)"].append(score(clean, ours.denoise(noisy, float(sigma))))
            rows["ours (blind)"].append(score(clean, ours.denoise(noisy, None)))
            rows[BLIND_ONE_PASS].append(score(clean, ours.denoise(noisy, None, estimate=False)))
            rows[BLIND_HIGH].append(score(clean, ours.denoise(noisy, None, ensemble=True)))
            rows["CBM3D"].append(score(clean, classical.cbm3d(noisy, sigma)))
            rows[f"OpenCV NLM (h={h:g})"].append(score(clean, classical.nlm(noisy, h)))
            per_photo[i][f"gap_sigma{sigma}"] = rows["ours (blind)"][-1]["psnr"] - rows["CBM3D"][-1]["psnr"]
        table[f"Gaussian sigma {sigma}"] = {k: mean_scores(v) for k, v in rows.items()}
    rows = {"noisy input": [], "ours (blind)": [], BLIND_ONE_PASS: [], BLIND_HIGH: [], "median 3x3": []}
    for i, clean in enumerate(crops):
        noisy = degrade.salt_and_pepper(clean, 0.10, rng_for(seed, 3, i))
        rows["noisy input"].append(score(clean, noisy))
        rows["ours (blind)"].append(score(clean, ours.denoise(noisy, None)))
        rows[BLIND_ONE_PASS].append(score(clean, ours.denoise(noisy, None, estimate=False)))
        rows[BLIND_HIGH].append(score(clean, ours.denoise(noisy, None, ensemble=True)))
        rows["median 3x3"].append(score(clean, classical.median(noisy)))
    table["salt-and-pepper 10%"] = {k: mean_scores(v) for k, v in rows.items()}
    # Nothing to remove: a blind denoiser run on a clean photo should give it back (fine texture included).
    # Not a bar of the issue, but what a user who denoises a good photo by mistake sees.
    rows = {"ours (blind)": [], BLIND_ONE_PASS: [], BLIND_HIGH: [], "ours (sigma 0 given)": []}
    for i, clean in enumerate(crops):
        rows["ours (blind)"].append(score(clean, ours.denoise(clean, None)))
        rows[BLIND_ONE_PASS].append(score(clean, ours.denoise(clean, None, estimate=False)))
        rows[BLIND_HIGH].append(score(clean, ours.denoise(clean, None, ensemble=True)))
        rows["ours (sigma 0 given)"].append(score(clean, ours.denoise(clean, 0.0)))
        per_photo[i]["clean_blind"] = rows["ours (blind)"][-1]["psnr"]
    table[CLEAN] = {k: mean_scores(v) for k, v in rows.items()}
    return {"conditions": table, "per_photo": per_photo}


def bench_inpaint(ours: Ours, crops: list[np.ndarray], seed: int) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for kind_index, kind in enumerate(MASK_KINDS):
        rows: dict[str, list] = {"ours": [], HIGH: [], PREFILL_ROW: [], "OpenCV TELEA": [], "OpenCV NS": [],
                                 "biharmonic": []}
        for i, clean in enumerate(crops):
            h, w = clean.shape[:2]
            hole = degrade.random_inpaint_mask(h, w, rng_for(seed, 4, kind_index, i), kind=kind) > 0.5
            damaged = np.where(hole[..., None], 0.0, clean).astype(np.float32)
            rows["ours"].append(score(clean, ours.inpaint(damaged, hole), hole))
            rows[HIGH].append(score(clean, ours.inpaint(damaged, hole, ensemble=True), hole))
            rows[PREFILL_ROW].append(score(clean, ours.prefill(damaged, hole), hole))
            rows["OpenCV TELEA"].append(score(clean, classical.cv2_inpaint(damaged, hole, "telea"), hole))
            rows["OpenCV NS"].append(score(clean, classical.cv2_inpaint(damaged, hole, "ns"), hole))
            rows["biharmonic"].append(score(clean, classical.biharmonic(damaged, hole), hole))
        table[kind] = {k: mean_scores(v) for k, v in rows.items()}
    return table


def bench_auto(ours: Ours, crops: list[np.ndarray], seed: int) -> dict[str, Any]:
    rows: dict[str, list] = {"damaged input": [], "ours": [], HIGH: [], "top-hat + TELEA + NLM": []}
    detection: dict[str, list] = {"ours": [], HIGH: [], "top-hat + TELEA + NLM": []}
    per_photo: list[dict[str, float]] = []  # the mean F1 hides whether a few hard scenes or every scene fall short
    for i, clean in enumerate(crops):
        damaged, truth = degrade.old_photo_damage(clean, rng_for(seed, 5, i))
        rows["damaged input"].append(score(clean, damaged))
        for name, (out, found) in (("ours", ours.auto(damaged)), (HIGH, ours.auto(damaged, ensemble=True)),
                                   ("top-hat + TELEA + NLM", classical.classical_auto_repair(damaged))):
            rows[name].append(score(clean, out))
            detection[name].append(mask_scores_of(found, truth))
            if name == "ours":
                per_photo.append(detection[name][-1] | {"damaged": float(truth.mean()), "found": float(found.mean())})
    return {"repair": {k: mean_scores(v) for k, v in rows.items()},
            "detection": {k: mean_scores(v) for k, v in detection.items()}, "per_photo": per_photo}


def bench_speed(ours: Ours, image: np.ndarray) -> dict[str, float]:
    """Seconds per megapixel of each method on the same image (one warm-up run first)."""
    hole = degrade.random_inpaint_mask(*image.shape[:2], rng_for(0, 6), kind="thick") > 0.5
    noisy = degrade.gaussian_noise(image, 25, rng_for(0, 7))
    methods: dict[str, Callable[[], Any]] = {
        "ours denoise": lambda: ours.denoise(noisy, None),
        "ours denoise (high quality)": lambda: ours.denoise(noisy, None, ensemble=True),
        "ours denoise (blind, one pass)": lambda: ours.denoise(noisy, None, estimate=False),
        "CBM3D": lambda: classical.cbm3d(noisy, 25),
        "OpenCV NLM": lambda: classical.nlm(noisy, 10),
        "ours inpaint": lambda: ours.inpaint(image, hole),
        "ours inpaint (high quality)": lambda: ours.inpaint(image, hole, ensemble=True),
        "ours: smooth prefill": lambda: ours.prefill(image, hole),
        "OpenCV TELEA": lambda: classical.cv2_inpaint(image, hole, "telea"),
        "biharmonic": lambda: classical.biharmonic(image, hole),
        "ours auto": lambda: ours.auto(noisy),
        "ours auto (high quality)": lambda: ours.auto(noisy, ensemble=True),
        "top-hat + TELEA + NLM": lambda: classical.classical_auto_repair(noisy),
    }
    mp = image.shape[0] * image.shape[1] / 1e6
    out = {}
    for name, fn in methods.items():
        fn()
        start = time.perf_counter()
        fn()
        out[name] = (time.perf_counter() - start) / mp
        log.info("speed %s: %.2f s/MP", name, out[name])
    return out


# ---------------------------------------------------------------------------------------------- report

PHOTOS_LABEL = {"val": "Validation photos (held out from training)",
                "train": "TRAINING photos (--split train: the networks have seen these scenes, not these corruptions)"}


def render(results: dict[str, Any], args: argparse.Namespace, ours: Ours, names: list[str]) -> str:
    versions = ", ".join(f"`{i.id}` v{i.version}" for i in ours.info.values())
    parts = [SECTION, "", f"Command: `atelier benchmark restore --crop {args.crop} --photos {args.photos}"
             f"{f' --skip {args.skip}' if args.skip else ''} "
             f"--seed {args.seed} --speed-side {args.speed_side} --tiling-photos {args.tiling_photos} "
             f"--large-megapixels {args.large_megapixels:g}` — {date.today().isoformat()}, {machine()}.", "",
             f"Models: {versions}. {PHOTOS_LABEL[args.split]} ({args.crop}x{args.crop} centre crops): "
             f"{', '.join(names)}.", ""]
    if "denoise" in results:
        parts += ["### Denoising (PSNR dB / SSIM)", ""]
        for cond, rows in results["denoise"]["conditions"].items():
            parts += [f"**{cond}**", "", markdown_table(["method", "PSNR", "SSIM"], [
                [k, f"{v['psnr']:.2f}", f"{v['ssim']:.4f}"] for k, v in rows.items()]), ""]
        parts += ["Per photo: ours (blind) minus CBM3D in dB at each sigma, and ours (blind) on the clean photo "
                  "(PSNR against itself):", "", markdown_table(
                      ["photo", *(f"sigma {s}" for s in SIGMAS), "clean photo"],
                      [[name, *(f"{d[f'gap_sigma{s}']:+.2f}" for s in SIGMAS), f"{d['clean_blind']:.2f}"]
                       for name, d in zip(names, results["denoise"]["per_photo"])]), ""]
    if "inpaint" in results:
        parts += ["### Inpainting", ""]
        for kind, rows in results["inpaint"].items():
            parts += [f"**{kind} masks**", "", markdown_table(["method", "PSNR (image)", "PSNR (hole)", "SSIM"], [
                [k, f"{v['psnr']:.2f}", f"{v['psnr_hole']:.2f}", f"{v['ssim']:.4f}"] for k, v in rows.items()]), ""]
    if "auto" in results:
        auto = results["auto"]

        def detection_cells(method: str) -> list[str]:
            found = auto["detection"].get(method)
            return [f"{found[m]:.3f}" for m in ("precision", "recall", "f1")] if found else ["–"] * 3

        parts += ["### Automatic old-photo repair", "", markdown_table(
            ["method", "precision", "recall", "F1", "PSNR", "SSIM"],
            [[k, *detection_cells(k), f"{v['psnr']:.2f}", f"{v['ssim']:.4f}"] for k, v in auto["repair"].items()]), ""]
        if auto.get("per_photo"):
            parts += ["Our detection per photo (share of pixels damaged / marked by ours):", "", markdown_table(
                ["photo", "damaged", "marked", "precision", "recall", "F1"],
                [[name, f"{d['damaged']:.1%}", f"{d['found']:.1%}",
                  *(f"{d[m]:.3f}" for m in ("precision", "recall", "f1"))]
                 for name, d in zip(names, auto["per_photo"])]), ""]
    if "scale" in results:
        parts += detect_scale.render(results["scale"])
    parts += ["### Against the bars of the repair issue", "",
              markdown_table(["bar", "measured", "met"], bars(results)), ""]
    if "speed" in results:
        speed = results["speed"]
        # Timings on a shared machine are noisy; the ratio to ours, measured in the same run, is what to read.
        ours_for = {"CBM3D": "ours denoise", "OpenCV NLM": "ours denoise", "OpenCV TELEA": "ours inpaint",
                    "biharmonic": "ours inpaint", "ours: smooth prefill": "ours inpaint",
                    "top-hat + TELEA + NLM": "ours auto", "ours denoise (high quality)": "ours denoise",
                    "ours denoise (blind, one pass)": "ours denoise", "ours inpaint (high quality)": "ours inpaint",
                    "ours auto (high quality)": "ours auto"}
        parts += ["### Speed (seconds per megapixel, this CPU)", "", markdown_table(
            ["method", "s/MP", "time relative to ours"],
            [[k, f"{v:.2f}", f"{v / speed[ours_for[k]]:.2f}x" if k in ours_for else "1x"] for k, v in speed.items()]),
            ""]
    if "tiling" in results:
        parts += tiling.render(results["tiling"])
    return "\n".join(parts)


def classical_rows(rows: dict[str, Any]) -> list[str]:
    """The methods a table compares ours against: every row but ours and our own parts (the prefill alone)."""
    return [k for k in rows if not k.startswith("ours")]


def manifest_metrics(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The headline numbers of each network, for its manifest (shown by GET /api/v1/models)."""
    den: dict[str, float] = {}
    conditions = results["denoise"]["conditions"]
    for sigma in SIGMAS:
        r = conditions[f"Gaussian sigma {sigma}"]
        den |= {f"psnr_sigma{sigma}_blind": r["ours (blind)"]["psnr"],
                f"psnr_sigma{sigma}_blind_high": r[BLIND_HIGH]["psnr"],
                f"psnr_sigma{sigma}_blind_one_pass": r[BLIND_ONE_PASS]["psnr"],
                f"psnr_sigma{sigma}": r["ours (sigma given)"]["psnr"], f"cbm3d_psnr_sigma{sigma}": r["CBM3D"]["psnr"]}
    sp = conditions["salt-and-pepper 10%"]
    den |= {"psnr_salt_pepper10": sp["ours (blind)"]["psnr"], "median_psnr_salt_pepper10": sp["median 3x3"]["psnr"]}
    den["psnr_clean_blind"] = conditions[CLEAN]["ours (blind)"]["psnr"]
    inp: dict[str, float] = {}
    for kind, r in results["inpaint"].items():
        best = max(classical_rows(r), key=lambda k: r[k]["psnr_hole"])
        inp |= {f"psnr_{kind}": r["ours"]["psnr"], f"psnr_hole_{kind}": r["ours"]["psnr_hole"],
                f"psnr_hole_{kind}_high": r[HIGH]["psnr_hole"],
                f"best_classical_psnr_hole_{kind}": r[best]["psnr_hole"]}
    auto = results["auto"]
    det = {k: auto["detection"]["ours"][k] for k in ("precision", "recall", "f1")}
    det |= {"f1_high": auto["detection"][HIGH]["f1"], "auto_psnr": auto["repair"]["ours"]["psnr"],
            "auto_psnr_high": auto["repair"][HIGH]["psnr"],
            "classical_auto_psnr": auto["repair"]["top-hat + TELEA + NLM"]["psnr"]}
    return {"denoise": den, "inpaint": inp, "detect": det}


def bars(results: dict[str, Any]) -> list[list[str]]:
    """One row per claim the repair issue makes: the margin measured in this run, and whether it holds."""
    rows = []

    def row(bar: str, margin: float, unit: str, ok: bool) -> None:
        rows.append([bar, f"{margin:+.2f} {unit}", "yes" if ok else "**no**"])

    for cond, r in results.get("denoise", {}).get("conditions", {}).items():
        if cond.startswith("Gaussian"):
            for mode in ("ours (sigma given)", "ours (blind)"):
                gap = r[mode]["psnr"] - r["CBM3D"]["psnr"]
                row(f"denoise {cond}: {mode} above CBM3D", gap, "dB", gap > 0)
            gap = r["ours (blind)"]["psnr"] - r["ours (sigma given)"]["psnr"]
            row(f"denoise {cond}: blind within 0.2 dB of sigma given", gap, "dB", gap >= -0.2)
        elif cond != CLEAN:  # the clean photo is a check of ours alone, not a bar
            gap = r["ours (blind)"]["psnr"] - r["median 3x3"]["psnr"]
            row(f"denoise {cond}: ours above a 3x3 median", gap, "dB", gap > 0)
    for kind, r in results.get("inpaint", {}).items():
        for metric, label in (("psnr", "image"), ("psnr_hole", "hole")):
            best = max(classical_rows(r), key=lambda k: r[k][metric])
            gap = r["ours"][metric] - r[best][metric]
            row(f"inpaint {kind}: ours above the best classical ({best}), PSNR over the {label}", gap, "dB", gap > 0)
    if "auto" in results:
        auto = results["auto"]
        f1 = auto["detection"]["ours"]["f1"]
        row("auto: detection F1 at least 0.8", f1 - 0.8, "(F1 − 0.8)", f1 >= 0.8)
        gap = auto["repair"]["ours"]["psnr"] - auto["repair"]["top-hat + TELEA + NLM"]["psnr"]
        row("auto: repaired PSNR above top-hat + TELEA + NLM", gap, "dB", gap > 0)
    return rows


def write_examples(ours: Ours, crops: list[np.ndarray], folder: Path, seed: int) -> None:
    """Before | after | truth strips for the docs."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = crops[0]
    noisy = degrade.gaussian_noise(clean, 25, rng_for(seed, 8))
    hole = degrade.random_inpaint_mask(*clean.shape[:2], rng_for(seed, 9), kind="box") > 0.5
    holed = np.where(hole[..., None], 1.0, clean).astype(np.float32)
    damaged, _ = degrade.old_photo_damage(clean, rng_for(seed, 10))
    strips = {"denoise": (noisy, ours.denoise(noisy, None)), "inpaint": (holed, ours.inpaint(holed, hole)),
              "auto": (damaged, ours.auto(damaged)[0])}
    for name, (before, after) in strips.items():
        row = np.concatenate([before, after, clean], axis=1)
        Image.fromarray((np.clip(row, 0, 1) * 255).round().astype(np.uint8)).save(folder / f"restore-{name}.png")


def run(args: argparse.Namespace) -> int:
    with torch.no_grad():
        return _measure_and_write(args)


def _measure_and_write(args: argparse.Namespace) -> int:
    if not args.no_write and (args.sections != SECTIONS or args.inpaint_model is not None or args.split != "val"
                              or args.skip):
        raise SystemExit("--sections (a part of the benchmark), --inpaint-model (not the shipped inpainter), "
                         "--split train (photos the networks trained on) and --skip (other photos than the "
                         "benchmark's) only print their tables: add --no-write")
    ours = Ours(args.weights, needed=tuple(dict.fromkeys(m for sec in args.sections for m in NEEDS[sec])),
                inpaint_model=args.inpaint_model)
    picked = slice(args.skip, args.skip + args.photos)  # the same photos and names
    photos = load_split(args.split, args.data_dir)[picked]
    crops = [centre_crop(p, args.crop) for p in photos]
    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    names = [e["name"] for e in manifest["photos"] if e["split"] == args.split][picked]
    # the tiling section compares the largest photos: the most tiles
    largest = sorted(range(len(photos)), key=lambda i: -photos[i].shape[0] * photos[i].shape[1])[: args.tiling_photos]
    measure: dict[str, Callable[[], Any]] = {
        "denoise": lambda: bench_denoise(ours, crops, [centre_crop(p, args.crop) for p in
                                                       load_split("train", args.data_dir)[:3]], args.seed),
        "inpaint": lambda: bench_inpaint(ours, crops, args.seed),
        "auto": lambda: bench_auto(ours, crops, args.seed),
        "scale": lambda: detect_scale.measure(ours.nets["detect"], {
            side: [degrade.old_photo_damage(centre_crop(p, side), rng_for(args.seed, 5, i))  # the auto seeds
                   for i, p in enumerate(photos)] for side in detect_scale.SIDES}),
        "speed": lambda: bench_speed(ours, centre_crop(photos[0], args.speed_side)),
        "tiling": lambda: {"compare": tiling.compare(ours.nets, [photos[i] for i in largest],
                                                     [names[i] for i in largest], args.seed),
                           "memory": tiling.memory_rows(args.weights, args.large_megapixels)}}
    results = {section: measure[section]() for section in args.sections}
    if args.no_write:
        print(render(results, args, ours, names))
        return 0
    write_section(args.benchmarks_md, SECTION, render(results, args, ours, names))
    for model_id, metrics in manifest_metrics(results).items():
        update_metrics(ours.info[model_id], metrics | {"measured": date.today().isoformat(),
                                                       "benchmark": "docs/BENCHMARKS.md#photo-repair"})
    write_examples(ours, crops, args.examples_dir, args.seed)
    print(render(results, args, ours, names))
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main(add_arguments, run, prog="python -m models.evaluation.restore_benchmark",
                       description=__doc__.split("\n")[0], argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
