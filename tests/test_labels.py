"""The clinician view (issue 10): /labels, /labels/<id>, /labels.csv and ``flask rules report``.

Expected text is computed here from the Label objects in rules/, so a page that drifted from the data the
engine uses would fail, whatever the data says.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from babel.dates import format_date
from markupsafe import escape

from webapp.eligibility import load_rules
from webapp.eligibility.model import CLASS_IDS, Label, Rules
from webapp.labels.describe import CRITERION_ORDER, months_before, neighbours, text_diff
from webapp.labels.scenarios import SCENARIO_FOLDER, cases_for
from webapp.labels.views import CSV_COLUMNS, _cell

from .conftest import REAL_RULES, ROOT, make_app

RULES: Rules = load_rules(REAL_RULES)
LABEL_IDS = sorted(RULES.labels)
SCENARIO_DIR = REAL_RULES / SCENARIO_FOLDER
NOT_STATED = "Not stated by any source we hold"
NOT_REQUIRED = "Not required by this label"


class _Rows(HTMLParser):
    """Text of each <tr data-criterion=...> row, and the lang attribute of each blockquote."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self.quotes: list[tuple[str | None, str]] = []
        self._row: str | None = None
        self._quote: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("data-criterion"):
            self._row, self._buf = a["data-criterion"], []
        if tag == "blockquote":
            self._quote, self._buf = a.get("lang") or "", []

    def handle_endtag(self, tag: str) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buf)).strip()
        if tag == "tr" and self._row:
            self.rows[self._row] = text
            self._row = None
        if tag == "blockquote" and self._quote is not None:
            self.quotes.append((self._quote, text))
            self._quote = None

    def handle_data(self, data: str) -> None:
        self._buf.append(data)


def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}"')
    return page[start : page.index("</section>", start)]


def _criteria_rows(page: str) -> dict[str, str]:
    parser = _Rows()
    parser.feed(_section(page, "criteria"))
    return parser.rows


def _name(target: str) -> str:
    return RULES.classes[target].names.en if target in CLASS_IDS else RULES.drugs[target].names.en


def _esc(text: str) -> str:
    """Text as Jinja escapes it into a page."""
    return str(escape(text))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# -- every label has a page that says what the data says ------------------------------------------------------------
@pytest.mark.parametrize("label_id", LABEL_IDS)
def test_every_label_has_a_page_whose_criteria_match_the_data(client, label_id: str) -> None:
    label: Label = RULES.labels[label_id]
    response = client.get(f"/labels/{label_id}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = _criteria_rows(page)
    assert list(rows) == list(CRITERION_ORDER)  # every criterion the engine knows, in reading order
    c, unknown = label.criteria, set(label.criteria.unknown)

    for key in unknown:
        assert rows[key].endswith(NOT_STATED), key
    assert "Relapsed or refractory multiple myeloma" in rows["relapsed_or_refractory"]
    if "adult" not in unknown:
        assert ("Adults only (18 or over)" in rows["adult"]) is c.adult
    for key, bound, word in (
        ("min_prior_lines", c.min_prior_lines, "At least"),
        ("max_prior_lines", c.max_prior_lines, "At most"),
    ):
        if key in unknown:
            continue
        if bound is None:
            assert rows[key].endswith(NOT_REQUIRED)
            continue
        plural = "line" if bound == 1 else "lines"
        assert f"{word} {bound} prior {plural} of therapy" in rows[key]
        # The label's own counting word is shown when it is not "lines" (design brief section 3).
        assert (f"(the label's word: {label.line_word})" in rows[key]) is (label.line_word != "lines")
    for key, targets in (("exposed", c.exposed), ("refractory", c.refractory)):
        if key in unknown:
            continue
        if not targets:
            assert rows[key].endswith(NOT_REQUIRED)
        for target in targets:
            assert _name(target) in rows[key], (key, target)
    for key, required, text in (
        ("progressed_on_last", c.progressed_on_last, "got worse during the latest treatment"),
        ("no_prior_bcma_car_t", c.no_prior_bcma_car_t, "No earlier BCMA-directed CAR-T"),
    ):
        if key not in unknown:
            assert (text in rows[key]) is required
            assert rows[key].endswith(NOT_REQUIRED) is not required

    # The verbatim indication, in its own language, and the English with its status.
    quotes = _Rows()
    quotes.feed(page)
    assert (label.indication_lang, _squash(label.indication)) in quotes.quotes
    if label.indication_en:
        assert ("en", _squash(label.indication_en)) in quotes.quotes
        assert ("Unofficial translation." in page) is (not label.indication_en_official)
    # The source, with section, address, date checked and the verified state.
    source = label.source
    assert _esc(source.section) in page
    assert _esc(source.document) in page
    assert format_date(source.checked, "long", locale="en") in page
    assert ("Yes: read in the regulator's own text" in page) is source.verified
    if not source.verified:
        assert _esc(source.verified_note) in page
    for drug in label.regimen:
        assert RULES.drugs[drug].names.en in page


def test_an_unknown_label_is_404(client) -> None:
    assert client.get("/labels/cilta-cel-us-1999").status_code == 404
    response = client.get("/labels/nothing-here?lang=zh-Hans")
    assert response.status_code == 404
    assert '<html lang="zh-Hans">' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "quote_lang"), [("zh-Hans", "zh-Hans"), ("zh-Hant", "zh-Hans"), ("en", "zh-Hans")]
)
def test_a_chinese_label_keeps_its_own_language_on_every_page(client, lang: str, quote_lang: str) -> None:
    label = RULES.labels["eque-cel-cn-2023"]
    page = client.get(f"/labels/{label.id}?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    quotes = _Rows()
    quotes.feed(page)
    assert (quote_lang, _squash(label.indication)) in quotes.quotes
    assert ("en", _squash(label.indication_en)) in quotes.quotes


def test_a_japanese_label_is_marked_as_japanese(client) -> None:
    page = client.get("/labels/cilta-cel-jp-2022").get_data(as_text=True)
    assert '<blockquote class="lb-quote" lang="ja">再発又は難治性の多発性骨髄腫' in page
    assert "Unofficial translation." in page


def test_flags_are_explained(client) -> None:
    page = client.get("/labels/cilta-cel-gb-undated").get_data(as_text=True)
    flags = set(re.findall(r'data-flag="([a-z_]+)"', page))
    assert flags == set(RULES.labels["cilta-cel-gb-undated"].flags)
    assert "No source gives the approval date" in page
    assert "Counted as in force from" in page
    month_only = client.get("/labels/cilta-cel-ca-2023").get_data(as_text=True)
    assert "known only to the month" in month_only
    assert "February 28, 2023" in month_only  # "2023-02" counts from the last day of February


def test_every_flag_in_the_data_is_explained_in_words(app) -> None:
    from webapp.labels.describe import flag_texts

    with app.test_request_context("/"):
        for label in RULES.labels.values():
            for flag, text in flag_texts(label):
                assert text != flag, f"{label.id}: flag {flag} has no words"


def test_a_source_with_several_addresses_links_each(client) -> None:
    several = [lb for lb in RULES.labels.values() if len(lb.source.urls) > 1]
    assert several, "no label with several source addresses left to test"
    for label in several[:3]:
        page = client.get(f"/labels/{label.id}").get_data(as_text=True)
        links = re.findall(r'<a href="([^"]+)" rel="noopener noreferrer" class="lb-url">', page)
        assert [str(escape(u)) for u in label.source.urls] == links[: len(label.source.urls)], label.id


# -- versions before and after, and what changed ----------------------------------------------------------------------
def test_neighbours_follow_the_dates() -> None:
    def ids(labels: tuple[Label, ...]) -> list[str]:
        return sorted(lb.id for lb in labels)

    n = neighbours(RULES, RULES.labels["cilta-cel-us-2024"])
    assert (ids(n.before), ids(n.after), ids(n.alongside)) == (["cilta-cel-us-2022"], [], [])
    n = neighbours(RULES, RULES.labels["teclistamab-us-2022"])
    # One version followed by two: the 2026 monotherapy and Tec-Dara labels.
    assert ids(n.after) == ["teclistamab-us-2026-dara", "teclistamab-us-2026-mono"]
    n = neighbours(RULES, RULES.labels["teclistamab-us-2026-dara"])
    assert (ids(n.before), ids(n.alongside)) == (["teclistamab-us-2022"], ["teclistamab-us-2026-mono"])
    n = neighbours(RULES, RULES.labels["zevor-cel-cn-2024"])
    assert n.before == n.after == n.alongside == ()


def test_a_label_page_shows_what_changed_from_the_version_before(client) -> None:
    page = client.get("/labels/cilta-cel-us-2024").get_data(as_text=True)
    history = page[page.index('id="history-heading"') :]
    assert 'href="/labels/cilta-cel-us-2022"' in history
    assert "What changed from the version before, cilta-cel-us-2022" in page
    diff = _Rows()
    diff.feed(page[page.index("What changed from the version before") :])
    assert diff.rows["min_prior_lines"] == (
        "Fewest earlier treatments At least 4 prior lines of therapy At least 1 prior line of therapy"
    )
    assert "Removed: anti-CD38 antibody (anti-CD38)" in diff.rows["exposed"]
    assert "Added: lenalidomide" in diff.rows["refractory"]
    assert set(diff.rows) == {"min_prior_lines", "exposed", "refractory"}  # nothing else changed
    # The wording of the indication, word by word.
    assert "<del>myeloma after four or more</del> <ins>myeloma, who have received at least 1</ins>" in page
    assert "<del>an anti-CD38 monoclonal antibody.</del> <ins>are refractory to lenalidomide.</ins>" in page


def test_a_label_page_shows_the_versions_after_it(client) -> None:
    page = client.get("/labels/teclistamab-us-2022").get_data(as_text=True)
    assert "What changed in the version after, teclistamab-us-2026-dara" in page
    assert "What changed in the version after, teclistamab-us-2026-mono" in page
    mono = page[page.index("after, teclistamab-us-2026-mono") :]
    assert "The encoded criteria are the same in both versions." in mono


def test_a_withdrawn_predecessor_is_named_as_withdrawn(client) -> None:
    page = client.get("/labels/belantamab-eu-2025-bvd").get_data(as_text=True)
    assert "Compared with belantamab-eu-2020, withdrawn before this version" in page
    assert "Also in force for part or all of the same time:" in page
    assert 'href="/labels/belantamab-eu-2025-bpd"' in page


def test_the_only_version_says_so(client) -> None:
    page = client.get("/labels/zevor-cel-cn-2024").get_data(as_text=True)
    assert "This is the only version of this product in Mainland China." in page
    assert "What changed" not in page


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("a b c", "a b c", [("equal", "a b c")]),
        (
            "at least four prior lines",
            "at least one prior line",
            [
                ("equal", "at least "),
                ("delete", "four"),
                ("equal", " "),
                ("insert", "one"),
                ("equal", " prior "),
                ("delete", "lines"),
                ("equal", " "),
                ("insert", "line"),
            ],
        ),
        # Neighbouring changes merge into one phrase.
        (
            "X is a big red dog here",
            "X was one small cat here",
            [
                ("equal", "X "),
                ("delete", "is a big red dog"),
                ("equal", " "),
                ("insert", "was one small cat"),
                ("equal", " here"),
            ],
        ),
    ],
)
def test_text_diff(old: str, new: str, expected: list[tuple[str, str]]) -> None:
    result = text_diff(old, new)
    assert result == expected
    assert "".join(t for op, t in result if op != "insert").split() == old.split()
    assert "".join(t for op, t in result if op == "equal" or op == "insert").split() == new.split()


# -- scenario cases ---------------------------------------------------------------------------------------------------
def test_a_label_page_lists_the_scenario_cases_that_cover_it(client) -> None:
    data = yaml.safe_load((SCENARIO_DIR / "cilta-cel-us-2022.yaml").read_text(encoding="utf-8"))
    page = client.get("/labels/cilta-cel-us-2022").get_data(as_text=True)
    cases = page[page.index('id="cases-heading"') :]
    assert f"{len(data['cases'])} cases check" in cases
    assert "rules/scenarios/cilta-cel-us-2022.yaml" in cases
    for case in data["cases"]:
        assert _esc(case["name"]) in cases
    assert cases.count('class="lb-expect lb-expect--eligible"') == sum(
        c["expect"] == "eligible" for c in data["cases"]
    )


def test_without_a_scenario_file_the_page_says_so(client, tmp_path: Path) -> None:
    assert cases_for("cilta-cel-us-2022", tmp_path) is None
    # The cases come from the app's own rules folder: a copy of rules/ without them shows none.
    rules_copy = tmp_path / "rules"
    shutil.copytree(REAL_RULES, rules_copy, ignore=shutil.ignore_patterns(SCENARIO_FOLDER))
    app = make_app(tmp_path, RULES_DIR=str(rules_copy))
    page = app.test_client().get("/labels/cilta-cel-us-2022").get_data(as_text=True)
    assert "No test cases are held for this label." in page
    assert 'class="lb-expect' not in page


def test_the_scenario_files_live_with_the_rules_not_in_tests() -> None:
    # The label page reads RULES_DIR/scenarios only; a case file left in tests/ would be run by nobody.
    assert len(list(SCENARIO_DIR.glob("*.yaml"))) >= len(RULES.labels)
    assert not list((ROOT / "tests").rglob("*.yaml"))


# -- /labels: the browser ---------------------------------------------------------------------------------------------
def _listed(page: str) -> set[str]:
    return set(re.findall(r'<a href="/labels/([a-z0-9-]+)" class="lb-id">', page))


def test_the_browser_lists_every_label_version(client) -> None:
    response = client.get("/labels")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _listed(page) == set(LABEL_IDS)
    assert f"Showing {len(LABEL_IDS)} label versions." in page
    for region in RULES.regions.values():
        assert f'<h2 id="region-{region.id}">{_esc(region.names.en)}' in page


def test_the_browser_shows_status_and_criteria_at_a_glance(client) -> None:
    page = client.get("/labels?region=US").get_data(as_text=True)
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<tr>(?:(?!</tr>).)*?href="/labels/([a-z0-9-]+)" class="lb-id">.*?</tr>', page, re.S
        )
    }
    assert 'lb-tag--superseded">Superseded' in rows["cilta-cel-us-2022"]
    assert 'lb-tag--in_force">In force' in rows["cilta-cel-us-2024"]
    assert 'lb-tag--withdrawn">Withdrawn' in rows["belantamab-us-2020"]
    assert "at least 4 (therapies)" in rows["belantamab-us-2020"]
    assert '<abbr title="proteasome inhibitor"><span lang="en">PI</span></abbr>' in rows["cilta-cel-us-2024"]
    assert "lenalidomide" in rows["cilta-cel-us-2024"]
    assert "Approved February 28, 2022" in rows["cilta-cel-us-2022"]
    assert "Ended April 5, 2024" in rows["cilta-cel-us-2022"]
    assert "Given with daratumumab" in rows["teclistamab-us-2026-dara"]
    gb = client.get("/labels?region=GB").get_data(as_text=True)
    assert "Approval date not known" in gb
    assert "Not stated" in gb


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=CN", {lb.id for lb in RULES.labels.values() if lb.region == "CN"}),
        ("region=cn", {lb.id for lb in RULES.labels.values() if lb.region == "CN"}),
        ("product=teclistamab", {lb.id for lb in RULES.labels.values() if lb.product == "teclistamab"}),
        (
            "region=US&product=teclistamab",
            {"teclistamab-us-2022", "teclistamab-us-2026-mono", "teclistamab-us-2026-dara"},
        ),
        ("region=MO&product=teclistamab", set()),
        ("region=XX", set(LABEL_IDS)),  # an unknown id is ignored, and the form says "all"
    ],
)
def test_the_browser_filters(client, query: str, expected: set[str]) -> None:
    page = client.get(f"/labels?{query}").get_data(as_text=True)
    assert _listed(page) == expected
    if not expected:
        assert "No label versions match." in page


def test_the_filter_form_keeps_the_choice(client) -> None:
    page = client.get("/labels?region=JP&product=idecabtagene-vicleucel").get_data(as_text=True)
    assert '<form method="get" action="/labels"' in page
    assert '<option value="JP" selected>' in page
    assert '<option value="idecabtagene-vicleucel" selected>' in page
    assert 'href="/labels.csv?region=JP&amp;product=idecabtagene-vicleucel"' in page
    assert "/check?clinician=1" in page


@pytest.mark.parametrize(
    "url", ["/labels", "/labels/cilta-cel-us-2024", "/labels/eque-cel-cn-2023?lang=zh-Hans"]
)
def test_pages_have_no_inline_script_or_style(client, url: str) -> None:
    page = client.get(url).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert "/labels/static/labels.css" in page
    css = client.get("/labels/static/labels.css")
    css.close()  # a file response holds the file open until closed
    assert css.status_code == 200


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_the_browser_in_chinese(client, lang: str) -> None:
    page = client.get(f"/labels?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert _listed(page) == set(LABEL_IDS)
    region = RULES.regions["CN"].names.zh_Hans if lang == "zh-Hans" else RULES.regions["CN"].names.zh_Hant
    assert f'<h2 id="region-CN">{region}' in page


# -- /labels.csv ------------------------------------------------------------------------------------------------------
def _csv(client, query: str = "") -> tuple[list[str], list[dict[str, str]]]:
    response = client.get(f"/labels.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="labels-{RULES.version}.csv"'
    reader = csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))
    return list(reader.fieldnames or []), list(reader)


def test_the_csv_has_one_row_per_label_version(client) -> None:
    header, rows = _csv(client)
    assert header == list(CSV_COLUMNS)
    assert len(rows) == len(RULES.labels)
    assert sorted(r["id"] for r in rows) == LABEL_IDS
    by_id = {r["id"]: r for r in rows}
    row = by_id["cilta-cel-us-2024"]
    assert (row["region"], row["product"], row["approved"], row["ended"]) == (
        "US",
        "ciltacabtagene-autoleucel",
        "2024-04-05",
        "",
    )
    assert (row["min_prior_lines"], row["exposed"], row["refractory"]) == ("1", "PI; IMiD", "lenalidomide")
    assert (row["adult"], row["progressed_on_last"], row["state_today"]) == ("true", "false", "in_force")
    assert row["indication"] == RULES.labels["cilta-cel-us-2024"].indication
    assert row["source_verified"] == "false"
    assert row["source_verified_note"]
    assert row["rules_version"] == RULES.version
    # Chinese and Japanese text survives the round trip.
    assert by_id["eque-cel-cn-2023"]["indication"] == RULES.labels["eque-cel-cn-2023"].indication
    assert by_id["cilta-cel-jp-2022"]["indication_lang"] == "ja"
    assert (
        by_id["cilta-cel-gb-undated"]["unknown"] == "min_prior_lines; exposed; refractory; progressed_on_last"
    )
    assert by_id["cilta-cel-us-2022"]["end_reason"] == "superseded"


def test_the_csv_agrees_with_the_json_api(client) -> None:
    _, rows = _csv(client)
    api = {lb["id"]: lb for p in client.get("/api/v1/labels").json["products"] for lb in p["labels"]}
    for row in rows:
        data = api[row["id"]]
        assert row["approved"] == (data["approved"] or "")
        assert row["min_prior_lines"] == (
            "" if data["criteria"]["min_prior_lines"] is None else str(data["criteria"]["min_prior_lines"])
        )
        assert row["exposed"] == "; ".join(data["criteria"]["exposed"])
        assert row["source_url"] == data["source"]["url"]
        assert row["flags"] == "; ".join(data["flags"])


def test_the_csv_follows_the_filters(client) -> None:
    _, rows = _csv(client, "?region=HK")
    assert {r["id"] for r in rows} == {lb.id for lb in RULES.labels.values() if lb.region == "HK"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("@x", "'@x"),
        ("plain", "plain"),
        (None, ""),
        (True, "true"),
        (["a", "b"], "a; b"),
        (3, "3"),
    ],
)
def test_csv_cells_cannot_run_as_formulas(value: object, cell: str) -> None:
    assert _cell(value) == cell


# -- flask rules report -----------------------------------------------------------------------------------------------
def _report(app, *args: str):
    result = app.test_cli_runner().invoke(args=["rules", "report", *args])
    assert result.exit_code == 0, result.output
    return result


def _stale_section(text: str) -> str:
    return text[text.index("## Staleness check") : text.index("\n## ", text.index("## Staleness check") + 5)]


def test_the_report_lists_every_label_by_region(app) -> None:
    text = _report(app, "--today", "2026-12-01").output
    assert text.startswith("# Label data for clinician sign-off")
    assert f"Rules version **{RULES.version}**" in text
    for region in RULES.regions.values():
        if any(lb.region == region.id for lb in RULES.labels.values()):
            assert f"\n## {region.names.en} ({region.id})\n" in text
    for label in RULES.labels.values():
        assert f": `{label.id}`\n" in text
        section = text[text.index(f": `{label.id}`\n") :]
        section = section[: section.index("\n---\n")]
        assert "**Sign-off**: Reviewed by ____" in section
        if label.criteria.min_prior_lines:
            assert f"(`min_prior_lines`): At least {label.criteria.min_prior_lines} prior" in section
    # Region by region, in the order of regions.toml.
    positions = [text.index(f"\n## {r.names.en} ({r.id})\n") for r in RULES.regions.values()]
    assert positions == sorted(positions)
    assert "None: every source was checked on or after 2025-12-01." in _stale_section(text)


def test_the_staleness_check_lists_sources_checked_over_12_months_ago(app) -> None:
    stale = _stale_section(_report(app, "--today", "2099-01-01").output)
    assert "before 2098-01-01" in stale
    listed = re.findall(r"^- `([a-z0-9-]+)` \(", stale, re.M)
    assert sorted(listed) == LABEL_IDS


def test_the_staleness_boundary_is_exactly_12_months(app) -> None:
    checked = min(lb.source.checked for lb in RULES.labels.values())
    first = [lb.id for lb in RULES.labels.values() if lb.source.checked == checked]
    year_later = checked.replace(year=checked.year + 1)
    on_the_day = _stale_section(_report(app, "--today", year_later.isoformat()).output)
    assert not set(re.findall(r"^- `([a-z0-9-]+)`", on_the_day, re.M)) & set(first)
    day_after = _stale_section(
        _report(app, "--today", (year_later + dt.timedelta(days=1)).isoformat()).output
    )
    assert set(first) <= set(re.findall(r"^- `([a-z0-9-]+)`", day_after, re.M))


def test_months_before_handles_short_months() -> None:
    assert months_before(dt.date(2028, 2, 29), 12) == dt.date(2027, 2, 28)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 12) == dt.date(2025, 1, 15)


def test_the_html_report_is_written_to_a_file(app, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _report(app, "--format", "html", "--output", str(out), "--today", "2099-01-01")
    assert f"{len(LABEL_IDS)} with a source last checked before 2098-01-01" in result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
    for region in {lb.region for lb in RULES.labels.values()}:
        assert f'<h2 id="region-{region}">' in page
    assert len(re.findall(r'<section class="entry" id="([a-z0-9-]+)">', page)) == len(LABEL_IDS)
    stale = page[page.index('<h2 id="stale">') : page.index('<h2 id="region-')]
    assert sorted(re.findall(r'<a href="#([a-z0-9-]+)">', stale)) == LABEL_IDS
    assert '<blockquote lang="zh-Hans">' in page
    assert '<blockquote lang="ja">' in page
    assert "<script" not in page


def test_the_report_in_chinese_keeps_label_text_verbatim(app) -> None:
    text = _report(app, "--format", "html", "--lang", "zh-Hans", "--today", "2026-12-01").output
    assert '<html lang="zh-Hans">' in text
    assert _esc(RULES.regions["CN"].names.zh_Hans) in text
    assert _esc(RULES.labels["eque-cel-cn-2023"].indication) in text


def test_rules_check_still_works_beside_report(app) -> None:
    result = app.test_cli_runner().invoke(args=["rules", "check"])
    assert result.exit_code == 0
    assert "OK" in result.output.splitlines()[0]
    help_text = app.test_cli_runner().invoke(args=["rules", "--help"]).output
    assert "check" in help_text
    assert "report" in help_text


# -- Chinese pages, once every UI string is translated ----------------------------------------------------------------
class _EveryStringTranslated:
    """Stands in for a complete catalog: each message becomes Chinese, keeping only its placeholders."""

    _PH = re.compile(r"%\([a-z_]+\)[sd]")

    def _t(self, message: str) -> str:
        return "译" + "".join(self._PH.findall(message)) + "。"

    def gettext(self, message: str) -> str:
        return self._t(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t(plural)

    ugettext, ungettext = gettext, ngettext  # the names flask-babel's domain calls

    def pgettext(self, context: str, message: str) -> str:
        return self._t(message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._t(plural)


def test_chinese_pages_show_english_only_where_marked(
    client, real_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data in English (sources, notes, test cases) carries lang="en"; everything else is translated text.

    Uses the translation gate's own detector, with a stand-in catalog, so the check does not wait for the
    translators: an unmarked English source note here would fail it.
    """
    from .test_translations import allowed_words, stray_english

    monkeypatch.setattr("flask_babel.Domain.get_translations", lambda self: _EveryStringTranslated())
    monkeypatch.setattr("webapp.i18n._translations", lambda: _EveryStringTranslated())  # the fast path
    allowed = allowed_words(real_engine)
    failures = {}
    for path in ["/labels", *(f"/labels/{label_id}" for label_id in LABEL_IDS)]:
        page = client.get(f"{path}?lang=zh-Hans").get_data(as_text=True)
        if stray := stray_english(page, allowed):
            failures[path] = sorted(set(stray))[:10]
    assert not failures
