"""A bounded in-process memo for rendered fragments (JSON text and HTML) that do not depend on the person.

Most of a results page and of a check's JSON answer is the same for everyone who sees a label on a given
day in a given language: the label's source and own words, its caveats, prices, access steps and trial
figures. Those fragments are rendered once per worker and reused; what depends on the answers (status,
reasons, the trace) is rendered on every request.

Rules for keys (the whole safety of a cache lies there): a key names *everything* the fragment is made of,
always including the rules object (identity: rules are immutable and loaded once per app) and the locale.
Only fragments built from the live rules are cached; a saved summary's snapshot is never rendered through
here. ``FRAGMENT_CACHE_SIZE = 0`` turns caching off, and the tests compare every page rendered both ways.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from flask import Flask, current_app, has_request_context, request, url_for
from jinja2 import pass_context
from jinja2.runtime import Context

from .i18n import current_locale_id

T = TypeVar("T")


class FragmentCache:
    """Least-recently-used, size-bounded, safe to share between threads."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if self.maxsize <= 0:
            return build()
        with self._lock:
            try:
                value = self._items[key]
            except KeyError:
                pass
            else:
                self._items.move_to_end(key)
                self.hits += 1
                return value  # type: ignore[return-value]
        value = build()  # outside the lock: two threads may build the same fragment once each, harmlessly
        with self._lock:
            self.misses += 1
            self._items[key] = value
            if len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def fragments() -> FragmentCache:
    """The current app's cache."""
    return current_app.extensions["fragments"]


@pass_context
def cached(context: Context, name: str, *key: Hashable, caller: Callable[[], str]) -> str:
    """``{% call cached("name", key...) %}...{% endcall %}``: the block's HTML, rendered once per key.

    Caches only where the view put a ``fragment_scope`` in the context: a tuple naming the rules and every
    input of the page's data that the block's key does not (the day, the residence). Elsewhere (the print
    view of a saved summary, whose data is a stored snapshot) the block is simply rendered.
    """
    scope = context.get("fragment_scope")
    if not scope:
        return caller()
    # caller() is the block rendered by the autoescaping template: already Markup.
    return fragments().get(("html", name, scope, current_locale_id(), *key), caller)


def answers_key(row: Mapping[str, Any]) -> str:
    """What one result row's answer-dependent part is made of, as a key: status, criteria, open questions.

    The values are JSON types (str, int, bool, None, lists and dicts), for which ``repr`` is exact.
    """
    return repr((row.get("status"), row.get("criteria"), row.get("decided_by")))


def cards_key(rows: Iterable[Mapping[str, Any]]) -> str:
    """The key of a card of result rows: each row's label and answers_key."""
    return repr([(row.get("label_id"), answers_key(row)) for row in rows])


def layout_cached(name: str, *key: Hashable, caller: Callable[[], str]) -> str:
    """``{% call layout_cached("footer") %}``: a block of the layout that depends on the language, the rules
    and the page's address only, rendered once per page. Pages whose address holds data (a saved summary's
    token, a label id) and unknown addresses are rendered every time."""
    if request.url_rule is None or request.view_args:
        return caller()
    rules = current_app.extensions["engine"].rules
    return fragments().get(("layout", name, rules, current_locale_id(), request.path, *key), caller)


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
    app.extensions["fragments"] = FragmentCache(int(app.config["FRAGMENT_CACHE_SIZE"]))
    app.jinja_env.globals["cached"] = cached
    app.jinja_env.globals["answers_key"] = answers_key
    app.jinja_env.globals["cards_key"] = cards_key
    app.jinja_env.globals["repr"] = repr
    app.jinja_env.globals["layout_cached"] = layout_cached
    app.jinja_env.globals["url_for"] = url_for_cached
