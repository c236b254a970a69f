"""The clinician pages in a real Chromium: the label browser and label pages, in English and Chinese.

Screenshots go to test-artifacts/ (labels-*.png) for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from webapp.eligibility import load_rules

from ..conftest import REAL_RULES

RULES = load_rules(REAL_RULES)


def _no_sideways_scroll(page: Page) -> None:
    """The page itself never scrolls sideways; wide tables scroll inside their own region."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, (width, viewport)


def _axe_clean(page: Page) -> None:
    results = Axe().run(page, context={"include": [["main"]]})
    assert results.violations_count == 0, results.generate_report()


def test_the_label_browser_filters_and_links_to_a_label(
    page: Page, live_server: str, artifacts: Path
) -> None:
    page.goto(f"{live_server}/labels?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1, name="Approved labels")).to_be_visible()
    for region in RULES.regions.values():
        expect(
            page.get_by_role("heading", level=2, name=re.compile(re.escape(region.names.en)))
        ).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(len(RULES.labels))
    page.screenshot(path=str(artifacts / "labels-index-en.png"), full_page=True)
    _axe_clean(page)

    # The filter is a plain GET form: choose a region and a product, then send it.
    page.get_by_label("Region").select_option("CN")
    page.get_by_role("button", name="Show labels").click()
    expect(page).to_have_url(re.compile(r"/labels\?region=CN&product=$"))
    cn = [lb for lb in RULES.labels.values() if lb.region == "CN"]
    expect(page.locator("tbody tr")).to_have_count(len(cn))
    expect(page.locator("main h2")).to_have_count(2)  # the region, and "Use the data elsewhere"
    expect(page.get_by_label("Region")).to_have_value("CN")
    page.get_by_role("link", name="eque-cel-cn-2023").click()
    expect(page).to_have_url(re.compile(r"/labels/eque-cel-cn-2023$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mainland China")


def test_a_label_page_in_english(page: Page, live_server: str, artifacts: Path) -> None:
    label = RULES.labels["cilta-cel-us-2024"]
    page.goto(f"{live_server}/labels/{label.id}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("ciltacabtagene autoleucel in United States")
    expect(page.get_by_role("heading", name="What the label says")).to_be_visible()
    expect(page.get_by_role("heading", name="What the service checks")).to_be_visible()
    criteria = page.locator("#criteria tbody tr")
    expect(criteria).to_have_count(8)
    expect(page.locator('#criteria tr[data-criterion="min_prior_lines"] td')).to_have_text(
        "At least 1 prior line of therapy"
    )
    expect(page.locator('#criteria tr[data-criterion="refractory"] td')).to_have_text(
        "Refractory to: lenalidomide"
    )
    expect(page.locator('blockquote[lang="en"]')).to_have_text(label.indication)
    expect(page.get_by_role("heading", name="Version history in United States")).to_be_visible()
    expect(
        page.get_by_role("heading", name="What changed from the version before, cilta-cel-us-2022")
    ).to_be_visible()

    # The word diff of the indication is behind a disclosure, and opens without JavaScript.
    wording = page.get_by_text("Changes in the English wording of the indication")
    expect(page.locator(".lb-diff")).to_be_hidden()
    wording.click()
    expect(page.locator(".lb-diff del").first).to_be_visible()
    expect(page.locator(".lb-diff ins").first).to_be_visible()
    page.screenshot(path=str(artifacts / "labels-page-en.png"), full_page=True)
    _axe_clean(page)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_a_label_page_in_chinese(page: Page, live_server: str, artifacts: Path, lang: str) -> None:
    label = RULES.labels["eque-cel-cn-2023"]
    page.goto(f"{live_server}/labels/{label.id}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_visible()
    names = RULES.products[label.product].names
    expect(heading).to_contain_text(names.zh_Hans if lang == "zh-Hans" else names.zh_Hant)
    # The regulator's text stays in its own language, marked as such; the English beside it is marked English.
    original = page.locator('blockquote[lang="zh-Hans"]')
    expect(original).to_be_visible()
    expect(original).to_have_text(label.indication.strip())
    expect(page.locator('blockquote[lang="en"]')).to_have_text(label.indication_en.strip())
    expect(page.locator("#criteria tbody tr")).to_have_count(8)
    expect(page.locator('#criteria tr[data-criterion="min_prior_lines"] td')).to_contain_text("3")
    page.screenshot(path=str(artifacts / f"labels-page-{lang}.png"), full_page=True)
    _axe_clean(page)


def test_the_label_browser_in_chinese(page: Page, live_server: str, artifacts: Path) -> None:
    page.goto(f"{live_server}/labels?lang=zh-Hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("h2#region-CN")).to_contain_text(RULES.regions["CN"].names.zh_Hans)
    expect(page.locator("tbody tr")).to_have_count(len(RULES.labels))
    page.screenshot(path=str(artifacts / "labels-index-zh-Hans.png"), full_page=False)


@pytest.mark.parametrize("path", ["/labels", "/labels/teclistamab-us-2022"])
def test_the_clinician_pages_fit_a_phone(page: Page, live_server: str, artifacts: Path, path: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}{path}?lang=en")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _no_sideways_scroll(page)
    # Wide tables scroll in a region that a keyboard user can reach.
    wrap = page.locator(".lb-table-wrap").first
    expect(wrap).to_have_attribute("tabindex", "0")
    name = "index" if path == "/labels" else "page"
    page.screenshot(path=str(artifacts / f"labels-{name}-phone.png"), full_page=False)
