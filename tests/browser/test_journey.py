"""The patient journey in Debian's Chromium: every language, "not sure", errors, keyboard only, a 360 px
phone, 200% zoom, no JavaScript; axe-core finds no violation on any page; no request leaves the origin.

Screenshots of every page go to test-artifacts/ (looked at by a person; see the closing note of issue 8).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

LANGS = ("en", "zh-Hans", "zh-Hant")
PHONE = {"width": 360, "height": 780}
# 200% zoom of a 1280 x 800 window lays the page out in 640 x 400 CSS pixels.
ZOOM_200 = {"width": 640, "height": 400}
_axe = Axe()


@pytest.fixture
def origin_guard(page: Page, live_server: str) -> Iterator[list[str]]:
    """Every request the page makes; the test ends by asserting none left the app's own origin."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield requests
    own = urlsplit(live_server).netloc
    foreign = [u for u in requests if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != own]
    assert foreign == [], f"requests left the origin: {foreign}"
    assert any("/static/css/app.css" in u for u in requests)  # the guard really saw the traffic


def check_axe(page: Page, what: str) -> None:
    results = _axe.run(page)
    assert results.violations_count == 0, f"{what}: {results.generate_report()}"


def check_page(page: Page, artifacts: Path, name: str, lang: str) -> None:
    """The checks every page gets: its language, axe, no sideways scrolling, a screenshot."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("footer .disclaimer")).to_be_visible()
    check_axe(page, name)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def fill_typical(page: Page) -> None:
    """A person treated in the US who lives in Singapore: 3 lines, Velcade (no), Revlimid (yes), dara unsure."""
    page.check("#region")  # the first place listed: the United States
    page.select_option("#residence", "SG")
    page.check("#adult")
    page.check("#relapsed_or_refractory")
    page.check("#prior_lines-4")  # the 4th choice: 3 lines
    page.check("#drugs_PI")  # bortezomib
    page.check("#refr_bortezomib-2")  # no
    page.check("#drugs_IMiD-lenalidomide")
    page.check("#refr_lenalidomide")  # yes
    page.check("#drugs_anti_CD38-unsure")
    page.check("#progressed_on_last")  # yes
    page.check("#prior_bcma_car_t-2")  # no


def continue_form(page: Page) -> None:
    page.click("form.check-form button[type=submit]")


def open_all_details(page: Page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


@pytest.mark.parametrize("lang", LANGS)
def test_journey_in_each_language(
    page: Page, live_server: str, artifacts: Path, origin_guard: list[str], lang: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/?lang={lang}")
    check_page(page, artifacts, f"journey-{lang}-1-home", lang)

    page.click("a.button--start")
    expect(page).to_have_url(f"{live_server}/check")
    expect(page.locator("#region")).to_be_visible()
    check_page(page, artifacts, f"journey-{lang}-2-form", lang)

    continue_form(page)  # nothing answered: the error path
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert summary.locator("a").count() >= 8
    expect(page.locator("#region-error")).to_be_visible()
    if lang == "en":
        assert page.title().startswith("Error:")
    check_page(page, artifacts, f"journey-{lang}-3-form-errors", lang)

    fill_typical(page)
    continue_form(page)
    expect(page).to_have_url(f"{live_server}/check/answers")
    expect(page.locator(".summary-list__row")).to_have_count(14)
    check_page(page, artifacts, f"journey-{lang}-4-check-answers", lang)

    page.click("main form button.button")
    expect(page).to_have_url(f"{live_server}/results")
    expect(page.locator(".therapies").first).to_be_visible()
    expect(page.locator(".inset--important")).to_be_visible()  # the disclaimer, above the results
    assert page.locator(".therapy--eligible").count() >= 1
    assert page.locator(".therapy").count() >= 3
    check_page(page, artifacts, f"journey-{lang}-5-results", lang)
    open_all_details(page)
    check_axe(page, f"{lang} results with every section open")
    if lang == "en":
        text = page.locator("main").inner_text()
        assert "you are eligible" not in text.lower()  # never (design brief section 6)
        # The language switch keeps the person on the same page, with the same answers.
        cards = page.locator(".therapy").count()
        page.click(".lang-switch a[hreflang=zh-Hant]")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
        assert urlsplit(page.url).path == "/results"
        assert page.locator(".therapy").count() == cards
        page.locator(".therapy--eligible a.therapy__link").first.click()
        expect(page.locator(".label-row__verdict").first).to_contain_text("符合")


def test_not_sure_path(page: Page, live_server: str, artifacts: Path, origin_guard: list[str]) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/check?lang=en")
    page.check("#region-4")  # mainland China
    page.check("#adult-3")
    page.check("#relapsed_or_refractory-3")
    page.check("#prior_lines-8")  # not sure
    for group in ("drugs_PI", "drugs_IMiD", "drugs_anti_CD38"):
        page.check(f"#{group}-unsure")
    page.check("#progressed_on_last-3")
    page.check("#prior_bcma_car_t-3")
    continue_form(page)
    expect(page.locator(".summary-list")).to_contain_text("Not sure")
    page.click("main form button.button")

    assert page.locator(".therapy--possible").count() >= 3
    assert page.locator(".therapy--eligible").count() == 0  # unknowns never match
    expect(page.locator("#questions")).to_be_visible()
    check_page(page, artifacts, "not-sure-results", "en")
    page.locator(".therapy--possible a.therapy__link").first.click()
    question = page.locator(".questions a").first
    expect(question).to_be_visible()

    # A question's "Change this answer" link goes back to the form, at the question, with answers kept.
    question.click()
    assert "/check#" in page.url
    expect(page.locator("#region-4")).to_be_checked()
    expect(page.locator("#drugs_PI-unsure")).to_be_checked()


def test_error_path_keeps_what_was_typed(page: Page, live_server: str, origin_guard: list[str]) -> None:
    page.goto(f"{live_server}/check?lang=en")
    page.check("#region-2")  # European Union
    page.check("#drugs_IMiD-lenalidomide")  # but no answer to "did it get worse"
    page.check("#drugs_IMiD-none")  # "None of these" unticks it (JavaScript) ...
    expect(page.locator("#drugs_IMiD-lenalidomide")).not_to_be_checked()
    page.check("#drugs_IMiD-pomalidomide")  # ... and a medicine unticks "None of these"
    expect(page.locator("#drugs_IMiD-none")).not_to_be_checked()
    continue_form(page)

    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#region-2")).to_be_checked()
    expect(page.locator("#drugs_IMiD-pomalidomide")).to_be_checked()
    expect(page.locator("#refr_pomalidomide-error")).to_be_visible()
    # A link in the error summary moves focus to the question.
    page.click(".error-summary a[href='#adult']")
    expect(page.locator("#adult")).to_be_focused()


def _tab_to(page: Page, selector: str, limit: int = 400) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _focus_is_visible(page: Page) -> bool:
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"""
    )
    outline, width, shadow = style
    return (outline != "none" and width != "0px") or shadow != "none"


def test_keyboard_only(page: Page, live_server: str, origin_guard: list[str]) -> None:
    page.goto(f"{live_server}/?lang=en")
    _tab_to(page, "a.skip-link")
    assert _focus_is_visible(page)
    _tab_to(page, "a.button--start")
    assert _focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#region")).to_be_visible()

    for selector in ("#region", "#adult", "#relapsed_or_refractory"):
        _tab_to(page, selector)
        assert _focus_is_visible(page), selector
        page.keyboard.press("Space")
    _tab_to(page, "#prior_lines")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    _tab_to(page, "#drugs_PI")
    assert _focus_is_visible(page)
    page.keyboard.press("Space")
    _tab_to(page, "#refr_bortezomib")  # the follow-up question appears after the tick
    page.keyboard.press("Space")
    _tab_to(page, "#drugs_IMiD-other")
    page.keyboard.press("Space")
    _tab_to(page, "#refr_IMiD")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # "No"
    _tab_to(page, "#drugs_anti_CD38-none")
    page.keyboard.press("Space")
    _tab_to(page, "#progressed_on_last")
    page.keyboard.press("Space")
    _tab_to(page, "#prior_bcma_car_t")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # "No"
    _tab_to(page, "form.check-form button[type=submit]")
    assert _focus_is_visible(page)
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server}/check/answers")
    expect(page.locator(".summary-list")).to_contain_text("bortezomib")
    _tab_to(page, "main form button.button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/results")
    expect(page.locator(".therapies").first).to_be_visible()
    _tab_to(page, "details > summary")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.parentElement.open")


@pytest.mark.parametrize("viewport", [PHONE, ZOOM_200], ids=["360px", "zoom-200"])
def test_no_sideways_scrolling(page: Page, live_server: str, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"{live_server}/check?lang=zh-Hant")
    fill_typical(page)
    continue_form(page)
    page.click("main form button.button")
    expect(page.locator(".therapies").first).to_be_visible()
    open_all_details(page)  # long quotes, tables and links inside the sections must wrap too
    for path in ("/results", "/check/answers", "/check", "/", "/privacy", "/accessibility"):
        if path != "/results":
            page.goto(live_server + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport}"


def test_without_javascript(browser: Browser, live_server: str, artifacts: Path) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/check?lang=en")
        # Every follow-up question is on the page, and the search box (JavaScript only) is not.
        expect(page.locator("#refr_bortezomib")).to_be_visible()
        expect(page.locator("#drug-search")).to_have_count(0)
        fill_typical(page)
        continue_form(page)
        expect(page).to_have_url(f"{live_server}/check/answers")
        page.click("main form button.button")
        expect(page.locator(".therapies").first).to_be_visible()
        page.locator("a.therapy__link").first.click()  # a detail page, without JavaScript too
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=str(artifacts / "no-javascript-results.png"), full_page=True)
    finally:
        context.close()


def test_drug_search(page: Page, live_server: str, origin_guard: list[str]) -> None:
    page.goto(f"{live_server}/check?lang=en")
    search = page.get_by_label("Search for a medicine")
    search.fill("revlimid")
    expect(page.locator("label[for='drugs_IMiD-lenalidomide']")).to_be_visible()
    expect(page.locator("label[for='drugs_PI']")).to_be_hidden()  # bortezomib
    expect(page.locator("#drug-search-status")).to_have_text("1 medicine matches")
    search.fill("硼替佐米")  # bortezomib by its Chinese name
    expect(page.locator("label[for='drugs_PI']")).to_be_visible()
    page.check("#drugs_PI")
    search.fill("carvykti")
    expect(page.locator("label[for='drugs_PI']")).to_be_visible()  # ticked medicines stay in view
    search.press("Enter")  # does not send the form
    expect(page).to_have_url(f"{live_server}/check?lang=en")
    search.fill("")
    expect(page.locator("label[for='drugs_IMiD']")).to_be_visible()


def test_not_listed_and_under_control(
    page: Page, live_server: str, artifacts: Path, origin_guard: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/check?lang=en")
    page.check("#region-9")  # my country or place is not listed
    page.select_option("#residence", "TW")
    page.check("#adult")
    page.check("#relapsed_or_refractory-2")  # under control now
    page.check("#prior_lines-4")
    for group in ("drugs_PI", "drugs_IMiD", "drugs_anti_CD38"):
        page.check(f"#{group}-other")
        page.check(f"#refr_{group[6:]}")
    page.check("#progressed_on_last-2")
    page.check("#prior_bcma_car_t-2")
    continue_form(page)
    expect(page.locator(".summary-list")).to_contain_text("not listed")
    page.click("main form button.button")

    expect(page.locator(".inset--kind")).to_be_visible()
    expect(page.locator(".inset--kind")).to_contain_text("under control")
    cards = page.locator("section[aria-labelledby=elsewhere] .elsewhere__item")
    assert cards.count() == 9  # every product, each with its regions
    check_page(page, artifacts, "not-listed-under-control-results", "en")

    # Each region links to that place's results, then back.
    cards.first.locator("a").first.click()
    expect(page.locator(".notice")).to_contain_text("You are looking at")
    check_axe(page, "another place's results")
    page.click("text=Back to your results")
    expect(page).to_have_url(f"{live_server}/results")
