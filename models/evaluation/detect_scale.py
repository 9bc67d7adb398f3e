"""Damage detection at several picture sizes — the `scale` section of `atelier benchmark restore`.

Old-photo damage comes at the scale of the picture: in models/degrade.py a stain covers a share of it and a speck
grows with it, while a scratch stays a few pixels wide. The detector learns damage on fixed-size patches, so the
larger the picture, the more of its damage is bigger than anything seen in training (docs/models/detect.md has
0.5.0, trained on 128-pixel patches, against 0.6.0 on 256). This section scores the detector as the service runs
it on centre crops of the held-out photos at a few sides, damaged with the seeds of the `auto` section (so at its
crop side the F1 is the auto table's), and splits recall by the size of the damaged regions.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from models import restore
from models.evaluation.report import markdown_table
from models.quality import mask_scores_of

SIDES = (192, 384, 768)
LARGE_SHARE = 0.005  # a damaged region (8-connected) covering at least this share of the crop counts as large


def large_regions(truth: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of damaged regions covering at least LARGE_SHARE of the picture."""
    damaged = (truth > 0.5).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(damaged, connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= LARGE_SHARE * truth.size
    large[0] = False  # the background
    return large[labels]


def measure(net: torch.nn.Module, damaged_by_side: dict[int, list[tuple[np.ndarray, np.ndarray]]]
            ) -> list[dict[str, Any]]:
    """damaged_by_side: crop side -> [(damaged photo, true damage mask)]. One row per side: mean precision / recall
    / F1 over the photos, and the recall of large and of small regions (their pixels pooled over the photos)."""
    rows = []
    for side, damage in damaged_by_side.items():
        scores, hit = [], {"large": [0, 0], "small": [0, 0]}
        for damaged, truth in damage:
            found = restore.detect(net, damaged)
            scores.append(mask_scores_of(found, truth))
            large = large_regions(truth)
            for name, where in (("large", large), ("small", (truth > 0.5) & ~large)):
                hit[name][0] += int((found & where).sum())
                hit[name][1] += int(where.sum())
        rows.append({"side": side, "damaged": float(np.mean([t.mean() for _, t in damage])),
                     **{k: float(np.mean([s[k] for s in scores])) for k in ("precision", "recall", "f1")},
                     **{f"recall_{k}": n / d if d else float("nan") for k, (n, d) in hit.items()}})
    return rows


def render(rows: list[dict[str, Any]]) -> list[str]:
    return ["### Damage detection by picture size", "",
            "Ours (one pass) on centre crops of the held-out photos at each side, damaged with the automatic-repair "
            "section's seeds: stains and specks grow with the picture, scratches stay thin. Large regions: damaged "
            f"regions covering at least {LARGE_SHARE:.1%} of the crop (stains, long tears, crossing scratches); "
            "recall of their pixels and of the rest's, pooled over the photos.", "",
            markdown_table(["side", "damaged", "precision", "recall", "F1", "recall, large regions",
                            "recall, small regions"],
                           [[str(r["side"]), f"{r['damaged']:.1%}", f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                             f"{r['f1']:.3f}", f"{r['recall_large']:.3f}", f"{r['recall_small']:.3f}"]
                            for r in rows]), ""]
