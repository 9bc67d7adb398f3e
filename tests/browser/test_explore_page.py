"""Variations and interpolation from the generate page, in a real Chromium against a real `atelier serve`."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_generate_page import generate_button, wait_for_images

pytestmark = pytest.mark.browser

EXPLORE_LOADED = """() => {
  const imgs = [...document.querySelectorAll('#explore-body img')];
  return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
}"""


def make_images(page: Page, count: int = 4) -> None:
    page.goto("/")
    page.get_by_label("Class", exact=True).select_option("3")
    page.get_by_label("Seed", exact=True).fill("70")
    page.get_by_label("Count", exact=True).fill(str(count))
    generate_button(page).click()
    wait_for_images(page, count)


def test_variations_of_a_result(page: Page, screenshots: Path) -> None:
    make_images(page)
    page.locator("#gallery figure").nth(1).get_by_role("button", name="Variations: image 2 (seed 71)").click()
    explore = page.locator("#explore")
    expect(explore.locator("#explore-status")).to_contain_text("Variations of seed 71 · class 3", timeout=60_000)
    expect(explore.locator(".explore__tile")).to_have_count(8, timeout=60_000)
    page.wait_for_function(EXPLORE_LOADED, timeout=30_000)
    explore.locator(".explore__open").first.click()
    view = page.locator("dialog.lightbox")
    expect(view.locator(".lightbox__title")).to_contain_text("Variation 1")
    page.keyboard.press("Escape")
    jobs = page.evaluate("() => JSON.parse(localStorage.getItem('atelier.jobs.v1'))")
    assert [j["kind"] for j in jobs[:2]] == ["variations", "generate"]


def test_interpolate_between_two_results_from_the_large_view(page: Page, screenshots: Path) -> None:
    make_images(page)
    page.locator("#gallery figure").nth(0).locator("img").click()
    view = page.locator("dialog.lightbox")
    view.get_by_role("button", name="Interpolate", exact=True).click()
    expect(view).to_be_hidden()
    expect(page.locator("#explore-status")).to_contain_text("Interpolating from seed 70")
    expect(page.locator("#gallery figure").nth(3).locator(".tile__action--interpolate")).to_have_text(
        "Interpolate to here")
    page.locator("#gallery figure").nth(3).locator("img").click()
    view.get_by_role("button", name="Interpolate to here").click()
    expect(page.locator("#explore-status")).to_contain_text("Interpolation from seed 70 · class 3 to seed 73",
                                                            timeout=60_000)
    anim = page.locator("img.explore__animation")
    expect(anim).to_have_count(1, timeout=60_000)
    page.wait_for_function(EXPLORE_LOADED, timeout=30_000)
    assert (anim.get_attribute("src") or "").endswith("/animation")
    response = page.request.get(anim.get_attribute("src"))
    assert response.headers["content-type"] == "image/webp" and response.body()[8:12] == b"WEBP"
    assert page.locator("img.explore__strip").evaluate("(el) => el.naturalWidth") == 16 * 28 + 17 * 2
    page.locator("#explore").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "explore-interpolation.png"), full_page=True)
    page.locator(".explore__open").first.click()
    expect(view.locator(".lightbox__title")).to_have_text("Animation")
    page.screenshot(path=str(screenshots / "explore-lightbox.png"))
    page.keyboard.press("Escape")
    jobs = page.evaluate("() => JSON.parse(localStorage.getItem('atelier.jobs.v1'))")
    assert jobs[0]["kind"] == "interpolate"

    # The Jobs page lists it, labelled as an interpolation, and its large view starts on the animation.
    page.goto("/jobs")
    card = page.locator(".job").first
    expect(card.locator(".job__kind")).to_have_text("Interpolate", timeout=30_000)
    expect(card).to_contain_text("Frames")


def test_interpolate_to_a_typed_seed(page: Page) -> None:
    make_images(page, 2)
    page.locator("#gallery figure").nth(0).locator(".tile__action--interpolate").click()
    page.get_by_label("…or give the other end as a seed").fill("5")
    page.locator("#explore-pick").get_by_role("button", name="Interpolate").click()
    expect(page.locator("img.explore__animation")).to_have_count(1, timeout=60_000)
    expect(page.locator("#explore-status")).to_contain_text("to seed 5")
