"""Printing, saving and PDFs in a real Chromium (issue 9).

Chromium prints the print view to PDF (``page.pdf()``, as a person's Print command does) and the app's own
PDF route (WeasyPrint) is downloaded through the same browser session. A page of each is turned into a PNG
with pdftoppm and left in test-artifacts/ (print-*.png, print-*.pdf) for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from ..conftest import UNDER_CI
from ..test_summaries import ANSWERS  # cilta-cel's Chinese label matches every criterion


def _load_answers(page: Page, live_server: str) -> None:
    """Put answers in this browser's session the way a facilitator's tool would: save them through the API,
    then press the saved summary's "check again" button, which loads them and opens the results."""
    response = page.request.post(
        f"{live_server}/api/v1/summaries", data={"answers": ANSWERS, "consent": True, "lang": "en"}
    )
    assert response.status == 201, response.text()
    token = response.json()["token"]
    page.goto(f"{live_server}/s/{token}?lang=en")
    page.get_by_role("button", name="Check these answers again with today’s labels").click()
    expect(page).to_have_url(re.compile(r"/results$"))


def _pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(p.extract_text() or "" for p in reader.pages[:3])


def _fonts(reader: PdfReader) -> dict[str, str]:
    """Font name (or "Type3-<n>" for glyph-outline fonts, which have none) -> its subtype, first pages."""
    fonts: dict[str, str] = {}
    for p in reader.pages[:3]:
        for ref in ((p.get("/Resources") or {}).get("/Font") or {}).values():
            font = ref.get_object()
            subtype = str(font.get("/Subtype"))
            fonts[str(font.get("/BaseFont") or f"Type3-{len(fonts)}")] = subtype
    return fonts


def _to_png(pdf: Path, page_number: int = 1) -> Path | None:
    """Page ``page_number`` of ``pdf`` as a PNG beside it, for a person to look at."""
    if not shutil.which("pdftoppm"):
        if UNDER_CI:
            pytest.fail("pdftoppm (poppler-utils) is missing: make browser-deps installs it", pytrace=False)
        return None
    stem = pdf.with_name(f"{pdf.stem}-p{page_number}")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            str(page_number),
            "-l",
            str(page_number),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
        timeout=60,
    )
    png = stem.with_suffix(".png")
    assert png.stat().st_size > 10_000  # a real page with text on it, not a blank
    return png


def test_chromium_prints_the_print_view_to_pdf(page: Page, live_server: str, artifacts: Path) -> None:
    _load_answers(page, live_server)
    page.get_by_role("link", name="Print a summary for the specialist").click()
    expect(page).to_have_url(re.compile(r"/results/print$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summary for the specialist")
    expect(page.locator("main")).to_contain_text("Mainland China")
    # The Print button is progressive enhancement: there once the script has run.
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    page.screenshot(path=str(artifacts / "print-view-screen.png"), full_page=False)
    results = Axe().run(page, context={"include": [["main"]]})
    assert results.violations_count == 0, results.generate_report()

    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    # Every card's details are open on paper.
    assert page.locator("details:not([open])").count() == 0
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    pdf = artifacts / "print-chromium-en-a4.pdf"
    pdf.write_bytes(data)
    reader, text = _pdf_text(data)
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4 from the print stylesheet
    assert len(reader.pages) <= 2  # the summary for the specialist
    assert "ciltacabtagene autoleucel" in text.lower()
    assert "The answers given" in text
    assert "1 / " in reader.pages[0].extract_text()  # page numbers from the @page margin box
    _to_png(pdf, 1)


def test_chromium_prints_chinese_and_english_side_by_side(
    page: Page, live_server: str, artifacts: Path
) -> None:
    _load_answers(page, live_server)
    page.goto(f"{live_server}/results/print?lang=zh-Hans")
    # The person chooses the second language and the paper on the page itself (a plain GET form).
    page.locator("#lang2").select_option("en")
    page.locator("#paper").select_option("letter")
    page.locator(".print-toolbar__form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"lang2=en&paper=letter"))
    expect(page.locator(".bi-row--results").first).to_be_visible()
    cells = page.locator(".bi-row--results").first.locator(".bi-col")
    expect(cells).to_have_count(2)
    expect(cells.nth(0)).to_have_attribute("lang", "zh-Hans")
    expect(cells.nth(1)).to_have_attribute("lang", "en")
    expect(cells.nth(0)).to_contain_text("西达基奥仑赛")
    expect(cells.nth(1)).to_contain_text("Ciltacabtagene autoleucel")
    # Side by side: the English column starts to the right of the Chinese one, on the same line.
    left, right = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert left
    assert right
    assert right["x"] > left["x"] + left["width"] - 2
    assert abs(right["y"] - left["y"]) < 2

    page.emulate_media(media="print")
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    pdf = artifacts / "print-chromium-zh-Hans-en-letter.pdf"
    pdf.write_bytes(data)
    reader, text = _pdf_text(data)
    assert round(float(reader.pages[0].mediabox.width)) == 612  # US Letter
    assert "西达基奥仑赛" in text
    assert "ciltacabtagene autoleucel" in text.lower()
    # Chromium (Skia) cannot subset the CFF-based Noto Sans CJK collection, so it embeds the Chinese glyphs
    # as Type 3 outlines (with a ToUnicode map, which is why the text above could be extracted).
    fonts = _fonts(reader)
    assert "/Type3" in fonts.values(), fonts
    _to_png(pdf, 1)


def test_pdf_route_through_the_browser_session(page: Page, live_server: str, artifacts: Path) -> None:
    _load_answers(page, live_server)
    page.goto(f"{live_server}/results/print?lang=zh-Hant&lang2=en")
    link = page.get_by_role("link", name=re.compile("PDF"))
    href = link.get_attribute("href")
    assert href == "/results/pdf?lang2=en"
    # The download link, fetched with this browser's cookies (the session holds the answers).
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith("-zh-Hant-en.pdf")
    pdf = artifacts / "print-weasyprint-zh-Hant-en-a4.pdf"
    download.save_as(str(pdf))
    data = pdf.read_bytes()
    reader, text = _pdf_text(data)
    assert round(float(reader.pages[0].mediabox.width)) == 595
    assert "西達基奧侖賽" in text
    assert "ciltacabtagene autoleucel" in text.lower()
    assert any("NotoSansCJKHK" in f.replace("-", "") for f in _fonts(reader)), _fonts(reader)
    _to_png(pdf, 1)


def test_save_with_consent_then_print_then_delete(page: Page, live_server: str, artifacts: Path) -> None:
    _load_answers(page, live_server)
    # Without the box ticked nothing is saved, and the error summary says why.
    page.locator("details:has(form.save-form) > summary").click()
    page.get_by_role("button", name="Save and get a link").click()
    expect(page).to_have_url(re.compile(r"/save$"))
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    page.get_by_label("I agree to store my answers").check()
    page.get_by_role("button", name="Save and get a link").click()
    expect(page).to_have_url(re.compile(r"/s/[A-Za-z0-9_-]{43}$"))
    expect(page.get_by_role("heading", name="Your results are saved")).to_be_visible()
    url = page.url
    expect(page.locator("#saved-link")).to_have_value(url)
    page.screenshot(path=str(artifacts / "print-saved-summary.png"), full_page=False)
    results = Axe().run(page, context={"include": [["main"]]})
    assert results.violations_count == 0, results.generate_report()

    page.get_by_role("link", name="Print this summary").click()
    expect(page.locator(".print-qr svg")).to_be_visible()
    expect(page.locator(".print-qr__url")).to_have_text(url)
    page.emulate_media(media="print")
    pdf = artifacts / "print-chromium-saved-en.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    _to_png(pdf, 1)
    page.emulate_media(media="screen")

    page.goto(url)
    page.get_by_role("link", name="Delete this summary").click()
    expect(page.get_by_role("heading", name="Are you sure you want to delete this summary?")).to_be_visible()
    page.get_by_role("button", name="Yes, delete this summary").click()
    expect(page.get_by_role("heading", name="The saved summary has been deleted")).to_be_visible()
    assert page.request.get(url).status == 404
