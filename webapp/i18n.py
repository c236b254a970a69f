"""One module owns language choice: query parameter, then cookie, then Accept-Language, then English.

Public codes are BCP 47 (``en``, ``zh-Hans``, ``zh-Hant``); Babel's catalog folders are ``zh_Hans`` and
``zh_Hant`` and the selector must return exactly those ids (shared/reference/toolchain.md, section 7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, g, request
from flask_babel import get_locale, gettext, ngettext

from .eligibility import Msg
from .eligibility.model import Names

# public code -> Babel locale id
LANGUAGES: Mapping[str, str] = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}
# Each language named in its own script, for the switcher.
NATIVE_NAMES: Mapping[str, str] = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
# Every spelling the design brief accepts (section 4); matching is case-insensitive.
LANG_SPELLINGS: tuple[str, ...] = (
    "en",
    "zh-Hans",
    "zh-Hant",
    "zh",
    "zh-CN",
    "zh-SG",
    "zh_Hans",
    "zh-TW",
    "zh-HK",
    "zh-MO",
    "zh_Hant",
)
ALIASES: Mapping[str, str] = {
    alias.lower(): code
    for code, aliases in {
        "en": ("en",),
        "zh-Hans": ("zh-Hans", "zh", "zh-CN", "zh-SG", "zh_Hans"),
        "zh-Hant": ("zh-Hant", "zh-TW", "zh-HK", "zh-MO", "zh_Hant"),
    }.items()
    for alias in aliases
}
_TRADITIONAL_SUBTAGS = {"hant", "tw", "hk", "mo"}


def normalize_lang(value: str | None) -> str | None:
    """Map a public code or one of its aliases (case-insensitive) to a public code; None if unknown."""
    if not value:
        return None
    return ALIASES.get(value.strip().lower())


def _from_accept_language(header_values: Any) -> str | None:
    for tag, _quality in header_values:
        tag = tag.strip().lower().replace("_", "-")
        if tag in ALIASES:
            return ALIASES[tag]
        parts = tag.split("-")
        if parts[0] == "en":
            return "en"
        if parts[0] == "zh":
            return "zh-Hant" if _TRADITIONAL_SUBTAGS & set(parts[1:]) else "zh-Hans"
    return None


def choose_lang() -> str:
    """The public language code for this request. Stored on ``g`` so it is worked out once."""
    if "lang_code" in g:
        return g.lang_code
    code = (
        normalize_lang(request.args.get("lang"))
        or normalize_lang(request.cookies.get(current_app.config["LANG_COOKIE"]))
        or _from_accept_language(request.accept_languages)
        or "en"
    )
    g.lang_code = code
    return code


def locale_selector() -> str:
    return LANGUAGES[choose_lang()]


def remember_choice(response: Any) -> Any:
    """After a request with a valid ``lang`` parameter, keep the choice in a cookie (the switcher)."""
    code = normalize_lang(request.args.get("lang"))
    cookie = current_app.config["LANG_COOKIE"]
    if code and request.cookies.get(cookie) != code:
        response.set_cookie(
            cookie,
            code,
            max_age=current_app.config["LANG_COOKIE_MAX_AGE"],
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def current_locale_id() -> str:
    return str(get_locale() or "en")


def names(value: Names) -> str:
    """A region, class or drug name in the active locale."""
    return value.for_locale(current_locale_id())


def render(msg: Msg | str | Names | Any) -> str:
    """Translate an engine message (and, recursively, its parameters) in the active locale."""
    if isinstance(msg, Names):
        return names(msg)
    if not isinstance(msg, Msg):
        return str(msg)
    params = {k: render(v) if isinstance(v, Msg | Names) else v for k, v in msg.params.items()}
    if msg.plural is not None and msg.n is not None:
        params.pop("num", None)  # ngettext supplies %(num)d itself
        return ngettext(msg.id, msg.plural, msg.n, **params)
    return gettext(msg.id, **params) if params else gettext(msg.id)
