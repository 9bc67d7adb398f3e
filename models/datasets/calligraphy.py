"""Calligraphy: 64x64 grey CJK glyphs rendered from brush, Kai and handwriting fonts; label = the font (style).

Fonts (Debian packages, fetched with `apt-get download`, only the font file extracted; see models/debian.py):

    ukai             fonts-arphic-ukai       AR PL UKai CN, Kai (regular script)   Arphic Public License
    cwtex-kai        fonts-cwtex-kai         cwTeX Kai                              GPL-2+ with font exception
    hanazono-mincho  fonts-hanazono          Hanazono Mincho A (printed, a contrast) Hanazono Font Licence / OFL
    seto             fonts-seto              SetoFont, pen handwriting              OFL-1.1
    kouzan-kaisho    fonts-kouzan-mouhitsu   Kouzan brush, regular script           public domain
    kouzan-gyosho    fonts-kouzan-mouhitsu   Kouzan brush, semi-cursive             public domain
    kouzan-sosho     fonts-kouzan-mouhitsu   Kouzan brush, cursive (grass script)   public domain
    aoyagi-kouzan    fonts-aoyagi-kouzan-t   Aoyagi Kouzan T brush                  public domain
    aoyagi-soseki    fonts-aoyagi-soseki     Aoyagi Soseki brush                    public domain

fonts-nanum-extra (Nanum Brush / Pen Script) was checked and left out: it has Hangul only, no ideographs.

Characters: the CJK ideographs that are level-1 (most common) characters of all three of GB 2312 (simplified
Chinese), Big5 (traditional Chinese) and JIS X 0208 (Japanese) — 1,583 characters written alike in all three, so
every style draws the same character. A font that lacks a character (its rendering is empty or equals its
rendering of an unassigned code point, the .notdef "tofu" box) is skipped for that character.

Rendering: white on black at 192 px, cropped to the ink's bounding box, scaled so that the box's longer side is
56 px (Lanczos), centred on a 64x64 canvas, stored as black ink on white paper.

Split: 10% of the characters (all their styles) are held out with a fixed seed — the reference measures new
characters in a known style, which is what an artist asks for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from models.datasets.common import ImageSet, fit_in_square, heldout_by_key
from models.debian import package_files

log = logging.getLogger(__name__)

NAME = "calligraphy"
VERSION = 1  # bump when the recipe below changes: it names the cache file
SIZE, MARGIN, RENDER_PX = 64, 4, 192
HELDOUT_FRACTION, SPLIT_SEED = 0.10, 20_241_121
MISSING_PROBE = "\U0010fffd"  # a private-use code point no font here maps: its rendering is the font's .notdef


@dataclass(frozen=True)
class FontStyle:
    style: str  # class name (kebab-case)
    package: str  # Debian package
    member: str  # path of the font file inside the package
    licence: str
    index: int = 0  # face within a .ttc collection


_TT = "./usr/share/fonts/truetype"
STYLES = (
    FontStyle("ukai", "fonts-arphic-ukai", f"{_TT}/arphic/ukai.ttc", "Arphic-1999"),
    FontStyle("cwtex-kai", "fonts-cwtex-kai", f"{_TT}/cwtex/cwkai.ttf", "GPL-2+ with font exception"),
    FontStyle("hanazono-mincho", "fonts-hanazono", f"{_TT}/hanazono/HanaMinA.ttf", "Hanazono-Font-License or OFL"),
    FontStyle("seto", "fonts-seto", f"{_TT}/seto/setofont.ttf", "OFL-1.1"),
    FontStyle("kouzan-kaisho", "fonts-kouzan-mouhitsu", f"{_TT}/kouzan-mouhitsu/kouzan-mouhitsu.ttf",
              "public-domain"),
    FontStyle("kouzan-gyosho", "fonts-kouzan-mouhitsu", f"{_TT}/kouzan-mouhitsu/kouzan-mouhitsu-gyosho.ttf",
              "public-domain"),
    FontStyle("kouzan-sosho", "fonts-kouzan-mouhitsu", f"{_TT}/kouzan-mouhitsu/KouzanBrushFontSousyo.ttf",
              "public-domain"),
    FontStyle("aoyagi-kouzan", "fonts-aoyagi-kouzan-t", f"{_TT}/aoyagi-kouzan-t/AoyagiKouzanT.ttf", "public-domain"),
    FontStyle("aoyagi-soseki", "fonts-aoyagi-soseki", f"{_TT}/aoyagi-soseki/aoyagi-soseki.ttf", "public-domain"),
)


def _level1(char: str, codec: str, lo: int, hi: int) -> bool:
    try:
        code = char.encode(codec)
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and lo <= int.from_bytes(code, "big") <= hi


def common_characters() -> list[str]:
    """Ideographs in level 1 of GB 2312 (0xB0A1-0xD7FE), Big5 (0xA440-0xC67E) and JIS X 0208 (Shift-JIS
    0x889F-0x9872), in code-point order."""
    return [c for c in map(chr, range(0x4E00, 0xA000))
            if _level1(c, "gb2312", 0xB0A1, 0xD7FE) and _level1(c, "big5", 0xA440, 0xC67E)
            and _level1(c, "shift_jis", 0x889F, 0x9872)]


def _render(font: ImageFont.FreeTypeFont, char: str) -> Image.Image:
    """White ink on black, the glyph's anchor at the centre of a canvas twice the font size."""
    canvas = Image.new("L", (2 * RENDER_PX, 2 * RENDER_PX), 0)
    ImageDraw.Draw(canvas).text((RENDER_PX, RENDER_PX), char, font=font, fill=255, anchor="mm")
    return canvas


def render_glyphs(font_path: Path, chars: list[str], index: int = 0) -> tuple[np.ndarray, list[str]]:
    """(M, 64, 64) uint8 black-on-white glyphs of the characters the font has, and those characters."""
    font = ImageFont.truetype(str(font_path), RENDER_PX, index=index)
    tofu = np.asarray(_render(font, MISSING_PROBE))
    images, kept = [], []
    for char in chars:
        glyph = _render(font, char)
        bbox = glyph.getbbox()
        if bbox is None or np.array_equal(np.asarray(glyph), tofu):
            continue  # the font lacks this character
        fitted = fit_in_square(glyph, bbox, SIZE, MARGIN, background=0)
        images.append(255 - np.asarray(fitted))  # black ink on white paper
        kept.append(char)
    return (np.stack(images) if images else np.zeros((0, SIZE, SIZE), np.uint8)), kept


def build(styles: tuple[FontStyle, ...] = STYLES, chars: list[str] | None = None, *, downloads: Path,
          root: Path | None = None) -> ImageSet:
    """Render every style; fonts come from `root` (an unpacked tree) if given, else from the Debian packages."""
    chars = common_characters() if chars is None else chars
    held = heldout_by_key(chars, HELDOUT_FRACTION, SPLIT_SEED)
    members: dict[str, list[str]] = {}
    for s in styles:
        members.setdefault(s.package, []).append(s.member)
    folders = {package: package_files(package, files, downloads, root) for package, files in members.items()}
    images, labels, keys = [], [], []
    for label, s in enumerate(styles):
        glyphs, kept = render_glyphs(folders[s.package] / s.member, chars, s.index)
        log.info("%s: %d of %d characters", s.style, len(kept), len(chars))
        images.append(glyphs)
        labels += [label] * len(kept)
        keys += kept
    info = {
        "name": NAME, "version": VERSION,
        "sources": [{"style": s.style, "package": f"debian:{s.package}", "file": s.member, "licence": s.licence}
                    for s in styles],
        "characters": "".join(chars),
        "split": f"{HELDOUT_FRACTION:.0%} of the characters (every style of them) held out, seed {SPLIT_SEED}",
        "heldout_characters": "".join(sorted(held)),
    }
    return ImageSet(np.concatenate(images), np.asarray(labels, np.int64), tuple(s.style for s in styles),
                    np.asarray([k in held for k in keys], bool), info)
