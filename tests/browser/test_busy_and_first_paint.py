"""Two things a person feels before any job finishes: a server that cannot take jobs says so in words (with when to
try again) on every page that submits, and the pages paint fast because they are small and local.

"Busy" is real here, not faked: the server runs in distributed mode pointed at a Redis port where nothing listens,
so every submit is refused by the service itself with 503 and Retry-After, exactly as when the broker goes down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, laptop_tab, running_server
from tests.browser.test_repair_page import choose_task, load_photo, make_photo, open_repair, stroke
from tests.conftest import free_port

FIRST_PAINT_BUDGET_MS = 1500  # a local page of a few hundred KB; generous for a busy 2-core CI machine
PAGE_WEIGHT_BUDGET = 400_000  # bytes of HTML, CSS, JS and images a page loads before any job


@pytest.fixture(scope="module")
def busy_server(browser_models, tmp_path_factory) -> Iterator[Server]:
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    with running_server(browser_models, tmp_path_factory.mktemp("busy"), ATELIER_REDIS_URL=nothing_listens) as srv:
        yield srv


@pytest.fixture
def busy_page(browser, busy_server) -> Iterator[Page]:
    with laptop_tab(browser, busy_server) as tab:
        yield tab


def test_generate_says_the_queue_is_unavailable_and_when_to_retry(busy_page: Page, screenshots: Path) -> None:
    busy_page.goto("/")
    busy_page.get_by_role("button", name="Generate", exact=True).click()
    alert = busy_page.get_by_role("alert")
    expect(alert).to_contain_text("The job queue is unavailable")
    expect(alert).to_contain_text("Try again in 5 s")
    expect(alert).not_to_contain_text("Traceback")
    busy_page.screenshot(path=str(screenshots / "generate-server-busy.png"), full_page=True)


def test_repair_says_the_queue_is_unavailable(busy_page: Page, tmp_path: Path, screenshots: Path) -> None:
    open_repair(busy_page)
    load_photo(busy_page, make_photo(tmp_path / "old.png"))
    choose_task(busy_page, "Inpaint")
    stroke(busy_page, (0.2, 0.5), (0.6, 0.5))
    busy_page.get_by_role("button", name="Inpaint", exact=True).click()
    alert = busy_page.get_by_role("alert")
    expect(alert).to_contain_text("unavailable")
    expect(alert).to_contain_text("Try again in 5 s")
    expect(busy_page.locator("#photo-name")).to_have_text("old.png")  # nothing lost: the photo and mask stay
    busy_page.screenshot(path=str(screenshots / "repair-server-busy.png"), full_page=True)


@pytest.mark.parametrize("path", ["/", "/repair", "/train", "/jobs"])
def test_pages_paint_fast_and_load_nothing_from_elsewhere(page: Page, server: Server, path: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(path, wait_until="load")
    # The paint entry can be recorded just after "load" on a busy machine: wait for it (buffered observer).
    timing = page.evaluate("""() => new Promise((resolve) => {
        const done = (paint) => resolve({
            paint,
            bytes: performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
                .reduce((sum, e) => sum + (e.encodedBodySize || 0), 0),
        });
        new PerformanceObserver((list) => {
            const fcp = list.getEntriesByName('first-contentful-paint')[0];
            if (fcp) done(fcp.startTime);
        }).observe({type: 'paint', buffered: true});
        setTimeout(() => done(null), 10000);
    })""")
    assert timing["paint"] is not None and timing["paint"] < FIRST_PAINT_BUDGET_MS, timing
    assert timing["bytes"] < PAGE_WEIGHT_BUDGET, timing
    assert all(url.startswith(server.url) for url in requested), [u for u in requested if not u.startswith(server.url)]
