"""Plain words for label data: criteria, states, flags, version history and what changed between versions.

Everything a clinician reads about a label is generated here from the Label records (aesthetics.md,
practice 8), never written by hand beside them. The functions need an app context for gettext; the
report command and the pages share them, so the two can never disagree.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from markupsafe import Markup, escape

from ..eligibility.dates import PartialDate
from ..eligibility.model import CLASS_IDS, CRITERION_KEYS, Label, Rules
from ..eligibility.texts import N_
from ..i18n import gettext, names, ngettext

# Criterion rows in the order a clinician reads a label (the same order as the engine's trace).
CRITERION_ORDER: tuple[str, ...] = ("relapsed_or_refractory", *CRITERION_KEYS)
CRITERION_NAMES: dict[str, str] = {
    "relapsed_or_refractory": N_("Disease status"),
    "adult": N_("Age"),
    "min_prior_lines": N_("Fewest earlier treatments"),
    "max_prior_lines": N_("Most earlier treatments"),
    "exposed": N_("Earlier treatment needed"),
    "refractory": N_("Refractory to"),
    "progressed_on_last": N_("Worse on the latest treatment"),
    "no_prior_bcma_car_t": N_("Earlier BCMA-directed CAR-T"),
    "regimen": N_("Given with"),
}
STATE_NAMES: dict[str, str] = {
    "in_force": N_("In force"),
    "superseded": N_("Superseded"),
    "withdrawn": N_("Withdrawn"),
    "not_yet": N_("Not yet in force"),
}
# The label's own counting word, shown beside "lines of therapy" (design brief section 3).
LINE_WORDS: dict[str, str] = {"lines": N_("lines"), "therapies": N_("therapies"), "regimens": N_("regimens")}
NOT_STATED = N_("Not stated by any source we hold")
NOT_REQUIRED = N_("Not required by this label")
# Scenario outcomes as the test files spell them.
EXPECT_NAMES: dict[str, str] = {
    "eligible": N_("Answers match"),
    "possible": N_("Could match"),
    "not_checked": N_("Not checked: the label's wording is not held"),
    "not_eligible": N_("Does not match"),
    "not_in_force": N_("Not in force on that day"),
}


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def state_name(state: str) -> str:
    return gettext(STATE_NAMES[state])


def expect_name(expect: str) -> str:
    return gettext(EXPECT_NAMES[expect]) if expect in EXPECT_NAMES else expect


def criterion_name(key: str) -> str:
    return gettext(CRITERION_NAMES[key])


def _join(items: list[str]) -> str:
    return gettext(", ").join(items)


def target_name(rules: Rules, target: str) -> str:
    """A class as its name with the usual abbreviation, e.g. "proteasome inhibitor (PI)"; a drug by name."""
    if target in CLASS_IDS:
        # Translators: a drug class and its abbreviation, e.g. "proteasome inhibitor (PI)"; keep the
        # abbreviation in Latin letters.
        return gettext("%(name)s (%(abbr)s)", name=names(rules.classes[target].names), abbr=target)
    return names(rules.drugs[target].names)


# ASCII look-arounds: a Chinese character counts as \w, and a translation may put one right beside "PI".
_ABBR = re.compile(
    r"(?<![A-Za-z0-9_-])("
    + "|".join(re.escape(c) for c in sorted(CLASS_IDS, key=len, reverse=True))
    + r")(?![A-Za-z0-9_-])"
)


def marked_up(text: str) -> Markup:
    """``text`` as HTML with each class abbreviation (PI, IMiD, anti-CD38) marked as English.

    The abbreviations stay in Latin letters on Chinese pages, as clinicians write them; the mark tells screen
    readers (and the Chinese-page check) what they are, wherever a translation puts them.
    """
    # Safe: the text is escaped first, and the pattern only matches the three fixed abbreviations.
    return Markup(_ABBR.sub(r'<span lang="en">\1</span>', str(escape(text))))  # noqa: S704


def regimen_names(rules: Rules, label: Label) -> list[str]:
    return [names(rules.drugs[d].names) for d in label.regimen]


@dataclass(frozen=True, slots=True)
class CriterionLine:
    """One row of "the encoded criteria in plain words". ``items`` holds list members, for diffs."""

    key: str
    name: str
    text: str
    state: str  # "required", "unknown" (no source states it) or "absent" (the label does not set it)
    items: tuple[str, ...] = ()


def lines_text(count: int, line_word: str, *, maximum: bool = False) -> str:
    if maximum:
        text = ngettext(
            "At most %(num)d prior line of therapy", "At most %(num)d prior lines of therapy", count
        )
    else:
        text = ngettext(
            "At least %(num)d prior line of therapy", "At least %(num)d prior lines of therapy", count
        )
    if line_word != "lines":
        # The label counts therapies or regimens; a specialist may count these differently from IMWG lines.
        # Translators: %(text)s is "At least 3 prior lines of therapy"; %(word)s is the label's own
        # counting word ("therapies" or "regimens").
        text = gettext(
            "%(text)s (the label's word: %(word)s)", text=text, word=gettext(LINE_WORDS[line_word])
        )
    return text


def criteria_lines(rules: Rules, label: Label) -> list[CriterionLine]:
    """Every criterion the engine knows, in reading order, with what this label asks for each."""
    c = label.criteria
    unknown = set(c.unknown)
    out: list[CriterionLine] = []

    def add(key: str, text: str | None, items: tuple[str, ...] = ()) -> None:
        if key in unknown:
            out.append(CriterionLine(key, criterion_name(key), gettext(NOT_STATED), "unknown"))
        elif text is None:
            out.append(CriterionLine(key, criterion_name(key), gettext(NOT_REQUIRED), "absent"))
        else:
            out.append(CriterionLine(key, criterion_name(key), text, "required", items))

    add(
        "relapsed_or_refractory",
        gettext("Relapsed or refractory multiple myeloma (every label in this service requires it)"),
    )
    add("adult", gettext("Adults only (18 or over)") if c.adult else None)
    add(
        "min_prior_lines",
        lines_text(c.min_prior_lines, label.line_word) if c.min_prior_lines is not None else None,
    )
    add(
        "max_prior_lines",
        lines_text(c.max_prior_lines, label.line_word, maximum=True)
        if c.max_prior_lines is not None
        else None,
    )
    exposed = tuple(target_name(rules, t) for t in c.exposed)
    add(
        "exposed",
        ngettext(
            "Earlier treatment with: %(items)s",
            "Earlier treatment with each of: %(items)s",
            len(exposed),
            items=_join(list(exposed)),
        )
        if exposed
        else None,
        exposed,
    )
    refractory = tuple(target_name(rules, t) for t in c.refractory)
    add(
        "refractory",
        ngettext(
            "Refractory to: %(items)s",
            "Refractory to each of: %(items)s",
            len(refractory),
            items=_join(list(refractory)),
        )
        if refractory
        else None,
        refractory,
    )
    add(
        "progressed_on_last",
        gettext("The myeloma got worse during the latest treatment or within 60 days after it")
        if c.progressed_on_last
        else None,
    )
    add(
        "no_prior_bcma_car_t",
        gettext("No earlier BCMA-directed CAR-T cell therapy") if c.no_prior_bcma_car_t else None,
    )
    return out


def regimen_line(rules: Rules, label: Label) -> CriterionLine:
    drugs = tuple(regimen_names(rules, label))
    if not drugs:
        return CriterionLine("regimen", criterion_name("regimen"), gettext("Given on its own"), "absent")
    text = gettext("Given with %(drugs)s", drugs=_join(list(drugs)))
    return CriterionLine("regimen", criterion_name("regimen"), text, "required", drugs)


# -- dates -----------------------------------------------------------------------------------------------------
def partial_date_text(value: PartialDate | None) -> str:
    """A date as precise as the source gives it, in the reader's language; '' when there is none."""
    if value is None:
        return ""
    locale = get_locale() or "en"
    if value.precision == "day":
        return format_date(value.effective, "long")
    if value.precision == "month":
        return format_skeleton("yMMMM", value.effective, locale=locale)
    return format_skeleton("y", value.effective, locale=locale)


def date_text(value: dt.date | None) -> str:
    return format_date(value, "long") if value else ""


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier, or the last day of that month when it is shorter (29 Feb)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- flags -----------------------------------------------------------------------------------------------------
def flag_texts(label: Label) -> list[tuple[str, str]]:
    """(flag id, explanation) for each flag the data carries; the ids are the API's."""
    out = []
    for flag in label.flags:
        if flag == "not_verified":
            # The reason is long; it is shown once, with the source.
            text = gettext("Not verified against the regulator's own text. The source section says why.")
        elif flag == "approval_date_unknown":
            text = gettext(
                "No source gives the approval date. The label counts as in force from the day its source "
                "was checked (%(date)s).",
                date=date_text(label.source.checked),
            )
        elif flag == "approval_date_month_only":
            text = gettext(
                "The approval date is known only to the month. The label counts as in force from the last "
                "day of that month (%(date)s).",
                date=date_text(label.in_force_from),
            )
        elif flag == "approval_date_year_only":
            text = gettext(
                "The approval date is known only to the year. The label counts as in force from the last "
                "day of that year (%(date)s).",
                date=date_text(label.in_force_from),
            )
        elif flag == "approval_date_bound":
            text = gettext(
                "No source gives the approval date, but a document dated %(date)s shows the approval existed "
                "by then. The label counts as in force from that day.",
                date=date_text(label.in_force_from),
            )
        elif flag == "indication_not_held":
            text = gettext(
                "No source we hold states for whom this label is approved, so answers are not checked against it."
            )
        elif flag == "indication_translated":
            text = gettext(
                "The indication shown is a translation; the wording in the original language is not held."
            )
        elif flag == "criteria_unknown":
            text = gettext(
                "Some criteria are not stated by any source we hold. Answers that meet the strictest reading of "
                "them still match; other answers stay at “could match”."
            )
        elif flag == "not_reviewed":
            text = gettext("Not yet reviewed by a clinician.")
        else:  # a flag added to the model later still shows, by its id
            text = flag
        out.append((flag, text))
    return out


# -- version history ---------------------------------------------------------------------------------------------
def versions_of(rules: Rules, label: Label) -> list[Label]:
    """Every version of this product in this region, oldest first."""
    same = [lb for lb in rules.labels.values() if lb.product == label.product and lb.region == label.region]
    return sorted(same, key=lambda lb: (lb.in_force_from, lb.id))


@dataclass(frozen=True, slots=True)
class Neighbours:
    before: tuple[Label, ...]  # the version(s) this one followed
    after: tuple[Label, ...]  # the version(s) that followed this one
    alongside: tuple[Label, ...]  # versions in force at the same time (another regimen, for example)


def neighbours(rules: Rules, label: Label) -> Neighbours:
    """The versions just before and just after ``label``, and those whose time in force overlaps it.

    One version can be followed by two (the 2026 US teclistamab labels split one indication in two), so
    each side is a tuple: every earlier version that ended last, every later version that started first.
    """
    start, end = label.in_force_from, label.in_force_until
    earlier, later, overlap = [], [], []
    for other in versions_of(rules, label):
        if other.id == label.id:
            continue
        if other.in_force_until is not None and other.in_force_until <= start:
            earlier.append(other)
        elif end is not None and other.in_force_from >= end:
            later.append(other)
        else:
            overlap.append(other)
    before = tuple(lb for lb in earlier if lb.in_force_until == max(e.in_force_until for e in earlier))  # type: ignore[type-var]
    after = tuple(lb for lb in later if lb.in_force_from == min(x.in_force_from for x in later))
    return Neighbours(before, after, tuple(overlap))


@dataclass(frozen=True, slots=True)
class Change:
    """One criterion that differs between two versions, in plain words, with list members added/removed."""

    key: str
    name: str
    before: str
    after: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def criteria_changes(rules: Rules, old: Label, new: Label) -> list[Change]:
    """What changed in the encoded criteria (and the companion drugs) from ``old`` to ``new``."""
    before = {line.key: line for line in [*criteria_lines(rules, old), regimen_line(rules, old)]}
    out = []
    for line in [*criteria_lines(rules, new), regimen_line(rules, new)]:
        prev = before[line.key]
        if prev.text == line.text:
            continue
        out.append(
            Change(
                line.key,
                line.name,
                prev.text,
                line.text,
                added=tuple(i for i in line.items if i not in prev.items),
                removed=tuple(i for i in prev.items if i not in line.items),
            )
        )
    return out


def english_indication(label: Label) -> str:
    return label.indication if label.indication_lang == "en" else label.indication_en


_URL = re.compile(r"https?://[^\s;]+")


def url_parts(text: str | tuple[str, ...]) -> list[tuple[str, str]]:
    """A source's addresses as ('url', ...) parts, separated by ('text', "; ") parts.

    Sources hold a list of addresses, each exactly one URL (the loader checks it); a plain string is still
    split, for callers that pass one."""
    if not isinstance(text, str):
        out_list: list[tuple[str, str]] = []
        for i, url in enumerate(text):
            if i:
                out_list.append(("text", "; "))
            out_list.append(("url", url))
        return out_list
    out: list[tuple[str, str]] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(").,")
        if match.start() > pos:
            out.append(("text", text[pos : match.start()]))
        out.append(("url", url))
        pos = match.start() + len(url)
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


_TOKENS = re.compile(r"\s+|[^\s]+")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff as (operation, text) pairs; operation is 'equal', 'delete' or 'insert'."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    # Segments of (kept, removed, added). Changes separated only by a space merge into one segment, so a
    # rewritten phrase reads as one phrase struck out and one added, not word by word.
    segments: list[tuple[str, str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("".join(a[i1:i2]), "", ""))
        elif segments and not segments[-1][0]:
            _, removed, added = segments.pop()
            segments.append(("", removed + "".join(a[i1:i2]), added + "".join(b[j1:j2])))
        elif len(segments) >= 2 and segments[-1][0].isspace() and not segments[-2][0]:
            space = segments.pop()[0]
            _, removed, added = segments.pop()
            segments.append(("", removed + space + "".join(a[i1:i2]), added + space + "".join(b[j1:j2])))
        else:
            segments.append(("", "".join(a[i1:i2]), "".join(b[j1:j2])))
    out: list[tuple[str, str]] = []
    for kept, removed, added in segments:
        if kept:
            out.append(("equal", kept))
            continue
        if removed:
            out.append(("delete", removed))
        if removed and added:
            out.append(("equal", " "))
        if added:
            out.append(("insert", added))
    return out


@dataclass(frozen=True, slots=True)
class Comparison:
    """``old`` → ``new``: the criteria that changed and a word diff of the English indication."""

    old: Label
    new: Label
    changes: tuple[Change, ...]
    wording: tuple[tuple[str, str], ...]


def compare(rules: Rules, old: Label, new: Label) -> Comparison:
    return Comparison(
        old,
        new,
        tuple(criteria_changes(rules, old, new)),
        tuple(text_diff(english_indication(old), english_indication(new))),
    )
