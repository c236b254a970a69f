"""The results overview and a therapy's detail, as data for the templates: answer first.

Everything here reads a result as JSON-ready dicts (``result_data`` of the live engine, or a saved summary's
snapshot), so the live pages and the saved ones show the same thing from the same code. Nothing here is
cached: it all depends on the answers (webapp/caching.py says why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..eligibility.texts import N_
from ..i18n import current_locale_id, gettext, names, ngettext
from .answers import engine
from .form_state import group_field

# What a therapy is, in a few words (rules/products/*.toml `kind`).
KIND_TEXT = {
    "car-t": N_("CAR-T cell therapy"),
    "bispecific": N_("Bispecific antibody"),
    "adc": N_("Antibody-drug conjugate"),
}


def rank(status: str) -> int:
    """Eligible, possible, not_checked, not_eligible: the order of the check API (design brief section 4)."""
    order = {"eligible": 0, "possible": 1, "not_checked": 2, "not_eligible": 3}
    return order.get(status, 9)


def kind_text(kind: str | None, target: str | None) -> str:
    what = gettext(KIND_TEXT[kind]) if kind in KIND_TEXT else ""
    if what and target:
        return gettext("%(kind)s aimed at %(target)s", kind=what, target=target)
    return what


@dataclass
class Therapy:
    """One row of the overview: a product in a region, with its label rows (one per regimen) best first."""

    product: str
    status: str
    rows: list[dict[str, Any]]
    decider: str = ""

    @property
    def first(self) -> dict[str, Any]:
        return self.rows[0]

    @property
    def label_id(self) -> str:
        return str(self.rows[0]["label_id"])


def therapies(results: Iterable[Mapping[str, Any]], question: Callable[[str], str]) -> list[Therapy]:
    """One entry per product, in order of its best status, then as the engine sorted them."""
    by_product: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        by_product.setdefault(str(row["product"]), []).append(dict(row))
    out = []
    for product, rows in by_product.items():
        rows.sort(key=lambda r: rank(r["status"]))
        t = Therapy(product, rows[0]["status"], rows)
        t.decider = decider(rows[0], question)
        out.append(t)
    out.sort(key=lambda t: rank(t.status))
    return out


def decider(row: Mapping[str, Any], question: Callable[[str], str]) -> str:
    """The one thing that decides a row: the question that would settle a "could match", the part of the
    label that a "does not match" fails, or that the wording of a label is not held."""
    status = row["status"]
    criteria = row.get("criteria") or []
    if status == "possible":
        if row.get("decided_by"):
            return question(row["decided_by"][0])
        missing = [c for c in criteria if c.get("missing_data")]
        if missing:
            return gettext("Part of the label’s wording is not known: ask your specialist.")
        unknown = [c for c in criteria if c.get("outcome") == "unknown"]
        return unknown[0]["text"] if unknown else ""
    if status == "not_eligible":
        failed = [c for c in criteria if c.get("outcome") == "not_met"]
        return failed[0]["text"] if failed else ""
    if status == "not_checked":
        return gettext("We do not hold the wording of this approval, so we could not check your answers.")
    return ""


def counts(items: Sequence[Therapy], elsewhere: int) -> dict[str, int]:
    out = {s: 0 for s in ("eligible", "possible", "not_checked", "not_eligible")}
    for t in items:
        out[t.status] = out.get(t.status, 0) + 1
    out["elsewhere"] = elsewhere
    return out


def count_sentence(c: Mapping[str, int], hypothetical: bool = False) -> str:
    """ "2 match, 1 could match, 1 could not be checked, 3 do not match, 4 are approved elsewhere": only the
    outcomes that occur, each properly pluralised."""
    parts = []
    if c.get("eligible"):
        n = c["eligible"]
        parts.append(
            ngettext("%(num)d would match", "%(num)d would match", n)
            if hypothetical
            else ngettext("%(num)d matches", "%(num)d match", n)
        )
    if c.get("possible"):
        parts.append(ngettext("%(num)d could match", "%(num)d could match", c["possible"]))
    if c.get("not_checked"):
        parts.append(
            ngettext("%(num)d could not be checked", "%(num)d could not be checked", c["not_checked"])
        )
    if c.get("not_eligible"):
        parts.append(ngettext("%(num)d does not match", "%(num)d do not match", c["not_eligible"]))
    if c.get("elsewhere"):
        parts.append(
            ngettext("%(num)d is approved elsewhere", "%(num)d are approved elsewhere", c["elsewhere"])
        )
    if not parts:
        return gettext("No treatment of this kind is approved here yet.")
    return gettext("%(list)s.", list=gettext(", ").join(parts))


@dataclass
class Questions:
    """The questions for the specialist, each once, in the order they first come up."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text and text not in self.items:
            self.items.append(text)


def row_questions(row: Mapping[str, Any], region_name: str, question: Callable[[str], str]) -> list[str]:
    """What to ask about one label row: the questions that would settle a "could match", what the label may
    require where we could not read it, and, for a label whose wording we do not hold, whether it fits."""
    name = row.get("name") or row.get("product")
    out: list[str] = []
    if row["status"] == "possible":
        out += [question(key) for key in row.get("decided_by") or ()]
        out += [
            gettext(
                "%(name)s in %(region)s: what does the label say about the parts we could not read?",
                name=name,
                region=region_name,
            )
            for c in row.get("criteria") or ()
            if c.get("missing_data")
        ]
    elif row["status"] == "not_checked":
        out.append(
            gettext(
                "Is %(name)s approved in %(region)s for someone with my treatment so far?",
                name=name,
                region=region_name,
            )
        )
    return out


def specialist_questions(
    groups: Iterable[tuple[str, Sequence[Therapy]]], question: Callable[[str], str]
) -> list[str]:
    """One combined, de-duplicated list: what would settle each "could match", and what to ask about a label
    whose wording we do not hold. ``groups`` pairs a region's name with its therapies."""
    qs = Questions()
    for region_name, items in groups:
        for t in items:
            for row in t.rows:
                for text in row_questions(row, region_name, question):
                    qs.add(text)
    return qs.items


def region_steps(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The access and travel steps of a region, each once, by section (region, international, route): every
    label of a region carries them, and the overview shows them once."""
    seen: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {"region": [], "international": [], "route": []}
    for row in rows:
        for step in row.get("access_steps") or ():
            if step["id"] in seen:
                continue
            seen.add(step["id"])
            out.setdefault(step["section"], []).append(step)
    return out


def overview_page(
    data: Mapping[str, Any],
    elsewhere: Sequence[Mapping[str, Any]],
    at_home: Mapping[str, Any] | None,
    *,
    hypothetical: bool,
    detail_url: Callable[[str], str],
    question: Callable[[str], str],
    region_name: Callable[[str | None], str],
) -> dict[str, Any]:
    """Everything the overview shows, from a result as JSON-ready dicts (live or saved)."""
    region = data.get("region")
    items = therapies(data["results"], question) if region else []
    home_items = therapies(at_home["results"], question) if at_home else []
    home_matches = [t for t in home_items if t.status in ("eligible", "possible")]
    groups: list[tuple[str, Sequence[Therapy]]] = [(region_name(region), items)] if region else []
    if at_home:
        groups.append((region_name(at_home["region"]), home_matches))
    return {
        "region": region,
        "region_name": region_name(region) if region else None,
        "hypothetical": hypothetical,
        "warnings": data.get("warnings") or [],
        "rules_version": data.get("rules_version"),
        "therapies": items,
        "sentence": count_sentence(counts(items, len(elsewhere)), hypothetical) if region else "",
        "elsewhere": elsewhere,
        "at_home": {
            "region": at_home["region"],
            "region_name": region_name(at_home["region"]),
            "region_in_sentence": region_in_sentence(at_home["region"]),
            "therapies": home_matches,
            "others": len(home_items) - len(home_matches),
        }
        if at_home
        else None,
        "questions": specialist_questions(groups, question),
        "detail_url": detail_url,
    }


def find_therapy(
    data: Mapping[str, Any], at_home: Mapping[str, Any] | None, label_id: str
) -> tuple[list[dict[str, Any]], bool] | None:
    """The rows of the product whose label is ``label_id``, in the result or in the at-home result (and which);
    None when the label is in neither (a 404)."""
    for part, home in ((data, False), (at_home, True)):
        if not part:
            continue
        rows = part.get("results") or []
        match = next((r for r in rows if r["label_id"] == label_id), None)
        if match is not None:
            same = [dict(r) for r in rows if r["product"] == match["product"]]
            same.sort(key=lambda r: (r["label_id"] != label_id, rank(r["status"])))
            return same, home
    return None


def label_region(row: dict[str, Any]) -> str | None:
    """The region of a result row's label: from the rules when the label is there (a label id never changes
    region), else from the row's own copy (a saved snapshot of a label since removed)."""
    label = engine().rules.labels.get(row.get("label_id") or "")
    if label is not None:
        return label.region
    return (row.get("label") or {}).get("region")


def region_in_sentence(code: str | None) -> str:
    """A region's name as it reads inside an English sentence ("the United States"); other languages as is."""
    rules = engine().rules
    if code and code in rules.regions:
        region = rules.regions[code]
        if current_locale_id() == "en" and region.en_in_sentence:
            return region.en_in_sentence
        return names(region.names)
    return code or ""


def region_name_of(code: str | None) -> str:
    rules = engine().rules
    if code and code in rules.regions:
        return names(rules.regions[code].names)
    return code or ""


def question_for(key: str) -> tuple[str, str]:
    """The question that settles an unknown answer (a ``decided_by`` key), and where it is on the form."""
    rules = engine().rules
    simple = {
        "relapsed_or_refractory": gettext(
            "Has the myeloma come back, or stopped responding, so that it needs treatment now?"
        ),
        "adult": gettext("Are you 18 or over?"),
        "prior_lines": gettext("How many lines of treatment have you had?"),
        "drugs": gettext("Which myeloma medicines have you had?"),
        "progressed_on_last": gettext(
            "Did the myeloma get worse during the latest treatment, or within 60 days after it ended?"
        ),
        "prior_bcma_car_t": gettext("Have you had a CAR-T cell therapy aimed at BCMA before?"),
    }
    if key in simple:
        return simple[key], key
    kind, _dot, target = key.partition(".")
    if target in rules.classes:
        cls = names(rules.classes[target].names)
        if kind == "exposed_classes":
            return gettext("Have you had a %(kind)s?", kind=cls), group_field(target)
        return (
            gettext(
                "Did the myeloma get worse while on a %(kind)s, or within 60 days of stopping it?", kind=cls
            ),
            group_field(target),
        )
    if kind == "refractory" and target in rules.drugs:
        drug = rules.drugs[target]
        return (
            gettext(
                "Did the myeloma get worse while on %(drug)s, or within 60 days of stopping it?",
                drug=names(drug.names),
            ),
            group_field(drug.group),
        )
    return gettext("Which myeloma medicines have you had?"), "drugs"


def question_text(key: str) -> str:
    """The question that settles an unknown answer, without its place on the form."""
    return question_for(key)[0]


# Fields of a source that anyone may read; everything else (verification notes, research remarks) is for
# maintainers only and never reaches a patient's page, print or PDF (issue 20).
CITATION_FIELDS = (
    "document",
    "title",
    "issuer",
    "date",
    "section",
    "urls",
    "url",
    "checked",
    "verified",
    "kind",
)


def citation(source: dict[str, Any] | None) -> dict[str, Any]:
    """A source as a citation: document, issuer, date, section, a list of URLs (each one absolute URL), the day
    it was checked, and whether it was checked against the original. Older data gave one ``url`` string,
    sometimes several joined by "; ": each becomes an entry, and anything that is not a URL is dropped."""
    s = source or {}
    urls = list(s.get("urls") or [])
    if not urls and s.get("url"):
        urls = [u.strip() for u in str(s["url"]).replace(" ; ", ";").split(";")]
    urls = [u.split()[0] for u in urls if u and u.strip().startswith(("http://", "https://"))]
    return {
        "document": s.get("document") or s.get("title") or "",
        "issuer": s.get("issuer") or "",
        "date": s.get("date") or None,
        "section": s.get("section") or None,
        "urls": urls,
        "checked": s.get("checked") or None,
        "verified": s.get("verified", True) is not False,
    }
