"""The completeness gate for Chinese (issue 6): catalogs complete and current, placeholders intact, glossary
followed, and no stray English in rendered Chinese pages outside names and marked regulator text."""

from __future__ import annotations

import csv
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from .conftest import ROOT

TRANSLATIONS = ROOT / "translations"
LOCALES = ("zh_Hans", "zh_Hant")
GLOSSARY = TRANSLATIONS / "glossary.csv"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
REQUIRED_TERMS = {
    "line_of_therapy",
    "proteasome_inhibitor",
    "immunomodulatory_drug",
    "anti_cd38_antibody",
    "refractory",
    "relapsed",
    "car_t_cell_therapy",
    "cytokine_release_syndrome",
    "icans",
    "apheresis",
    "lymphodepletion",
    "bridging_therapy",
}


def load_catalog(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def load_template() -> Catalog:
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        return read_po(fh)


def msg_key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_untranslated_or_fuzzy_entry(locale: str) -> None:
    catalog = load_catalog(locale)
    untranslated = [msg_key(m) for m in catalog if m.id and not all(strings(m))]
    fuzzy = [msg_key(m) for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated in {locale}, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {locale}, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_every_message_of_the_template(locale: str) -> None:
    template = {msg_key(m) for m in load_template() if m.id}
    catalog = {msg_key(m) for m in load_catalog(locale) if m.id}  # obsolete entries are not iterated
    assert template - catalog == set(), "run `make translations` and translate the new strings"


def test_template_is_up_to_date(tmp_path: Path) -> None:
    """Re-extract from templates, code and rules/: the committed messages.pot must already hold every string."""
    out = tmp_path / "fresh.pot"
    argv = [
        "pybabel",
        "extract",
        "--no-location",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "N_",
        "-k",
        "NP_:1,2",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-k",
        "lazy_ngettext:1,2",
        "-o",
        str(out),
        str(ROOT),
    ]
    cwd = Path.cwd()
    saved = sys.stdout, sys.stderr
    try:
        import io
        import os

        os.chdir(ROOT)
        sys.stdout = sys.stderr = io.StringIO()
        CommandLineInterface().run(argv)
    finally:
        sys.stdout, sys.stderr = saved
        os.chdir(cwd)
    with out.open("rb") as fh:
        fresh = {msg_key(m) for m in read_po(fh) if m.id}
    committed = {msg_key(m) for m in load_template() if m.id}
    assert fresh - committed == set(), "strings missing from messages.pot: run `make translations`"
    assert committed - fresh == set(), "stale strings in messages.pot: run `make translations`"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_and_tags_match(locale: str) -> None:
    problems = []
    for m in load_catalog(locale):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        want_ph = sorted(
            set(PLACEHOLDER.findall(ids[-1])) | {"num"} if len(ids) > 1 else PLACEHOLDER.findall(ids[0])
        )
        want_tags = sorted(TAG.findall(ids[0]))
        for s in strings(m):
            got_ph = sorted(set(PLACEHOLDER.findall(s)) | {"num"} if len(ids) > 1 else PLACEHOLDER.findall(s))
            if got_ph != want_ph or sorted(TAG.findall(s)) != want_tags:
                problems.append(msg_key(m)[:60])
    assert not problems, f"placeholders or tags differ in {locale}: {problems[:5]}"


def glossary_rows() -> list[dict[str, str]]:
    with GLOSSARY.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_glossary_is_well_formed() -> None:
    rows = glossary_rows()
    assert rows, "the glossary is empty"
    assert list(rows[0]) == ["term", "en", "zh_Hans", "zh_Hant", "note"]
    terms = [r["term"] for r in rows]
    assert len(terms) == len(set(terms)), "duplicate glossary terms"
    assert REQUIRED_TERMS <= set(terms)
    for row in rows:
        assert all(row[k].strip() for k in ("term", "en", "zh_Hans", "zh_Hant")), row["term"]


def _variants(cell: str) -> list[str]:
    """'a (b) / c' -> ['a (b)', 'a', 'c']: full forms, and forms without the parenthesised gloss."""
    out = []
    for part in cell.split(" / "):
        part = part.strip()
        out.append(part)
        core = re.sub(r"\s*[（(][^）)]*[）)]", "", part).strip()
        if core and core != part:
            out.append(core)
    return out


def glossary_violations(catalogs: dict[str, Catalog]) -> list[str]:
    """Every catalog message whose English uses a glossary term must use that term's Chinese."""
    problems = []
    for row in glossary_rows():
        en_terms = [t.lower() for t in _variants(row["en"]) if "(" not in t]
        for locale, catalog in catalogs.items():
            zh_terms = _variants(row[locale])
            for m in catalog:
                if not m.id:
                    continue
                source = " ".join(m.id if isinstance(m.id, tuple) else (m.id,)).lower()
                if not any(re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", source) for t in en_terms):
                    continue
                if not all(any(z.lower() in s.lower() for z in zh_terms) for s in strings(m)):
                    problems.append(f"{locale}: {row['term']} not followed in {msg_key(m)[:70]!r}")
    return problems


def test_catalogs_follow_the_glossary() -> None:
    problems = glossary_violations({loc: load_catalog(loc) for loc in LOCALES})
    assert not problems, "\n".join(problems[:20])


def test_glossary_check_can_fail() -> None:
    catalog = Catalog(locale="zh_Hans")
    catalog.add("Earlier treatment with a proteasome inhibitor.", "以前用过一种药。")
    assert glossary_violations({"zh_Hans": catalog})


# -- clinical wording the terminology review found wrong (issue 20 item 7) -------------------------------------------
# English words that must not stand in brackets inside a Chinese sentence: the counting words are said in Chinese
# (疗法 / 治疗方案 / 线), never as 「（therapy）」. Names and abbreviations in brackets (CRS, cilta-cel, Health Canada)
# are allowed.
ENGLISH_IN_BRACKETS = re.compile(
    r"[（(]\s*(?:prior\s+)?(?:therap(?:y|ies)|regimens?|lines?(?:\s+of\s+(?:therapy|treatment))?|treatments?)\s*[)）]",
    re.IGNORECASE,
)


def wording_problems(catalogs: dict[str, Catalog]) -> list[str]:
    """Mean for median, Taiwan words in the Hong Kong catalog, English counting words in brackets."""
    problems = []
    for locale, catalog in catalogs.items():
        for m in catalog:
            if not m.id:
                continue
            source = " ".join(m.id if isinstance(m.id, tuple) else (m.id,))
            for s in strings(m):
                if "median" in source.lower() and "平均" in s:
                    problems.append(f"{locale}: 'median' rendered with 平均 (mean) in {msg_key(m)[:60]!r}")
                if ENGLISH_IN_BRACKETS.search(s):
                    problems.append(f"{locale}: English word in brackets in {msg_key(m)[:60]!r}: {s[:60]}")
                if locale == "zh_Hant":
                    if "試算表" in s:
                        problems.append(
                            f"zh_Hant: 試算表 (Taiwan usage; Hong Kong writes 電子表格) in {msg_key(m)[:60]!r}"
                        )
                    if "資料庫" in s:
                        problems.append(
                            f"zh_Hant: 資料庫 (the catalog writes 數據庫, one choice) in {msg_key(m)[:60]!r}"
                        )
    return problems


def test_catalogs_use_the_reviewed_clinical_wording() -> None:
    problems = wording_problems({loc: load_catalog(loc) for loc in LOCALES})
    assert not problems, "\n".join(problems[:20])


def test_no_median_is_rendered_as_a_mean() -> None:
    """The named check of issue 20: no msgid that says 'median' has a translation with 平均."""
    offenders = [
        (locale, msg_key(m))
        for locale in LOCALES
        for m in load_catalog(locale)
        if m.id and "median" in " ".join(m.id if isinstance(m.id, tuple) else (m.id,)).lower()
        if any("平均" in s for s in strings(m))
    ]
    assert not offenders, offenders


@pytest.mark.parametrize(
    ("locale", "msgid", "msgstr"),
    [
        (
            "zh_Hans",
            "People were followed for %(value)s on average (median).",
            "参加者平均随访%(value)s（中位数）。",
        ),
        (
            "zh_Hant",
            "Download these label versions as a spreadsheet (CSV)",
            "將這些適應症版本下載為試算表（CSV）",
        ),
        ("zh_Hant", "They are not written to our database.", "不會寫入我們的資料庫。"),
        ("zh_Hans", "%(num)d prior therapy", "%(num)d种既往疗法（therapy）"),
        ("zh_Hant", "%(num)d prior regimen", "%(num)d個既往治療方案（regimen）"),
    ],
)
def test_wording_check_can_fail(locale: str, msgid: str, msgstr: str) -> None:
    catalog = Catalog(locale=locale)
    catalog.add(msgid, msgstr)
    assert wording_problems({locale: catalog})


def test_wording_check_allows_names_in_brackets() -> None:
    catalog = Catalog(locale="zh_Hant")
    catalog.add(
        "Cilta-cel (CRS) and Health Canada.",
        "西達基奧侖賽（cilta-cel）及加拿大衞生部（Health Canada）（CRS）。",
    )
    assert wording_problems({"zh_Hant": catalog}) == []


# -- rendered pages ------------------------------------------------------------------------------------------------
class _TextCollector(HTMLParser):
    """Collects visible text outside elements marked with a non-Chinese ``lang`` (verbatim or names)."""

    SKIP: ClassVar[set[str]] = {"script", "style"}
    VOID: ClassVar[set[str]] = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.attr_texts: list[str] = []

    def _foreign(self) -> bool:
        return any(foreign for _, foreign in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = values.get("lang")
        foreign = lang is not None and not lang.startswith("zh")
        if not (foreign or self._foreign()):
            for key in ("title", "aria-label", "placeholder", "alt"):
                if values.get(key):
                    self.attr_texts.append(values[key] or "")
            if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
                self.attr_texts.append(values["value"] or "")
        if tag not in self.VOID:
            self.stack.append((tag, foreign or tag in self.SKIP))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._foreign() and data.strip():
            self.texts.append(data)


WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]{2,}")
# Words that stay in Latin letters in Chinese text: abbreviations, units, codes and identifiers.
ALLOWED = {
    "Cookie",  # the usual word in mainland and Hong Kong privacy notices
    "CAR-T",
    "BCMA",
    "GPRC5D",
    "CD38",
    "anti-CD38",
    "CRS",
    "ICANS",
    "ADC",
    "NHS",
    "NICE",
    "REMS",
    "ISO",
    "FDA",
    "EMA",
    "MHRA",
    "NMPA",
    "PMDA",
    "MHLW",
    "ISAF",
    "CDE",
    "IMWG",
    "AZD0120",  # trial-only BCMA CAR-T product codes named in the earlier-CAR-T hint (no INN)
    "GC012F",
    "PI",
    "IMiD",
    "IMiDs",
    "JSON",
    "API",
    "CSV",
    "PDF",
    "QR",
    "KiB",
    "UTF-8",
    "true",
    "false",
    "null",
    "zh-Hans",
    "zh-Hant",
    "YYYY-MM-DD",
    "English",
    "SG",
    "HK",
    "CN",
    "US",
    "EU",
    "GB",
    "JP",
    "CA",
    "MO",
    "Canada",
    "Health",
    "labels",
}


def allowed_words(engine) -> set[str]:
    rules = engine.rules
    words: set[str] = set(ALLOWED)
    names: list[str] = []
    for drug in rules.drugs.values():
        names += [drug.names.en, drug.names.zh_Hans, drug.names.zh_Hant, *drug.brands, *drug.aliases]
    for product in rules.products.values():
        names += [product.inn, product.short, *product.makers, *product.brands.values()]
        for label in product.labels:
            names += [label.id, label.regulator]
    for region in rules.regions.values():
        names += [region.regulator]
    for name in names:
        words |= set(WORD.findall(name))
    return words


def stray_english(html: str, allowed: set[str]) -> list[str]:
    collector = _TextCollector()
    collector.feed(html)
    stray = []
    lowered = {a.lower() for a in allowed}
    for text in collector.texts + collector.attr_texts:
        for word in WORD.findall(text):
            if word.lower() not in lowered and "@" not in text:
                stray.append(word)
    return stray


def test_stray_english_detector_can_fail(real_engine) -> None:
    html = (
        '<html lang="zh-Hans"><p>这是 bortezomib。Please read this.</p>'
        '<blockquote lang="en">Verbatim label text</blockquote></html>'
    )
    assert stray_english(html, allowed_words(real_engine)) == ["Please", "read", "this"]


def chinese_pages(client) -> list[str]:
    """Every page a person can reach with GET and no arguments, plus one page per label when that view exists."""
    app = client.application
    paths = []
    for rule in app.url_map.iter_rules():
        if (
            "GET" in rule.methods
            and not rule.arguments
            and not rule.rule.startswith(("/api/", "/static", "/healthz", "/readyz"))
        ):
            if not rule.rule.endswith((".csv", ".json", ".pdf", ".atom")):
                paths.append(rule.rule)
    if "labels.label" in app.view_functions:
        paths += [f"/labels/{label_id}" for label_id in app.extensions["engine"].rules.labels]
    return sorted(set(paths))


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_rendered_chinese_pages_have_no_stray_english(client, real_engine, lang: str) -> None:
    allowed = allowed_words(real_engine)
    failures = {}
    pages = chinese_pages(client)
    assert "/" in pages
    for path in pages:
        response = client.get(f"{path}?lang={lang}", follow_redirects=True)
        assert response.status_code in (200, 404), path
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html, path
        if stray := stray_english(html, allowed):
            failures[path] = sorted(set(stray))[:15]
    assert not failures, f"English outside names and marked verbatim text: {failures}"
