"""The class report (``report.html``): self-contained, and it opens in a real browser.

A Canvas download is graded with the kernel stand-in of ``test_grade_lms`` (points and mistake ids
from each notebook's metadata), so the report's numbers are known: in ex01, 2 of the 4 counted
submissions made the mistake ``percentage`` in q2. The page is then checked as text (no network
resource, no script, plots as embedded PNG in the course palette) and opened in Debian's Chromium
driven by Playwright, as ``tests/test_browser.py`` does, with every network request refused.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest

from test_browser import CHROMIUM, CHROMIUM_FLAGS, _ensure_chromium
from test_grade_lms import CANVAS_TEMPLATE, canvas_download, fake_kernels, put, run  # noqa: F401 - fixture
from course_utils import plots
from course_utils.grading import gradebook


@pytest.fixture
def report(tmp_path, fake_kernels):  # noqa: F811 - the imported fixture
    canvas_download(tmp_path / "subs")
    roster = put(tmp_path / "export.csv", CANVAS_TEMPLATE)
    out = tmp_path / "out"
    run(tmp_path / "subs", out, policy=gradebook.Policy(roster=str(roster)))
    return out / "report.html"


def test_report_is_self_contained_and_counts_mistakes(report):
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page) and "<script" not in page
    images = re.findall(r'<img class="(\w+)"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [kind for kind, _data in images] == ["histogram", "histogram", "success"]
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(base64.b64decode(images[0][1])), format="png")
    blue = tuple(int(plots.MAJORITY_COLOR[i:i + 2], 16) / 255 for i in (1, 3, 5))
    assert (abs(pixels[..., :3] - blue).max(axis=-1) < 0.02).sum() > 100  # the bars are the palette's blue
    mistakes = page[page.index("class='mistakes'"):]
    assert re.search(r"<td>ex01\.q2</td><td>percentage</td><td>2</td><td>50 %</td>", mistakes)
    assert re.search(r"<td>ex01\.q4</td><td>swapped</td><td>1</td><td>25 %</td>", mistakes)
    assert "Missing students (1)" in page and "Absent, Al" in page
    assert "Submissions not counted (2)" in page  # John's on-time ex02, Jane's duplicate


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:playwright.*")


def test_report_opens_in_a_browser_with_histograms_and_mistake_table(report):
    _ensure_chromium()
    from playwright.sync_api import sync_playwright

    requested = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})

            def refuse_network(route):
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    requested.append(route.request.url)
                    route.abort()

            context.route("**/*", refuse_network)
            page = context.new_page()
            page.goto(Path(report).as_uri())
            histograms = page.locator("img.histogram")
            assert histograms.count() == 2
            for i in range(2):  # decoded and drawn, not a broken image
                assert histograms.nth(i).evaluate("img => img.complete && img.naturalWidth > 100 && img.naturalHeight > 50")
                assert histograms.nth(i).is_visible()
            rows = page.locator("table.mistakes tbody tr")
            assert rows.count() == 2  # percentage (ex01.q2), swapped (ex01.q4)
            assert rows.first.inner_text().split("\t")[:3] == ["ex01.q2", "percentage", "2"]
            assert page.locator("table.missing").inner_text().count("Absent, Al") == 1
            page.screenshot(path=str(Path(report).with_suffix(".png")), full_page=True)
        finally:
            browser.close()
    assert requested == []
