"""Load and validate ``rules/`` once. Every error names the file, the entry and the field.

The loader is deliberately strict (aesthetics.md, practice 4): keys are whitelisted, TOML's own parser
rejects duplicate keys, dates must be ``YYYY-MM-DD``/``YYYY-MM``/``YYYY`` strings, and every id a label
mentions (region, class, drug) must exist. A rules folder that does not pass stops start-up.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .dates import PartialDate, parse_partial_date
from .model import (
    CLASS_IDS,
    CRITERION_KEYS,
    DRUG_GROUPS,
    LINE_WORDS,
    PRODUCT_KINDS,
    ZH_NAME_STATES,
    Citation,
    Criteria,
    Drug,
    DrugClass,
    FactSource,
    InForceBy,
    Label,
    Names,
    Product,
    Region,
    Rules,
    Source,
    Strictest,
)

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REGION_RE = re.compile(r"^[A-Z]{2}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")
MAX_LINES = 30
# Words that belong in maintainers' notes, never in a citation that patients read (issue 20): our own
# research files, and remarks on how a source was (not) read.
_NOT_IN_CITATIONS = re.compile(
    r"shared/|reference/|labels\.json|research notes|\(not read\)|not retrieved|machine[- ]translated"
    r"|\bas printed|\bas announced|not opened|\bas summari[sz]ed",
    re.IGNORECASE,
)


class RulesError(ValueError):
    """A rules file that cannot be used. ``str()`` reads: file: entry: field: problem."""

    def __init__(self, file: str, entry: str, field: str, problem: str) -> None:
        self.file, self.entry, self.field, self.problem = file, entry, field, problem
        where = ": ".join(p for p in (file, entry, field) if p)
        super().__init__(f"{where}: {problem}")


class _Table:
    """One TOML table being read: tracks which keys were used so leftovers are reported."""

    def __init__(self, data: Any, file: str, entry: str, prefix: str = "") -> None:
        self.file, self.entry, self.prefix = file, entry, prefix
        if not isinstance(data, dict):
            raise RulesError(file, entry, prefix or "(table)", "must be a table")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def err(self, key: str, problem: str) -> RulesError:
        return RulesError(self.file, self.entry, f"{self.prefix}{key}", problem)

    def get(
        self, key: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None
    ) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.err(key, "is required")
            return default
        value = self.data[key]
        # bool is a subclass of int: never accept true/false where a number is expected.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.err(key, f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise self.err(key, f"must be {_kind_name(kind)}, not {type(value).__name__}")
        return value

    def text(self, key: str, *, required: bool = True, allow_empty: bool = False) -> str:
        value = self.get(key, str, required=required, default="")
        if required and not allow_empty and not value.strip():
            raise self.err(key, "must not be empty")
        return value

    def choice(self, key: str, choices: tuple[str, ...], *, required: bool = True) -> str | None:
        value = self.get(key, str, required=required)
        if value is not None and value not in choices:
            raise self.err(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def strings(self, key: str, *, check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        values = self.get(key, list, required=False, default=[])
        seen: set[str] = set()
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                raise self.err(f"{key}[{i}]", "must be a non-empty string")
            if value in seen:
                raise self.err(f"{key}[{i}]", f"{value!r} is listed twice")
            seen.add(value)
            if check and (problem := check(value)):
                raise self.err(f"{key}[{i}]", problem)
        return tuple(values)

    def partial_date(self, key: str, *, required: bool = True) -> PartialDate | None:
        value = self.get(key, str, required=required)
        if value is None:
            return None
        try:
            return parse_partial_date(value)
        except ValueError as exc:
            raise self.err(key, str(exc)) from None

    def day(self, key: str, *, required: bool = True) -> dt.date | None:
        value = self.partial_date(key, required=required)
        if value is None:
            return None
        if value.precision != "day":
            raise self.err(key, "must be a full date YYYY-MM-DD")
        return value.effective

    def names(self) -> Names:
        return Names(en=self.text("en"), zh_Hans=self.text("zh_Hans"), zh_Hant=self.text("zh_Hant"))

    def sub(self, key: str, *, required: bool = True) -> _Table:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.err(key, "is required")
            return _Table({}, self.file, self.entry, f"{self.prefix}{key}.")
        return _Table(self.data[key], self.file, self.entry, f"{self.prefix}{key}.")

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise self.err(extra[0], "is not a known key (check the spelling against rules/README.md)")


def one_url(value: str) -> str | None:
    """Why ``value`` is not exactly one absolute http(s) URL, or None when it is."""
    from urllib.parse import urlsplit

    if value != value.strip() or any(ch.isspace() for ch in value) or "; " in value:
        return "must be exactly one absolute http(s) URL, with no spaces or notes"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or "..." in value:
        return "must be exactly one absolute http(s) URL"
    return None


def read_citation(s: _Table, title_key: str) -> tuple[str, str, PartialDate | None, tuple[str, ...]]:
    """The citation fields every source shares: (title, issuer, date, urls). Rejects an entry of ``urls``
    that is not one absolute URL, a citation without an issuer, and maintainers' remarks in citation text."""
    title = s.text(title_key)
    issuer = s.text("issuer")
    date = s.partial_date("date", required=False)
    if not s.data.get("urls"):
        raise s.err("urls", "is required: a list of addresses, each one absolute http(s) URL")
    urls = s.strings("urls", check=one_url)
    for key in (title_key, "issuer", "section", "quote"):
        value = s.data.get(key)
        if isinstance(value, str) and (m := _NOT_IN_CITATIONS.search(value)):
            raise s.err(key, f"{m.group(0)!r} is a maintainers' remark: move it to verified_note or notes")
    return title, issuer, date, urls


def read_cited(t: _Table, key: str) -> Citation:
    """A small citation table such as ``in_force_by`` (document, issuer, date, section, urls, checked)."""
    s = t.sub(key)
    title, issuer, date, urls = read_citation(s, "document")
    checked = s.day("checked")
    citation = Citation(title, issuer, date, s.text("section", required=False), urls, checked)  # type: ignore[arg-type]
    s.done()
    return citation


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _read_toml(path: Path, root: Path) -> dict[str, Any]:
    rel = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise RulesError(rel, "", "", "file is missing") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib reports duplicate keys as "Cannot overwrite a value (at line N, column M)".
        raise RulesError(rel, "", "", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RulesError(rel, "", "", f"not valid UTF-8: {exc}") from None


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)


def _in_chinese(t: _Table, prefix: str, english: str) -> Names | None:
    """``<prefix>_zh_Hans`` and ``<prefix>_zh_Hant`` as Names (with the English beside), or None if absent."""
    keys = (f"{prefix}_zh_Hans", f"{prefix}_zh_Hant")
    t.used.update(keys)
    if not any(k in t.data for k in keys):
        return None
    return Names(en=english, zh_Hans=t.text(keys[0]), zh_Hant=t.text(keys[1]))


def _load_regions(root: Path) -> dict[str, Region]:
    path = root / "regions.toml"
    file = _rel(path, root)
    top = _Table(_read_toml(path, root), file, "")
    regions: dict[str, Region] = {}
    for i, raw in enumerate(top.get("regions", list)):
        t = _Table(raw, file, f"regions[{i}]")
        rid = t.text("id")
        t.entry = f"region {rid}"
        if not REGION_RE.match(rid):
            raise t.err("id", "must be two capital letters (ISO 3166-1 alpha-2, or EU)")
        if rid in regions:
            raise t.err("id", f"region {rid} is defined twice")
        currency = t.text("currency")
        if not re.match(r"^[A-Z]{3}$", currency):
            raise t.err("currency", "must be an ISO 4217 code such as USD")
        regulator, regulator_name = t.text("regulator"), t.text("regulator_name")

        regions[rid] = Region(
            id=rid,
            regulator=regulator,
            regulator_name=regulator_name,
            currency=currency,
            names=t.names(),
            regulator_short=_in_chinese(t, "regulator", regulator),
            regulator_full=_in_chinese(t, "regulator_name", regulator_name),
            en_in_sentence=t.text("en_in_sentence", required=False),
        )
        t.done()
    top.done()
    return regions


def _load_drugs(root: Path) -> tuple[dict[str, DrugClass], dict[str, Drug], dict[str, tuple[str, ...]]]:
    path = root / "drugs.toml"
    file = _rel(path, root)
    top = _Table(_read_toml(path, root), file, "")
    classes_t = top.sub("classes")
    classes: dict[str, DrugClass] = {}
    for cid in CLASS_IDS:
        c = classes_t.sub(cid)
        c.entry = f"class {cid}"
        classes[cid] = DrugClass(id=cid, names=c.names(), help=c.text("help"))
        c.done()
    classes_t.done()

    drugs: dict[str, Drug] = {}
    for i, raw in enumerate(top.get("drugs", list)):
        t = _Table(raw, file, f"drugs[{i}]")
        did = t.text("id")
        t.entry = f"drug {did}"
        if not ID_RE.match(did):
            raise t.err("id", "must be a lowercase INN with hyphens")
        if did in drugs:
            raise t.err("id", f"drug {did} is defined twice")
        group = t.choice("group", DRUG_GROUPS)
        drug_class = t.choice("class", CLASS_IDS, required=False)
        if group in CLASS_IDS and drug_class != group:
            raise t.err("class", f"a drug in group {group} must have class = {group!r}")
        related_class = t.choice("related_class", CLASS_IDS, required=False)
        if related_class and related_class == drug_class:
            raise t.err("related_class", "names the class the drug is counted as; leave it out")
        zh_name = t.choice("zh_name", ZH_NAME_STATES, required=False) or "registered"
        plain = t.names()
        drugs[did] = Drug(
            id=did,
            group=group or "other",
            drug_class=drug_class,
            names=Names(plain.en, plain.zh_Hans, plain.zh_Hant, _zh_status(zh_name)),
            brands=t.strings("brands"),
            aliases=t.strings("aliases"),
            bcma_car_t=t.get("bcma_car_t", bool, required=False, default=False),
            bcma_directed=t.get("bcma_directed", bool, required=False, default=False),
            note=t.text("note", required=False),
            zh_name=zh_name,
            zh_hant_form=t.choice("zh_Hant_form", ("attested", "converted"), required=False) or "",
            related_class=related_class,
            related_class_reason=t.text("related_class_reason", required=related_class is not None),
            clinician_review=t.get("clinician_review", bool, required=False, default=False),
            sources=_name_sources(t, "sources"),
        )
        t.done()
    words_t = top.sub("search_words", required=False)
    search_words: dict[str, tuple[str, ...]] = {}
    for key in list(words_t.data):
        if key not in (*DRUG_GROUPS, "bcma-directed"):
            raise words_t.err(key, f"must be a form group ({', '.join(DRUG_GROUPS)}) or bcma-directed")
        search_words[key] = words_t.strings(key)
    words_t.done()
    top.done()
    return classes, drugs, search_words


def _zh_status(zh_name: str) -> str:
    """What a Chinese page says beside a medicine's name: nothing for a registered or common name."""
    return zh_name if zh_name in ("none", "unconfirmed") else ""


def _name_sources(t: _Table, key: str) -> tuple[FactSource, ...]:
    """``[[<entry>.sources]]``: citations for a medicine's names, class or brands; each may say which fact it
    ``supports`` (e.g. "zh_Hans", "brand 安加维", "class"). Read with the practice facts' source reader."""
    from .practice import _source  # practice.py builds on this module's table reader

    out = []
    for i, raw in enumerate(t.get(key, list, required=False, default=[])):
        if not isinstance(raw, dict):
            raise t.err(f"{key}[{i}]", "must be a table")
        raw = dict(raw)
        supports = raw.pop("supports", "")
        if not isinstance(supports, str):
            raise t.err(f"{key}[{i}].supports", "must be a string")
        holder = _Table({"source": raw}, t.file, t.entry, f"{t.prefix}{key}[{i}].")
        out.append(_source(holder))
    return tuple(out)


def _load_label(
    raw: Any, file: str, index: int, product_id: str, regions: dict[str, Region], drugs: dict[str, Drug]
) -> Label:
    t = _Table(raw, file, f"labels[{index}]")
    lid = t.text("id")
    t.entry = f"label {lid}"
    if not ID_RE.match(lid):
        raise t.err("id", "must be lowercase letters, digits and hyphens")
    region = t.text("region")
    if region not in regions:
        raise t.err("region", f"unknown region {region!r}; add it to rules/regions.toml first")

    approved = t.partial_date("approved", required=False)
    ended = t.partial_date("ended", required=False)
    end_reason = t.choice("end_reason", ("superseded", "withdrawn"), required=False)
    if (ended is None) != (end_reason is None):
        raise t.err("end_reason" if ended else "ended", "`ended` and `end_reason` go together")

    def known_drug(value: str) -> str | None:
        return None if value in drugs else f"unknown drug {value!r}; add it to rules/drugs.toml first"

    def known_class_or_drug(value: str) -> str | None:
        if value in CLASS_IDS or value in drugs:
            return None
        return f"unknown class or drug {value!r} (classes: {', '.join(CLASS_IDS)})"

    regimen = t.strings("regimen", check=known_drug)
    indication_lang = t.text("indication_lang")
    if not LANG_RE.match(indication_lang):
        raise t.err("indication_lang", "must be a language tag such as en, zh-Hans or ja")
    indication_en = t.text("indication_en", required=indication_lang != "en")

    # A label whose wording is not held has no criteria table (checked below).
    c = t.sub("criteria", required=t.data.get("indication_held", True) is not False)
    lines: dict[str, int | None] = {}
    for key in ("min_prior_lines", "max_prior_lines"):
        value = c.get(key, int, required=False)
        if value is not None and not 0 <= value <= MAX_LINES:
            raise c.err(key, f"must be between 0 and {MAX_LINES}")
        lines[key] = value
    if lines["min_prior_lines"] is not None and lines["max_prior_lines"] is not None:
        if lines["min_prior_lines"] > lines["max_prior_lines"]:
            raise c.err("max_prior_lines", "is smaller than min_prior_lines")
    unknown = c.strings(
        "unknown",
        check=lambda v: None if v in CRITERION_KEYS else f"must be one of {', '.join(CRITERION_KEYS)}",
    )
    criteria = Criteria(
        adult=c.get("adult", bool, required=False, default=False),
        min_prior_lines=lines["min_prior_lines"],
        max_prior_lines=lines["max_prior_lines"],
        exposed=c.strings("exposed", check=known_class_or_drug),
        refractory=c.strings("refractory", check=known_class_or_drug),
        progressed_on_last=c.get("progressed_on_last", bool, required=False, default=False),
        no_prior_bcma_car_t=c.get("no_prior_bcma_car_t", bool, required=False, default=False),
        unknown=unknown,
    )
    for key in unknown:
        # A criterion is either stated by the source or unknown, never both.
        if key in c.data and c.data[key] not in (False, [], None):
            raise c.err("unknown", f"{key!r} is both given and listed as unknown")
    c.done()

    s = t.sub("source")
    verified = s.get("verified", bool)
    document, issuer, date, urls = read_citation(s, "document")
    source = Source(
        document=document,
        issuer=issuer,
        date=date,
        section=s.text("section"),
        urls=urls,
        checked=s.day("checked"),  # type: ignore[arg-type]  # required=True never returns None
        checked_against=s.choice("checked_against", ("regulator", "secondary")),  # type: ignore[arg-type]
        verified=verified,
        verified_note=s.text("verified_note", required=not verified),
        reviewed_by=s.text("reviewed_by", required=False),
        reviewed_on=s.day("reviewed_on", required=False) if s.data.get("reviewed_on") else None,
        notes=s.text("notes", required=False),
    )
    s.used.add("reviewed_on")
    if verified and source.checked_against != "regulator":
        raise s.err("verified", "can be true only when checked_against = 'regulator'")
    if bool(source.reviewed_by) != bool(source.reviewed_on):
        raise s.err("reviewed_on", "`reviewed_by` and `reviewed_on` go together")
    s.done()

    if approved and ended and ended.effective <= approved.effective:
        raise t.err("ended", f"{ended} is not after the approval date {approved}")
    if approved is None and not source.notes.strip():
        raise t.err("approved", "is missing: say in source.notes why no date is known")

    for key in ("indication", "indication_en"):
        value = t.data.get(key)
        if isinstance(value, str) and (m := _NOT_IN_CITATIONS.search(value)):
            raise t.err(key, f"{m.group(0)!r} is a maintainers' remark: move it to source.notes")
    held = t.get("indication_held", bool, required=False, default=True)
    if not held and (c.data or t.data.get("strictest")):
        raise t.err("indication_held", "is false: a label whose wording is not held has no criteria")
    translated_from = t.text("indication_translated_from", required=False)
    if translated_from and (not LANG_RE.match(translated_from) or translated_from == indication_lang):
        raise t.err(
            "indication_translated_from", "must be the language tag of the original, not the text's own"
        )
    if translated_from and verified:
        raise t.err(
            "indication_translated_from", "a translation is not the regulator's text: verified must be false"
        )

    strictest = None
    if "strictest" in t.data:
        st = t.sub("strictest")
        bounds = {k: st.get(k, int, required=False) for k in ("min_prior_lines", "max_prior_lines")}
        strictest = Strictest(
            reason=st.text("reason"),
            min_prior_lines=bounds["min_prior_lines"],
            max_prior_lines=bounds["max_prior_lines"],
            exposed=st.strings("exposed", check=known_class_or_drug),
            refractory=st.strings("refractory", check=known_class_or_drug),
        )
        for key in ("min_prior_lines", "max_prior_lines", "exposed", "refractory"):
            if key in st.data and key not in unknown:
                raise st.err(key, "gives a strictest reading of a criterion that is not listed as unknown")
        if len(st.data) == 1:
            raise st.err("reason", "a strictest reading needs at least one criterion")
        st.done()
    else:
        t.used.add("strictest")

    in_force_by = None
    if "in_force_by" in t.data:
        # The bound is the date of the document that shows the approval existed (a full date).
        cited = read_cited(t, "in_force_by")
        if cited.date is None or cited.date.precision != "day":
            raise t.err("in_force_by.date", "is required, as a full date YYYY-MM-DD")
        in_force_by = InForceBy(cited.date.effective, cited)
        if approved is not None:
            raise t.err("in_force_by", "is only for a label whose approval date is unknown")
    else:
        t.used.add("in_force_by")
    t.used.update({"approval_type_zh_Hans", "approval_type_zh_Hant"})

    label = Label(
        id=lid,
        product=product_id,
        region=region,
        regulator=t.text("regulator"),
        approved=approved,
        ended=ended,
        end_reason=end_reason,  # type: ignore[arg-type]
        regimen=regimen,
        line_word=t.choice("line_word", LINE_WORDS) or "lines",
        indication=t.text("indication"),
        indication_lang=indication_lang,
        indication_en=indication_en,
        indication_en_official=t.get("indication_en_official", bool, required=False, default=False),
        criteria=criteria,
        source=source,
        approval_type=t.text("approval_type", required=False),
        approval_type_zh=(
            Names(
                en=t.text("approval_type", required=False),
                zh_Hans=t.text("approval_type_zh_Hans"),
                zh_Hant=t.text("approval_type_zh_Hant"),
            )
            if "approval_type_zh_Hans" in t.data or "approval_type_zh_Hant" in t.data
            else None
        ),
        file=file,
        indication_held=held,
        indication_translated_from=translated_from,
        strictest=strictest,
        in_force_by=in_force_by,
    )
    t.done()
    return label


def _load_product(path: Path, root: Path, regions: dict[str, Region], drugs: dict[str, Drug]) -> Product:
    file = _rel(path, root)
    t = _Table(_read_toml(path, root), file, "product")
    pid = t.text("id")
    if pid != path.stem:
        raise t.err("id", f"{pid!r} must equal the file name {path.stem!r}")
    if pid not in drugs:
        raise t.err("id", f"add {pid!r} to rules/drugs.toml so a patient can say they had it")
    names_t = t.sub("names")
    inn = t.text("inn")
    # No invented Chinese names: where none is registered or attested, the INN is shown (drugs.md advice).
    name_note = names_t.text("note", required=False)
    zh_name = names_t.choice("zh_name", ZH_NAME_STATES, required=False) or (
        "registered" if "zh_Hans" in names_t.data else "none"
    )
    names = Names(
        en=inn,
        zh_Hans=names_t.text("zh_Hans", required=False) or inn,
        zh_Hant=names_t.text("zh_Hant", required=False) or inn,
        zh_status=_zh_status(zh_name),
    )
    names_t.used.add("zh_Hant_form")
    name_sources = _name_sources(names_t, "sources")
    names_t.done()
    brands_t = t.sub("brands", required=False)
    brands: dict[str, str] = {}
    for region in list(brands_t.data):
        if region not in regions:
            raise brands_t.err(region, f"unknown region {region!r}")
        brands[region] = brands_t.text(region)
    brands_t.done()
    hant_t = t.sub("brands_zh_Hant", required=False)
    brands_zh_hant: dict[str, str] = {}
    for region in list(hant_t.data):
        if region not in brands:
            raise hant_t.err(
                region, f"gives a Traditional form of a brand that [brands] does not list for {region!r}"
            )
        brands_zh_hant[region] = hant_t.text(region)
    hant_t.done()
    labels = tuple(
        _load_label(raw, file, i, pid, regions, drugs) for i, raw in enumerate(t.get("labels", list))
    )
    product = Product(
        id=pid,
        inn=names.en,
        short=t.text("short", required=False),
        kind=t.choice("kind", PRODUCT_KINDS) or "",
        target=t.choice("target", ("BCMA", "GPRC5D")) or "",
        makers=t.strings("makers"),
        summary=t.text("summary"),
        names=names,
        name_note=name_note,
        brands=MappingProxyType(brands),
        labels=labels,
        file=file,
        zh_name=zh_name,
        name_sources=name_sources,
        brands_zh_hant=MappingProxyType(brands_zh_hant),
    )
    t.done()
    return product


def load_rules(root: str | Path) -> Rules:
    """Read and validate the whole rules folder; raise RulesError naming file, entry and field."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise RulesError(str(root), "", "", "rules folder not found")
    meta = _Table(_read_toml(root / "meta.toml", root), _rel(root / "meta.toml", root), "meta")
    version = meta.text("version")
    last_reviewed = meta.day("last_reviewed")
    meta.done()

    regions = _load_regions(root)
    classes, drugs, search_words = _load_drugs(root)
    products: dict[str, Product] = {}
    labels: dict[str, Label] = {}
    for path in sorted((root / "products").glob("*.toml")):
        product = _load_product(path, root, regions, drugs)
        products[product.id] = product
        for label in product.labels:
            if label.id in labels:
                raise RulesError(
                    product.file, f"label {label.id}", "id", f"also used in {labels[label.id].file}"
                )
            labels[label.id] = label
    if not products:
        raise RulesError(_rel(root / "products", root), "", "", "no product files found")
    # Practice data refers to products, regions and label ids, so it is read last. Imported here because
    # practice.py builds on this module's table reader.
    from .practice import load_practice

    practice = load_practice(root, regions, products, labels)
    return Rules(
        version=version,
        last_reviewed=last_reviewed,  # type: ignore[arg-type]
        regions=MappingProxyType(regions),
        classes=MappingProxyType(classes),
        drugs=MappingProxyType(drugs),
        products=MappingProxyType(dict(sorted(products.items()))),
        labels=MappingProxyType(labels),
        practice=practice,
        search_words=MappingProxyType(search_words),
    )
