"""A Babel extractor for rules/*.toml, so rule content is translated through the same catalogs as the UI.

When the English of a rule text changes, ``pybabel update`` marks its old translation fuzzy instead of
leaving a stale one in place (and the completeness gate then fails until a translator has looked).
Verbatim regulator text (``indication``) is never extracted: it is shown as the regulator wrote it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import IO, Any

# Keys whose string values are shown to users in their language. Everything else is an id, a name as
# registered, a date, a source or verbatim text.
# Practice data (rules/practice, rules/access) adds its sentences for patients: text, heading, population,
# what a price includes and excludes, and a trial's comparator. Source titles and quotes stay verbatim.
# drugs.toml adds ``related_class_reason``: why a medicine is not counted in a class it resembles (shown in the trace).
TRANSLATED_KEYS = frozenset(
    {
        "summary",
        "help",
        "text",
        "heading",
        "population",
        "includes",
        "excludes",
        "comparator",
        "related_class_reason",
    }
)


def _walk(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        entry = node.get("id", "")
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key in TRANSLATED_KEYS and isinstance(value, str) and value.strip():
                yield (f"{path} {entry}".strip() + f" field {key}", value)
            else:
                yield from _walk(value, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")


def extract_rules(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method: yields (line number, None, message, translator comments)."""
    raw = fileobj.read()
    text = raw.decode("utf-8")
    data = tomllib.loads(text)
    lines = text.splitlines()
    for where, message in _walk(data, ""):
        first = message.splitlines()[0][:40]
        lineno = next((i + 1 for i, line in enumerate(lines) if first in line), 1)
        yield lineno, None, message, [f"rules: {where}"]
