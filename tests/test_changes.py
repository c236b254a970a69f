"""Label events (issue 25): derived from rules/, /labels/changes, /labels/changes.atom and corrections.

Expected events are worked out here from the Label records (dates, end reasons, neighbours), so a derivation
that drifted from the data would fail; the feed is parsed twice (ElementTree and feedparser) and checked
against RFC 4287's required elements.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest

from webapp.eligibility import RulesError, load_rules
from webapp.eligibility.model import Rules
from webapp.labels.corrections import load_corrections
from webapp.labels.events import EVENT_KINDS, label_events

from .conftest import REAL_RULES, make_app

RULES: Rules = load_rules(REAL_RULES)
EVENTS = label_events(RULES, load_corrections(REAL_RULES, RULES))
A = "{http://www.w3.org/2005/Atom}"

CORRECTION = """
[[corrections]]
label = "cilta-cel-us-2024"
date = "2026-11-30"
fields = ["criteria"]
text = "Lenalidomide refractoriness was added: the label asks for it."
rules_version = "2026.11.30"
notes = "maintainers only"
"""


def _by(label_id: str, kind: str, events=EVENTS):
    found = [e for e in events if e.label.id == label_id and e.kind == kind]
    assert len(found) == 1, (label_id, kind, found)
    return found[0]


def rules_with(tmp_path: Path, corrections: str) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(REAL_RULES, root)
    (root / "corrections.toml").write_text(corrections, encoding="utf-8")
    return root


# -- derivation -----------------------------------------------------------------------------------------------
def test_every_label_version_starts_once_and_every_end_is_an_event() -> None:
    for label in RULES.labels.values():
        starts = [e for e in EVENTS if e.label.id == label.id and e.kind in ("approved", "extended")]
        assert len(starts) == 1, label.id
        ends = [e for e in EVENTS if e.label.id == label.id and e.kind in ("superseded", "withdrawn")]
        if label.ended is None:
            assert ends == []
        else:
            assert [(e.kind, e.day) for e in ends] == [(label.end_reason, label.ended.effective)]
    assert {e.kind for e in EVENTS} >= {"approved", "extended", "superseded", "withdrawn"}


def test_events_are_newest_first() -> None:
    days = [e.day for e in EVENTS]
    assert days == sorted(days, reverse=True)


def test_a_new_version_while_the_old_was_in_force_is_extended_with_the_criteria_diff() -> None:
    event = _by("cilta-cel-us-2024", "extended")
    assert [lb.id for lb in event.compared_with] == ["cilta-cel-us-2022"]
    assert event.date == RULES.labels["cilta-cel-us-2024"].approved
    superseded = _by("cilta-cel-us-2022", "superseded")
    assert superseded.day == dt.date(2024, 4, 5)
    assert [lb.id for lb in superseded.compared_with] == ["cilta-cel-us-2024"]


def test_a_version_after_a_withdrawal_is_approved_again() -> None:
    withdrawn = _by("belantamab-us-2020", "withdrawn")
    assert withdrawn.day == RULES.labels["belantamab-us-2020"].ended.effective
    again = _by("belantamab-us-2025-bvd", "approved")
    assert [lb.id for lb in again.compared_with] == ["belantamab-us-2020"]
    first = _by("belantamab-us-2020", "approved")
    assert first.compared_with == ()


def test_an_undated_label_has_no_date_and_counts_from_the_day_it_was_recorded() -> None:
    undated = [lb for lb in RULES.labels.values() if lb.approved is None]
    assert undated
    for label in undated:
        event = next(e for e in EVENTS if e.label.id == label.id and e.kind in ("approved", "extended"))
        assert event.date is None
        assert event.day == label.source.checked


def test_event_ids_are_stable_and_unique() -> None:
    ids = [e.id for e in EVENTS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in ids)
    again = load_rules(REAL_RULES)  # the same ids from another load, as another process would
    assert [e.id for e in label_events(again, load_corrections(REAL_RULES, again))] == ids
    assert _by("cilta-cel-us-2024", "extended").key == "cilta-cel-us-2024/extended"


# -- corrections ----------------------------------------------------------------------------------------------
def test_corrections_are_loaded_and_become_events(tmp_path: Path) -> None:
    root = rules_with(tmp_path, CORRECTION)
    corrections = load_corrections(root, RULES)
    assert [(c.label, c.date, c.fields) for c in corrections] == [
        ("cilta-cel-us-2024", dt.date(2026, 11, 30), ("criteria",))
    ]
    events = label_events(RULES, corrections)
    event = _by("cilta-cel-us-2024", "corrected", events)
    assert event.day == dt.date(2026, 11, 30)
    assert event.key == "cilta-cel-us-2024/corrected/2026-11-30"
    before = events[: events.index(event)]
    assert all(e.day >= event.day for e in before)  # newest first, corrections included


def test_the_real_corrections_file_loads() -> None:
    assert (REAL_RULES / "corrections.toml").exists()
    load_corrections(REAL_RULES, RULES)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (CORRECTION.replace('notes = "maintainers only"', 'note = "x"'), "note: is not a known key"),
        (CORRECTION.replace('"cilta-cel-us-2024"', '"cilta-cel-us-2099"'), "unknown label id"),
        (CORRECTION.replace('"2026-11-30"', '"2026-11"'), "must be a full date"),
        (CORRECTION.replace('["criteria"]', '["criterion"]'), "must be one of"),
        (CORRECTION.replace('["criteria"]', "[]"), "name at least one field"),
        (
            CORRECTION.replace("Lenalidomide refractoriness was added: the label asks for it.", " "),
            "must not be empty",
        ),
        (CORRECTION + CORRECTION, "already has a correction on 2026-11-30"),
        ("[[corrections]]\nlabel = 3\n", "must be a string"),
    ],
)
def test_corrections_are_read_strictly(tmp_path: Path, text: str, problem: str) -> None:
    root = rules_with(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        load_corrections(root, RULES)
    assert "corrections.toml" in str(caught.value)
    assert problem in str(caught.value)


def test_a_bad_corrections_file_stops_start_up(tmp_path: Path) -> None:
    root = rules_with(tmp_path, CORRECTION.replace('"cilta-cel-us-2024"', '"nope"'))
    with pytest.raises(RulesError, match="unknown label id"):
        make_app(tmp_path, RULES_DIR=str(root))


# -- /labels/changes ------------------------------------------------------------------------------------------
def _page_keys(page: str) -> list[str]:
    return re.findall(r'data-event="([^"]+)"', page)


def test_the_page_lists_every_event_newest_first(client) -> None:
    response = client.get("/labels/changes")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _page_keys(page) == [e.key for e in EVENTS]
    assert f"Showing {len(EVENTS)} changes." in page
    assert "Now from 1 prior line instead of 4" in page  # cilta-cel US, 2022 -> 2024
    assert 'href="/labels/cilta-cel-us-2024"' in page
    assert "date unknown" in page
    assert 'type="application/atom+xml"' in page


def test_the_page_filters_by_region_and_product(client) -> None:
    page = client.get("/labels/changes?region=CN").get_data(as_text=True)
    expected = [e.key for e in EVENTS if e.label.region == "CN"]
    assert expected
    assert _page_keys(page) == expected
    page = client.get("/labels/changes?region=us&product=teclistamab").get_data(as_text=True)
    expected = [e.key for e in EVENTS if e.label.region == "US" and e.label.product == "teclistamab"]
    assert _page_keys(page) == expected
    assert "Now also given with daratumumab" in page
    assert "/labels/changes.atom?region=US&amp;product=teclistamab&amp;lang=en" in page


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("en", "Label changes"),
        ("zh-Hans", "适应症变更"),
        ("zh-Hant", "適應症變更"),
    ],
)
def test_the_page_speaks_three_languages(client, lang: str, title: str) -> None:
    page = client.get(f"/labels/changes?lang={lang}&region=US").get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    english = ("Now from", "new label version", "date unknown", ": approved", "Showing")
    if lang == "en":
        assert "Now from 2 prior lines instead of 4" in page  # ide-cel US, 2021 -> 2024
    else:
        assert not [text for text in english if text in page]


def test_versions_approved_together_are_told_apart_by_their_companion_drugs(client) -> None:
    root = validate_atom(_feed(client, "?region=EU&product=belantamab-mafodotin").data)
    titles = [e.find(f"{A}title").text for e in root.findall(f"{A}entry")]
    assert len(titles) == len(set(titles))
    assert "belantamab mafodotin with bortezomib, dexamethasone in European Union: approved again" in titles


def test_the_page_is_linked_from_the_label_browser_and_the_footer(client) -> None:
    for path in ("/labels", "/"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/labels/changes"' in page, path


# -- /labels/changes.atom -------------------------------------------------------------------------------------
RFC4287_FEED = ("id", "title", "updated")
RFC4287_ENTRY = ("id", "title", "updated")


def validate_atom(body: bytes) -> ET.Element:
    """RFC 4287's required elements (4.1.1, 4.1.2): raise AssertionError naming what is missing."""
    root = ET.fromstring(body)  # noqa: S314 - our own feed, parsed in a test
    assert root.tag == f"{A}feed", "the root is not atom:feed"
    for tag in RFC4287_FEED:
        assert len(root.findall(f"{A}{tag}")) == 1, f"feed needs exactly one atom:{tag}"
    feed_author = root.find(f"{A}author/{A}name") is not None
    for entry in root.findall(f"{A}entry"):
        for tag in RFC4287_ENTRY:
            assert len(entry.findall(f"{A}{tag}")) == 1, f"entry needs exactly one atom:{tag}"
        assert feed_author or entry.find(f"{A}author/{A}name") is not None, "no author for an entry"
        assert entry.find(f"{A}content") is not None or entry.find(f"{A}link[@rel='alternate']") is not None
        for stamp in entry.findall(f"{A}updated"):
            dt.datetime.fromisoformat(stamp.text.replace("Z", "+00:00"))
    for stamp in root.findall(f"{A}updated"):
        dt.datetime.fromisoformat(stamp.text.replace("Z", "+00:00"))
    return root


def test_the_validator_can_fail() -> None:
    good = b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2024-01-01T00:00:00Z</updated><author><name>a</name></author></feed>'
    validate_atom(good)
    with pytest.raises(AssertionError, match="atom:id"):
        validate_atom(good.replace(b"<id>x</id>", b""))
    with pytest.raises(AssertionError, match="author"):
        validate_atom(
            good.replace(
                b"<author><name>a</name></author>",
                b"<entry><id>e</id><title>t</title>"
                b"<updated>2024-01-01T00:00:00Z</updated><link rel='alternate' href='x'/></entry>",
            )
        )


def _feed(client, query: str = "", **headers: str):
    return client.get(f"/labels/changes.atom{query}", headers=headers)


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_the_feed_is_valid_atom_with_an_entry_per_event(client, lang: str) -> None:
    response = _feed(client, f"?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = validate_atom(response.data)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    entries = root.findall(f"{A}entry")
    assert [e.find(f"{A}id").text for e in entries] == [e.id for e in EVENTS]
    assert len(entries) >= len(RULES.labels)  # at least one entry per label version
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == len(EVENTS)
    for entry, event in zip(parsed.entries, EVENTS, strict=True):
        assert entry.id == event.id
        assert entry.link == f"http://127.0.0.1:5000/labels/{event.label.id}?lang={lang}"
        assert entry.updated_parsed[:3] == event.day.timetuple()[:3]


def test_entry_titles_are_in_the_requested_language(client) -> None:
    titles = {}
    for lang in ("en", "zh-Hans", "zh-Hant"):
        root = validate_atom(_feed(client, f"?lang={lang}&region=US&product=ciltacabtagene-autoleucel").data)
        titles[lang] = [e.find(f"{A}title").text for e in root.findall(f"{A}entry")]
    product = RULES.products["ciltacabtagene-autoleucel"].names
    assert titles["en"][0] == f"{product.en} in United States: new label version"
    assert titles["zh-Hans"][0].startswith(product.zh_Hans)
    assert titles["zh-Hant"][0].startswith(product.zh_Hant)
    for lang in ("zh-Hans", "zh-Hant"):
        for title in titles[lang]:
            assert not re.search(r"[A-Za-z]{3,}", title), title  # no English left in a Chinese title
    assert titles["zh-Hans"] != titles["zh-Hant"]


def test_the_region_filter_narrows_the_feed(client) -> None:
    everything = validate_atom(_feed(client).data).findall(f"{A}entry")
    root = validate_atom(_feed(client, "?region=CN&lang=zh-Hans").data)
    entries = root.findall(f"{A}entry")
    assert 0 < len(entries) < len(everything)
    for entry in entries:
        terms = {c.get("term") for c in entry.findall(f"{A}category")}
        assert "region:CN" in terms
    assert [e.find(f"{A}id").text for e in entries] == [e.id for e in EVENTS if e.label.region == "CN"]
    # The same entry keeps its id whatever the language or filter.
    en_ids = {e.find(f"{A}id").text for e in everything}
    assert {e.find(f"{A}id").text for e in entries} <= en_ids


def test_the_language_comes_only_from_the_query_and_no_cookie_is_set(client) -> None:
    client.set_cookie("lang", "zh-Hant")
    response = _feed(client, "", **{"Accept-Language": "zh-CN"})
    root = validate_atom(response.data)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert "Set-Cookie" not in response.headers
    response = _feed(client, "?lang=zh-Hans")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Content-Language"] == "zh-Hans"
    # An HTML page with ?lang still remembers the choice (the switcher), so the exemption is the feed's own.
    assert "Set-Cookie" in client.get("/labels/changes?lang=zh-Hans").headers


def test_the_feed_may_be_cached_and_answers_conditional_requests(client) -> None:
    response = _feed(client, "?region=US")
    assert "no-store" not in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    modified = response.headers["Last-Modified"]
    again = _feed(client, "?region=US", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert _feed(client, "?region=US", **{"If-Modified-Since": modified}).status_code == 304
    assert _feed(client, "?region=JP", **{"If-None-Match": etag}).status_code == 200
    assert _feed(client, "?region=US&lang=zh-Hans", **{"If-None-Match": etag}).status_code == 200
    newest = max([e.day for e in EVENTS if e.label.region == "US"] + [RULES.last_reviewed])
    assert email.utils.parsedate_to_datetime(modified).date() == newest
    # The pages keep their no-store.
    assert "no-store" in client.get("/labels/changes").headers["Cache-Control"]


def test_absolute_links_come_from_public_base_url_never_from_host(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FLASK_PUBLIC_BASE_URL", "https://myeloma.example.org/app/")
    app = make_app(tmp_path)
    body = (
        app.test_client()
        .get("/labels/changes.atom?region=GB", headers={"Host": "evil.example.com"})
        .get_data(as_text=True)
    )
    assert "evil.example.com" not in body
    links = re.findall(r'href="([^"]+)"', body)
    assert links
    assert all(link.startswith("https://myeloma.example.org/app/labels/") for link in links), links


def test_an_undated_label_says_date_unknown_and_is_updated_when_recorded(client) -> None:
    label = RULES.labels["teclistamab-hk-undated"]
    root = validate_atom(_feed(client, "?region=HK&product=teclistamab").data)
    (entry,) = root.findall(f"{A}entry")
    assert entry.find(f"{A}updated").text == f"{label.source.checked.isoformat()}T00:00:00Z"
    assert entry.find(f"{A}summary").text.startswith("date unknown")


def test_a_correction_is_in_the_feed_and_on_the_page(tmp_path: Path) -> None:
    root = rules_with(tmp_path, CORRECTION)
    client = make_app(tmp_path, RULES_DIR=str(root)).test_client()
    feed = validate_atom(client.get("/labels/changes.atom?region=US").data)
    (entry,) = [
        e for e in feed.findall(f"{A}entry") if e.find(f"{A}title").text.endswith(": label text corrected")
    ]
    assert entry.find(f"{A}updated").text == "2026-11-30T00:00:00Z"
    assert "Lenalidomide refractoriness was added" in entry.find(f"{A}summary").text
    assert "maintainers only" not in client.get("/labels/changes.atom").get_data(as_text=True)
    page = client.get("/labels/changes?region=US").get_data(as_text=True)
    assert "cilta-cel-us-2024/corrected/2026-11-30" in _page_keys(page)
    assert "maintainers only" not in page


def test_every_event_kind_has_a_name() -> None:
    from webapp.labels.events import KIND_NAMES

    assert set(KIND_NAMES) == set(EVENT_KINDS)


# -- flask rules diff <git-ref> ------------------------------------------------------------------------------
def _git(repo: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def rules_repo(tmp_path: Path) -> Path:
    """A git checkout holding a copy of rules/ (the real data), committed once."""
    repo = tmp_path / "repo"
    shutil.copytree(REAL_RULES, repo / "rules")
    _git(repo, "init", "-q")
    _git(repo, "add", "rules")
    _git(repo, "commit", "-q", "-m", "rules as they are")
    return repo


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _diff(tmp_path: Path, repo: Path, *args: str):
    app = make_app(tmp_path, RULES_DIR=str(repo / "rules"))
    return app.test_cli_runner().invoke(args=["rules", "diff", *args])


def test_rules_diff_lists_label_level_changes(tmp_path: Path, rules_repo: Path) -> None:
    product = rules_repo / "rules" / "products" / "ciltacabtagene-autoleucel.toml"
    label = RULES.labels["cilta-cel-us-2022"]
    # Yesterday's rules had one more label version (removed today) ...
    text = product.read_text(encoding="utf-8")
    start = text.index('id = "cilta-cel-us-2022"')
    table = text[text.rindex("[[labels]]", 0, start) : text.index("[[labels]]", start)]
    product.write_text(text + "\n" + table.replace('"cilta-cel-us-2022"', '"cilta-cel-us-1999"'), "utf-8")
    _git(rules_repo, "commit", "-q", "-am", "an extra version")
    # ... and today one label's approval date differs.
    product.write_text(text, "utf-8")
    _edit(product, f'approved = "{label.approved}"', 'approved = "2022-02-27"')
    result = _diff(tmp_path, rules_repo, "HEAD")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "does not load" not in out
    assert f"Label versions removed (1):\n  - cilta-cel-us-1999 (US): approved {label.approved}" in out
    assert "Label versions added (0):\n  none" in out
    assert (
        f"  ~ cilta-cel-us-2022 (US, ciltacabtagene-autoleucel)\n      approved: {label.approved} -> 2022-02-27"
        in out
    )
    assert f"{len(RULES.labels) - 1} label versions unchanged." in out
    # Nothing changed against today's own commit once the edit is committed.
    _git(rules_repo, "commit", "-q", "-am", "date fixed")
    assert "Label versions changed (0):\n  none" in _diff(tmp_path, rules_repo, "HEAD").output


def test_rules_diff_says_when_the_old_tree_no_longer_loads(tmp_path: Path, rules_repo: Path) -> None:
    product = rules_repo / "rules" / "products" / "teclistamab.toml"
    _edit(product, 'id = "teclistamab-us-2022"', 'id = "teclistamab-us-2022"\nretired_key = "old schema"')
    _git(rules_repo, "commit", "-q", "-am", "an older schema")
    _edit(product, 'id = "teclistamab-us-2022"\nretired_key = "old schema"', 'id = "teclistamab-us-2022"')
    result = _diff(tmp_path, rules_repo, "HEAD")
    assert result.exit_code == 0, result.output
    assert "does not load under today's strict loader" in result.output
    assert "retired_key: is not a known key" in result.output
    assert (
        "  ~ teclistamab-us-2022 (US, teclistamab)\n      retired_key: old schema -> (none)" in result.output
    )


def test_rules_diff_rejects_an_unknown_ref(tmp_path: Path, rules_repo: Path) -> None:
    result = _diff(tmp_path, rules_repo, "no-such-ref")
    assert result.exit_code != 0
    assert "'no-such-ref' is not a commit" in result.output


def test_rules_diff_can_leave_sources_out(tmp_path: Path, rules_repo: Path) -> None:
    label = RULES.labels["elranatamab-us-2023"]
    product = rules_repo / "rules" / "products" / "elranatamab.toml"
    _edit(product, f'checked = "{label.source.checked}"', 'checked = "2026-12-01"')
    assert "source.checked:" in _diff(tmp_path, rules_repo, "HEAD").output
    out = _diff(tmp_path, rules_repo, "HEAD", "--skip-sources").output
    assert "source.checked:" not in out
    assert "Label versions changed (0)" in out
