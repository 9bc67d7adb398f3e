"""The Jobs page in a real Chromium against a real `atelier serve`: this browser's history of jobs, read back from
the server, through a reload and a server restart, with the large view, re-run, delete and expiry."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser import conftest as browser_conftest
from tests.browser.conftest import BROKEN_MODEL, running_server
from tests.conftest import free_port, make_tiny_restorers

pytestmark = pytest.mark.browser

ALL_THUMBS_LOADED = """(card) => {
  const imgs = [...card.querySelectorAll('.job__thumbs img')];
  return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
}"""
HISTORY_KEY = "atelier.jobs.v1"


@pytest.fixture(scope="module")
def jobs_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("jobs-server")


@pytest.fixture(scope="module")
def server(browser_models, jobs_workdir) -> Iterator[browser_conftest.Server]:
    """This module's own server (the `page` fixture uses it): the browser tests' models plus tiny repair networks,
    and a data folder the tests can reach into to stage a job record."""
    restorers = jobs_workdir / "restorers"
    restorers.mkdir()
    make_tiny_restorers(restorers)
    with running_server([*browser_models, restorers], jobs_workdir) as srv:
        yield srv


def photo_jpeg() -> bytes:
    """A real photograph (scikit-image's astronaut, 256×256) with visible noise, as a JPEG upload."""
    from PIL import Image
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((256, 256), Image.LANCZOS)
    noisy = np.asarray(img, np.float32) + np.random.default_rng(0).normal(0, 18, (256, 256, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


# ---------------------------------------------------------------- helpers


def generate(page: Page, *, count: int, seed: int, cls: str | None = None, truncation: str | None = None,
             model: str | None = None) -> str:
    """Uses the generate page like a person and returns the new job's id."""
    page.goto("/")
    if model:
        page.get_by_label("Model", exact=True).select_option(model)
    if cls is not None:
        page.get_by_label("Class", exact=True).select_option(cls)
    page.get_by_label("Seed", exact=True).fill(str(seed))
    page.get_by_label("Count", exact=True).fill(str(count))
    if truncation is not None:
        page.get_by_label("Truncation", exact=True).fill(truncation)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/jobs/generate")) as answer:
        page.get_by_role("button", name="Generate", exact=True).click()
    job_id = answer.value.json()["id"]
    if model != BROKEN_MODEL:
        expect(page.locator("#gallery figure")).to_have_count(count, timeout=60_000)
    return job_id


def submit_repair(page: Page, task: str = "denoise", **form) -> str:
    """What the Repair page does: upload the photo, then remember the job in this browser's history."""
    response = page.request.post("/api/v1/jobs/restore", multipart={
        "image": {"name": "astronaut.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}, "task": task, **form})
    assert response.status == 202, response.text()
    job_id = response.json()["id"]
    remember(page, job_id, "restore", {"task": task, "filename": "astronaut.jpg", **form})
    return job_id


def remember(page: Page, job_id: str, kind: str, params: dict) -> None:
    page.evaluate("""async ([id, kind, params]) => {
      const history = await import('/static/js/history.js');
      history.rememberJob({ id, kind, params });
    }""", [job_id, kind, params])


def card(page: Page, job_id: str):
    return page.locator(f'li.job[data-id="{job_id}"]')


def wait_thumbs(page: Page, job_id: str) -> None:
    expect(card(page, job_id)).to_have_attribute("data-status", "succeeded", timeout=60_000)
    card(page, job_id).evaluate(f"(el) => new Promise((ok) => {{ const f = {ALL_THUMBS_LOADED}; "
                                "const t = setInterval(() => { if (f(el)) { clearInterval(t); ok(); } }, 50); })")


def param(page: Page, job_id: str, label: str):
    return card(page, job_id).locator(".job__param", has=page.locator("dt", has_text=re.compile(f"^{label}$")))


def history_ids(page: Page) -> list[str]:
    return page.evaluate(f"JSON.parse(localStorage.getItem('{HISTORY_KEY}') || '[]').map((e) => e.id)")


def stage_record(jobs_workdir: Path, **fields) -> str:
    """Writes a job record straight into the server's data folder (embedded mode reads it from disk on each GET),
    so a test can hold a job queued or running for as long as it needs."""
    from worker.records import JobRecord, new_job_id, utcnow

    job_id = fields.pop("id", None) or new_job_id()
    record = JobRecord(id=job_id, kind="generate", created_at=fields.pop("created_at", utcnow()),
                       params={"model": "digits", "seed": 5, "count": 4, "class": "3", "truncation": 1.0},
                       cache_key="a" * 64, **fields)
    path = jobs_workdir / "data" / "jobs" / f"{job_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(record.to_json())
    tmp.replace(path)
    return job_id


# ---------------------------------------------------------------- tests


def test_empty_history_points_to_generate_and_repair(page: Page, screenshots: Path) -> None:
    page.goto("/jobs")
    expect(page).to_have_title(re.compile("Jobs"))
    expect(page.get_by_role("link", name="Jobs")).to_have_attribute("aria-current", "page")
    empty = page.locator("#jobs-empty")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No jobs yet")
    expect(empty.get_by_role("link", name="Generate images")).to_have_attribute("href", "/")
    expect(empty.get_by_role("link", name="Repair a photo")).to_have_attribute("href", "/repair")
    expect(page.locator("#kind-filter")).to_be_hidden()  # nothing to filter yet
    page.screenshot(path=str(screenshots / "jobs-empty.png"), full_page=True)


def test_a_generated_job_is_listed_opened_and_survives_a_reload(page: Page, screenshots: Path) -> None:
    job_id = generate(page, count=12, seed=1234, cls="7", truncation="0.7")
    newest = generate(page, count=1, seed=77, cls="2")
    page.goto("/jobs")

    jobs = page.locator("li.job")
    expect(jobs).to_have_count(2)
    expect(jobs.first).to_have_attribute("data-id", newest)  # newest first
    item = card(page, job_id)
    wait_thumbs(page, job_id)
    expect(item.locator(".job__title")).to_have_text("digits")
    expect(item.locator(".job__kind")).to_have_text("Generate")
    expect(item.locator(".job__state")).to_have_text("Done")
    expect(param(page, job_id, "Class").locator("dd")).to_have_text("7")
    expect(param(page, job_id, "Seed").locator("dd")).to_have_text("1234")
    expect(param(page, job_id, "Count").locator("dd")).to_have_text("12")
    expect(param(page, job_id, "Truncation").locator("dd")).to_have_text("0.70")
    expect(item.locator(".job__time")).to_contain_text(re.compile(r"just now|minute"))
    expect(item.locator(".job__duration")).to_contain_text(re.compile(r"took \d+\.\d+ s"))
    # Twelve results: seven thumbnails and a "+5", each a real image drawn with square pixels.
    expect(item.locator(".job__thumbs img")).to_have_count(7)
    expect(item.locator(".job__thumb--more")).to_have_text("+5")
    assert item.locator(".job__thumbs img").first.get_attribute("data-pixelated") == "true"
    api_job = page.request.get(f"/api/v1/jobs/{job_id}").json()
    assert item.locator(".job__thumbs img").first.get_attribute("src") == api_job["results"][0]
    expect(item.get_by_role("link", name="Download grid")).to_have_attribute(
        "href", f"/api/v1/jobs/{job_id}/result?download=1")
    wait_thumbs(page, newest)
    expect(card(page, newest).get_by_role("link", name="Download PNG")).to_have_attribute(
        "href", f"/api/v1/jobs/{newest}/result/0?download=1")
    page.screenshot(path=str(screenshots / "jobs-laptop.png"), full_page=True)

    # The large view: each image with its seed and class, arrows step (and wrap), Tab stays inside, Esc closes.
    opener = item.get_by_role("button", name="Open digits large")
    opener.click()
    dialog = page.locator("dialog.lightbox")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".lightbox__title")).to_have_text("Seed 1234 · class 7")
    expect(dialog.locator(".lightbox__counter")).to_have_text("1 / 12")
    page.wait_for_function("() => document.querySelector('.lightbox__img').naturalWidth > 0")
    shown = dialog.locator(".lightbox__img").evaluate("(el) => [el.naturalWidth, el.getBoundingClientRect().width]")
    assert shown[1] >= 8 * shown[0] and shown[1] % shown[0] == 0, shown  # enlarged by a whole factor
    page.keyboard.press("ArrowRight")
    expect(dialog.locator(".lightbox__title")).to_have_text("Seed 1235 · class 7")
    expect(dialog.locator(".lightbox__counter")).to_have_text("2 / 12")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(dialog.locator(".lightbox__counter")).to_have_text("12 / 12")
    expect(dialog.get_by_role("link", name="Download PNG")).to_have_attribute(
        "href", f"/api/v1/jobs/{job_id}/result/11?download=1")
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('dialog.lightbox') !== null"), "focus left the view"
    page.screenshot(path=str(screenshots / "jobs-lightbox.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # Clicking a thumbnail opens the view on that image.
    item.locator(".job__thumb").nth(2).click()
    expect(dialog.locator(".lightbox__title")).to_have_text("Seed 1236 · class 7")
    page.keyboard.press("Escape")

    page.reload()
    wait_thumbs(page, job_id)
    expect(param(page, job_id, "Seed").locator("dd")).to_have_text("1234")
    expect(page.locator("li.job")).to_have_count(2)


def test_the_history_survives_a_server_restart(browser, browser_models, tmp_path, monkeypatch) -> None:
    # A restart keeps the port (the history lives in localStorage, which belongs to the origin).
    port = free_port()
    monkeypatch.setattr(browser_conftest, "free_port", lambda: port)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=f"http://127.0.0.1:{port}")
    context.set_default_timeout(20_000)
    try:
        tab = context.new_page()
        with running_server(browser_models, tmp_path):
            job_id = generate(tab, count=4, seed=2024, cls="5")
            tab.goto("/jobs")
            wait_thumbs(tab, job_id)
        with running_server(browser_models, tmp_path):  # same data folder: the embedded DiskStore
            tab.reload()
            wait_thumbs(tab, job_id)
            expect(card(tab, job_id).locator(".job__state")).to_have_text("Done")
            expect(param(tab, job_id, "Seed").locator("dd")).to_have_text("2024")
            expect(card(tab, job_id).locator(".job__thumbs img")).to_have_count(4)
    finally:
        context.close()


def test_rerun_opens_the_generate_page_prefilled(page: Page) -> None:
    job_id = generate(page, count=3, seed=31337, cls="4", truncation="0.75")
    page.goto("/jobs")
    wait_thumbs(page, job_id)
    page.get_by_role("link", name="Re-run").click()
    expect(page).to_have_url(re.compile(r"/\?model=digits&class=4&seed=31337&count=3&truncation=0\.75$"))
    expect(page.get_by_label("Model", exact=True)).to_have_value("digits")
    expect(page.get_by_label("Class", exact=True)).to_have_value("4")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("31337")
    expect(page.get_by_label("Count", exact=True)).to_have_value("3")
    expect(page.locator("#truncation-value")).to_have_text("0.75")
    expect(page.locator("#link-notice")).to_be_hidden()
    # Same parameters, same pixels: answered from the result cache.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/jobs/generate")) as answer:
        page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#gallery figure")).to_have_count(3)
    again = page.request.get(f"/api/v1/jobs/{answer.value.json()['id']}").json()
    assert again["cache_hit"] is True and again["params"]["seed"] == 31337


def test_delete_asks_then_removes_the_job(page: Page, screenshots: Path) -> None:
    first = generate(page, count=2, seed=11)
    second = generate(page, count=2, seed=12)
    page.goto("/jobs")
    wait_thumbs(page, first)
    wait_thumbs(page, second)

    delete = card(page, second).get_by_role("button", name="Delete digits job")
    delete.click()
    dialog = page.locator("#confirm-delete")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice is the default
    page.screenshot(path=str(screenshots / "jobs-confirm-delete.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(card(page, second)).to_have_count(1)
    assert page.request.get(f"/api/v1/jobs/{second}").status == 200

    delete.click()
    with page.expect_response(lambda r: r.request.method == "DELETE") as answer:
        dialog.get_by_role("button", name="Delete").click()
    assert answer.value.status == 204
    expect(card(page, second)).to_have_count(0)
    assert page.request.get(f"/api/v1/jobs/{second}").status == 404
    assert history_ids(page) == [first]
    expect(page.locator("#jobs-announce")).to_have_text("Job deleted.")
    # Focus went to the next job, not back to the top of the page.
    assert page.evaluate("document.activeElement.closest('li.job')?.dataset.id") == first

    page.reload()
    wait_thumbs(page, first)
    expect(page.locator("li.job")).to_have_count(1)
    card(page, first).get_by_role("button", name="Delete digits job").click()
    page.locator("#confirm-delete").get_by_role("button", name="Delete").click()
    expect(page.locator("#jobs-empty")).to_be_visible()
    expect(page.locator("#jobs-title")).to_be_focused()


def test_a_job_the_server_no_longer_has_shows_as_expired(page: Page, screenshots: Path) -> None:
    kept = generate(page, count=4, seed=99, cls="9")
    gone = generate(page, count=2, seed=98, cls="8")
    assert page.request.delete(f"/api/v1/jobs/{gone}").status == 204  # deleted elsewhere, still remembered here
    never = "0123456789abcdef" * 2  # an id this server never had
    remember(page, never, "generate", {"model": "digits", "seed": 5, "count": 1, "truncation": 1.0})
    page.goto("/jobs")
    wait_thumbs(page, kept)

    for job_id in (gone, never):
        item = card(page, job_id)
        expect(item).to_have_attribute("data-status", "expired")
        expect(item.locator(".job__state")).to_have_text("Expired")
        expect(item.locator(".job__message")).to_contain_text("no longer has this job")
        expect(item.get_by_role("button", name="Open digits large")).to_be_hidden()
    # Its parameters are still known here, so it can be run again.
    expect(param(page, gone, "Seed").locator("dd")).to_have_text("98")
    expect(card(page, gone).get_by_role("link", name="Re-run")).to_have_attribute(
        "href", "/?model=digits&class=8&seed=98&count=2&truncation=1")
    page.screenshot(path=str(screenshots / "jobs-expired.png"), full_page=True)

    card(page, never).get_by_role("button", name="Remove digits job").click()
    expect(card(page, never)).to_have_count(0)
    page.get_by_role("button", name="Remove 1 expired").click()
    expect(card(page, gone)).to_have_count(0)
    assert history_ids(page) == [kept]


def test_unfinished_jobs_show_live_progress(page: Page, jobs_workdir: Path) -> None:
    from worker.records import utcnow

    job_id = stage_record(jobs_workdir, status="queued")
    page.goto("/")
    remember(page, job_id, "generate", {"model": "digits", "seed": 5, "count": 4, "class": "3"})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if job_id in r.url else None)
    page.goto("/jobs")
    item = card(page, job_id)
    expect(item.locator(".job__state")).to_have_text("Queued")
    expect(item.get_by_role("progressbar")).to_be_visible()
    expect(item.get_by_role("button", name="Delete digits job")).to_have_attribute("aria-disabled", "true")

    stage_record(jobs_workdir, id=job_id, status="running", progress=0.4, started_at=utcnow())
    expect(item.locator(".job__state")).to_have_text("Running 40%", timeout=15_000)
    expect(item.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "40")
    stage_record(jobs_workdir, id=job_id, status="failed", started_at=utcnow(), finished_at=utcnow(),
                 error={"code": "internal", "message": "The worker ran out of memory."})
    expect(item.locator(".job__state")).to_have_text("Failed", timeout=15_000)
    expect(item.locator(".job__message")).to_have_text("The worker ran out of memory.")
    expect(item.get_by_role("button", name="Delete digits job")).to_have_attribute("aria-disabled", "false")
    # A finished job is not polled any more.
    polls = len(requests)
    page.wait_for_timeout(3000)
    assert len(requests) == polls, requests[polls:]


def test_a_failed_job_shows_the_workers_message(page: Page, screenshots: Path) -> None:
    job_id = generate(page, count=1, seed=3, model=BROKEN_MODEL)
    expect(page.get_by_role("alert")).to_contain_text("The job failed", timeout=60_000)
    message = page.request.get(f"/api/v1/jobs/{job_id}").json()["error"]["message"]
    page.goto("/jobs")
    item = card(page, job_id)
    expect(item).to_have_attribute("data-status", "failed")
    expect(item.locator(".job__message")).to_have_text(message)
    expect(item.get_by_role("link", name="Re-run")).to_have_attribute(
        "href", re.compile(rf"^/\?model={BROKEN_MODEL}&seed=3&count=1"))
    page.screenshot(path=str(screenshots / "jobs-failed.png"), full_page=True)


def test_repair_jobs_show_before_and_after_and_filter_by_kind(page: Page, screenshots: Path) -> None:
    page.goto("/")
    generated = generate(page, count=4, seed=7, cls="1")
    repaired = submit_repair(page, "denoise", sigma="25")
    auto = submit_repair(page, "auto", quality="high")
    page.goto("/jobs")
    for job_id in (repaired, auto):
        wait_thumbs(page, job_id)
    item = card(page, repaired)
    expect(item.locator(".job__kind")).to_have_text("Repair")
    expect(item.locator(".job__title")).to_have_text("Denoise")
    expect(param(page, repaired, "File").locator("dd")).to_have_text("astronaut.jpg")
    expect(param(page, repaired, "Size").locator("dd")).to_have_text("256×256")
    expect(param(page, repaired, "Noise σ").locator("dd")).to_have_text("25")
    expect(param(page, auto, "Mask").locator("dd")).to_have_text("detected")
    expect(param(page, repaired, "Quality").locator("dd")).to_have_text("standard")
    expect(param(page, auto, "Quality").locator("dd")).to_have_text("high (8 orientations)")
    before, after = item.locator(".job__thumbs img").all()
    assert before.get_attribute("src") == f"/api/v1/jobs/{repaired}/input/image"
    assert after.get_attribute("src") == f"/api/v1/jobs/{repaired}/result/0"
    expect(item.locator(".job__thumb-label")).to_have_text(["Before", "After"])
    expect(item.get_by_role("link", name="Re-run")).to_have_attribute("href", f"/repair?from={repaired}")
    page.screenshot(path=str(screenshots / "jobs-repair.png"), full_page=True)

    # The large view opens on the repaired photo; one step back is the photo as uploaded.
    item.get_by_role("button", name="Open Denoise large").click()
    dialog = page.locator("dialog.lightbox")
    expect(dialog.locator(".lightbox__title")).to_have_text("After")
    page.keyboard.press("ArrowLeft")
    expect(dialog.locator(".lightbox__title")).to_have_text("Before")
    expect(dialog.get_by_role("link", name="Download original")).to_have_attribute(
        "href", f"/api/v1/jobs/{repaired}/input/image?download=1")
    page.wait_for_function("() => document.querySelector('.lightbox__img').naturalWidth === 256")
    page.screenshot(path=str(screenshots / "jobs-lightbox-repair.png"))
    page.keyboard.press("Escape")

    # Filter by kind; the choice is kept in the address, so a reload keeps it.
    kinds = page.locator("#kind-filter")
    kinds.get_by_role("radio", name=re.compile("^Repair")).check()
    expect(page.locator("li.job:visible")).to_have_count(2)
    expect(card(page, generated)).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/jobs\?kind=repair$"))
    expect(page.locator("#count-all")).to_have_text("3")
    expect(page.locator("#count-repair")).to_have_text("2")
    page.reload()
    expect(page.locator("li.job:visible")).to_have_count(2)
    kinds.get_by_role("radio", name=re.compile("^Generate")).check()
    expect(page.locator("li.job:visible")).to_have_count(1)
    expect(card(page, generated)).to_be_visible()
    kinds.get_by_role("radio", name=re.compile("^All")).check()
    expect(page.locator("li.job:visible")).to_have_count(3)


def test_tablet_width_and_keyboard(page: Page, screenshots: Path) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    generate(page, count=16, seed=4242, cls="3", truncation="0.8")
    job_id = generate(page, count=1, seed=8, cls="6")
    submit_repair(page, "denoise")
    page.goto("/jobs")
    wait_thumbs(page, job_id)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at tablet width"
    page.wait_for_function("() => [...document.querySelectorAll('.job__thumbs img')].every((i) => i.complete)")
    page.screenshot(path=str(screenshots / "jobs-tablet.png"), full_page=True)

    focus_ring = """() => { const el = document.activeElement;
      const s = getComputedStyle(el.matches('input') ? el.nextElementSibling : el);
      return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"""
    # The filter is one Tab stop; arrows move between its choices.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "kind":
            break
    else:
        raise AssertionError("the kind filter cannot be reached with Tab")
    assert page.evaluate(focus_ring)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#kind-filter").get_by_role("radio", name=re.compile("^Generate"))).to_be_checked()
    expect(page.locator("li.job:visible")).to_have_count(2)
    # On to the first job's Open button, which opens the large view with Enter.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('job__open')"):
            break
    else:
        raise AssertionError("a job's Open button cannot be reached with Tab")
    assert page.evaluate(focus_ring), "the Open button has focus but shows no focus ring"
    page.screenshot(path=str(screenshots / "jobs-keyboard-focus.png"))
    page.keyboard.press("Enter")
    expect(page.locator("dialog.lightbox")).to_be_visible()
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.classList.contains('job__open')")
