"""The repair page in a real Chromium against a real `atelier serve` with tiny untrained repair networks, used the
way a person would: load a photo, paint a mask, undo and redo, run jobs, compare, download."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, publish_screenshot, running_server, settle
from tests.conftest import make_tiny_restorers, tiff_bytes, wait_until

pytestmark = pytest.mark.browser

JOB_TIMEOUT_MS = 90_000  # tiny networks take a second or two; a busy CI machine may be slower
RESTORE_URL = "/api/v1/jobs/restore"
PREVIEW_URL = "/api/v1/previews"
PAINTED_PIXELS = """() => {
  const c = document.getElementById('mask-canvas');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) n += px[i] >= 128;
  return n;
}"""
PAINTED_AT = """([x, y]) => document.getElementById('mask-canvas').getContext('2d')
  .getImageData(x, y, 1, 1).data[3] >= 128"""
STAGE_TOP = "() => document.getElementById('stage').getBoundingClientRect().top + window.scrollY"


# ---------------------------------------------------------------- photos and helpers


def make_photo(path: Path, width: int = 480, height: int = 320, seed: int = 0) -> Path:
    """A small, photo-like picture: soft colour fields, two shapes, grain and one bright scratch."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([0.55 + 0.35 * np.sin(x / 57) * np.cos(y / 43), 0.45 + 0.3 * y / height,
                    0.35 + 0.3 * x / width], axis=-1)  # (H, W, 3)
    img = Image.fromarray((rgb.clip(0, 1) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    draw.ellipse([width * 0.55, height * 0.2, width * 0.85, height * 0.7], fill=(200, 150, 90))
    draw.rectangle([width * 0.1, height * 0.5, width * 0.35, height * 0.9], fill=(70, 90, 120))
    img = img.filter(ImageFilter.GaussianBlur(1))
    noisy = np.asarray(img).astype(np.float32) + rng.normal(0, 12, (height, width, 3))
    img = Image.fromarray(noisy.clip(0, 255).astype(np.uint8))
    ImageDraw.Draw(img).line([(width * 0.05, height * 0.1), (width * 0.9, height * 0.95)], fill=(245, 245, 240),
                             width=3)
    img.save(path)
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    return make_photo(tmp_path_factory.mktemp("photos") / "harbour.png")


def open_repair(page: Page, query: str = "") -> None:
    page.goto("/repair" + query)
    expect(page).to_have_title(re.compile("Repair"))


def load_photo(page: Page, path: Path) -> None:
    page.set_input_files("#photo-input", str(path))
    expect(page.locator("#stage")).to_have_attribute("data-state", "ready")
    expect(page.locator("#photo-name")).to_have_text(path.name)


def choose_task(page: Page, name: str) -> None:
    page.get_by_role("radio", name=re.compile(name)).check()


def photo_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    """Screen position of a point given as fractions of the displayed photo."""
    box = page.locator("#before-img").bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def stroke(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """A mouse drag across the photo, from and to fractions of its displayed size."""
    page.locator("#stage").scroll_into_view_if_needed()
    x0, y0 = photo_point(page, *start)
    x1, y1 = photo_point(page, *end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
    page.mouse.up()


def painted(page: Page) -> int:
    return page.evaluate(PAINTED_PIXELS)


def wait_for_done(page: Page) -> None:
    page.wait_for_function("() => ['succeeded', 'failed'].includes(document.getElementById('status').dataset.state)",
                           timeout=JOB_TIMEOUT_MS)
    state = page.locator("#status").get_attribute("data-state")
    assert state == "succeeded", f"the job did not succeed: {page.locator('#form-error').inner_text()}"
    page.wait_for_function("() => { const img = document.getElementById('after-img');"
                           " return !img.hidden && img.complete && img.naturalWidth > 0; }")


def submit_and_get_job(page: Page) -> dict:
    with page.expect_response(lambda r: r.url.endswith(RESTORE_URL) and r.request.method == "POST") as answer:
        page.locator("#submit").click()
    assert answer.value.status == 202, answer.value.text()
    job_id = answer.value.json()["id"]
    wait_for_done(page)
    return page.request.get(f"/api/v1/jobs/{job_id}").json()


def png_of(page: Page, url: str) -> Image.Image:
    response = page.request.get(url)
    assert response.status == 200, response.text()
    return Image.open(io.BytesIO(response.body()))


def white_pixels(img: Image.Image) -> int:
    return int((np.asarray(img.convert("L")) > 127).sum())


def history(page: Page) -> list[dict]:
    return page.evaluate("() => JSON.parse(localStorage.getItem('atelier.jobs.v1') || '[]')")


# ---------------------------------------------------------------- flows


def test_inpaint_paint_undo_compare_and_download(page: Page, photo: Path, screenshots: Path) -> None:
    open_repair(page)
    expect(page.get_by_role("link", name="Repair")).to_have_attribute("aria-current", "page")
    load_photo(page, photo)
    expect(page.locator("#photo-meta")).to_contain_text("480×320")
    choose_task(page, "Inpaint")
    expect(page.locator("#mask-section")).to_be_visible()
    expect(page.locator("#strength-field")).to_be_hidden()

    # The mask lives at the photo's own resolution, whatever the display scale.
    canvas = page.evaluate("() => { const c = document.getElementById('mask-canvas'); return [c.width, c.height]; }")
    assert canvas == [480, 320]
    shown = page.locator("#before-img").bounding_box()
    assert abs(shown["width"] - 480) > 10, "the photo should be shown scaled to fit the stage"

    # [ and ] change the brush size.
    size_value = page.locator("#brush-size-value")
    size = int(page.locator("#brush-size").input_value())
    page.locator("#stage").focus()
    page.keyboard.press("]")
    bigger = int(page.locator("#brush-size").input_value())
    assert bigger > size
    expect(size_value).to_have_text(f"{bigger} px")
    page.keyboard.press("[")
    page.keyboard.press("[")
    smaller = int(page.locator("#brush-size").input_value())
    assert smaller < bigger
    page.locator("#brush-size").fill("16")
    expect(size_value).to_have_text("16 px")

    # A horizontal stroke across the middle: painted at native resolution, as wide as the brush.
    stroke(page, (0.2, 0.5), (0.6, 0.5))
    first = painted(page)
    assert first > 0
    assert page.evaluate(PAINTED_AT, [192, 160])  # 0.4 × 480, 0.5 × 320
    assert not page.evaluate(PAINTED_AT, [192, 100])
    column = page.evaluate("""() => { const d = document.getElementById('mask-canvas').getContext('2d')
      .getImageData(192, 0, 1, 320).data; let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] >= 128;
      return n; }""")
    assert 14 <= column <= 18, f"a 16 px brush painted a {column} px wide stroke"
    expect(page.locator("#mask-share")).to_contain_text("% marked")

    # Undo and redo with the keyboard (Ctrl+Z, Shift+Ctrl+Z and Ctrl+Y) and the buttons.
    expect(page.get_by_role("button", name="Undo")).to_be_enabled()
    page.keyboard.press("Control+z")
    assert painted(page) == 0
    expect(page.get_by_role("button", name="Redo")).to_be_enabled()
    page.keyboard.press("Control+Shift+z")
    assert painted(page) == first
    page.get_by_role("button", name="Undo").click()
    assert painted(page) == 0
    page.locator("#stage").focus()
    page.keyboard.press("Control+y")
    assert painted(page) == first

    # The eraser takes part of the stroke away; a second stroke adds to the mask.
    page.keyboard.press("e")
    expect(page.locator("#tool-eraser")).to_have_attribute("aria-pressed", "true")
    stroke(page, (0.4, 0.35), (0.4, 0.65))
    assert not page.evaluate(PAINTED_AT, [192, 160])
    erased = painted(page)
    assert 0 < erased < first
    page.get_by_role("button", name="Brush").click()
    stroke(page, (0.1, 0.12), (0.85, 0.92), steps=20)  # along the scratch
    expected = painted(page)
    assert expected > erased

    # Submit: the progress bar reserves its space, the stage does not move.
    stage_top = page.evaluate(STAGE_TOP)
    job = submit_and_get_job(page)
    assert page.evaluate(STAGE_TOP) == pytest.approx(stage_top, abs=0.5)
    assert job["params"]["task"] == "inpaint" and job["params"]["mask"]
    assert (job["params"]["width"], job["params"]["height"]) == (480, 320)

    # The mask the server received: a PNG the photo's size, white exactly where the canvas is painted.
    mask = png_of(page, f"/api/v1/jobs/{job['id']}/input/mask")
    assert mask.size == (480, 320)
    assert white_pixels(mask) == expected
    assert np.asarray(mask.convert("L"))[int(0.5 * 320), int(0.2 * 480)] == 255
    assert np.asarray(mask.convert("L"))[5, 5] == 0
    # And the photo is the file itself, byte for byte (16-bit and metadata survive).
    assert page.request.get(f"/api/v1/jobs/{job['id']}/input/image").body() == photo.read_bytes()

    entry = history(page)[0]
    assert entry["id"] == job["id"] and entry["kind"] == "restore"
    assert entry["params"] == {"task": "inpaint", "sigma": None, "quality": "standard", "filename": photo.name}

    # Before/after: a focusable slider moved with the keyboard and dragged with the mouse.
    divider = page.get_by_role("slider", name="Before and after divider")
    expect(divider).to_be_visible()
    expect(divider).to_have_attribute("aria-valuenow", "50")
    after = page.locator("#after-img")
    clip_before = after.evaluate("(el) => el.style.clipPath")
    divider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    expect(divider).to_have_attribute("aria-valuenow", "40")
    clip_left = after.evaluate("(el) => el.style.clipPath")
    assert clip_left != clip_before
    knob = divider.bounding_box()
    stage = page.locator("#stage").bounding_box()
    page.mouse.move(knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] * 0.75, knob["y"] + knob["height"] / 2, steps=8)
    page.mouse.up()
    value = int(divider.get_attribute("aria-valuenow"))
    assert 73 <= value <= 77, value
    inset = float(re.search(r"inset\(0px 0px 0px ([\d.]+)px\)", after.evaluate("(el) => el.style.clipPath")).group(1))
    assert inset > float(re.search(r"([\d.]+)px\)", clip_left).group(1))
    assert painted(page) == expected, "dragging the divider must not paint"

    settle(page)
    page.locator("#show-mask").check()  # the mask over the result, for the picture
    shot = screenshots / "repair-inpaint-laptop.png"
    page.screenshot(path=str(shot), full_page=True)
    publish_screenshot(shot, "repair-page.png")

    # Download: the server's PNG, carrying its provenance.
    download_link = page.get_by_role("link", name="Download PNG")
    assert "download=1" in download_link.get_attribute("href")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert re.fullmatch(r"inpaint-[0-9a-f]{8}-result\.png", download.suggested_filename), download.suggested_filename
    result = Image.open(download.path())
    assert result.size == (480, 320)
    meta = json.loads(result.text["atelier"])
    assert meta["task"] == "inpaint" and meta["kind"] == "restore"
    assert meta["mask_sha256"] == job["params"]["mask"]


def test_auto_shows_detected_damage_and_reruns_with_the_edited_mask(page: Page, photo: Path,
                                                                     screenshots: Path) -> None:
    open_repair(page)
    load_photo(page, photo)
    expect(page.get_by_role("radio", name=re.compile("Auto repair"))).to_be_checked()
    expect(page.locator("#submit")).to_have_text("Repair automatically")
    first_job = submit_and_get_job(page)
    assert first_job["params"]["task"] == "auto" and first_job["params"]["mask"] is None
    labels = [im["label"] for im in first_job["images"]]
    assert labels == ["result", "mask"]

    # The detected damage is on the photo as the editable overlay, pixel for pixel the server's mask.
    detected = png_of(page, first_job["images"][1]["url"])
    assert detected.size == (480, 320)
    expect(page.locator("#mask-canvas")).to_be_visible()
    page.wait_for_function(f"() => document.getElementById('stage').dataset.maskPixels === '{white_pixels(detected)}'")
    assert painted(page) == white_pixels(detected)
    opacity = float(page.locator("#mask-canvas").evaluate("(el) => getComputedStyle(el).opacity"))
    assert 0.2 < opacity < 0.9, "the overlay must be see-through"
    expect(page.get_by_role("link", name="Download mask")).to_be_visible()
    settle(page)
    page.screenshot(path=str(screenshots / "repair-auto-detected.png"), full_page=True)

    # Edit it: erase a band, paint a stroke.
    page.get_by_role("button", name="Eraser").click()
    page.locator("#brush-size").fill("40")
    stroke(page, (0.05, 0.3), (0.95, 0.3))
    page.get_by_role("button", name="Brush").click()
    stroke(page, (0.5, 0.6), (0.9, 0.6))  # from the divider's line: while painting only its knob moves it
    expect(page.locator("#compare-divider")).to_have_attribute("aria-valuenow", "50")
    edited = painted(page)
    assert edited != white_pixels(detected)
    assert not page.evaluate(PAINTED_AT, [240, 96])  # erased
    assert page.evaluate(PAINTED_AT, [336, 192])  # painted
    expect(page.locator("#submit")).to_have_text("Re-run with edited mask")

    second_job = submit_and_get_job(page)
    assert second_job["id"] != first_job["id"]
    assert second_job["params"]["task"] == "auto" and second_job["params"]["mask"]
    sent = png_of(page, f"/api/v1/jobs/{second_job['id']}/input/mask")
    assert white_pixels(sent) == edited
    # With a mask, detection is skipped: the mask the job used is the one sent.
    used = png_of(page, second_job["images"][1]["url"])
    assert np.array_equal(np.asarray(used.convert("L")) > 127, np.asarray(sent.convert("L")) > 127)
    assert painted(page) == edited, "re-running keeps the person's mask as it was"
    ids = [e["id"] for e in history(page)]
    assert ids[:2] == [second_job["id"], first_job["id"]]
    settle(page)
    page.screenshot(path=str(screenshots / "repair-auto-rerun.png"), full_page=True)


def test_denoise_with_a_set_strength(page: Page, photo: Path, screenshots: Path) -> None:
    open_repair(page)
    load_photo(page, photo)
    choose_task(page, "Denoise")
    expect(page.locator("#mask-section")).to_be_hidden()
    expect(page.locator("#paint-tools")).to_be_hidden()
    expect(page.locator("#toolbar-note")).to_contain_text("whole photo")
    expect(page.locator("#sigma-value")).to_have_text("auto")
    expect(page.get_by_label("Estimate from the photo (blind)")).to_be_checked()

    # Moving the slider sets the strength by hand.
    page.get_by_label("Denoise strength").fill("30")
    expect(page.locator("#sigma-value")).to_have_text("30")
    expect(page.get_by_label("Estimate from the photo (blind)")).not_to_be_checked()
    expect(page.locator("#submit")).to_have_text("Denoise")
    # High quality: the 8 orientations averaged.
    quality = page.get_by_label("High quality (4–8× slower)")
    expect(quality).not_to_be_checked()
    quality.check()

    # Dragging on the photo pans instead of painting.
    stroke(page, (0.3, 0.3), (0.6, 0.6))
    assert painted(page) == 0

    job = submit_and_get_job(page)
    assert job["params"]["task"] == "denoise" and job["params"]["sigma"] == 30 and job["params"]["mask"] is None
    assert job["params"]["quality"] == "high"
    assert history(page)[0]["params"] == {"task": "denoise", "sigma": 30, "quality": "high", "filename": photo.name}
    expect(page.locator("#results-summary")).to_contain_text("strength 30 · high quality")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PNG").click()
    meta = json.loads(Image.open(info.value.path()).text["atelier"])
    assert meta["task"] == "denoise" and meta["sigma"] == 30 and meta["quality"] == "high"
    settle(page)
    page.screenshot(path=str(screenshots / "repair-denoise.png"), full_page=True)


def test_blind_denoise_says_what_level_it_read_and_parks_the_slider_there(page: Page, photo: Path) -> None:
    open_repair(page)
    load_photo(page, photo)
    choose_task(page, "Denoise")
    job = submit_and_get_job(page)
    assert job["params"]["sigma"] is None
    level = job["images"][0]["noise_level"]
    assert isinstance(level, float)
    expect(page.locator("#results-summary")).to_contain_text(f"blind (noise level read as {level:.1f})")
    # still blind, but the slider now starts from the level read
    expect(page.locator("#sigma-value")).to_have_text("auto")
    expect(page.get_by_label("Denoise strength")).to_have_value(str(round(min(level, 75))))


def test_files_that_cannot_be_repaired_are_explained(page: Page, photo: Path, tmp_path: Path,
                                                     screenshots: Path) -> None:
    open_repair(page)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    alert = page.get_by_role("alert")

    # A text file renamed .png.
    fake = tmp_path / "notes.png"
    fake.write_text("these are my notes, not a photo\n")
    page.set_input_files("#photo-input", str(fake))
    expect(alert).to_contain_text("Not an image")
    expect(alert).to_contain_text("notes.png does not contain a PNG, JPEG, WebP or TIFF image")
    expect(page.locator("#stage")).to_have_attribute("data-state", "empty")
    page.screenshot(path=str(screenshots / "repair-not-an-image.png"), full_page=True)

    # Larger than the server takes (a sparse file: only its size matters, it is refused before being read).
    limit = page.evaluate("() => JSON.parse(document.getElementById('repair-data').textContent).max_upload_bytes")
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as f:
        f.write(photo.read_bytes()[:64])
        f.truncate(limit + 1)
    page.set_input_files("#photo-input", str(huge))
    expect(alert).to_contain_text("Too large")
    expect(alert).to_contain_text("huge.png is just over the server's limit of 50.0 MB")

    # More pixels than the server takes (small on disk: one flat colour).
    wide = tmp_path / "wide.png"
    Image.new("L", (8000, 5200), 128).save(wide)
    page.set_input_files("#photo-input", str(wide))
    expect(alert).to_contain_text("Too many pixels")
    expect(alert).to_contain_text("8000×5200 (41.6 megapixels)")

    assert posts == [], "nothing should have been uploaded"

    # Inpainting with nothing painted is explained before anything is sent.
    load_photo(page, photo)
    expect(alert).to_be_hidden()
    choose_task(page, "Inpaint")
    page.locator("#submit").click()
    expect(alert).to_contain_text("Nothing marked to fill in")
    assert posts == []

    # A mask of the wrong size.
    small = tmp_path / "small-mask.png"
    Image.new("L", (100, 100), 255).save(small)
    page.set_input_files("#mask-input", str(small))
    expect(alert).to_contain_text("The mask is a different size")
    expect(alert).to_contain_text("100×100 but the photo is 480×320")
    assert posts == []

    # A PNG cut short: the browser shows what it can of it, the server refuses it (422) and says why.
    cut = tmp_path / "cut.png"
    cut.write_bytes(photo.read_bytes()[:20_000])
    load_photo(page, cut)
    choose_task(page, "Denoise")
    with page.expect_response(lambda r: r.url.endswith(RESTORE_URL)) as answer:
        page.locator("#submit").click()
    assert answer.value.status == 422
    expect(alert).to_contain_text("Check the request")
    expect(page.locator("#form-error-message")).to_have_text(answer.value.json()["error"]["message"])
    expect(page.locator("#form-error-message")).to_contain_text("truncated or corrupt")
    expect(page.locator("#status-text")).to_have_text("Not repaired: Check the request.")

    # A request over the server's body limit gets the server's own answer (413), shown the same way: a photo just
    # under the limit passes the page's check, and the form's other parts push the request over it.
    padded = tmp_path / "padded.png"
    data = photo.read_bytes()
    padded.write_bytes(data[:-12] + png_chunk(b"tEXt", b"padding\0" + b"x" * (limit - len(data) - 40)) + data[-12:])
    assert limit - 200 < padded.stat().st_size <= limit
    load_photo(page, padded)
    with page.expect_response(lambda r: r.url.endswith(RESTORE_URL)) as answer:
        page.locator("#submit").click()
    assert answer.value.status == 413
    expect(alert).to_contain_text("Too large")
    expect(page.locator("#form-error-message")).to_have_text(answer.value.json()["error"]["message"])
    expect(page.locator("#status")).to_have_attribute("data-state", "failed")
    expect(page.locator("#submit")).to_be_enabled()
    page.screenshot(path=str(screenshots / "repair-error-413.png"), full_page=True)
    assert "Traceback" not in page.content()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_a_16_bit_tiff_scan_is_shown_through_the_server_and_repaired_as_sent(page: Page, photo: Path, tmp_path: Path,
                                                                             screenshots: Path) -> None:
    """Chromium cannot decode TIFF: the page shows the server's PNG preview (on the job's pixel grid, here turned
    upright by the TIFF's orientation tag), paints the mask on it and sends the original 16-bit file."""
    low_bits = np.random.default_rng(3).integers(-128, 129, (320, 480, 3))  # detail 8 bits would lose
    rgb16 = (np.asarray(Image.open(photo)).astype(np.int64) * 257 + low_bits).clip(0, 65535).astype(np.uint16)
    scan = tmp_path / "harbour-scan.tif"
    scan.write_bytes(tiff_bytes(rgb16, orientation=6))  # stored 480×320, shown 320×480 (90° clockwise)
    open_repair(page)
    expect(page.locator("#photo-hint")).to_contain_text("PNG, JPEG, WebP or TIFF")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # The preview request is held back a moment, to see the page while it is being prepared.
    held = []
    page.route(f"**{PREVIEW_URL}", lambda route: held.append(route))
    page.set_input_files("#photo-input", str(scan))
    expect(page.locator("#photo-card")).to_have_attribute("data-state", "preparing")
    expect(page.locator("#photo-meta")).to_have_text("Preparing preview…")
    expect(page.locator("#status-text")).to_have_text("Preparing a preview of harbour-scan.tif…")
    expect(page.locator("#submit")).to_be_disabled()
    page.screenshot(path=str(screenshots / "repair-tiff-preparing.png"), full_page=True)
    wait_until(lambda: held, timeout=10, what="the preview request")
    with page.expect_response(lambda r: r.url.endswith(PREVIEW_URL)) as answer:
        held[0].continue_()
    page.unroute(f"**{PREVIEW_URL}")
    assert answer.value.status == 200 and answer.value.headers["content-type"] == "image/png"

    expect(page.locator("#stage")).to_have_attribute("data-state", "ready")
    expect(page.locator("#photo-name")).to_have_text(scan.name)
    expect(page.locator("#photo-meta")).to_contain_text("320×480")
    expect(page.locator("#photo-meta")).to_contain_text("TIFF (8\u2011bit preview)")
    expect(page.locator("#status-text")).to_have_text(re.compile("^Photo loaded"))
    shown = page.evaluate("() => { const i = document.getElementById('before-img'); const c = "
                          "document.getElementById('mask-canvas'); return [i.naturalWidth, i.naturalHeight, "
                          "c.width, c.height, i.src.startsWith('blob:')]; }")
    assert shown == [320, 480, 320, 480, True]

    # Paint on the preview and inpaint.
    choose_task(page, "Inpaint")
    page.locator("#brush-size").fill("20")
    stroke(page, (0.2, 0.3), (0.8, 0.3))
    marked = painted(page)
    assert marked > 0 and page.evaluate(PAINTED_AT, [160, 144])  # 0.5 × 320, 0.3 × 480
    job = submit_and_get_job(page)
    assert job["params"]["task"] == "inpaint"
    assert (job["params"]["width"], job["params"]["height"]) == (320, 480)
    assert [urlparse(url).path for url in posts] == [PREVIEW_URL, RESTORE_URL]

    # The job got the TIFF itself, byte for byte, and the mask painted on the preview, at the job's size.
    sent = page.request.get(f"/api/v1/jobs/{job['id']}/input/image")
    assert sent.body() == scan.read_bytes() and sent.headers["content-type"] == "image/tiff"
    mask = png_of(page, f"/api/v1/jobs/{job['id']}/input/mask")
    assert mask.size == (320, 480) and white_pixels(mask) == marked

    # The result keeps the scan's 16 bits; the page shows it over the preview to compare.
    import cv2

    result = page.request.get(job["images"][0]["url"]).body()
    decoded = cv2.imdecode(np.frombuffer(result, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.dtype == np.uint16 and decoded.shape == (480, 320, 3)
    expect(page.get_by_role("slider", name="Before and after divider")).to_be_visible()
    expect(page.locator("#results-summary")).to_contain_text("320×480")
    settle(page)
    page.locator("#show-mask").check()
    page.screenshot(path=str(screenshots / "repair-tiff-inpainted.png"), full_page=True)

    # A TIFF the server cannot read: its reason, in the page's notice; the loaded scan stays.
    broken = tmp_path / "broken.tif"
    broken.write_bytes(scan.read_bytes()[:20_000])
    page.set_input_files("#photo-input", str(broken))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Can't read this image")
    expect(page.locator("#form-error-message")).to_contain_text("truncated or corrupt")
    expect(page.locator("#photo-name")).to_have_text(scan.name)
    expect(page.locator("#photo-card")).to_have_attribute("data-state", "loaded")
    expect(page.locator("#status-text")).to_have_text("Not loaded: Can't read this image.")
    expect(page.locator("#submit")).to_be_enabled()

    # One whose header already says it has too many pixels is refused before it is sent.
    wide = tmp_path / "wide.tif"
    Image.new("L", (8000, 5200)).save(wide, compression="tiff_deflate")
    posts.clear()
    page.set_input_files("#photo-input", str(wide))
    expect(alert).to_contain_text("Too many pixels")
    expect(alert).to_contain_text("8000×5200 (41.6 megapixels)")
    assert posts == []


def test_zoom_and_pan(page: Page, tmp_path: Path) -> None:
    big = make_photo(tmp_path / "wide-view.png", 1600, 1000, seed=1)
    open_repair(page)
    load_photo(page, big)
    choose_task(page, "Inpaint")
    zoom = page.locator("#zoom-value")
    fitted = zoom.inner_text()
    assert fitted.endswith("%") and int(fitted[:-1]) < 100

    stage = page.locator("#stage")
    stage.focus()
    page.keyboard.press("+")
    assert int(zoom.inner_text()[:-1]) > int(fitted[:-1])
    page.keyboard.press("1")
    expect(zoom).to_have_text("100%")
    shown = page.locator("#before-img").bounding_box()
    assert shown["width"] == pytest.approx(1600, abs=1)
    page.keyboard.press("-")
    expect(zoom).to_have_text("80%")

    # The wheel zooms about the pointer.
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function("() => document.getElementById('zoom-value').textContent !== '80%'")
    assert int(zoom.inner_text()[:-1]) > 80

    # Space + drag pans while the brush is active, and paints nothing.
    before = page.locator("#before-img").bounding_box()
    page.keyboard.down(" ")
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 120, cy - 60, steps=6)
    page.mouse.up()
    page.keyboard.up(" ")
    moved = page.locator("#before-img").bounding_box()
    assert moved["x"] == pytest.approx(before["x"] - 120, abs=1)
    assert moved["y"] == pytest.approx(before["y"] - 60, abs=1)
    assert painted(page) == 0

    # Arrow keys pan the focused stage; the Move tool drags.
    page.keyboard.press("ArrowLeft")
    assert page.locator("#before-img").bounding_box()["x"] > moved["x"]
    page.get_by_role("button", name="Move").click()
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 50, cy, steps=4)
    page.mouse.up()
    assert painted(page) == 0

    # The buttons (pressing them with the brush active paints nothing under them), and back to fit.
    page.get_by_role("button", name="Brush").click()
    page.get_by_role("button", name="Zoom in").click()
    zoomed = int(zoom.inner_text()[:-1])
    page.get_by_role("button", name="Zoom out").click()
    assert int(zoom.inner_text()[:-1]) < zoomed
    assert painted(page) == 0
    page.get_by_role("button", name="Fit").click()
    expect(zoom).to_have_text(fitted)
    fit_box = page.locator("#before-img").bounding_box()
    assert box["x"] <= fit_box["x"] and fit_box["x"] + fit_box["width"] <= box["x"] + box["width"]


def test_paste_and_drop_load_a_photo(page: Page, photo: Path) -> None:
    open_repair(page)
    data = base64.b64encode(photo.read_bytes()).decode()
    make_file = f"""(name) => {{
      const bytes = Uint8Array.from(atob('{data}'), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, {{ type: 'image/png' }}));
      return transfer;
    }}"""
    # Ctrl+V with an image on the clipboard (as a screenshot tool puts it there).
    page.evaluate(f"""() => {{
      const transfer = ({make_file})('image.png');
      document.dispatchEvent(new ClipboardEvent('paste', {{ clipboardData: transfer, bubbles: true }}));
    }}""")
    expect(page.locator("#stage")).to_have_attribute("data-state", "ready")
    expect(page.locator("#photo-name")).to_have_text("pasted-image.png")

    # Dropped from the desktop onto the stage.
    transfer = page.evaluate_handle(f"() => ({make_file})('dropped.png')")
    stage = page.locator("#stage")
    stage.dispatch_event("dragenter", {"dataTransfer": transfer})
    stage.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(page.locator("#stage-drop")).to_be_visible()
    stage.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.locator("#photo-name")).to_have_text("dropped.png")
    expect(page.locator("#stage-drop")).to_be_hidden()


def test_open_a_job_to_edit_and_rerun(page: Page, photo: Path) -> None:
    mask = Image.new("L", (480, 320), 0)
    ImageDraw.Draw(mask).rectangle([100, 80, 220, 140], fill=255)
    buf = io.BytesIO()
    mask.save(buf, format="PNG")
    answer = page.request.post(RESTORE_URL, multipart={
        "image": {"name": photo.name, "mimeType": "image/png", "buffer": photo.read_bytes()},
        "mask": {"name": "mask.png", "mimeType": "image/png", "buffer": buf.getvalue()},
        "task": "auto", "sigma": "20", "quality": "high",
    })
    assert answer.status == 202, answer.text()
    job_id = answer.json()["id"]
    wait_until(lambda: page.request.get(f"/api/v1/jobs/{job_id}").json()["status"] == "succeeded",
               timeout=JOB_TIMEOUT_MS / 1000, interval=0.25, what=f"job {job_id}")

    open_repair(page, f"?from={job_id}")
    expect(page.locator("#status")).to_have_attribute("data-state", "succeeded", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#status-text")).to_contain_text(f"Opened job {job_id[:8]}")
    expect(page.locator("#photo-meta")).to_contain_text("480×320")
    expect(page.get_by_role("radio", name=re.compile("Auto repair"))).to_be_checked()
    expect(page.get_by_label("Estimate from the photo (blind)")).not_to_be_checked()
    expect(page.locator("#sigma-value")).to_have_text("20")
    expect(page.get_by_label("High quality (4–8× slower)")).to_be_checked()
    assert painted(page) == 121 * 61
    assert page.evaluate(PAINTED_AT, [150, 100]) and not page.evaluate(PAINTED_AT, [300, 100])
    expect(page.get_by_role("slider", name="Before and after divider")).to_be_visible()

    # Edit and run again: a new job with the edited mask and the same settings.
    stroke(page, (0.7, 0.7), (0.9, 0.7))
    edited = painted(page)
    job = submit_and_get_job(page)
    assert job["id"] != job_id and job["params"]["sigma"] == 20 and job["params"]["task"] == "auto"
    assert job["params"]["quality"] == "high"
    assert white_pixels(png_of(page, f"/api/v1/jobs/{job['id']}/input/mask")) == edited

    # A job that does not exist is explained.
    open_repair(page, "?from=0123456789abcdef0123456789abcdef")
    expect(page.get_by_role("alert")).to_contain_text("Not found")


def test_keyboard_only(page: Page, photo: Path, tmp_path: Path, screenshots: Path) -> None:
    open_repair(page)
    load_photo(page, photo)
    mask = Image.new("L", (480, 320), 0)
    ImageDraw.Draw(mask).ellipse([200, 100, 300, 180], fill=255)
    mask.save(tmp_path / "mask.png")
    focus_ring = """() => { const el = document.activeElement; const s = getComputedStyle(el);
      const label = el.closest('label'); const ls = label ? getComputedStyle(label) : null;
      const knob = el.querySelector('.compare-divider__knob'); const ks = knob ? getComputedStyle(knob) : null;
      return s.outlineStyle !== 'none' || s.boxShadow !== 'none' || (ls && ls.boxShadow !== 'none')
        || (ks && ks.boxShadow.split('rgb').length > 3); }"""

    def tab_to(selector: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({json.dumps(selector)})"):
                assert page.evaluate(focus_ring), f"{selector} has focus but shows no focus ring"
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    page.locator("#photo-choose").focus()
    tab_to("input[name=task]")
    page.keyboard.press("ArrowDown")  # auto -> inpaint
    expect(page.get_by_role("radio", name=re.compile("Inpaint"))).to_be_checked()
    # (The listener goes on before the key press: Playwright starts catching file dialogs when one is added.)
    page.on("filechooser", lambda chooser: chooser.set_files(str(tmp_path / "mask.png")))
    tab_to("#mask-choose")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.getElementById('stage').dataset.maskPixels === '{white_pixels(mask)}'")
    tab_to("#tool-eraser")
    page.keyboard.press("Enter")
    expect(page.locator("#tool-eraser")).to_have_attribute("aria-pressed", "true")
    tab_to("#brush-size")
    page.keyboard.press("ArrowRight")
    tab_to("#stage")
    page.keyboard.press("+")
    page.keyboard.press("0")
    tab_to("#zoom-in")
    page.screenshot(path=str(screenshots / "repair-keyboard-focus.png"))

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+z")  # undoes loading the mask file
    assert painted(page) == 0
    page.keyboard.press("Control+Shift+z")
    assert painted(page) == white_pixels(mask)

    page.locator("#submit").focus()
    page.keyboard.press("Enter")
    wait_for_done(page)
    tab_to("#compare-divider")
    page.keyboard.press("End")
    expect(page.locator("#compare-divider")).to_have_attribute("aria-valuenow", "100")
    page.keyboard.press("Shift+ArrowLeft")
    expect(page.locator("#compare-divider")).to_have_attribute("aria-valuenow", "90")
    page.keyboard.press("c")  # compare off: the whole result
    expect(page.locator("#compare-divider")).to_be_hidden()
    expect(page.locator("#compare-toggle")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("c")
    expect(page.locator("#compare-divider")).to_be_visible()


def test_tablet_width(page: Page, photo: Path, screenshots: Path) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    open_repair(page)
    load_photo(page, photo)
    choose_task(page, "Inpaint")
    controls = page.locator("section.controls").bounding_box()
    workspace = page.locator("section.workspace").bounding_box()
    assert workspace["y"] >= controls["y"] + controls["height"], "controls and photo should stack on a tablet"
    toolbar = page.locator("#toolbar").bounding_box()
    assert toolbar["height"] <= 48, "the mask tools should fit on one row"
    stroke(page, (0.2, 0.4), (0.7, 0.5))
    assert painted(page) > 0
    submit_and_get_job(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at tablet width"
    settle(page)
    page.screenshot(path=str(screenshots / "repair-tablet.png"), full_page=True)


def test_tasks_without_their_models_are_explained(browser, tmp_path: Path, screenshots: Path) -> None:
    """A server with only the denoiser: auto and inpaint are shown, disabled, with the reason."""
    folder = tmp_path / "denoise-only"
    folder.mkdir()
    make_tiny_restorers(folder)
    for model in ("inpaint", "detect"):
        for path in folder.glob(f"{model}.*"):
            path.unlink()
    with running_server([folder], tmp_path) as server:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=server.url)
        try:
            tab = context.new_page()
            open_repair(tab)
            auto = tab.get_by_role("radio", name=re.compile("Auto repair"))
            expect(auto).to_be_disabled()
            expect(tab.get_by_role("radio", name=re.compile("Inpaint"))).to_be_disabled()
            expect(tab.get_by_role("radio", name=re.compile("Denoise"))).to_be_checked()
            expect(tab.locator("#task-auto-missing")).to_contain_text("needs the detect, inpaint models")
            expect(tab.locator("#task-inpaint-missing")).to_contain_text("needs the inpaint model")
            tab.screenshot(path=str(screenshots / "repair-missing-models.png"), full_page=True)
        finally:
            context.close()


def test_no_repair_models_is_explained(browser, empty_server: Server) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(empty_server.url + "/repair")
        expect(tab.locator("#no-models")).to_contain_text("No repair models are installed")
        expect(tab.locator("#submit")).to_have_count(0)
    finally:
        context.close()
