"""Translatable messages produced by the engine, without importing Flask or gettext.

The engine returns :class:`Msg` values (an English msgid with named placeholders); the web layer renders them
with the active locale's catalog. ``N_`` and ``NP_`` only mark strings for extraction (babel.cfg keywords).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def N_(msgid: str) -> str:
    """Mark a string for extraction; translation happens at render time."""
    return msgid


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction."""
    return singular, plural


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Msg:
    """A message to translate later. ``params`` values may be str, int, Msg or Names-like objects."""

    id: str
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    plural: str | None = None
    n: int | None = None

    @classmethod
    def of(cls, msgid: str, /, **params: Any) -> Msg:
        return cls(msgid, MappingProxyType(params))

    @classmethod
    def count(cls, pair: tuple[str, str], n: int, /, **params: Any) -> Msg:
        return cls(pair[0], MappingProxyType({"num": n, **params}), plural=pair[1], n=n)


@dataclass(frozen=True, slots=True)
class Warning_:
    """A warning about answers that contradict each other; ``code`` is stable for API clients."""

    code: str
    field: str
    text: Msg
