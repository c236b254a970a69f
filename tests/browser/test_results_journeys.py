"""Issue 21's journeys in Chromium at 360 x 800, in three languages: the overview fits four screen heights, every
therapy links to its detail page, and axe finds nothing on the overview or on a detail page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

LANGS = ("en", "zh-Hans", "zh-Hant")
PHONE = {"width": 360, "height": 800}
MAX_HEIGHT = 3200  # four screen heights (issue 21, "Done when")
_axe = Axe()


def mainland_china(page: Page) -> None:
    """(a) Mainland China, 3 prior lines (bortezomib, lenalidomide, daratumumab), progressed on the last."""
    page.check("#region-4")
    page.check("#adult")
    page.check("#relapsed_or_refractory")
    page.check("#prior_lines-4")
    page.check("#drugs_PI")
    page.check("#refr_bortezomib-3")
    page.check("#drugs_IMiD-lenalidomide")
    page.check("#refr_lenalidomide-3")
    page.check("#drugs_anti_CD38")
    page.check("#refr_daratumumab-3")
    page.check("#progressed_on_last")
    page.check("#prior_bcma_car_t-2")


def united_states(page: Page) -> None:
    """(b) US, 1 prior line (bortezomib, lenalidomide, dexamethasone), refractory to lenalidomide, progressed."""
    page.check("#region")
    page.select_option("#residence", "US")
    page.check("#adult")
    page.check("#relapsed_or_refractory")
    page.check("#prior_lines-2")
    page.check("#drugs_PI")
    page.check("#refr_bortezomib-2")
    page.check("#drugs_IMiD-lenalidomide")
    page.check("#refr_lenalidomide")
    page.check("#drugs_anti_CD38-none")
    page.check("#drugs_other-dexamethasone")
    page.check("#progressed_on_last")
    page.check("#prior_bcma_car_t-2")


JOURNEYS: dict[str, Callable[[Page], None]] = {"cn": mainland_china, "us": united_states}


def check_axe(page: Page, what: str) -> None:
    results = _axe.run(page)
    assert results.violations_count == 0, f"{what}: {results.generate_report()}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_the_overview_fits_four_screens_and_links_every_therapy(
    page: Page, live_server: str, artifacts: Path, journey: str, lang: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/check?lang={lang}")
    JOURNEYS[journey](page)
    page.click("form.check-form button[type=submit]")
    expect(page).to_have_url(f"{live_server}/check/answers")
    page.click("main form button.button")
    expect(page).to_have_url(f"{live_server}/results")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    rows = page.locator(".therapies .therapy")
    assert rows.count() >= 2
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(artifacts / f"overview-{journey}-{lang}.png"), full_page=True)
    assert height <= MAX_HEIGHT, f"{journey} {lang}: the overview is {height}px high"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    check_axe(page, f"overview {journey} {lang}")

    links = [rows.nth(i).locator("a.therapy__link").get_attribute("href") for i in range(rows.count())]
    assert all(link and link.startswith("/results/") for link in links)
    for link in links:
        page.goto(live_server + link)
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("a.back-link").first).to_be_visible()
    # One detail page in full: axe, and a way back to the overview.
    page.goto(live_server + links[0])
    check_axe(page, f"detail {journey} {lang}")
    page.screenshot(path=str(artifacts / f"detail-{journey}-{lang}.png"), full_page=True)
    page.locator("a.back-link").first.click()
    expect(page).to_have_url(f"{live_server}/results")


def test_a_us_resident_choosing_china_sees_home_first(page: Page, live_server: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/check?lang=en")
    united_states(page)
    page.check("#region-4")  # mainland China, living in the US
    page.check("#prior_lines-4")  # 3 lines
    page.check("#drugs_anti_CD38")
    page.check("#refr_daratumumab-3")
    page.click("form.check-form button[type=submit]")
    page.click("main form button.button")
    home = page.locator("section.at-home")
    expect(home.locator("h2")).to_contain_text("At home in the United States")
    expect(home.locator(".therapy--eligible a[href*='/results/cilta-cel-us-']")).to_have_count(1)
    check_axe(page, "overview with at-home")
