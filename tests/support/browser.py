"""Pages opened in headless Chromium (Debian's chromium package) with the network off, as a reader without
a connection would: what failed to load, what the console complained of, and a screenshot to look at.

Playwright drives the installed /usr/bin/chromium; it downloads no browser of its own."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",  # the suite may run as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",  # no connection of the browser's own
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("headless Chromium is not installed: apt-get install chromium (Debian's package)")
    return found


@dataclass(frozen=True)
class OpenedPage:
    failed_loads: list[str]  # every resource the page asked for and did not get
    console_errors: list[str]
    screenshot: bytes  # PNG of the whole page
    charts: dict[str, dict[str, float]]  # figure id -> its <svg>'s box on the page (x, y, width, height)
    empty_charts: list[str]  # figure ids that hold a "nothing to show" sentence instead of a picture
    text: str


def open_offline(page_file: Path) -> OpenedPage:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
            page = context.new_page()
            failed, errors = [], []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(page_file.as_uri(), wait_until="load")
            charts = {
                figure.get_attribute("id"): figure.query_selector("svg").bounding_box()
                for figure in page.query_selector_all("figure.chart:not(.empty)")
            }
            empty = [figure.get_attribute("id") for figure in page.query_selector_all("figure.chart.empty")]
            return OpenedPage(failed, errors, page.screenshot(full_page=True), charts, empty, page.inner_text("body"))
        finally:
            browser.close()


def drawn_fraction(screenshot: bytes, box: dict[str, float]) -> tuple[float, int]:
    """Within `box` of the screenshot: the share of pixels that are not the white page, and how many
    distinct colours there are (a drawn chart has bars, an axis and text; a blank region has one colour)."""
    from PIL import Image

    image = Image.open(io.BytesIO(screenshot)).convert("RGB")
    region = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    pixels = list(region.getdata())
    inked = sum(1 for pixel in pixels if pixel != (255, 255, 255))
    return inked / max(len(pixels), 1), len(set(pixels))
