"""The fragment cache (issue 12): pages and API answers built from cached fragments must be byte for byte what
they are without the cache, for every kind of answer, region, residence, day and language, in any order."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader

from webapp.eligibility import Answers
from webapp.fragments import FragmentCache, render_spliced, size_of, splice
from webapp.i18n import use_locale
from webapp.patient import cards
from webapp.results.answers import SESSION_ANSWERS, SESSION_FORM, SESSION_FORM_INVALID
from webapp.results.form_state import NOT_LISTED
from webapp.results.serialize import LazyResult, result_data

from .conftest import make_app, migrate
from .test_patient import TYPICAL_ANSWERS

# Answer sets in the API's shape (what the form leaves in the session), chosen to cover every branch of the
# results page: each status, unknowns, a hypothetical (under control), a residence elsewhere, a place not
# covered, a past day (clinician mode), Chinese-language regions.
ANSWER_SETS: list[dict[str, Any]] = [
    TYPICAL_ANSWERS,  # treated in the US, living in Singapore, one "not sure"
    {
        "region": "CN",
        "prior_lines": 3,
        "drugs": ["bortezomib", "lenalidomide"],
        "relapsed_or_refractory": True,
    },
    {"region": "CN", "prior_lines": 1, "drugs": ["bortezomib", "lenalidomide", "daratumumab"]},
    {"region": "EU", "residence": "DE", "adult": True, "prior_lines": None, "relapsed_or_refractory": True},
    {"region": "GB", "residence": "IE", "prior_lines": 4, "drugs": ["carfilzomib", "pomalidomide"]},
    {"region": "JP", "relapsed_or_refractory": False, "prior_lines": 2, "drugs": ["lenalidomide"]},
    {"region": "HK", "residence": "CN", "prior_lines": 5, "prior_bcma_car_t": True},
    {"region": "MO", "prior_lines": 0},
    {
        "region": "CA",
        "residence": "US",
        "prior_lines": 3,
        "drugs": ["bortezomib", "lenalidomide", "daratumumab"],
    },
    {"region": NOT_LISTED, "residence": "TH", "prior_lines": 4, "drugs": ["bortezomib", "lenalidomide"]},
    {"region": "US", "prior_lines": 4, "as_of": "2023-06-01", "drugs": ["bortezomib"]},
]
LANGS = ["en", "zh-Hans", "zh-Hant"]
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')


def _same_page(html: str) -> str:
    """A page without its CSRF tokens, which are fresh on every request."""
    return _CSRF.sub("<csrf>", html)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, Flask]:
    """The same app twice, sharing a secret key: with the fragment cache, and with it turned off."""
    tmp = tmp_path_factory.mktemp("fragments")
    key = "fragments-" + "k" * 40
    cached = make_app(tmp / "a", SECRET_KEY=key, SQLALCHEMY_DATABASE_URI="sqlite://")
    plain = make_app(tmp / "b", SECRET_KEY=key, SQLALCHEMY_DATABASE_URI="sqlite://", FRAGMENT_CACHE_BYTES=0)
    return cached, plain


def _with_answers(client: FlaskClient, answers: dict[str, Any]) -> None:
    with client.session_transaction() as s:
        s[SESSION_ANSWERS] = answers


def _results(client: FlaskClient, answers: dict[str, Any], lang: str, query: str = "") -> str:
    _with_answers(client, answers)
    response = client.get(f"/results?lang={lang}{query}")
    assert response.status_code == 200, (answers, lang)
    return response.get_data(as_text=True)


def test_the_cache_is_bounded_by_bytes_least_recently_used_and_can_be_off() -> None:
    one = size_of("x" * 1000) + 200  # what one entry below weighs
    cache = FragmentCache(2 * one + 10)
    built: list[str] = []

    def build(value: str) -> str:
        built.append(value)
        return value * 1000

    assert cache.get("a", lambda: build("a")) == "a" * 1000
    assert cache.get("b", lambda: build("b")) == "b" * 1000
    assert cache.get("a", lambda: build("a")) == "a" * 1000  # a hit, and "a" is now the most recent
    assert cache.get("c", lambda: build("c")) == "c" * 1000  # over the bound: "b" goes
    assert len(cache) == 2
    assert cache.size <= cache.max_bytes
    assert cache.get("a", lambda: build("a")) == "a" * 1000
    assert cache.get("b", lambda: build("b")) == "b" * 1000  # built again
    assert built == ["a", "b", "c", "b"]
    assert (cache.hits, cache.misses) == (2, 4)
    assert cache.get("huge", lambda: "h" * 10_000) == "h" * 10_000  # bigger than the bound: not kept
    assert "huge" not in cache.keys()
    assert size_of({"k": ["v" * 100, 3]}) > size_of("v" * 100)
    off = FragmentCache(0)
    assert off.get("a", lambda: build("x")) == "x" * 1000
    assert off.get("a", lambda: build("y")) == "y" * 1000
    assert len(off) == 0


def test_answers_that_evaluate_alike_share_the_answer_dependent_pieces(pair: tuple[Flask, Flask]) -> None:
    """Rows are cached under their evaluated criteria, not under the answers: someone who also had a medicine
    no label in the region asks about gets the very same pieces, and the same page as without the cache."""
    cached, plain = pair
    engine = cached.extensions["engine"]
    base = {
        "region": "CN",
        "prior_lines": 3,
        "drugs": ["bortezomib", "lenalidomide"],
        "relapsed_or_refractory": True,
    }
    other = {**base, "drugs": [*base["drugs"], "elotuzumab"]}

    def keys(answers: dict[str, Any]) -> list[tuple[Any, ...]]:
        given = Answers(prior_lines=3, drugs=tuple(answers["drugs"]), relapsed_or_refractory=True)
        return [
            tuple(c.key for c in r.criteria) for r in engine.evaluate(given, "CN", dt.date.today()).results
        ]

    assert keys(base) == keys(other)  # the premise: no label in force in CN reads elotuzumab
    client = cached.test_client()
    _results(client, base, "en")
    before = set(cached.extensions["answer_fragments"].keys()) | set(cached.extensions["fragments"].keys())
    page = _same_page(_results(client, other, "en"))
    after = set(cached.extensions["answer_fragments"].keys()) | set(cached.extensions["fragments"].keys())
    assert [k for k in after - before if k[0] == "card"] == []
    assert page == _same_page(_results(plain.test_client(), other, "en"))


def test_a_lazy_result_builds_each_part_when_read_and_reads_like_the_plain_dict() -> None:
    built: list[str] = []

    def fill(name: str, **values: Any) -> Any:
        return lambda: built.append(name) or values

    row = LazyResult(
        {"a": 1}, [(frozenset({"b"}), fill("b", b=2)), (frozenset({"c", "d"}), fill("cd", c=3, d=4))], ("k",)
    )
    assert row["a"] == 1
    assert built == []
    assert row["c"] == 3
    assert built == ["cd"]
    assert row.get("d") == 4
    assert built == ["cd"]
    assert row.get("nothing") is None
    assert row.criteria_keys == ("k",)
    assert dict(row) == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert built == ["cd", "b"]
    with pytest.raises(KeyError):
        row["nothing"]


@pytest.mark.parametrize("answers", ANSWER_SETS, ids=lambda a: f"{a['region']}-{a.get('prior_lines')}")
def test_results_pages_are_the_same_with_and_without_the_cache(
    pair: tuple[Flask, Flask], answers: dict[str, Any]
) -> None:
    cached, plain = pair
    a, b = cached.test_client(), plain.test_client()
    for lang in LANGS:
        expected = _same_page(_results(b, answers, lang))
        first = _same_page(_results(a, answers, lang))  # fills the cache (or finds another set's fragments)
        again = _same_page(_results(a, answers, lang))  # served from it
        assert first == expected, lang
        assert again == expected, lang
    # Looking at another region, and the what-if view of another set, share the same cache.
    if answers["region"] != "JP":
        assert _same_page(_results(a, answers, "en", "&region=JP")) == _same_page(
            _results(b, answers, "en", "&region=JP")
        )


def test_spliced_pages_are_the_same_as_pages_rendered_as_text(
    pair: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The results page puts its cards' bytes in place of markers (fragments.render_spliced): the same bytes
    as the page rendered as one text, for every answer set and language, and no marker left over."""
    cached, _plain = pair
    client = cached.test_client()
    spliced = {(i, lang): _results(client, a, lang) for i, a in enumerate(ANSWER_SETS) for lang in LANGS}
    monkeypatch.setattr(cards, "splice", lambda piece: None)
    for (i, lang), page in spliced.items():
        assert "\x00" not in page
        assert _same_page(page) == _same_page(_results(client, ANSWER_SETS[i], lang)), (i, lang)


def test_a_spliced_piece_inside_a_cached_block_is_not_kept(pair: tuple[Flask, Flask]) -> None:
    """A marker stands for one page's bytes: a cached block holding one is shown, never kept for the next."""
    cached, _plain = pair
    loader = cached.jinja_env.loader
    source = (
        '{% call cached("splice-test", 1, scope=scope) %}<p>{{ piece() }}</p>{% endcall %}'
        '{% call cached("splice-test", 2, scope=scope) %}<p>plain</p>{% endcall %}'
    )
    cached.jinja_env.loader = ChoiceLoader([DictLoader({"splice-test.html": source}), loader])  # type: ignore[list-item]
    try:
        with cached.test_request_context("/"):
            for _ in range(2):
                body = render_spliced(
                    "splice-test.html", scope=("s",), piece=lambda: splice(b"<b>\xe2\x80\x99</b>")
                )
                assert body == "<p><b>’</b></p><p>plain</p>".encode()
        kept = [k for k in cached.extensions["fragments"].keys() if k[:2] == ("html", "splice-test")]
        assert [k[-1] for k in kept] == [2]
    finally:
        cached.jinja_env.loader = loader


def test_the_cache_is_used_and_keeps_languages_apart(pair: tuple[Flask, Flask]) -> None:
    cached, _plain = pair
    client = cached.test_client()
    cache = cached.extensions["fragments"]
    english = _results(client, ANSWER_SETS[1], "en")
    hits = cache.hits
    chinese = _results(client, ANSWER_SETS[1], "zh-Hans")
    assert "您的" in chinese or "你的" in chinese
    assert "Your answers" not in chinese.split("<main", 1)[1]
    assert _same_page(_results(client, ANSWER_SETS[1], "en")) == _same_page(english)
    assert cache.hits > hits


@pytest.mark.parametrize("lang", LANGS)
def test_form_pages_are_the_same_with_and_without_the_cache(pair: tuple[Flask, Flask], lang: str) -> None:
    cached, plain = pair
    states: list[tuple[str, dict[str, Any] | None, bool]] = [
        ("/check", None, False),
        ("/check?clinician=1", None, False),
        ("/check", {"region": "CN", "prior_lines": "3", "drugs_PI": ["bortezomib"]}, False),
        ("/check", {"region": "CN", "prior_lines": "many"}, False),
        ("/check", {"region": "CN", "prior_lines": "many"}, True),  # saved with errors: they are shown again
        ("/check", {"region": "US", "residence": "SG", "as_of": "2024-01-31"}, False),  # clinician via state
    ]
    for path, state, invalid in states:
        pages = []
        for app in (cached, cached, plain):
            client = app.test_client()
            with client.session_transaction() as s:
                if state is not None:
                    s[SESSION_FORM] = state
                if invalid:
                    s[SESSION_FORM_INVALID] = True
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response.status_code == 200
            pages.append(_same_page(response.get_data(as_text=True)))
        assert pages[0] == pages[2], (path, state)
        assert pages[1] == pages[2], (path, state)
        if invalid:
            assert 'class="error-summary"' in pages[0]
        if state and "as_of" in state:
            assert 'id="as_of"' in pages[0]  # clinician mode, from the saved state


def test_a_form_page_always_has_a_fresh_working_token(pair: tuple[Flask, Flask]) -> None:
    cached, _plain = pair
    client = cached.test_client()
    tokens = set()
    for _ in range(2):
        html = client.get("/check").get_data(as_text=True)
        match = re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', html)
        assert match
        tokens.add(match.group(1))
    # A fresh client (another person) gets its own token, never one from the cached HTML.
    other = cached.test_client().get("/check").get_data(as_text=True)
    assert re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', other).group(1) not in tokens  # type: ignore[union-attr]
    # And the token works: a complete submission is accepted.
    token = tokens.pop()
    response = client.post(
        "/check",
        data={
            "csrf_token": token,
            "region": "CN",
            "adult": "yes",
            "relapsed_or_refractory": "yes",
            "prior_lines": "3",
            "drugs_PI": ["_unsure"],
            "drugs_IMiD": ["_unsure"],
            "drugs_anti_CD38": ["_unsure"],
            "progressed_on_last": "unsure",
            "prior_bcma_car_t": "no",
        },
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "answers",
    [
        a for a in ANSWER_SETS if a["region"] != NOT_LISTED
    ],  # the API has no "not listed": a region is required
    ids=lambda a: f"{a['region']}-{a.get('prior_lines')}",
)
def test_api_answers_are_the_same_with_and_without_the_cache(
    pair: tuple[Flask, Flask], answers: dict[str, Any]
) -> None:
    cached, plain = pair
    for lang in LANGS:
        body = {**answers, "lang": lang}
        bodies = [
            app.test_client().post("/api/v1/check", json=body).get_data() for app in (cached, cached, plain)
        ]
        assert bodies[0] == bodies[2]
        assert bodies[1] == bodies[2]
        assert json.loads(bodies[0])["lang"] == lang


@pytest.mark.parametrize("answers", ANSWER_SETS[:9], ids=lambda a: a["region"])
def test_lazy_rows_read_like_the_plain_ones(pair: tuple[Flask, Flask], answers: dict[str, Any]) -> None:
    """The results page's lazy rows read exactly like the plain ones."""
    import datetime as dt

    from webapp.eligibility import Answers

    cached, _plain = pair
    engine = cached.extensions["engine"]
    known = {k: v for k, v in answers.items() if k in Answers.__dataclass_fields__ and k != "drugs"}
    drugs = tuple(answers["drugs"]) if "drugs" in answers else None
    given = Answers(**known, drugs=drugs)
    result = engine.evaluate(given, answers["region"], dt.date(2026, 11, 1))
    for locale in ("en", "zh_Hans", "zh_Hant"):
        with cached.test_request_context("/"), use_locale(locale):
            # The results page's lazy rows read exactly like the plain ones.
            eager = result_data(engine, result, answers.get("residence"))
            lazy = result_data(engine, result, answers.get("residence"), lazy=True)
            for plain_row, lazy_row in zip(eager["results"], lazy["results"], strict=True):
                assert isinstance(lazy_row, LazyResult)
                assert lazy_row.get("no such key") is None
                assert lazy_row.get("caveats") == plain_row["caveats"]
                assert dict(lazy_row) == plain_row


def test_saved_summaries_are_never_rendered_from_the_cache(tmp_path: Path) -> None:
    """A summary shows its stored snapshot: its pages have no fragment scope, so nothing comes from the cache."""
    app = make_app(tmp_path)
    migrate(app)
    client = app.test_client()
    cache = app.extensions["fragments"]
    _results(client, ANSWER_SETS[1], "en")  # the live page fills the cache
    before = cache.keys()
    saved = client.post("/api/v1/summaries", json={"answers": ANSWER_SETS[1], "consent": True, "lang": "en"})
    assert saved.status_code == 201
    url = saved.get_json()["url"]
    for path in (url, url + "/print", "/results/print"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "label-row" in response.get_data(as_text=True), path  # the cards are there
    assert {k for k in cache.keys() if k[0] == "html"} == {k for k in before if k[0] == "html"}


@pytest.mark.parametrize("region", ["US", "CN", "HK"])
def test_the_same_answers_from_different_places_and_days_are_not_mixed_up(
    pair: tuple[Flask, Flask], region: str
) -> None:
    """One label, many fragments: living there, in another covered region, in a place not covered, or not
    saying; today or an earlier day. Each gets its own travel steps and facts, with or without the cache."""
    cached, plain = pair
    base = {"region": region, "prior_lines": 4, "drugs": ["bortezomib", "lenalidomide", "daratumumab"]}
    variants = [{}, {"residence": region}, {"residence": "TH"}, {"residence": "GB"}, {"as_of": "2024-06-01"}]
    for variant in variants * 2:  # the second round is served from the cache
        answers = {**base, **variant}
        api = [app.test_client().post("/api/v1/check", json=answers).get_data() for app in (cached, plain)]
        assert api[0] == api[1], variant
        pages = [_same_page(_results(app.test_client(), answers, "zh-Hant")) for app in (cached, plain)]
        assert pages[0] == pages[1], variant


def test_the_fast_template_gettext_keeps_escaping_and_percent_signs(pair: tuple[Flask, Flask]) -> None:
    cached, _plain = pair
    with cached.test_request_context("/"):
        cached.preprocess_request()
        render = cached.jinja_env.from_string
        assert render('{{ _("Your results for %(region)s", region=v) }}').render(v="<b>") == (
            "Your results for &lt;b&gt;"
        )
        assert render('{{ _("Using a screen 360 pixels wide, and text zoomed to 200%%.") }}').render() == (
            "Using a screen 360 pixels wide, and text zoomed to 200%."
        )
        assert render('{{ _("Start now") }}').render() == "Start now"
    assert "zoomed to 200%." in cached.test_client().get("/accessibility").get_data(as_text=True)
