"""The generate page in a real Chromium against a real `atelier serve`, used the way a person would use it."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BROKEN_MODEL, UNCONDITIONAL_MODEL, publish_screenshot, settle

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALL_IMAGES_LOADED = """() => {
  const imgs = [...document.querySelectorAll('#gallery img')];
  return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
}"""
# Position in the document, not the viewport: scrolling the results into view is fine, shifting them is not.
GALLERY_TOP = "() => document.getElementById('gallery').getBoundingClientRect().top + window.scrollY"
RECORD_STATES = """() => {
  window.__states = [];
  const status = document.getElementById('status');
  new MutationObserver(() => window.__states.push(status.dataset.state))
    .observe(status, { attributes: true, attributeFilter: ['data-state'] });
}"""


def png_text_chunks(data: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG (keyword -> text), read straight from the chunk stream."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    chunks: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r} chunk"
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            chunks[keyword.decode("latin-1")] = text.decode("latin-1")
        if kind == b"IEND":
            break
        pos += 12 + length
    return chunks


def provenance(data: bytes) -> dict:
    """The tEXt chunk holding the image's parameters as JSON (whatever its keyword)."""
    for text in png_text_chunks(data).values():
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict) and "model" in value and "seed" in value:
            return value
    raise AssertionError(f"no tEXt chunk names the model and seed: {png_text_chunks(data)}")


def job_id_of(page: Page) -> str:
    src = page.locator("#gallery img").first.get_attribute("src") or ""
    match = re.search(r"/api/v1/jobs/([^/]+)/result/", src)
    assert match, f"unexpected image URL {src!r}"
    return match.group(1)


def wait_for_images(page: Page, count: int) -> None:
    expect(page.locator("#gallery figure")).to_have_count(count, timeout=60_000)
    page.wait_for_function(ALL_IMAGES_LOADED, timeout=30_000)


def generate_button(page: Page):
    return page.get_by_role("button", name="Generate", exact=True)


def test_generate_class_7_and_download(page: Page, screenshots: Path) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Generate"))
    expect(page.get_by_role("link", name="Generate")).to_have_attribute("aria-current", "page")

    # The picker shows the chosen model's description, as the API describes it.
    model_id = page.get_by_label("Model", exact=True).input_value()
    models = {m["id"]: m for m in page.request.get("/api/v1/models").json()["models"]}
    expect(page.locator("#model-description")).to_have_text(models[model_id]["description"])
    class_options = page.get_by_label("Class", exact=True).locator("option")
    expect(class_options).to_have_count(1 + len(models[model_id]["classes"]))  # "Any class" + each class

    page.get_by_label("Class", exact=True).select_option("7")
    page.get_by_role("button", name="Random seed").click()
    seed = int(page.get_by_label("Seed", exact=True).input_value())
    assert 0 <= seed <= 2**32 - 1
    page.get_by_label("Count", exact=True).fill("12")
    page.get_by_label("Truncation", exact=True).fill("0.7")
    expect(page.locator("#truncation-value")).to_have_text("0.70")

    page.evaluate(RECORD_STATES)
    gallery_top = page.evaluate(GALLERY_TOP)
    generate_button(page).click()

    # The progress bar shows the job working, then the images arrive.
    page.wait_for_function("() => window.__states.includes('succeeded')", timeout=60_000)
    states = page.evaluate("window.__states")
    assert states[0] == "submitting" and states[-1] == "succeeded", states
    assert {"queued", "running"} & set(states), f"the progress bar never showed the job queued/running: {states}"
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#status-text")).to_have_text("Done: 12 images.")
    wait_for_images(page, 12)
    # The status block kept its place: nothing above the gallery moved while the job ran.
    assert page.evaluate(GALLERY_TOP) == pytest.approx(gallery_top, abs=0.5)

    # Each image is upscaled by a whole factor with crisp pixels, and captioned with its seed and class.
    job = page.request.get(f"/api/v1/jobs/{job_id_of(page)}").json()
    assert job["params"]["seed"] == seed and job["params"]["class"] == "7"
    assert job["params"]["truncation"] == pytest.approx(0.7)
    figures = page.locator("#gallery figure")
    for i, image in enumerate(job["images"]):
        figure = figures.nth(i)
        expect(figure.locator(".tile__seed")).to_have_text(str(image["seed"]))
        expect(figure.locator(".tile__class")).to_have_text("7")
        img = figure.locator("img")
        expect(img).to_have_attribute("alt", re.compile(rf"seed {image['seed']}"))
        natural, shown, rendering = img.evaluate(
            "(el) => [el.naturalWidth, el.getBoundingClientRect().width, getComputedStyle(el).imageRendering]")
        assert rendering == "pixelated"
        assert natural == models[model_id]["image_size"]
        assert shown >= 2 * natural and shown % natural == 0, (shown, natural)
    assert job["images"][0]["seed"] == seed
    summary = page.locator("#results-summary")
    expect(summary).to_contain_text("12 images")
    expect(summary).to_contain_text("class 7")
    expect(summary).to_contain_text(f"seed {seed}")

    settle(page)
    shot = screenshots / "generate-laptop.png"
    page.screenshot(path=str(shot), full_page=True)
    publish_screenshot(shot)

    # Download one image the way a person does: click its download link.
    link = figures.first.get_by_role("link", name=re.compile(r"Download image 1"))
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{model_id}-s{seed}-000.png"
    meta = provenance(Path(download.path()).read_bytes())
    assert meta["model"] == model_id and meta["seed"] == seed

    # The link itself answers with an attachment PNG.
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("attachment")
    assert provenance(response.body())["seed"] == seed

    # And the whole grid.
    with page.expect_download() as grid_info:
        page.get_by_role("link", name="Download grid").click()
    grid = grid_info.value
    assert grid.suggested_filename.endswith(".png")
    grid_bytes = Path(grid.path()).read_bytes()
    assert grid_bytes[:8] == PNG_SIGNATURE
    assert provenance(grid_bytes)["model"] == model_id


PREVIEW_STATE = """() => {
  const img = document.getElementById('model-preview-img');
  const frame = img.parentElement.getBoundingClientRect();
  const shown = img.getBoundingClientRect();
  return { src: img.getAttribute('src'), alt: img.alt, natural: [img.naturalWidth, img.naturalHeight],
           shown: [shown.width, shown.height], frame: [frame.width, frame.height],
           rendering: getComputedStyle(img).imageRendering };
}"""
PREVIEW_FITTED = """() => { const img = document.getElementById('model-preview-img');
  return img.complete && img.naturalWidth > 0 && img.style.width !== ''; }"""


def _check_preview(page: Page, model: dict, alt: str) -> dict:
    """The model's grid is shown under its description, loaded and fitted in the frame; returns its state."""
    expect(page.locator("#model-preview")).to_be_visible()
    image = page.get_by_role("img", name=re.compile("^" + re.escape(alt)))
    expect(image).to_have_attribute("src", model["preview_url"])
    page.wait_for_function(PREVIEW_FITTED)
    state = page.evaluate(PREVIEW_STATE)
    (nw, nh), (sw, sh), (fw, fh) = state["natural"], state["shown"], state["frame"]
    assert sw <= fw + 0.5 and sh <= fh + 0.5, state  # inside its box
    assert sw / nw == pytest.approx(sh / nh, rel=0.02), state  # not stretched
    if sw >= 2 * nw:  # enlarged: by a whole factor, with square pixels
        assert sw % nw == 0 and state["rendering"] == "pixelated", state
    return state


def test_the_chosen_models_preview_shows_and_switches_with_it(page: Page, screenshots: Path) -> None:
    page.goto("/")
    models = {m["id"]: m for m in page.request.get("/api/v1/models").json()["models"]}
    assert models["digits"]["preview_url"] and models[UNCONDITIONAL_MODEL]["preview_url"]
    assert models[BROKEN_MODEL]["preview_url"] is None
    model = page.get_by_label("Model", exact=True)
    expect(model).to_have_value("digits")
    first = _check_preview(page, models["digits"], "Samples from digits: one row per class (0, 1, 2")
    expect(page.locator("#model-preview-caption")).to_have_text("One row per class, seeds 0–7")
    figure_height = page.locator("#model-preview").bounding_box()["height"]
    # The grid is a PNG cached for good at its versioned URL.
    served = page.request.get(models["digits"]["preview_url"])
    assert served.status == 200 and served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    assert served.body()[:8] == PNG_SIGNATURE
    page.screenshot(path=str(screenshots / "generate-preview-digits.png"))

    # Another model's grid, of another shape, takes the same box: the preview keeps its size.
    model.select_option(UNCONDITIONAL_MODEL)
    expect(page.locator("#model-description")).to_have_text(models[UNCONDITIONAL_MODEL]["description"])
    second = _check_preview(page, models[UNCONDITIONAL_MODEL], f"Samples from {UNCONDITIONAL_MODEL}: 32 images")
    assert second["frame"] == first["frame"] and second["src"] != first["src"]
    assert page.locator("#model-preview").bounding_box()["height"] == pytest.approx(figure_height, abs=0.5)
    page.screenshot(path=str(screenshots / "generate-preview-unconditional.png"))

    # A model without a preview shows none: no image, no empty frame, no broken-image icon.
    model.select_option(BROKEN_MODEL)
    expect(page.locator("#model-description")).to_contain_text("Deliberately corrupt")
    expect(page.locator("#model-preview")).to_be_hidden()
    expect(page.get_by_role("img", name=re.compile("^Samples from"))).to_have_count(0)

    # And back: the first model's grid again.
    model.select_option("digits")
    assert _check_preview(page, models["digits"], "Samples from digits")["frame"] == first["frame"]


def test_keyboard_only(page: Page, screenshots: Path) -> None:
    page.goto("/")
    focus_ring = """() => { const s = getComputedStyle(document.activeElement);
                     return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"""

    def tab_to(element_id: str) -> None:
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                assert page.evaluate(focus_ring), f"#{element_id} has focus but shows no focus ring"
                return
        raise AssertionError(f"#{element_id} cannot be reached with Tab")

    tab_to("class")
    page.keyboard.type("9")  # type-ahead picks the class "9"
    expect(page.get_by_label("Class", exact=True)).to_have_value("9")
    tab_to("dice")
    page.keyboard.press("Enter")
    seed = page.get_by_label("Seed", exact=True).input_value()
    assert seed.isdigit()
    tab_to("count")
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    tab_to("truncation")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#truncation-value")).to_have_text("0.90")
    tab_to("submit")
    page.screenshot(path=str(screenshots / "generate-keyboard-focus.png"))
    page.keyboard.press("Enter")
    wait_for_images(page, 4)
    job = page.request.get(f"/api/v1/jobs/{job_id_of(page)}").json()
    assert job["params"]["class"] == page.get_by_label("Class", exact=True).input_value()
    assert job["params"]["seed"] == int(seed) and job["params"]["truncation"] == pytest.approx(0.9)
    # Each image opens large from the keyboard, and its download link is reachable too.
    tab_to("grid-download")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('tile__open')")
    assert page.evaluate(focus_ring), "the image has focus but shows no focus ring"
    page.screenshot(path=str(screenshots / "generate-keyboard-image-focus.png"))
    page.keyboard.press("Enter")
    expect(page.locator("dialog.lightbox")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog.lightbox")).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('tile__open')"), "focus was not given back"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('tile__download')")


def test_out_of_range_count_shows_the_error(page: Page, screenshots: Path) -> None:
    page.goto("/")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # The page itself refuses a count it knows is too large, next to the field.
    page.get_by_label("Count", exact=True).fill("500")
    generate_button(page).click()
    expect(page.locator("#count-error")).to_be_visible()
    expect(page.locator("#count-error")).to_contain_text("between 1 and")
    expect(page.get_by_label("Count", exact=True)).to_have_attribute("aria-invalid", "true")
    assert posts == []

    # Forced past the page's own check, the server refuses it and the page shows the server's words.
    page.get_by_label("Count", exact=True).evaluate("(el) => el.removeAttribute('max')")
    page.get_by_label("Count", exact=True).fill("65")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/jobs/generate")) as answer:
        generate_button(page).click()
    assert answer.value.status == 422
    api_message = answer.value.json()["error"]["message"]
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Check the request")
    expect(page.locator("#form-error-message")).to_have_text(api_message)
    expect(page.locator("#status")).to_have_attribute("data-state", "failed")
    expect(generate_button(page)).to_be_enabled()
    expect(page.get_by_role("alert")).to_be_in_viewport(ratio=0.95)
    page.screenshot(path=str(screenshots / "generate-error-422.png"), full_page=True)

    # Fixing the value and trying again clears the message.
    page.get_by_label("Count", exact=True).fill("2")
    generate_button(page).click()
    wait_for_images(page, 2)
    expect(page.locator("#form-error")).to_be_hidden()


def test_failed_job_shows_the_workers_message(page: Page, screenshots: Path) -> None:
    page.goto("/")
    page.get_by_label("Model", exact=True).select_option(BROKEN_MODEL)
    expect(page.locator("#model-description")).to_contain_text("Deliberately corrupt")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/jobs/generate")) as answer:
        generate_button(page).click()
    job_id = answer.value.json()["id"]
    expect(page.get_by_role("alert")).to_contain_text("The job failed", timeout=60_000)
    job = page.request.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "failed"
    expect(page.locator("#form-error-message")).to_have_text(job["error"]["message"])
    expect(page.locator("#status")).to_have_attribute("data-state", "failed")
    expect(page.get_by_role("alert")).to_be_in_viewport(ratio=0.95)
    page.screenshot(path=str(screenshots / "generate-job-failed.png"), full_page=True)


def test_network_down_is_explained(page: Page, screenshots: Path) -> None:
    page.goto("/")
    page.context.set_offline(True)
    generate_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("Can't reach the server")
    expect(page.get_by_role("alert")).to_be_in_viewport(ratio=0.95)
    page.screenshot(path=str(screenshots / "generate-offline.png"), full_page=True)

    page.context.set_offline(False)
    page.get_by_label("Count", exact=True).fill("1")
    generate_button(page).click()
    wait_for_images(page, 1)
    expect(page.get_by_role("alert")).to_be_hidden()


def test_tablet_width(page: Page, screenshots: Path) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto("/")
    controls = page.locator("section.controls").bounding_box()
    results = page.locator("section.results").bounding_box()
    assert results["y"] >= controls["y"] + controls["height"], "controls and results should stack on a tablet"
    page.get_by_label("Class", exact=True).select_option("3")
    page.get_by_label("Count", exact=True).fill("12")
    generate_button(page).click()
    wait_for_images(page, 12)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at tablet width"
    settle(page)
    page.screenshot(path=str(screenshots / "generate-tablet.png"), full_page=True)


def test_no_models_is_explained(browser, empty_server, screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(empty_server.url + "/")
        expect(tab.locator("#no-models")).to_contain_text("No models are installed")
        expect(tab.get_by_role("button", name="Generate", exact=True)).to_have_count(0)
        tab.screenshot(path=str(screenshots / "generate-no-models.png"), full_page=True)
    finally:
        context.close()


def test_a_model_trained_from_your_images_can_be_deleted(browser, browser_models, tmp_path: Path,
                                                         screenshots: Path) -> None:
    from tests.browser.conftest import laptop_tab, running_server
    from tests.conftest import make_tiny_digits
    from worker.user_models import DiskModelSpace

    space = DiskModelSpace(tmp_path / "data" / "user-models")  # the server's, as a finished train job leaves it
    manifest = make_tiny_digits(tmp_path / "export", model_id="ink-cats", version="1.0.0+test")
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "origin": "trained from your images"}))
    space.publish("ink-cats", manifest.parent)

    with running_server(browser_models, tmp_path) as srv, laptop_tab(browser, srv) as page:
        page.goto("/")
        model = page.get_by_label("Model", exact=True)
        delete = page.get_by_role("button", name="Delete this model")
        expect(model).to_have_value("digits")
        expect(delete).to_be_hidden()  # a shipped model has no such button
        model.select_option("ink-cats")
        expect(delete).to_be_visible()
        page.screenshot(path=str(screenshots / "generate-user-model.png"))

        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        delete.click()
        expect(model).to_have_value("ink-cats")  # changed their mind: nothing happened
        assert "Delete the model “ink-cats”?" in asked[0]
        assert (space.folder / "ink-cats.json").is_file()

        page.once("dialog", lambda d: d.accept())
        delete.click()
        expect(page.locator("#model-notice")).to_have_text("Deleted “ink-cats”.")
        expect(model.locator("option[value='ink-cats']")).to_have_count(0)
        expect(model).not_to_have_value("ink-cats")
        expect(delete).to_be_hidden()  # the model shown now is a shipped one
        assert not (space.folder / "ink-cats.json").exists()
        listed = [m["id"] for m in page.request.get("/api/v1/models").json()["models"]]
        assert "ink-cats" not in listed and "digits" in listed


def test_a_result_opens_large_with_its_own_download(page: Page, screenshots: Path) -> None:
    page.goto("/")
    page.get_by_label("Class", exact=True).select_option("5")
    page.get_by_label("Seed", exact=True).fill("500")
    page.get_by_label("Count", exact=True).fill("6")
    generate_button(page).click()
    wait_for_images(page, 6)
    model_id = page.get_by_label("Model", exact=True).input_value()

    page.locator("#gallery figure").nth(2).locator("img").click()
    view = page.locator("dialog.lightbox")
    expect(view).to_be_visible()
    expect(view.locator(".lightbox__title")).to_have_text("Seed 502 · class 5")
    expect(view.locator(".lightbox__counter")).to_have_text("3 / 6")
    page.wait_for_function("() => document.querySelector('.lightbox__img').naturalWidth > 0")
    rendering = view.locator(".lightbox__img").evaluate("(el) => getComputedStyle(el).imageRendering")
    assert rendering == "pixelated"
    page.keyboard.press("ArrowRight")
    expect(view.locator(".lightbox__title")).to_have_text("Seed 503 · class 5")
    page.screenshot(path=str(screenshots / "generate-lightbox.png"))
    with page.expect_download() as download_info:
        view.get_by_role("link", name="Download PNG").click()
    assert download_info.value.suggested_filename == f"{model_id}-s503-003.png"
    meta = provenance(Path(download_info.value.path()).read_bytes())
    assert meta["seed"] == 503 and meta["class"] == "5"
    # A click on the dark space around the image closes, like Esc.
    page.mouse.click(30, 300)
    expect(view).to_be_hidden()


def test_rerun_and_edit_parameters(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Class", exact=True).select_option("8")
    page.get_by_label("Count", exact=True).fill("3")  # no seed: the server picks one
    generate_button(page).click()
    wait_for_images(page, 3)
    first = page.request.get(f"/api/v1/jobs/{job_id_of(page)}").json()
    expect(page.get_by_role("button", name="Re-run")).to_be_visible()

    # Re-run sends the same request: still no seed, so new images of the same class and count.
    with page.expect_request(lambda r: r.url.endswith("/api/v1/jobs/generate")) as sent:
        page.get_by_role("button", name="Re-run").click()
    assert json.loads(sent.value.post_data) == {"model": first["params"]["model"], "count": 3, "truncation": 1.0,
                                                "class": "8"}
    page.wait_for_function(f"() => !document.querySelector('#gallery img').src.includes('{first['id']}')")
    wait_for_images(page, 3)
    expect(page.get_by_role("button", name="Re-run")).to_be_focused()
    second = page.request.get(f"/api/v1/jobs/{job_id_of(page)}").json()
    assert second["params"]["class"] == "8" and second["id"] != first["id"]

    # Edit parameters puts the last job's parameters, with the seed it used, back into the form.
    page.get_by_label("Class", exact=True).select_option("1")
    page.get_by_label("Count", exact=True).fill("9")
    page.get_by_role("button", name="Edit parameters").click()
    expect(page.get_by_label("Seed", exact=True)).to_have_value(str(second["params"]["seed"]))
    expect(page.get_by_label("Class", exact=True)).to_have_value("8")
    expect(page.get_by_label("Count", exact=True)).to_have_value("3")
    expect(page.get_by_label("Model", exact=True)).to_be_focused()


def test_a_link_prefills_the_form_and_says_what_it_could_not_use(page: Page, screenshots: Path) -> None:
    page.goto("/?model=digits&class=6&seed=4096&count=5&truncation=0.73")
    expect(page.get_by_label("Class", exact=True)).to_have_value("6")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("4096")
    expect(page.get_by_label("Count", exact=True)).to_have_value("5")
    expect(page.locator("#truncation-value")).to_have_text("0.73")  # kept exactly, between the slider's steps
    expect(page.locator("#link-notice")).to_be_hidden()
    with page.expect_request(lambda r: r.url.endswith("/api/v1/jobs/generate")) as sent:
        generate_button(page).click()
    body = json.loads(sent.value.post_data)
    assert body == {"model": "digits", "class": "6", "seed": 4096, "count": 5, "truncation": 0.73}
    wait_for_images(page, 5)

    page.goto("/?model=nope&class=x&seed=-4&count=1000&truncation=2")
    notice = page.locator("#link-notice")
    expect(notice).to_be_visible()
    expect(notice.locator("li")).to_have_count(5)
    for words in ("no model “nope”", "no class “x”", "seed “-4”", "count “1000”", "truncation “2”"):
        expect(notice).to_contain_text(words)
    # Every field keeps a value the form can send.
    expect(page.get_by_label("Seed", exact=True)).to_have_value("")
    expect(page.get_by_label("Count", exact=True)).to_have_value("16")
    expect(page.get_by_label("Class", exact=True)).to_have_value("")
    page.screenshot(path=str(screenshots / "generate-link-notice.png"), full_page=True)


def test_generated_jobs_are_remembered_for_the_jobs_page(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Count", exact=True).fill("2")
    page.get_by_label("Seed", exact=True).fill("77")
    generate_button(page).click()
    wait_for_images(page, 2)
    entries = page.evaluate("JSON.parse(localStorage.getItem('atelier.jobs.v1'))")
    assert [e["id"] for e in entries] == [job_id_of(page)]
    assert entries[0]["kind"] == "generate" and entries[0]["params"]["seed"] == 77
