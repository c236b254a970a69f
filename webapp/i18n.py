"""One module owns language choice: query parameter, then cookie, then Accept-Language, then English.

Public codes are BCP 47 (``en``, ``zh-Hans``, ``zh-Hant``); Babel's catalog folders are ``zh_Hans`` and
``zh_Hant`` and the selector must return exactly those ids (shared/reference/toolchain.md, section 7).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import Translations
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import force_locale, get_locale
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

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


@functools.lru_cache(maxsize=512)
def lang_from_header(raw: str) -> str | None:
    """The language an Accept-Language header asks for. Browsers send a handful of distinct headers, so
    each is parsed once per process."""
    return _from_accept_language(parse_accept_header(raw, LanguageAccept))


def present(values: Any, key: str) -> Any:
    """``values.get(key)`` for Werkzeug's request dicts, without their cost when the key is absent: their
    ``get`` raises and catches an HTTP exception then (several per request, on the hot path)."""
    return values.get(key) if key in values else None


def request_accept_lang() -> str | None:
    raw = present(request.headers, "Accept-Language")
    if not raw:
        return None
    # Long headers (rare, and a way to fill the cache) are parsed without it.
    return lang_from_header(raw) if len(raw) <= 500 else lang_from_header.__wrapped__(raw)


def choose_lang() -> str:
    """The public language code for this request. Stored on ``g`` so it is worked out once."""
    if "lang_code" in g:
        return g.lang_code
    code = (
        normalize_lang(present(request.args, "lang"))
        or normalize_lang(present(request.cookies, current_app.config["LANG_COOKIE"]))
        or request_accept_lang()
        or "en"
    )
    g.lang_code = code
    return code


def locale_selector() -> str:
    return LANGUAGES[choose_lang()]


# -- fast translation ----------------------------------------------------------------------------------------
# Flask-Babel's gettext looks up the request context several times per call (~30 µs); a results page makes
# hundreds of calls. Here the active locale lives in a ContextVar set once per request (and by use_locale),
# and each catalog is loaded once per process. Same catalogs, same answers, a fraction of the cost.
log = logging.getLogger(__name__)
_active: ContextVar[str | None] = ContextVar("maa_locale", default=None)
_active_catalog: ContextVar[NullTranslations | None] = ContextVar("maa_catalog", default=None)
_catalogs: dict[tuple[str, str], NullTranslations] = {}


def _catalog(locale_id: str) -> NullTranslations:
    folder = current_app.config["BABEL_TRANSLATION_DIRECTORIES"] if current_app else ""
    key = (folder, locale_id)
    catalog = _catalogs.get(key)
    if catalog is None:
        catalog = Translations.load(folder, [locale_id], "messages")
        if locale_id != "en" and not (Path(folder) / locale_id / "LC_MESSAGES" / "messages.mo").exists():
            # A missing catalog must not take the service down: English it is, and someone must know.
            log.warning(
                "translation catalog for %s is missing in %s: falling back to English", locale_id, folder
            )
        _catalogs[key] = catalog
    return catalog


def _translations() -> NullTranslations:
    catalog = _active_catalog.get()
    if catalog is None:  # outside a request (CLI) or before the request hook ran
        catalog = _catalog(_active.get() or str(get_locale() or "en"))
    return catalog


def gettext(msgid: str, **params: Any) -> str:
    """Translate ``msgid`` in the active locale; named placeholders are filled from ``params``."""
    text = _translations().gettext(msgid)
    return text % params if params else text


def ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
    params.setdefault("num", num)
    return _translations().ngettext(singular, plural, num) % params


@contextmanager
def use_locale(locale_id: str) -> Iterator[None]:
    """Render in ``locale_id`` (a Babel id such as zh_Hant) for a while: both our fast path and Flask-Babel."""
    if _active.get() == locale_id:
        # Already active (the usual case: the request's own language). Whenever ``_active`` is set,
        # Flask-Babel's locale is the same one: the request hook and this function set them together.
        yield
        return
    token = _active.set(locale_id)
    catalog_token = _active_catalog.set(_catalog(locale_id))
    try:
        with force_locale(_babel_locale(locale_id)):  # type: ignore[arg-type]
            yield
    finally:
        _active_catalog.reset(catalog_token)
        _active.reset(token)


@functools.lru_cache(maxsize=16)
def _babel_locale(locale_id: str) -> Locale:
    """Babel's Locale objects are immutable; parsing one costs ~50 µs, so each is parsed once."""
    return Locale.parse(locale_id)


# Jinja's own new-style callables take the whole template context: in a loop, or in a block that sets a
# variable, each call then builds a derived copy of the context first. These take only the evaluation context
# (all they read is whether autoescaping is on), with the same results.
@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    text = _translations().gettext(message)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - a translation from our own catalogs, formatted (escaped) below
    return text % variables if variables or "%" in text else text


@pass_eval_context
def _template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = _translations().ngettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - a translation from our own catalogs, formatted (escaped) below
    return text % variables


def init_i18n(app: Flask) -> None:
    """Set the locale once per request and give Jinja the fast callables (after babel.init_app)."""

    @app.before_request
    def _set_locale() -> None:
        locale_id = locale_selector()
        _active.set(locale_id)
        _active_catalog.set(_catalog(locale_id))

    @app.teardown_request
    def _clear_locale(_exc: BaseException | None) -> None:
        _active.set(None)
        _active_catalog.set(None)

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: _translations().gettext(s),
        lambda s, p, n: _translations().ngettext(s, p, n),
        newstyle=True,
    )
    # Jinja's new-style gettext formats every message, even one without placeholders; a page calls it dozens
    # of times. Same result, skipping the formatting when there is nothing to format ("%%" still becomes "%").
    # `_` is bound directly (Jinja's `_` looks `gettext` up in the context on every call).
    for name, func in (
        ("gettext", _template_gettext),
        ("_", _template_gettext),
        ("ngettext", _template_ngettext),
    ):
        app.jinja_env.globals[name] = func
    app.jinja_env.globals["language_name"] = language_name
    app.jinja_env.globals["regulator_of"] = regulator_of
    app.jinja_env.globals["approval_type_of"] = approval_type_of


def language_name(tag: str) -> str:
    """The name of a language (a tag such as zh-Hans or ja) in the active language, from Babel's CLDR data."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(tag.replace("-", "_")).get_display_name(current_locale_id()) or tag)
    except (ValueError, UnknownLocaleError):
        return tag


def regulator_of(region: Any, label: Any = None, *, full: bool = True) -> str:
    """The regulator as a reader of the active language knows it: on Chinese pages its Chinese name (never
    "NMPA" alone, issue 20 item 4); in English the full name with the label's own short form."""
    locale = current_locale_id()
    if locale != "en" and region.regulator_full is not None:
        return str(region.regulator_in(locale, full=full))
    if not full:
        return str(region.regulator)
    short = label.regulator if label is not None else region.regulator
    return f"{region.regulator_name} ({short})"


def approval_type_of(label: Any) -> str:
    """The approval type in the regulator's own terms, in the active language where the data gives it."""
    return str(label.approval_type_in(current_locale_id()))


def remember_choice(response: Any) -> Any:
    """After a request with a valid ``lang`` parameter, keep the choice in a cookie (the switcher).

    A view that takes ``lang`` as a plain parameter (the Atom feed) sets ``g.lang_cookie_off``."""
    if g.get("lang_cookie_off"):
        return response
    code = normalize_lang(present(request.args, "lang"))
    cookie = current_app.config["LANG_COOKIE"]
    if code and present(request.cookies, cookie) != code:
        response.set_cookie(
            cookie,
            code,
            max_age=current_app.config["LANG_COOKIE_MAX_AGE"],
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


# -- links to this page ---------------------------------------------------------------------------------------------
# The language switcher (and any "same page, one thing changed" link) is built from the page's route and an
# allow-list of the query parameters that page itself reads, never from the raw query string: a key such as
# ``_scheme``, ``_external`` or ``_anchor`` would otherwise reach ``url_for`` and make it link to another host or
# scheme (issue 24). Values are the first of each, as text, at most PAGE_PARAM_MAX characters.
PAGE_PARAMS: Mapping[str, tuple[str, ...]] = {
    "core.home": ("cleared",),
    "patient.check": ("clinician",),
    "patient.results": ("region",),
    "labels.index": ("region", "product"),
    "labels.changes": ("region", "product"),
    "summaries.print": ("lang2", "paper"),
    "summaries.print_current": ("lang2", "paper"),
}
PAGE_PARAM_MAX = 64


def page_url(**changes: str | None) -> str:
    """This page's own address (route and allow-listed parameters) with ``changes`` applied (None drops a
    parameter): a relative URL from ``url_for``, never built from the Host header or a ``_`` key."""
    rule, endpoint = request.url_rule, request.endpoint
    if rule is None or endpoint is None or "GET" not in (rule.methods or ()):
        endpoint, view_args = "core.home", {}
    else:
        view_args = dict(request.view_args or {})
    args: dict[str, str] = {}
    for key in PAGE_PARAMS.get(endpoint, ()):
        value = present(request.args, key)
        if isinstance(value, str) and value and len(value) <= PAGE_PARAM_MAX:
            args[key] = value
    for key, value in changes.items():
        if key.startswith("_"):
            raise ValueError(f"not a page parameter: {key}")
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(endpoint, **view_args, **args)


def switch_url(code: str) -> str:
    """The language switcher's link: this page in language ``code``."""
    return page_url(lang=code)


def public_url(path: str) -> str:
    """The absolute URL of ``path`` (as ``url_for`` gives it, script root included) on PUBLIC_BASE_URL: the
    only source of absolute URLs (design brief section 5), never the request's Host header."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root + "/"):
        path = path[len(root) :]  # PUBLIC_BASE_URL already holds the prefix the app is served under
    return base + path


def current_locale_id() -> str:
    return _active.get() or str(get_locale() or "en")


def names(value: Names) -> str:
    """A region, class or drug name in the active locale. On Chinese pages a medicine with no Chinese name
    says so beside its INN, and one whose Chinese name rests on a single weak source is marked unconfirmed."""
    locale = current_locale_id()
    text = value.for_locale(locale)
    if locale == "en" or not value.zh_status:
        return text
    if value.zh_status == "none":
        return gettext("%(name)s (no Chinese generic name yet)", name=text)
    return gettext("%(name)s (Chinese name not confirmed)", name=text)


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
