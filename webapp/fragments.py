"""A bounded in-process memo for rendered fragments (JSON text and HTML) that do not depend on the person.

Most of a results page and of a check's JSON answer is the same for everyone who sees a label on a given
day in a given language: the label's source and own words, its caveats, prices, access steps and trial
figures. Those fragments are rendered once per worker and reused; what depends on the answers (status,
reasons, the trace) is rendered on every request.

Rules for keys (the whole safety of a cache lies there): a key names *everything* the fragment is made of,
always including the rules object (identity: rules are immutable and loaded once per app) and the locale.
Only fragments built from the live rules are cached; a saved summary's snapshot is never rendered through
here. The cache is bounded by the bytes it holds (``FRAGMENT_CACHE_BYTES`` per worker; 0 turns it off), and
the tests compare every page and API answer built both ways.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, render_template, request, url_for
from markupsafe import Markup

from .i18n import current_locale_id

T = TypeVar("T")


def size_of(value: object) -> int:
    """Roughly how many bytes ``value`` holds (strings, bytes, numbers and containers of them)."""
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return sys.getsizeof(value)
    if isinstance(value, Mapping):
        return sys.getsizeof(value) + sum(size_of(k) + size_of(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sys.getsizeof(value) + sum(size_of(v) for v in value)
    return sys.getsizeof(value)


class FragmentCache:
    """Least-recently-used, bounded by the bytes it holds, safe to share between threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if self.max_bytes <= 0:
            return build()
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return item[0]  # type: ignore[return-value]
        value = build()  # outside the lock: two threads may build the same fragment once each, harmlessly
        weight = size_of(value) + 200  # the key and the bookkeeping, roughly
        with self._lock:
            self.misses += 1
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            if weight <= self.max_bytes:
                self._items[key] = (value, weight)
                self.size += weight
                while self.size > self.max_bytes:
                    _key, (_value, dropped) = self._items.popitem(last=False)
                    self.size -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)


def fragments() -> FragmentCache:
    """The current app's cache of what many people share (a label's blocks on a day, in a language)."""
    return current_app.extensions["fragments"]


def answer_fragments() -> FragmentCache:
    """The current app's cache of what depends on one set of answers: small, and kept apart, so that many
    people's different answers never push out what everyone shares."""
    return current_app.extensions["answer_fragments"]


def cached(
    name: str,
    *key: Hashable,
    caller: Callable[[], str],
    scope: tuple[Hashable, ...] | None = None,
    per_answers: bool = False,
) -> str:
    """``{% call cached("name", key..., scope=fragment_scope) %}...{% endcall %}``: the block's HTML, rendered
    once per key.

    Caches only with a ``scope``, which the view puts in the context as ``fragment_scope``: a tuple naming the
    rules and every input of the page's data that the block's key does not (the day, the script root).
    Without one (the print view of a saved summary, whose data is a stored snapshot) the block is simply
    rendered. (The scope is an argument, not read from the template context: Jinja gives a function that
    reads the context, called in a loop, a fresh copy of the context on every call.)
    """
    if not scope:
        return caller()
    cache = answer_fragments() if per_answers else fragments()

    def build() -> bytes:
        html = str(caller())
        if _SPLICE_MARK in html:  # a spliced piece (see render_spliced) is one page's own: never kept
            raise _NotKept(html)
        return html.encode()

    # Kept as UTF-8: half the memory of a str holding any character past U+00FF (a "’" is enough), so twice
    # as many fragments fit. caller() is the block rendered by the autoescaping template, so it is safe HTML.
    try:
        html = cache.get(("html", name, scope, current_locale_id(), *key), build)
    except _NotKept as not_kept:
        return Markup(not_kept.html)  # noqa: S704 - autoescaped template output, see above
    return Markup(html.decode())  # noqa: S704 - autoescaped template output, see above


class _NotKept(Exception):
    def __init__(self, html: str) -> None:
        self.html = html


# -- spliced pages ------------------------------------------------------------------------------------------------
# A results page is mostly cards joined from cached UTF-8 pieces. Decoding them into the page's text, for Jinja
# to join and Flask to encode again, costs more than all the rest of putting a card together. So, while
# render_spliced() renders a page, a card leaves a marker in the text and its bytes aside, and the page's bytes
# are its text, encoded, with each marker replaced by its card's bytes: the same bytes, a fraction of the work.
# A marker holds NUL characters, which no template, translation or label text holds, and a token fresh on
# every page.
_SPLICE_MARK = "\x00splice:"
_SPLICE_ATTR = "_maa_splice"
_SPLICE_RE = re.compile(_SPLICE_MARK + "([0-9a-f]+):([0-9]+)\x00")  # compiled once: the token changes


def splice(piece: bytes) -> Markup | None:
    """While ``render_spliced`` renders a page: a marker standing for ``piece`` (safe UTF-8 HTML), which the
    page's bytes will hold in its place. Otherwise None: the caller puts its HTML in the text itself."""
    state = g.get(_SPLICE_ATTR) if has_request_context() else None
    if state is None:
        return None
    token, pieces = state
    pieces.append(piece)
    return Markup(f"{_SPLICE_MARK}{token}:{len(pieces) - 1}\x00")  # noqa: S704 - a marker, replaced by safe HTML


def render_spliced(template: str, **context: Any) -> bytes:
    """``render_template(template, **context)`` as UTF-8, with what ``splice`` set aside put back in place."""
    token = secrets.token_hex(8)
    pieces: list[bytes] = []
    setattr(g, _SPLICE_ATTR, (token, pieces))
    try:
        html = render_template(template, **context)
    finally:
        delattr(g, _SPLICE_ATTR)
    if not pieces:
        return html.encode()
    parts = _SPLICE_RE.split(html)  # text, (token, index, text)...
    out = [parts[0].encode()]
    for i in range(1, len(parts), 3):
        marker_token, index, text = parts[i : i + 3]
        if marker_token == token:
            out.append(pieces[int(index)])
        else:  # not this page's marker (there are none): left as it was
            out.append(f"{_SPLICE_MARK}{marker_token}:{index}\x00".encode())
        out.append(text.encode())
    return b"".join(out)


def _page_key() -> tuple[Hashable, ...] | None:
    """The rules, language and address of this page, as the start of a key; None (never cache) for pages
    whose address holds data (a saved summary's token, a label id), unknown addresses and long query strings."""
    if request.url_rule is None or request.view_args or len(request.query_string) > 200:
        return None
    rules = current_app.extensions["engine"].rules
    return (rules, current_locale_id(), request.script_root, request.path)


def layout_cached(name: str, *key: Hashable, caller: Callable[[], str]) -> str:
    """``{% call layout_cached("footer") %}``: a block of the layout that depends on the language, the rules
    and the page's address only (and ``key``), rendered once per page (see ``_page_key``)."""
    page = _page_key()
    if page is None:
        return caller()
    return fragments().get(("layout", name, *page, *key), caller)


def page_cached(template: str, **context: Any) -> str:
    """A whole page that depends on the language, the rules, its address with its query string, and
    ``context`` only (no form, no session): rendered once per key (see ``_page_key``). ``context`` values must
    be hashable; they are part of the key."""
    page = _page_key()
    if page is None:
        return render_template(template, **context)
    key = ("page", template, *page, request.query_string, *context.items())
    return fragments().get(key, lambda: render_template(template, **context))


def url_for_cached(endpoint: str, **values: Any) -> str:
    """``url_for`` for templates, remembered per endpoint and arguments: building a URL costs ~10 µs and a
    page builds dozens, always the same ones. Same answers as url_for (which it calls once per key)."""
    if not has_request_context():
        return url_for(endpoint, **values)
    key: tuple[Hashable, ...] = (
        "url",
        request.script_root,
        request.blueprint if endpoint.startswith(".") else None,
        endpoint,
        tuple(sorted(values.items())),
    )
    if values.get("_external"):
        key += (request.host_url,)
    try:
        hash(key)
    except TypeError:  # a list or dict argument: build it every time
        return url_for(endpoint, **values)
    return fragments().get(key, lambda: url_for(endpoint, **values))


def init_fragments(app: Flask) -> None:
    app.extensions["fragments"] = FragmentCache(int(app.config["FRAGMENT_CACHE_BYTES"]))
    app.extensions["answer_fragments"] = FragmentCache(int(app.config["ANSWER_CACHE_BYTES"]))
    app.jinja_env.globals["cached"] = cached
    app.jinja_env.globals["repr"] = repr
    app.jinja_env.globals["layout_cached"] = layout_cached
    app.jinja_env.globals["url_for"] = url_for_cached
