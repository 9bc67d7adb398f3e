"""Emoji: the colour-art set, 64x64 RGB, 8 classes: the Unicode emoji groups.

Source: Debian fonts-noto-color-emoji (NotoColorEmoji.ttf, colour bitmaps 136x128; Apache-2.0, font under
OFL-1.1), fetched with `apt-get download`, only the font file extracted (models/debian.py). The classes come from
Debian unicode-data's emoji-test.txt (Unicode licence), which files every emoji under a group ("Animals & Nature",
"Food & Drink", ...).

Why emoji rather than the other colour sets that can be had offline:

    emoji            ~1,400 images, one designer team's consistent style (flat shading, bold outlines, a
                     shared palette), one subject per image, centred: a small set a small GAN can cover.
                     Apache-2.0 / OFL, 11 MB download.
    openclipart-png  ~6,600 images but no shared style (line art beside photoreal renders, any aspect ratio,
                     often mostly blank); 131 MB download. Public domain.
    wesnoth portraits only 238 images (too few even with augmentation); 146 MB download; GPL-2+ would bind
                     the weights' licence.

Images: every single code point in the emoji blocks the font draws (skin-tone and flag sequences are left out:
the 5 skin tones of ~400 people and hands would outnumber everything else with near-duplicates). Each is
rendered with its colour bitmap (`embedded_color=True`, the font's only size 109), cropped to the alpha's
bounding box, scaled so the longer side is 60 px, centred and composited on a white background.

Classes: the group of each code point in emoji-test.txt, so an artist can ask for "a new animal" and the generator
learns eight smaller, more alike sets instead of one that mixes faces with clocks and flags. The five single-code-
point flags (chequered, triangular, crossed, black, white) join "symbols": five images cannot carry a class. A code
point the file does not list is left out (none of the 1,377 the font draws is).

Split: 15% of the emoji held out with a fixed seed (by code point: the same split as version 1's).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from models.datasets.common import ImageSet, fit_in_square, heldout_by_key
from models.debian import package_files

log = logging.getLogger(__name__)

NAME = "emoji"
VERSION = 2  # bump when the recipe below changes: it names the cache file
PACKAGE = "fonts-noto-color-emoji"
MEMBER = "./usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
LICENCE = "Apache-2.0 (font: OFL-1.1)"
GROUPS_PACKAGE = "unicode-data"
GROUPS_MEMBER = "./usr/share/unicode/emoji/emoji-test.txt"
GROUPS_LICENCE = "Unicode-DFS-2016"
CLASSES = ("smileys-emotion", "people-body", "animals-nature", "food-drink", "travel-places", "activities",
           "objects", "symbols")
GROUP_CLASS = {"Smileys & Emotion": "smileys-emotion", "People & Body": "people-body",
               "Animals & Nature": "animals-nature", "Food & Drink": "food-drink", "Travel & Places": "travel-places",
               "Activities": "activities", "Objects": "objects", "Symbols": "symbols", "Flags": "symbols"}
FONT_PX = 109  # the one size of the font's colour bitmaps
SIZE, MARGIN = 64, 2
BACKGROUND = (255, 255, 255)
HELDOUT_FRACTION, SPLIT_SEED = 0.15, 20_241_122
BLOCKS = ((0x00A9, 0x00AE), (0x203C, 0x3299), (0x1F000, 0x1FAFF))  # where single-code-point emoji live
SKIP = (
    set(range(0x1F1E6, 0x1F200))  # regional indicator letters (halves of flags)
    | set(range(0x1F3FB, 0x1F400))  # skin-tone swatches
    | set(range(0x1F9B0, 0x1F9B4))  # hair-style components
    | {0x20E3}  # combining keycap
)
MISSING_PROBE = "\U0010fffd"


def candidate_code_points() -> list[int]:
    return [cp for lo, hi in BLOCKS for cp in range(lo, hi + 1) if cp not in SKIP]


def read_groups(text: str) -> dict[int, str]:
    """emoji-test.txt -> {code point: class} for the emoji that are one code point (a trailing variation selector
    FE0F aside); groups outside GROUP_CLASS (the skin-tone and hair "Component"s) are left out."""
    out: dict[int, str] = {}
    group = None
    for line in text.splitlines():
        if line.startswith("# group:"):
            group = GROUP_CLASS.get(line.split(":", 1)[1].strip())
        elif line.strip() and not line.startswith("#") and group is not None:
            cps = [int(c, 16) for c in line.split(";", 1)[0].split() if c.upper() != "FE0F"]
            if len(cps) == 1:
                out.setdefault(cps[0], group)
    return out


def _render(font: ImageFont.FreeTypeFont, char: str) -> Image.Image:
    side = 2 * FONT_PX
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((side // 2, side // 2), char, font=font, embedded_color=True, anchor="mm",
                                fill=(0, 0, 0, 255))  # the fill only colours fonts without colour glyphs (tests)
    return canvas


def composite(rgba: Image.Image, bbox: tuple[int, int, int, int]) -> np.ndarray:
    """RGBA -> (64, 64, 3) uint8: cropped to bbox, fitted, centred, alpha-composited on BACKGROUND."""
    fitted = fit_in_square(rgba, bbox, SIZE, MARGIN, background=(0, 0, 0, 0))
    out = Image.new("RGBA", fitted.size, (*BACKGROUND, 255))
    out.alpha_composite(fitted)
    return np.asarray(out.convert("RGB"))


def render_emoji(font_path: Path, code_points: list[int], font_px: int = FONT_PX) -> tuple[np.ndarray, list[int]]:
    """(M, 64, 64, 3) uint8 of the code points the font draws, and those code points."""
    font = ImageFont.truetype(str(font_path), font_px)
    tofu = np.asarray(_render(font, MISSING_PROBE))
    images, kept = [], []
    for cp in code_points:
        glyph = _render(font, chr(cp))
        bbox = glyph.getchannel("A").getbbox()
        if bbox is None or np.array_equal(np.asarray(glyph), tofu):
            continue
        images.append(composite(glyph, bbox))
        kept.append(cp)
    return (np.stack(images) if images else np.zeros((0, SIZE, SIZE, 3), np.uint8)), kept


def build(code_points: list[int] | None = None, *, downloads: Path, root: Path | None = None,
          font_px: int = FONT_PX) -> ImageSet:
    code_points = candidate_code_points() if code_points is None else code_points
    folder = package_files(PACKAGE, [MEMBER], downloads, root)
    groups_folder = package_files(GROUPS_PACKAGE, [GROUPS_MEMBER], downloads, root)
    groups = read_groups((groups_folder / GROUPS_MEMBER).read_text(encoding="utf-8"))
    unlisted = [cp for cp in code_points if cp not in groups]
    code_points = [cp for cp in code_points if cp in groups]
    images, kept = render_emoji(folder / MEMBER, code_points, font_px)
    keys = [f"U+{cp:04X}" for cp in kept]
    held = heldout_by_key(keys, HELDOUT_FRACTION, SPLIT_SEED)
    log.info("emoji: %d of %d candidate code points drawn (%d not in emoji-test.txt)", len(kept),
             len(code_points) + len(unlisted), len(unlisted))
    labels = np.asarray([CLASSES.index(groups[cp]) for cp in kept], np.int64)
    info = {
        "name": NAME, "version": VERSION,
        "sources": [{"package": f"debian:{PACKAGE}", "file": MEMBER, "licence": LICENCE},
                    {"package": f"debian:{GROUPS_PACKAGE}", "file": GROUPS_MEMBER, "licence": GROUPS_LICENCE}],
        "code_points": keys,
        "background": list(BACKGROUND),
        "split": f"{HELDOUT_FRACTION:.0%} of the emoji held out, seed {SPLIT_SEED}",
    }
    return ImageSet(images, labels, CLASSES, np.asarray([k in held for k in keys], bool), info)
