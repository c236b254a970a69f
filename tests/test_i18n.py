"""Language choice: query parameter beats cookie beats Accept-Language beats English; every alias works."""

from __future__ import annotations

import pytest

from webapp.i18n import ALIASES, normalize_lang

# The product name differs between the two Chinese catalogs, so it proves which catalog really loaded.
TITLE = {
    "en": "Myeloma Access Assistant",
    "zh-Hans": "骨髓瘤新疗法查询助手",
    "zh-Hant": "骨髓瘤新療法查詢助手",
}


def lang_of(response) -> str:
    body = response.get_data(as_text=True)
    for code, title in TITLE.items():
        if f'<html lang="{code}">' in body:
            assert title in body, f"<html lang={code}> but the {code} catalog did not load"
            return code
    raise AssertionError("no known <html lang> in the page")


def test_default_is_english(client) -> None:
    assert lang_of(client.get("/")) == "en"


@pytest.mark.parametrize("code", ["en", "zh-Hans", "zh-Hant"])
def test_each_locale_loads_its_own_catalog(client, code: str) -> None:
    assert lang_of(client.get(f"/?lang={code}")) == code


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh_Hans", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh_Hant", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("en", "en"),
    ],
)
def test_every_alias_in_the_query(client, alias: str, code: str) -> None:
    assert normalize_lang(alias) == code
    assert lang_of(client.get(f"/?lang={alias}")) == code


def test_alias_table_is_exactly_the_design_brief() -> None:
    assert set(ALIASES.values()) == {"en", "zh-Hans", "zh-Hant"}
    assert normalize_lang("fr") is None
    assert normalize_lang("") is None


def test_query_beats_cookie_beats_header(client) -> None:
    client.set_cookie("lang", "zh-Hant")
    headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert lang_of(client.get("/?lang=en", headers=headers)) == "en"
    client.set_cookie("lang", "zh-Hant")
    assert lang_of(client.get("/", headers=headers)) == "zh-Hant"
    client.delete_cookie("lang")
    assert lang_of(client.get("/", headers=headers)) == "zh-Hans"


def test_the_switcher_choice_is_kept_in_a_cookie(client) -> None:
    response = client.get("/?lang=zh-Hant")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh-Hant")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert lang_of(client.get("/")) == "zh-Hant"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("zh-TW,zh;q=0.8,en;q=0.5", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-Hant-MO", "zh-Hant"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-SG,en;q=0.5", "zh-Hans"),
        ("fr-FR,zh-CN;q=0.7", "zh-Hans"),
        ("en-GB,zh;q=0.5", "en"),
        ("fr,de", "en"),
    ],
)
def test_accept_language(client, header: str, code: str) -> None:
    assert lang_of(client.get("/", headers={"Accept-Language": header})) == code


def test_an_unknown_lang_parameter_falls_back(client) -> None:
    response = client.get("/?lang=xx", headers={"Accept-Language": "zh-HK"})
    assert lang_of(response) == "zh-Hant"
    assert "Set-Cookie" not in response.headers


def test_switcher_names_each_language_in_its_own_script(client) -> None:
    body = client.get("/?lang=zh-Hans").get_data(as_text=True)
    for native in ("English", "简体中文", "繁體中文"):
        assert native in body
    assert 'href="/?lang=zh-Hant"' in body


def test_a_missing_catalog_falls_back_to_english_and_is_logged(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import make_app

    empty = tmp_path / "no-translations"
    empty.mkdir()
    app = make_app(tmp_path, BABEL_TRANSLATION_DIRECTORIES=str(empty))
    with caplog.at_level("WARNING", logger="webapp.i18n"):
        response = app.test_client().get("/?lang=zh-Hant")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<html lang="zh-Hant">' in body
    assert "Myeloma Access Assistant" in body  # English text, not an error page
    assert any("translation catalog for zh_Hant is missing" in r.getMessage() for r in caplog.records)
