"""``flask rules diff <git-ref>``: the label-level changes between rules/ at a past commit and today's.

For reviewers writing rules/CHANGELOG.md. The old tree is taken out of git (``git archive``) into a temporary
folder. Labels are compared as the TOML holds them (every key, flattened: ``criteria.min_prior_lines``,
``source.checked``), so the diff works even when the old tree no longer passes today's strict loader (after
a schema change, say); the output then says so, with the loader's own message, instead of failing.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..eligibility import RulesError, load_rules


class DiffError(Exception):
    """The comparison cannot be made at all (not a git checkout, unknown ref, no rules/ at that ref)."""


@dataclass(frozen=True, slots=True)
class LabelChange:
    id: str
    product: str
    region: str
    fields: tuple[tuple[str, Any, Any], ...]  # (flattened key, old value, new value); a missing key is None


@dataclass(slots=True)
class RulesDiff:
    ref: str
    old_version: str
    new_version: str
    old_load_error: str = ""  # why the old tree does not load under today's strict loader, when it does not
    new_load_error: str = ""
    added: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (label id, flattened table)
    removed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    changed: list[LabelChange] = field(default_factory=list)
    unchanged: int = 0
    products_added: list[str] = field(default_factory=list)
    products_removed: list[str] = field(default_factory=list)
    corrections_added: list[dict[str, Any]] = field(default_factory=list)


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments; the ref is checked by rev-parse first
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as a developer runs it
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise DiffError("git is not installed") from None
    if done.returncode != 0:
        raise DiffError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def export_rules(rules_dir: Path, ref: str, into: Path) -> Path:
    """Write rules/ as it was at ``ref`` under ``into``; return the folder."""
    rules_dir = rules_dir.resolve()
    top = Path(_git(rules_dir, "rev-parse", "--show-toplevel").decode().strip())
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except DiffError:
        raise DiffError(f"{ref!r} is not a commit in {top}") from None
    rel = rules_dir.relative_to(top).as_posix()
    try:
        archive = _git(top, "archive", "--format=tar", commit, "--", rel)
    except DiffError as exc:
        raise DiffError(f"no {rel}/ at {ref}: {exc}") from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / rel


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _raw_labels(root: Path) -> tuple[dict[str, tuple[str, dict[str, Any]]], str]:
    """label id -> (product id, flattened label table), read as plain TOML; and meta's version."""
    labels: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted((root / "products").glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # the strict loader's message says what is wrong with it
        for table in data.get("labels", []):
            if isinstance(table, dict) and isinstance(table.get("id"), str):
                labels[table["id"]] = (path.stem, _flatten(table))
    try:
        version = str(tomllib.loads((root / "meta.toml").read_text(encoding="utf-8")).get("version", "?"))
    except (OSError, tomllib.TOMLDecodeError):
        version = "?"
    return labels, version


def _raw_corrections(root: Path) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads((root / "corrections.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    return [c for c in data.get("corrections", []) if isinstance(c, dict)]


def _load_error(root: Path) -> str:
    try:
        load_rules(root)
    except RulesError as exc:
        return str(exc)
    return ""


def compare_trees(old_root: Path, new_root: Path, ref: str, *, skip: tuple[str, ...] = ()) -> RulesDiff:
    """The label-level differences from ``old_root`` to ``new_root``; keys starting with a ``skip``
    prefix (e.g. "source.") are left out."""
    old, old_version = _raw_labels(old_root)
    new, new_version = _raw_labels(new_root)
    diff = RulesDiff(
        ref=ref,
        old_version=old_version,
        new_version=new_version,
        old_load_error=_load_error(old_root),
        new_load_error=_load_error(new_root),
    )
    for label_id in sorted(new.keys() - old.keys()):
        diff.added.append((label_id, new[label_id][1]))
    for label_id in sorted(old.keys() - new.keys()):
        diff.removed.append((label_id, old[label_id][1]))
    for label_id in sorted(old.keys() & new.keys()):
        (_, a), (product, b) = old[label_id], new[label_id]
        fields = tuple(
            (key, a.get(key), b.get(key))
            for key in sorted(a.keys() | b.keys())
            if a.get(key) != b.get(key) and not key.startswith(skip)
        )
        if fields:
            diff.changed.append(LabelChange(label_id, product, str(b.get("region", "")), fields))
        else:
            diff.unchanged += 1
    old_products = {p for p, _ in old.values()}
    new_products = {p for p, _ in new.values()}
    diff.products_added = sorted(new_products - old_products)
    diff.products_removed = sorted(old_products - new_products)
    seen = {(c.get("label"), c.get("date")) for c in _raw_corrections(old_root)}
    diff.corrections_added = [
        c for c in _raw_corrections(new_root) if (c.get("label"), c.get("date")) not in seen
    ]
    return diff


def diff_against(rules_dir: Path, ref: str, *, skip: tuple[str, ...] = ()) -> RulesDiff:
    with tempfile.TemporaryDirectory(prefix="rules-diff-") as tmp:
        old_root = export_rules(rules_dir, ref, Path(tmp))
        return compare_trees(old_root, rules_dir, ref, skip=skip)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if len(text) <= 90 else text[:87] + "..."


def _changed_text(a: str, b: str, context: int = 30) -> str:
    """Where two long texts differ, as ``...kept [-old-]{+new+} kept...`` (wdiff style), first changes only."""
    from .describe import text_diff  # pure string work; describe's other helpers need an app context

    parts: list[str] = []
    changes = 0
    pairs = text_diff(a, b)
    for i, (op, text) in enumerate(pairs):
        if op == "equal":
            if changes >= 4:  # two replacements (a deletion and an insertion each)
                break
            before = i > 0
            after = i + 1 < len(pairs)
            if len(text) > 2 * context and before and after:
                text = text[:context] + " ... " + text[-context:]
            elif len(text) > context and not before:
                text = "..." + text[-context:]
            elif len(text) > context and not after:
                text = text[:context] + "..."
            parts.append(text)
        else:
            changes += 1
            parts.append(f"[-{text}-]" if op == "delete" else f"{{+{text}+}}")
    return "".join(parts)


def _field_line(key: str, a: Any, b: Any) -> str:
    if isinstance(a, str) and isinstance(b, str) and max(len(a), len(b)) > 90:
        return f"{key}: {_changed_text(a, b)}"
    return f"{key}: {_show(a)} -> {_show(b)}"


def _when(table: dict[str, Any]) -> str:
    approved = table.get("approved") or "date unknown"
    ended = f", ended {table['ended']} ({table.get('end_reason', '?')})" if table.get("ended") else ""
    return f"approved {approved}{ended}"


def format_diff(diff: RulesDiff) -> str:
    lines = [
        f"rules/ at {diff.ref} (version {diff.old_version}) -> today's rules/ (version {diff.new_version})"
    ]
    if diff.old_load_error:
        lines.append(
            f"NOTE: rules/ at {diff.ref} does not load under today's strict loader, so it is compared as "
            f"plain TOML (renamed keys show as removed and added):\n  {diff.old_load_error}"
        )
    if diff.new_load_error:
        lines.append(f"NOTE: today's rules/ does not load: {diff.new_load_error}")
    if diff.products_added:
        lines.append(f"Products added: {', '.join(diff.products_added)}")
    if diff.products_removed:
        lines.append(f"Products removed: {', '.join(diff.products_removed)}")
    lines.append(f"\nLabel versions added ({len(diff.added)}):")
    lines += [f"  + {lid} ({t.get('region', '?')}): {_when(t)}" for lid, t in diff.added] or ["  none"]
    lines.append(f"\nLabel versions removed ({len(diff.removed)}):")
    lines += [f"  - {lid} ({t.get('region', '?')}): {_when(t)}" for lid, t in diff.removed] or ["  none"]
    lines.append(f"\nLabel versions changed ({len(diff.changed)}):")
    for change in diff.changed:
        lines.append(f"  ~ {change.id} ({change.region}, {change.product})")
        lines += [f"      {_field_line(key, a, b)}" for key, a, b in change.fields]
    if not diff.changed:
        lines.append("  none")
    if diff.corrections_added:
        lines.append(f"\nCorrections added ({len(diff.corrections_added)}):")
        lines += [
            f"  * {c.get('label')} {c.get('date')}: {_show(c.get('text'))}" for c in diff.corrections_added
        ]
    lines.append(f"\n{diff.unchanged} label versions unchanged.")
    return "\n".join(lines) + "\n"
