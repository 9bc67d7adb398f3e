"""Upscaling a result from the generate page, in a real Chromium against a real `atelier serve`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.test_explore_page import make_images
from worker.images import read_provenance

pytestmark = pytest.mark.browser

UPSCALED_LOADED = """() => {
  const imgs = [...document.querySelectorAll('#upscale-body img')];
  return imgs.length === 2 && imgs.every((img) => img.complete && img.naturalWidth > 0);
}"""


def test_upscale_a_result_by_keyboard_and_from_the_large_view(page: Page, screenshots: Path) -> None:
    make_images(page, 2)
    button = page.locator("#gallery figure").nth(1).get_by_role("button", name="Upscale ×4: image 2 (seed 71)")
    button.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#upscale")
    expect(panel.locator("#upscale-status")).to_contain_text("Upscaled seed 71 · class 3 ×4", timeout=60_000)
    page.wait_for_function(UPSCALED_LOADED, timeout=30_000)
    # Ours beside plain bicubic, each at 4 x 28 = 112 pixels, shown enlarged by a whole factor.
    figures = panel.locator("figure")
    expect(figures).to_have_count(2)
    expect(figures.nth(0)).to_contain_text("Bicubic · 112×112")
    expect(figures.nth(1)).to_contain_text("Ours (ibp-tv) · 112×112")
    ours_img = figures.nth(1).locator("img")
    assert ours_img.evaluate("(el) => [el.naturalWidth, el.naturalHeight]") == [112, 112]
    assert ours_img.evaluate("(el) => el.getBoundingClientRect().width") == 224

    # The download is the upscaled PNG, carrying the method and the generated image's own metadata.
    with page.expect_download() as info:
        figures.nth(1).get_by_role("link", name="Download ours (ibp-tv) (112×112 PNG)").click()
    data = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.endswith("-x4-ibp-tv.png")
    meta = read_provenance(data)
    assert meta["method"] == "ibp-tv" and meta["scale"] == 4 and meta["source"]["seed"] == 71
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (112, 112)

    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "upscale-panel.png"), full_page=True)

    # The large view of a result has the same action; the result then opens large, ours first.
    page.locator("#gallery figure").nth(0).locator("img").click()
    view = page.locator("dialog.lightbox")
    view.get_by_role("button", name="Upscale ×4").click()
    expect(view).to_be_hidden()
    expect(panel.locator("#upscale-status")).to_contain_text("Upscaled seed 70 · class 3 ×4", timeout=60_000)
    page.wait_for_function(UPSCALED_LOADED, timeout=30_000)
    figures.nth(1).get_by_role("button", name="Open ours (ibp-tv) large").click()
    expect(view.locator(".lightbox__title")).to_have_text("Ours (ibp-tv) · 112×112")
    page.screenshot(path=str(screenshots / "upscale-lightbox.png"))
    page.keyboard.press("ArrowRight")
    expect(view.locator(".lightbox__title")).to_have_text("Bicubic · 112×112")
    page.keyboard.press("Escape")

    jobs = page.evaluate("() => JSON.parse(localStorage.getItem('atelier.jobs.v1'))")
    assert [j["kind"] for j in jobs[:3]] == ["upscale", "upscale", "generate"]
    # The Jobs page lists it as an upscale, with its scale.
    page.goto("/jobs")
    card = page.locator(".job").first
    expect(card.locator(".job__kind")).to_have_text("Upscale", timeout=30_000)
    expect(card).to_contain_text("×4")
