"""The print views and PDFs (issue 9): no site chrome, every card open, both paper sizes, two languages side by
side, the QR code of a saved summary, and PDFs whose text and embedded fonts really hold the Chinese."""

from __future__ import annotations

import io
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from webapp.summaries import pdf as pdf_module
from webapp.summaries.printing import open_details, prefix_ids

from .conftest import require_service
from .test_summaries import ANSWERS, csrf_of

US_ANSWERS = {**ANSWERS, "region": "US"}
A4 = (595, 842)  # points, rounded
LETTER = (612, 792)


def with_answers(client: FlaskClient, answers: dict[str, Any] | None = None) -> FlaskClient:
    with client.session_transaction() as sess:
        sess["answers"] = dict(answers or ANSWERS)
    return client


def save(client: FlaskClient) -> str:
    token = csrf_of(client.get("/save").get_data(as_text=True))
    response = client.post("/save", data={"consent": "y", "csrf_token": token})
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.tags: Counter[str] = Counter()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}")
        if tag == "script" and not dict(attrs).get("src"):
            self.inline.append("script without src")
        if tag == "style":
            self.inline.append("style element")


def parse(html: str) -> Ids:
    parser = Ids()
    parser.feed(html)
    return parser


def pdf_text(data: bytes, pages: int = 4) -> tuple[PdfReader, str]:
    """The reader and the text of the first pages (the opening, the answers and the first cards are there;
    extracting all thirty pages would take longer than making them)."""
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() or "" for page in reader.pages[:pages])


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Base font name -> whether its program is embedded (FontFile, FontFile2 or FontFile3)."""
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = (
                (target.get("/FontDescriptor") or {}).get_object() if target.get("/FontDescriptor") else {}
            )
            name = str(font.get("/BaseFont"))
            fonts[name] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def page_size(reader: PdfReader) -> tuple[int, int]:
    box = reader.pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


# ---- The print view ------------------------------------------------------------------------------------


def test_print_view_needs_answers(client: FlaskClient) -> None:
    response = client.get("/results/print")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/check")
    assert client.get("/results/pdf").status_code == 302


def test_print_view_has_everything_and_no_site_chrome(app: Flask, client: FlaskClient) -> None:
    with_answers(client)
    response = client.get("/results/print?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en" class="print-view">' in html
    for chrome in ('class="site-header"', 'class="lang-switch"', 'class="site-footer"', "skip-link"):
        assert chrome not in html
    # The answers, the date of the check, the rules version, the disclaimer, the next steps.
    rules = app.extensions["engine"].rules
    assert "The answers given" in html
    assert "Lines of treatment so far" in html
    assert "Date of the check" in html
    assert f"Rules version</dt><dd>{rules.version}</dd>" in html
    assert html.count("This is information about approved uses of medicines, not medical advice.") == 1
    # The summary for the specialist: each verdict in a line, a numbered reference list, no long cards.
    assert "Summary for the specialist" in html
    assert "all criteria of the label met" in html
    assert "that match your answers" not in html
    assert "References" in html
    assert '<span class="print-ref">[1]</span>' in html
    assert "<details" not in html
    # Full details on request: each therapy's detail, every <details> printed open.
    full = client.get("/results/print?lang=en&full=1").get_data(as_text=True)
    assert "print-detail" in full
    assert "How was this decided?" in full
    assert re.search(r"<details(?![^>]*\sopen)", full) is None
    assert 'href="/results/pdf?full=1"' in full
    # Print-only page: no toolbar in the PDF's HTML, but a toolbar on screen with the options.
    assert 'class="print-toolbar no-print"' in html
    assert 'href="/results/pdf"' in html
    assert "paper-a4.css" in html
    page = parse(html)
    assert not page.inline, page.inline
    assert [i for i, n in page.ids.items() if n > 1] == []


def test_paper_size_follows_the_region_and_the_choice(client: FlaskClient) -> None:
    with_answers(client, US_ANSWERS)
    assert "paper-letter.css" in client.get("/results/print").get_data(as_text=True)
    assert "paper-a4.css" in client.get("/results/print?paper=a4").get_data(as_text=True)
    with_answers(client)
    assert "paper-a4.css" in client.get("/results/print").get_data(as_text=True)
    html = client.get("/results/print?paper=letter").get_data(as_text=True)
    assert "paper-letter.css" in html
    assert 'href="/results/pdf?paper=letter"' in html
    assert "paper-a4.css" in client.get("/results/print?paper=tabloid").get_data(as_text=True)


def test_bilingual_print_puts_each_part_side_by_side(client: FlaskClient) -> None:
    with_answers(client)
    html = client.get("/results/print?lang=zh-Hans&lang2=en").get_data(as_text=True)
    assert '<html lang="zh-Hans" class="print-view">' in html
    rows = re.findall(r'<div class="bi-row bi-row--(\w+)">', html)
    assert rows[:2] == ["intro", "answers"]
    assert rows[-1] == "next"
    assert "results" in rows
    cells = re.findall(r'<div class="bi-col" lang="([\w-]+)">', html)
    assert cells == ["zh-Hans", "en"] * len(rows)
    # The verdicts in both languages, on the same row: Chinese on the left, English on the right.
    results = html.split('<div class="bi-row bi-row--results">', 1)[1].split('<div class="bi-row', 1)[0]
    zh, en = results.split('<div class="bi-col" lang="en">', 1)
    assert "西达基奥仑赛" in zh
    assert "Ciltacabtagene autoleucel" in en
    # Ids stay unique although every part is there twice.
    page = parse(html)
    assert [i for i, n in page.ids.items() if n > 1] == []
    assert 'lang="en" selected' in html  # the toolbar shows the choice


def test_second_language_same_as_first_or_unknown_gives_one_language(client: FlaskClient) -> None:
    with_answers(client)
    for value in ("en", "fr", ""):
        html = client.get(f"/results/print?lang=en&lang2={value}").get_data(as_text=True)
        assert "bi-row" not in html, value
        assert "print-part--results" in html


def test_traditional_chinese_print_uses_the_snapshot_names(client: FlaskClient) -> None:
    with_answers(client)
    html = client.get("/results/print?lang=zh-Hant").get_data(as_text=True)
    assert '<html lang="zh-Hant" class="print-view">' in html
    assert "西達基奧侖賽" in html


def test_under_control_prints_what_would_match_if_it_came_back(client: FlaskClient) -> None:
    with_answers(client, {**ANSWERS, "relapsed_or_refractory": False})
    html = client.get("/results/print?lang=en").get_data(as_text=True)
    assert "The myeloma is under control now" in html
    assert "If the myeloma comes back, the answers would match" in html


def test_a_place_not_covered_prints_where_each_treatment_is_approved(client: FlaskClient) -> None:
    with_answers(client, {"region": "none", "adult": True, "prior_lines": 4, "relapsed_or_refractory": True})
    html = client.get("/results/print?lang=en").get_data(as_text=True)
    assert "Summary for the specialist" in html
    assert "print-part--results" not in html
    assert "Each treatment and where it is approved" in html


def test_saved_print_view_has_the_link_a_qr_code_and_the_expiry(app: Flask, client: FlaskClient) -> None:
    with_answers(client)
    token = save(client)
    html = client.get(f"/s/{token}/print?lang=en").get_data(as_text=True)
    assert f"http://127.0.0.1:5000/s/{token}" in html
    assert '<svg role="img"' in html
    assert "<title>QR code of the link to this summary</title>" in html
    assert "The saved link works until" in html
    assert f'href="/s/{token}/pdf"' in html
    assert not parse(html).inline
    # The QR code holds the link itself (segno encodes exactly this text).
    import segno

    assert (
        segno.make(f"http://127.0.0.1:5000/s/{token}", error="m")
        .svg_inline(
            scale=3,
            dark="#000",
            light="#fff",
            svgclass="print-qr__code",
            lineclass=None,
            title="QR code of the link to this summary",
        )
        .replace("<svg ", '<svg role="img" ', 1)
        in html
    )


def test_pages_of_this_feature_have_no_inline_script_or_style(client: FlaskClient) -> None:
    with_answers(client)
    token = save(client)
    for path in ("/save", f"/s/{token}", f"/s/{token}/print?lang2=zh-Hant", "/results/print?lang2=zh-Hans"):
        page = parse(client.get(path).get_data(as_text=True))
        assert not page.inline, (path, page.inline)
        assert [i for i, n in page.ids.items() if n > 1] == [], path


def test_html_helpers() -> None:
    assert (
        open_details('<details class="x"><details open class="y">')
        == '<details open class="x"><details open class="y">'
    )
    assert (
        prefix_ids('<a href="#a" id="b" aria-labelledby="c d"><label for="e">', "en-")
        == '<a href="#en-a" id="en-b" aria-labelledby="en-c en-d"><label for="en-e">'
    )


# ---- PDF -----------------------------------------------------------------------------------------------


@pytest.fixture
def weasyprint_loads() -> None:
    """WeasyPrint needs Pango and HarfBuzz from the system (make browser-deps installs them)."""
    try:
        import weasyprint  # noqa: F401

        loaded, detail = True, ""
    except (ImportError, OSError) as exc:
        loaded, detail = False, str(exc)
    require_service("WeasyPrint", loaded, detail)


def test_pdf_in_simplified_chinese_has_the_chinese_names_and_embeds_the_cjk_font(
    client: FlaskClient, weasyprint_loads: None
) -> None:
    with_answers(client)
    response = client.get("/results/pdf?lang=zh-Hans")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="myeloma-summary-')
    assert response.headers["Cache-Control"] == "no-store"
    reader, text = pdf_text(response.data)
    assert len(reader.pages) <= 2  # the summary for the specialist, by default
    assert page_size(reader) == A4
    assert "西达基奥仑赛" in text  # the product's Chinese name, from the label data
    assert "来那度胺" in text  # a drug from the answers
    assert client.application.extensions["engine"].rules.version in text
    assert reader.metadata is not None
    assert reader.metadata.title
    fonts = embedded_fonts(reader)
    cjk = [name for name in fonts if "NotoSansCJK" in name.replace("-", "")]
    assert cjk, fonts
    assert all(fonts.values()), f"every font must be embedded: {fonts}"
    # Page numbers "1 / N" on every page.
    first = reader.pages[0].extract_text()
    assert f"1 / {len(reader.pages)}" in first


def test_bilingual_letter_pdf_has_both_languages(client: FlaskClient, weasyprint_loads: None) -> None:
    with_answers(client)
    response = client.get("/results/pdf?lang=zh-Hant&lang2=en&paper=letter")
    assert response.status_code == 200
    assert 'zh-Hant-en.pdf"' in response.headers["Content-Disposition"]
    reader, text = pdf_text(response.data)
    assert page_size(reader) == LETTER
    assert "西達基奧侖賽" in text
    assert "ciltacabtagene autoleucel" in text.lower()
    assert "The answers given" in text
    fonts = embedded_fonts(reader)
    assert any("NotoSansCJKHK" in name.replace("-", "") for name in fonts), fonts
    assert all(fonts.values()), fonts


def test_saved_summary_pdf_carries_its_link(client: FlaskClient, weasyprint_loads: None) -> None:
    with_answers(client)
    token = save(client)
    response = client.get(f"/s/{token}/pdf?lang=en")
    assert response.status_code == 200
    _reader, text = pdf_text(response.data)
    assert token[:10] in text.replace("\n", "")
    assert "The saved link works until" in text
    assert "ciltacabtagene autoleucel" in text.lower()


def test_pdf_fetches_nothing_but_our_own_stylesheets(app: Flask) -> None:
    with app.test_request_context():
        fetcher = pdf_module._fetcher(app, "localhost")
        css = fetcher.fetch("http://localhost/summaries/static/print.css")
        assert b"@page" in css.read()
        assert b"--blue" in fetcher.fetch("http://localhost/static/css/app.css").read()
        for url in (
            "http://example.org/static/css/app.css",
            "http://localhost/static/../../etc/passwd",
            "file:///etc/passwd",
            "http://localhost/s/x",
        ):
            with pytest.raises(ValueError, match="not fetched"):
                fetcher.fetch(url)


def test_pdf_unavailable_is_a_503_and_the_print_view_still_works(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise pdf_module.PdfUnavailable("no pango")

    monkeypatch.setattr("webapp.summaries.views.render_pdf", broken)
    with_answers(client)
    response = client.get("/results/pdf?lang=en")
    assert response.status_code == 503
    assert "We could not make the PDF just now" in response.get_data(as_text=True)
    assert client.get("/results/print").status_code == 200
