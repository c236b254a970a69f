"""What this app may cache, and why: the one place that says so.

People's answers are health information, and a verdict must always be the one their own answers give. So:

1. **Never cached: anything that depends on the answers.** Verdicts, reasons, the "how was this decided?"
   trace, the questions for the specialist, the count of outcomes, the form with someone's answers in it, and
   any amount converted into the currency of where someone lives: rendered on every request. No key is ever
   built from some of the answers (a key that forgot one answer would show one person another's verdict).
2. **Cached: a label's practice sections** (caveats, availability, costs in the label region's own currency,
   access and travel steps, trial figures), rendered once as complete template output (valid HTML on its own)
   under a key that names everything they are made of: the rules version, the label ids, the as-of date,
   the residence case (``practice_case``: what the place of residence means for that label, never the
   residence's own currency) and the locale. Many people see the same label on the same day in the same
   language, and these sections are most of a detail page.
3. **Memoised: pure functions on exactly their arguments** (``functools.lru_cache`` on date formatting, say).
4. **Not cached: pages, the header and footer, URLs and signatures.** Flask's ``url_for``, Flask's session
   signing and Flask-WTF's CSRF tokens are used as they come.

A saved summary renders from its stored snapshot, never through this cache. The cache is per worker, bounded
by the bytes it holds (``FRAGMENT_CACHE_BYTES``; 0 turns it off, which the benchmark uses), least recently
used going first, and safe to share between threads.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from flask import Flask, current_app

T = TypeVar("T")


def size_of(value: object) -> int:
    """Roughly how many bytes ``value`` holds (strings, bytes, numbers and containers of them)."""
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
        value = build()  # outside the lock: two threads may build the same value once each, harmlessly
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
    """The current app's cache of answer-free pieces (see the rules above)."""
    return current_app.extensions["fragments"]


def init_caching(app: Flask) -> None:
    app.extensions["fragments"] = FragmentCache(int(app.config["FRAGMENT_CACHE_BYTES"]))
