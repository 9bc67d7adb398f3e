"""The train page in a real Chromium against a real `atelier serve` (embedded mode, fast training settings): upload
a zip of images, watch the steps, losses and sample grids, then generate with the new model; cancel; bad zips."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, laptop_tab, running_server
from tests.train_data import FAST_TRAIN_ENV, art_entries, art_zip, image_bytes, make_zip

pytestmark = pytest.mark.browser

ZIP = "application/zip"


@pytest.fixture(scope="module")
def train_server(browser_models, tmp_path_factory) -> Iterator[Server]:
    """Its own server: training settings small enough for a job to take seconds (sample grid every 5 steps)."""
    settings = {**FAST_TRAIN_ENV, "ATELIER_TRAIN_SAMPLE_EVERY": "5"}
    with running_server(browser_models, tmp_path_factory.mktemp("train-server"), **settings) as srv:
        yield srv


@pytest.fixture
def train_page(browser, train_server) -> Iterator[Page]:
    with laptop_tab(browser, train_server) as tab:
        tab.goto("/train")
        yield tab


def choose_zip(page: Page, name: str, data: bytes) -> None:
    page.set_input_files("#zip-input", files=[{"name": name, "mimeType": ZIP, "buffer": data}])


def test_train_on_a_zip_watch_it_learn_and_generate_with_the_model(train_page: Page, screenshots: Path) -> None:
    page = train_page
    expect(page.get_by_role("link", name="Train")).to_have_attribute("aria-current", "page")
    choose_zip(page, "ink wash.zip", make_zip(art_entries(16, classes=("ink", "wash"), size=(80, 72))))
    expect(page.locator("#zip-name")).to_have_text("ink wash.zip")
    expect(page.get_by_label("Name")).to_have_value("ink wash")  # taken from the file name, editable
    page.get_by_label("Name").fill("Ink & Wash")
    expect(page.locator("#model-id")).to_have_text("ink-wash")
    page.get_by_label("32 × 32").check()
    page.get_by_label("Steps").fill("40")
    page.get_by_role("button", name="Start training").click()

    # Live progress: the step count, losses, time left, then a sample grid that is newer each time.
    expect(page.locator("#status-text")).to_contain_text(re.compile(r"Training: step \d+ of 40"), timeout=60_000)
    expect(page.locator("#run-summary")).to_contain_text("16 images · 2 classes (ink, wash) · colour · 32×32")
    expect(page.locator("#stat-d")).to_have_text(re.compile(r"-?\d+\.\d{3}"))
    expect(page.locator("#stat-eta")).to_have_text(re.compile(r"\d+ (s|min)"))
    grid = page.locator("#samples-img")
    expect(grid).to_have_attribute("src", re.compile(r"/samples/latest\?step=\d+"), timeout=60_000)
    page.wait_for_function("() => document.getElementById('samples-img').naturalWidth > 0")
    first_grid = grid.get_attribute("src")
    expect(page.locator("#samples-caption")).to_contain_text("one row per class: ink, wash")
    expect(page.get_by_role("button", name="Cancel training")).to_be_visible()
    page.screenshot(path=str(screenshots / "train-running.png"), full_page=True)

    ready = page.locator("#ready")
    expect(ready).to_be_visible(timeout=120_000)
    expect(ready).to_contain_text("Model “ink-wash” is ready")
    expect(page.locator("#status-text")).to_have_text("Done: 40 steps.")
    assert grid.get_attribute("src") != first_grid  # it moved on: the model's final preview now
    expect(page.get_by_role("button", name="Cancel training")).to_be_hidden()
    page.wait_for_function("() => document.getElementById('samples-img').naturalWidth > 0")
    page.screenshot(path=str(screenshots / "train-page.png"), full_page=True)

    # The model is one click away.
    link = page.get_by_role("link", name="Generate with this model")
    expect(link).to_have_attribute("href", "/?model=ink-wash")
    link.click()
    expect(page.locator("#model")).to_have_value("ink-wash")
    expect(page.locator("#model-description")).to_contain_text("Ink & Wash: Class-conditional DCGAN")
    expect(page.locator("#class option")).to_have_text(["Any class", "ink", "wash"])
    page.get_by_label("Count").fill("4")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#gallery img")).to_have_count(4, timeout=60_000)


def test_reloading_follows_the_job_and_cancel_stops_it(train_page: Page) -> None:
    page = train_page
    choose_zip(page, "endless.zip", art_zip(8, size=(64, 64)))
    page.get_by_label("Steps").fill("20000")
    page.get_by_role("button", name="Start training").click()
    expect(page.locator("#status-text")).to_contain_text("Training: step", timeout=60_000)
    assert "job=" in page.url
    page.reload()  # the page picks the job up again from ?job=
    expect(page.locator("#status-text")).to_contain_text("Training: step", timeout=20_000)
    page.get_by_role("button", name="Cancel training").click()
    expect(page.locator("#status-text")).to_have_text(re.compile(r"Cancelled at step \d+\."), timeout=30_000)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()

    page.goto("/jobs")  # listed with the other jobs, as cancelled
    card = page.locator(".job", has_text="endless")
    expect(card).to_contain_text("Cancelled")
    expect(card).to_contain_text("Cancelled before it finished")


@pytest.mark.parametrize("name, data, title, detail", [
    ("notes.zip", image_bytes(1), "That is not a zip file", "is not a .zip archive"),  # refused in the page
    ("few.zip", art_zip(3), "Too few images", "holds 3 images; training needs at least 8"),
    ("sneaky.zip", make_zip(art_entries(8) | {"../../evil.png": image_bytes(2)}), "The zip has unsafe file names",
     "../../evil.png"),
    ("copies.zip", make_zip(art_entries(8) | {"my-art/again.png": art_entries(1)["my-art/img-000.png"]}),
     "Some images are duplicates", "my-art/img-000.png = my-art/again.png"),
])
def test_a_bad_zip_is_explained(train_page: Page, screenshots: Path, name: str, data: bytes, title: str,
                                detail: str) -> None:
    page = train_page
    choose_zip(page, name, data)
    page.get_by_label("Name").fill("oops")
    page.get_by_label("32 × 32").check()
    page.get_by_role("button", name="Start training").click()
    alert = page.locator("#form-error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(title)
    expect(alert).to_contain_text(detail)
    expect(alert).not_to_contain_text("Traceback")
    expect(page.locator("#status-text")).to_have_text("Ready.")
    if name == "copies.zip":
        page.screenshot(path=str(screenshots / "train-bad-zip.png"), full_page=True)
