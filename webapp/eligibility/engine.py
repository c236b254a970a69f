"""The eligibility engine: design brief section 3, implemented as written.

Three-valued logic. Every criterion of a label is met, not met or unknown; a label is ``eligible`` when all
are met, ``not_eligible`` when any is not met, ``possible`` otherwise. Nothing here reads the clock, a
global or Flask: the caller passes the answers, the region and ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from .model import CLASS_IDS, Label, Rules
from .practice import PracticeFacts, select_practice
from .texts import N_, NP_, Msg, Warning_


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"

    @property
    def as_bool(self) -> bool | None:
        return {Outcome.MET: True, Outcome.NOT_MET: False}.get(self)


MET, NOT_MET, UNKNOWN = Outcome.MET, Outcome.NOT_MET, Outcome.UNKNOWN
# `not_checked`: the label exists but its wording is not held, so no answer is screened against it.
STATUSES = ("eligible", "possible", "not_checked", "not_eligible")
NOT_CHECKED = "not_checked"
_STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}


@dataclass(frozen=True, slots=True)
class Answers:
    """What the person told us. ``None`` is unknown ("not sure" or not asked).

    ``exposed_classes`` and ``refractory`` distinguish a key that is absent (not answered) from one answered
    ``None`` ("not sure"): the contract treats them differently once a drug list is given.
    """

    adult: bool | None = None
    prior_lines: int | None = None
    drugs: tuple[str, ...] | None = None
    exposed_classes: Mapping[str, bool | None] = field(default_factory=lambda: MappingProxyType({}))
    refractory: Mapping[str, bool | None] = field(default_factory=lambda: MappingProxyType({}))
    relapsed_or_refractory: bool | None = None
    progressed_on_last: bool | None = None
    prior_bcma_car_t: bool | None = None


class CriterionResult(NamedTuple):
    """One criterion of one label, evaluated. A tuple: built dozens of times per check, so it must be cheap.

    ``key`` is everything the other fields are made of, as a small hashable tuple (the criterion's kind and
    argument, the label's counting word for line counts, the outcome, and the answers it read): equal keys
    mean equal results, for caches of what is rendered from a criterion (tests/test_properties.py holds the
    engine to it). Only the rules object is not in it: a cache key adds that."""

    id: str
    outcome: Outcome
    answer: Any
    threshold: Any
    text: Msg
    note: Msg | None = None
    decided_by: str | None = None
    missing_data: bool = False
    key: tuple[Any, ...] = ()


class LabelResult(NamedTuple):
    label: Label
    status: str
    criteria: tuple[CriterionResult, ...]
    decided_by: tuple[str, ...]

    @property
    def product(self) -> str:
        return self.label.product


class ElsewhereRegion(NamedTuple):
    """Tuples: built for every check, and used whole as a cache key (C-speed hashing and comparison)."""

    region: str
    status: str
    label_ids: tuple[str, ...]


class Elsewhere(NamedTuple):
    product: str
    regions: tuple[ElsewhereRegion, ...]


@dataclass(frozen=True, slots=True)
class Result:
    region: str | None
    as_of: dt.date
    rules_version: str
    warnings: tuple[Warning_, ...]
    results: tuple[LabelResult, ...]
    approved_elsewhere: tuple[Elsewhere, ...]


def combine(outcomes: Iterable[Outcome]) -> str:
    """The status of a label from its criteria (design brief section 3): the first criterion not met settles
    it (the rest are not even worked out); else any unknown makes it possible; else eligible."""
    status = "eligible"
    for outcome in outcomes:
        if outcome is NOT_MET:
            return "not_eligible"
        if outcome is UNKNOWN:
            status = "possible"
    return status


# Plain-words phrases for the label's counting word; the label's own word is shown (design brief section 3).
_THRESHOLD_PHRASES = {
    "lines": NP_("%(num)d prior line of therapy", "%(num)d prior lines of therapy"),
    "therapies": NP_("%(num)d prior therapy", "%(num)d prior therapies"),
    "regimens": NP_("%(num)d prior regimen", "%(num)d prior regimens"),
}
_ANSWER_PHRASE = NP_("%(num)d earlier line of treatment", "%(num)d earlier lines of treatment")
_WORDS = {"therapies": N_("therapies"), "regimens": N_("regimens")}
_MISSING_WHAT = {
    "adult": N_("adults only"),
    "min_prior_lines": N_("a minimum number of earlier treatments"),
    "max_prior_lines": N_("a maximum number of earlier treatments"),
    "exposed": N_("particular earlier treatments"),
    "refractory": N_("myeloma that got worse on particular treatments"),
    "progressed_on_last": N_("myeloma that got worse on the latest treatment"),
    "no_prior_bcma_car_t": N_("no earlier BCMA-directed CAR-T"),
}


class _Facts:
    """Answer-level facts, worked out once per evaluation and shared by every label."""

    def __init__(self, rules: Rules, class_drugs: Mapping[str, tuple[str, ...]], answers: Answers) -> None:
        self.rules = rules
        self.a = answers
        self.class_drugs = class_drugs
        self.listed = frozenset(answers.drugs) if answers.drugs is not None else None
        self._cache: dict[str, Outcome] = {}
        self.outcomes: dict[tuple[str, Any], Outcome] = {}
        self.explained: dict[Any, CriterionResult] = {}  # per evaluation: criteria shared between labels

    def outcome(self, kind: str, arg: Any) -> Outcome:
        """One compiled criterion's outcome, cached: labels share most criteria (exposed:PI, ...)."""
        key = (kind, arg)
        cached = self.outcomes.get(key)
        if cached is None:
            cached = self.outcomes[key] = self._compute(kind, arg)
        return cached

    def _compute(self, kind: str, arg: Any) -> Outcome:
        a = self.a
        if kind == "missing":
            # Wording not held: met when the answers meet the strictest reading, else unknown (never not met,
            # since the label may not ask for it at all). ``arg`` is (criterion, strictest steps or None).
            steps = arg[1]
            if steps and all(self.outcome(k, x) is MET for k, x in steps):
                return MET
            return UNKNOWN
        if kind == "min_prior_lines":
            return UNKNOWN if a.prior_lines is None else MET if a.prior_lines >= arg else NOT_MET
        if kind == "max_prior_lines":
            return UNKNOWN if a.prior_lines is None else MET if a.prior_lines <= arg else NOT_MET
        if kind == "exposed":
            return self.exposed(arg)
        if kind == "refractory":
            return self.refractory(arg)
        if kind == "no_prior_bcma_car_t":
            return self.no_prior_bcma_car_t()
        answer = getattr(a, kind)  # relapsed_or_refractory, adult, progressed_on_last: yes / no / not sure
        return UNKNOWN if answer is None else MET if answer else NOT_MET

    # -- exposure -------------------------------------------------------------------------------------------
    def listed_of_class(self, class_id: str) -> list[str]:
        if not self.listed:
            return []
        return [d for d in self.class_drugs[class_id] if d in self.listed]

    def refractory_true_in_class(self, class_id: str) -> bool:
        r = self.a.refractory
        return r.get(class_id) is True or any(r.get(d) is True for d in self.class_drugs[class_id])

    def exposed_class(self, class_id: str) -> Outcome:
        key = "exposed:" + class_id
        if key not in self._cache:
            answer = self.a.exposed_classes.get(class_id, _ABSENT)
            if self.listed_of_class(class_id) or answer is True or self.refractory_true_in_class(class_id):
                out = MET  # a listed drug or refractoriness wins over a class answered "no" (warned)
            elif answer is False:
                out = NOT_MET
            elif self.listed is not None and answer is _ABSENT:
                out = NOT_MET  # a drug list without any drug of the class, and the class not answered
            else:
                out = UNKNOWN  # includes an explicit null ("not sure")
            self._cache[key] = out
        return self._cache[key]

    def exposed_drug(self, drug_id: str) -> Outcome:
        if (self.listed and drug_id in self.listed) or self.a.refractory.get(drug_id) is True:
            return MET
        if self.listed is not None:
            return NOT_MET
        drug = self.rules.drugs.get(drug_id)
        # Not in the written contract, but entailed by it: "no PI ever" means "never bortezomib".
        if drug and drug.drug_class and self.a.exposed_classes.get(drug.drug_class, _ABSENT) is False:
            return NOT_MET
        return UNKNOWN

    def exposed(self, target: str) -> Outcome:
        return self.exposed_class(target) if target in CLASS_IDS else self.exposed_drug(target)

    # -- refractoriness -------------------------------------------------------------------------------------
    def refractory_drug(self, drug_id: str) -> Outcome:
        answer = self.a.refractory.get(drug_id)
        if answer is True:
            return MET
        if answer is False or self.exposed_drug(drug_id) is NOT_MET:
            return NOT_MET  # never exposed means not refractory
        return UNKNOWN

    def refractory_class(self, class_id: str) -> Outcome:
        if self.refractory_true_in_class(class_id):
            return MET
        if self.a.refractory.get(class_id) is False:
            # "No, it did not get worse on that kind of drug": a careful reading of the contract's silence.
            return NOT_MET
        if self.exposed_class(class_id) is NOT_MET:
            return NOT_MET
        had = self.listed_of_class(class_id)
        if had and all(self.a.refractory.get(d, _ABSENT) is False for d in had):
            return NOT_MET
        return UNKNOWN

    def refractory(self, target: str) -> Outcome:
        return self.refractory_class(target) if target in CLASS_IDS else self.refractory_drug(target)

    def no_prior_bcma_car_t(self) -> Outcome:
        listed_bcma = bool(self.listed) and any(
            self.rules.drugs[d].bcma_car_t for d in self.listed or () if d in self.rules.drugs
        )
        if listed_bcma or self.a.prior_bcma_car_t is True:
            return NOT_MET
        if self.a.prior_bcma_car_t is False:
            return MET
        return UNKNOWN

    # -- warnings -------------------------------------------------------------------------------------------
    def warnings(self) -> tuple[Warning_, ...]:
        a, out = self.a, []
        for cid in CLASS_IDS:
            cls_names = self.rules.classes[cid].names
            listed = self.listed_of_class(cid)
            if a.exposed_classes.get(cid, _ABSENT) is False and listed:
                out.append(
                    Warning_(
                        "drug_contradicts_class",
                        f"exposed_classes.{cid}",
                        Msg.of(
                            N_(
                                "You listed %(drug)s, which is a kind of %(cls)s, but also said you have "
                                "not had that kind of drug. We have counted it as received."
                            ),
                            drug=self.rules.drugs[listed[0]].names,
                            cls=cls_names,
                        ),
                    )
                )
            class_answer = a.exposed_classes.get(cid, _ABSENT)
            if a.refractory.get(cid) is True and (
                class_answer is False or (self.listed is not None and not listed and class_answer is not True)
            ):
                out.append(self._refractory_not_had(cid))
            if a.refractory.get(cid) is True and listed and all(a.refractory.get(d) is False for d in listed):
                out.append(
                    Warning_(
                        "refractory_class_contradicts_drugs",
                        f"refractory.{cid}",
                        Msg.of(
                            N_(
                                "You said your myeloma got worse on a %(cls)s, but also that it did not get "
                                "worse on any of the ones you listed. Please check these answers."
                            ),
                            cls=cls_names,
                        ),
                    )
                )
            elif a.refractory.get(cid) is False and any(
                a.refractory.get(d) is True for d in self.class_drugs[cid]
            ):
                out.append(
                    Warning_(
                        "refractory_class_contradicts_drugs",
                        f"refractory.{cid}",
                        Msg.of(
                            N_(
                                "You said your myeloma did not get worse on a %(cls)s, but also that it got "
                                "worse on one of them. We have counted it as getting worse."
                            ),
                            cls=cls_names,
                        ),
                    )
                )
        for did, value in a.refractory.items():
            drug = self.rules.drugs.get(did)
            if value is not True or drug is None:
                continue
            # Refractory to a drug means it was received: contradicted by a list without it, or by its
            # class answered "no".
            class_no = bool(drug.drug_class) and a.exposed_classes.get(drug.drug_class, _ABSENT) is False
            if class_no or (self.listed is not None and did not in self.listed):
                out.append(self._refractory_not_had(did))
        if a.prior_bcma_car_t is False and self.no_prior_bcma_car_t() is NOT_MET:
            out.append(
                Warning_(
                    "bcma_car_t_contradiction",
                    "prior_bcma_car_t",
                    Msg.of(
                        N_(
                            "You listed a BCMA-directed CAR-T among your treatments, but also said you have "
                            "not had one. We have counted it as received."
                        )
                    ),
                )
            )
        return tuple(out)

    def _refractory_not_had(self, target: str) -> Warning_:
        name = self.rules.classes[target].names if target in CLASS_IDS else self.rules.drugs[target].names
        return Warning_(
            "refractory_without_exposure",
            f"refractory.{target}",
            Msg.of(
                N_(
                    "You said your myeloma got worse on %(name)s, but it is not among the treatments you "
                    "told us you had. We have counted it as received."
                ),
                name=name,
            ),
        )


_ABSENT: Any = object()


# One compiled criterion: (criterion id, kind, argument). Built once per label when the engine starts.
Step = tuple[str, str, Any]


# Yes/no requirements whose strictest reading is implied: "required" (design brief section 3, missing data).
_IMPLIED_STRICTEST = {
    "adult": (("adult", None),),
    "progressed_on_last": (("progressed_on_last", None),),
    "no_prior_bcma_car_t": (("no_prior_bcma_car_t", None),),
}


def strictest_steps(label: Label, key: str) -> tuple[tuple[str, Any], ...] | None:
    """The strictest reading of an unknown criterion as (kind, argument) steps, or None when there is none.

    Yes/no requirements are implied ("required"); counts and exposure lists come only from the label's
    sourced ``strictest`` data. Refractoriness counts as a list here: "refractory" without a named drug or
    class has no single strictest reading (to lenalidomide? to every class?), so it needs data too."""
    if key in _IMPLIED_STRICTEST:
        return _IMPLIED_STRICTEST[key]
    st = label.strictest
    if st is None:
        return None
    if key in ("min_prior_lines", "max_prior_lines"):
        bound = getattr(st, key)
        return None if bound is None else ((key, bound),)
    targets = getattr(st, key)
    return tuple((key, target) for target in targets) or None


def compile_label(label: Label) -> tuple[Step, ...]:
    """The label's criteria in the order a clinician reads them, ready to evaluate (design brief section 3).
    A label whose wording is not held has no criteria: it is never screened."""
    if not label.indication_held:
        return ()
    c = label.criteria
    unknown = set(c.unknown)

    def missing(key: str) -> Step:
        return (key, "missing", (key, strictest_steps(label, key)))

    steps: list[Step] = [("relapsed_or_refractory", "relapsed_or_refractory", None)]
    if "adult" in unknown:
        steps.append(missing("adult"))
    elif c.adult:
        steps.append(("adult", "adult", None))
    for key, bound in (("min_prior_lines", c.min_prior_lines), ("max_prior_lines", c.max_prior_lines)):
        if key in unknown:
            steps.append(missing(key))
        elif bound is not None:
            steps.append((key, key, bound))
    for key in ("exposed", "refractory"):
        if key in unknown:
            steps.append(missing(key))
        steps.extend((f"{key}:{target}", key, target) for target in getattr(c, key))
    for key in ("progressed_on_last", "no_prior_bcma_car_t"):
        if key in unknown:
            steps.append(missing(key))
        elif getattr(c, key):
            steps.append((key, key, None))
    return tuple(steps)


class Engine:
    """Evaluates answers against the immutable rules. Build once; share between requests and threads."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.class_drugs: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {cid: rules.drugs_of_class(cid) for cid in CLASS_IDS}
        )
        by_region: dict[str, list[Label]] = {}
        by_product_region: dict[tuple[str, str], list[Label]] = {}
        for label in rules.labels.values():
            by_region.setdefault(label.region, []).append(label)
            by_product_region.setdefault((label.product, label.region), []).append(label)
        self.labels_by_region: Mapping[str, tuple[Label, ...]] = MappingProxyType(
            {r: tuple(sorted(ls, key=lambda lb: (lb.product, lb.id))) for r, ls in by_region.items()}
        )
        # product -> ((region, labels), ...) in the order of regions.toml, for `approved_elsewhere`.
        self._product_regions = tuple(
            (
                pid,
                tuple(
                    (r, tuple(by_product_region[pid, r]))
                    for r in rules.regions
                    if (pid, r) in by_product_region
                ),
            )
            for pid in rules.products
        )
        # Label.in_force_on, precomputed: (first day in force, first day no longer in force or None).
        self._windows = {lb.id: (lb.in_force_from, lb.in_force_until) for lb in rules.labels.values()}
        self._plans: Mapping[str, tuple[Step, ...]] = MappingProxyType(
            {label.id: compile_label(label) for label in rules.labels.values()}
        )
        self._texts = {label.id: self._prepare_texts(label) for label in rules.labels.values()}
        self._by_day: dict[dt.date, Any] = {}
        self._explain_keys = {
            label.id: tuple((step, self._explain_key(label, step)) for step in self._plans[label.id])
            for label in rules.labels.values()
        }
        self._signatures: dict[str, tuple[Any, ...] | None] = {
            lid: tuple((kind, arg) for _cid, kind, arg in plan) if rules.labels[lid].indication_held else None
            for lid, plan in self._plans.items()
        }

    def practice(self, label: Label, as_of: dt.date, residence: str | None = None) -> PracticeFacts:
        """Caveats, costs, access steps, evidence and availability for ``label`` on ``as_of`` (issue 7)."""
        return select_practice(self.rules, label, as_of, residence)

    def labels_in_force(self, region: str, as_of: dt.date) -> tuple[Label, ...]:
        return tuple(lb for lb in self.labels_by_region.get(region, ()) if self._in_force(lb, as_of))

    def _in_force(self, label: Label, as_of: dt.date) -> bool:
        start, until = self._windows[label.id]
        return start <= as_of and (until is None or as_of < until)

    def evaluate(self, answers: Answers, region: str | None, as_of: dt.date) -> Result:
        """Evaluate every label in force in ``region`` on ``as_of``; see design brief section 3."""
        facts = _Facts(self.rules, self.class_drugs, answers)
        results = tuple(
            sorted(
                (self.evaluate_label(lb, facts) for lb in self.labels_in_force(region, as_of))
                if region
                else (),
                key=lambda r: (_STATUS_RANK[r.status], r.label.product, r.label.id),
            )
        )
        here = {r.label.product for r in results}
        elsewhere: list[Elsewhere] = []
        # Only statuses are needed here, so no explanation is built (the hot path of every check). Labels
        # in force elsewhere share a few distinct sets of criteria: each set's status is worked out once.
        signatures, by_product = self._in_force_by_product(as_of)
        ranks: list[int | None] = [None] * len(signatures)
        outcomes, outcome = facts.outcomes, facts.outcome
        for product_id, per_region in by_product:
            if product_id in here:
                continue
            regions: list[ElsewhereRegion] = []
            for other, indexes, ids in per_region:
                if other == region:
                    continue
                best = _STATUS_RANK["not_eligible"]
                for i in indexes:
                    rank = ranks[i]
                    if rank is None:
                        signature = signatures[i]
                        if signature is None:  # wording not held: never screened
                            status = NOT_CHECKED
                        else:
                            status = combine(outcomes.get(key) or outcome(*key) for key in signature)
                        rank = ranks[i] = _STATUS_RANK[status]
                    best = min(best, rank)
                regions.append(ElsewhereRegion(other, STATUSES[best], ids))
            if regions:
                elsewhere.append(Elsewhere(product_id, tuple(regions)))
        return Result(
            region=region,
            as_of=as_of,
            rules_version=self.rules.version,
            warnings=facts.warnings(),
            results=results,
            approved_elsewhere=tuple(elsewhere),
        )

    def _in_force_by_product(self, as_of: dt.date) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """On ``as_of``: the distinct criteria sets (signatures) of the labels in force, and product ->
        ((region, indexes of its labels' signatures, their label ids), ...), regions without a label in force
        left out. Worked out once per day asked about (nearly always today), not on every check."""
        plan = self._by_day.get(as_of)
        if plan is None:
            index: dict[tuple[Any, ...], int] = {}
            by_product = []
            for product_id, per_region in self._product_regions:
                regions = []
                for other, labels in per_region:
                    in_force = [lb for lb in labels if self._in_force(lb, as_of)]
                    if in_force:
                        sigs = tuple(index.setdefault(self._signatures[lb.id], len(index)) for lb in in_force)
                        regions.append((other, sigs, tuple(lb.id for lb in in_force)))
                by_product.append((product_id, tuple(regions)))
            plan = (tuple(index), tuple(by_product))
            if len(self._by_day) > 64:  # clinicians' as-of dates: keep a handful, never grow without bound
                self._by_day.clear()
            self._by_day[as_of] = plan
        return plan

    def evaluate_label(self, label: Label, facts: _Facts) -> LabelResult:
        if not label.indication_held:
            return LabelResult(label, NOT_CHECKED, (), ())
        # Each step's explanation, found once per evaluation under its key (worked out at start-up).
        explained = facts.explained
        found: list[CriterionResult] = []
        for step, key in self._explain_keys[label.id]:
            c = explained.get(key)
            if c is None:
                c = explained[key] = self._explain_new(label, *step, key, facts)
            found.append(c)
        criteria = tuple(found)
        status = combine(c.outcome for c in criteria)
        decided_by: list[str] = []
        if status == "possible":
            for c in criteria:
                if c.outcome is UNKNOWN and c.decided_by and c.decided_by not in decided_by:
                    decided_by.append(c.decided_by)
        return LabelResult(label, status, criteria, tuple(decided_by))

    # -- explanations: one criterion at a time, in plain words ---------------------------------------------------
    # Texts depend on the criterion and the outcome, not on the person, so they are built once at start-up.
    # Within one evaluation a criterion shared by several labels (exposed:PI, ...) is explained once.
    @staticmethod
    def _explain_key(label: Label, step: Step) -> tuple[Any, ...]:
        """The same kind and argument give the same explanation, except that line counts show the label's word."""
        _cid, kind, arg = step
        return (kind, arg, label.line_word) if kind in ("min_prior_lines", "max_prior_lines") else (kind, arg)

    def _explain_new(
        self, label: Label, cid: str, kind: str, arg: Any, key: tuple[Any, ...], f: _Facts
    ) -> CriterionResult:
        """The criterion explained; ``key`` is its explanation key, to which the result's own key adds the
        outcome and every answer read here (types included: an answer is a bool, an int or None by kind)."""
        outcome = f.outcome(kind, arg)
        texts = self._texts[label.id][cid]
        a = f.a
        if kind == "missing":
            return self._explain_missing(arg, outcome, key, f)
        if kind in _YES_NO_TEXTS:
            answer = a.prior_bcma_car_t if kind == "no_prior_bcma_car_t" else getattr(a, kind)
            return CriterionResult(
                cid,
                outcome,
                answer,
                True,
                texts[outcome],
                None,
                _DECIDED_BY[kind],
                False,
                (*key, outcome, answer),
            )
        if kind in ("min_prior_lines", "max_prior_lines"):
            n = a.prior_lines
            if n is None:
                text = texts[UNKNOWN]
            else:
                text = Msg.of(
                    texts["template"], answer=Msg.count(_ANSWER_PHRASE, n), threshold=texts["threshold"]
                )
            return CriterionResult(
                cid, outcome, n, arg, text, texts["note"], "prior_lines", False, (*key, outcome, n)
            )
        if kind == "exposed":
            if arg in CLASS_IDS:
                drugs = tuple(f.listed_of_class(arg)) if f.listed is not None else None
                given = a.exposed_classes.get(arg)
                answer: Any = {"drugs": list(drugs) if drugs is not None else None, "class": given}
                return CriterionResult(
                    cid,
                    outcome,
                    answer,
                    arg,
                    texts[outcome],
                    None,
                    f"exposed_classes.{arg}",
                    False,
                    (*key, outcome, drugs, given),
                )
            answer = (arg in f.listed) if f.listed is not None else None
            return CriterionResult(
                cid, outcome, answer, arg, texts[outcome], None, "drugs", False, (*key, outcome, answer)
            )
        never_had = outcome is NOT_MET and f.exposed(arg) is NOT_MET
        text = texts["never"] if never_had else texts[outcome]
        answer = a.refractory.get(arg)
        return CriterionResult(
            cid,
            outcome,
            answer,
            arg,
            text,
            None,
            f"refractory.{arg}",
            False,
            (*key, outcome, answer, never_had),
        )

    @staticmethod
    def _explain_missing(arg: Any, outcome: Outcome, key: tuple[Any, ...], f: _Facts) -> CriterionResult:
        """A criterion whose wording we do not hold. Met when the answers meet its strictest reading; else
        unknown, naming the question that could still settle it (an answer not yet given that would meet
        the strictest reading), or none when no answer can (no strictest reading, or a weaker answer)."""
        what, steps = arg
        outcomes = tuple(f.outcome(k, x) for k, x in steps) if steps else ()
        if outcome is MET:
            return CriterionResult(what, MET, None, None, _MISSING_MET[what], None, None, True, (*key, MET))
        decided_by = None
        if steps and NOT_MET not in outcomes:
            decided_by = next(
                _question(k, x) for (k, x), o in zip(steps, outcomes, strict=True) if o is UNKNOWN
            )
        text = _MISSING_OPEN[what] if decided_by else _MISSING_CLOSED[what]
        return CriterionResult(
            what, UNKNOWN, None, None, text, None, decided_by, True, (*key, UNKNOWN, decided_by)
        )

    def _prepare_texts(self, label: Label) -> dict[str, dict[Any, Any]]:
        out: dict[str, dict[Any, Any]] = {}
        for cid, kind, arg in self._plans[label.id]:
            if kind == "missing":
                out[cid] = {}
            elif kind in _YES_NO_TEXTS:
                out[cid] = {o: Msg.of(t) for o, t in _YES_NO_TEXTS[kind].items()}
            elif kind in ("min_prior_lines", "max_prior_lines"):
                out[cid] = self._line_texts_for(label, kind, arg)
            elif kind == "exposed":
                out[cid] = self._exposure_texts(arg)
            else:
                out[cid] = self._refractory_texts(arg)
        return out

    def _line_texts_for(self, label: Label, key: str, bound: int) -> dict[Any, Any]:
        note = None
        if label.line_word != "lines":
            note = Msg.of(
                N_(
                    "The label counts “%(word)s”. We asked about lines of treatment; a specialist may "
                    "count these differently."
                ),
                word=Msg.of(_WORDS[label.line_word]),
            )
        threshold = Msg.count(_THRESHOLD_PHRASES[label.line_word], bound)
        if key == "min_prior_lines":
            unknown = N_(
                "This label asks for at least %(threshold)s. We do not know yet how many you have had."
            )
            template = N_("You told us %(answer)s; this label asks for at least %(threshold)s.")
        else:
            unknown = N_("This label is for at most %(threshold)s. We do not know yet how many you have had.")
            template = N_("You told us %(answer)s; this label is for at most %(threshold)s.")
        return {
            "note": note,
            "threshold": threshold,
            "template": template,
            UNKNOWN: Msg.of(unknown, threshold=threshold),
        }

    def _exposure_texts(self, target: str) -> dict[Any, Any]:
        if target in CLASS_IDS:
            texts = {
                MET: N_("You have had at least one %(name)s, which this label asks for."),
                NOT_MET: N_(
                    "This label asks for earlier treatment with at least one %(name)s. Your answers say "
                    "you have not had one."
                ),
                UNKNOWN: N_(
                    "This label asks for earlier treatment with at least one %(name)s. We do not know yet "
                    "whether you have had one."
                ),
            }
            name: Any = self.rules.classes[target].names
        else:
            texts = {
                MET: N_("You have had %(name)s, which this label asks for."),
                NOT_MET: N_(
                    "This label asks for earlier treatment with %(name)s. Your answers say you have not "
                    "had it."
                ),
                UNKNOWN: N_(
                    "This label asks for earlier treatment with %(name)s. We do not know yet whether you "
                    "have had it."
                ),
            }
            name = self.rules.drugs[target].names
        return {o: Msg.of(t, name=name) for o, t in texts.items()}

    def _refractory_texts(self, target: str) -> dict[Any, Any]:
        is_class = target in CLASS_IDS
        name: Any = self.rules.classes[target].names if is_class else self.rules.drugs[target].names
        if is_class:
            lead = N_(
                "This label is for myeloma that got worse while on at least one %(name)s, or within 60 "
                "days of stopping it."
            )
            met = N_(
                "Your myeloma got worse while on at least one %(name)s, or within 60 days of stopping it, "
                "as this label asks."
            )
        else:
            lead = N_(
                "This label is for myeloma that got worse while on %(name)s, or within 60 days of stopping it."
            )
            met = N_(
                "Your myeloma got worse while on %(name)s, or within 60 days of stopping it, as this label asks."
            )
        lead_msg = Msg.of(lead, name=name)

        def tail(t: str) -> Msg:
            return Msg.of(N_("%(lead)s %(tail)s"), lead=lead_msg, tail=Msg.of(t))

        return {
            MET: Msg.of(met, name=name),
            NOT_MET: tail(N_("Your answers say it did not.")),
            "never": tail(N_("You have not had it.")),
            UNKNOWN: tail(N_("We do not know yet whether it did.")),
        }


_DECIDED_BY = {
    "relapsed_or_refractory": "relapsed_or_refractory",
    "adult": "adult",
    "progressed_on_last": "progressed_on_last",
    "no_prior_bcma_car_t": "prior_bcma_car_t",
}
_YES_NO_TEXTS: Mapping[str, Mapping[Outcome, str]] = {
    "relapsed_or_refractory": {
        MET: N_(
            "Your myeloma has come back or stopped responding, and needs treatment. These labels are "
            "for that situation."
        ),
        NOT_MET: N_(
            "These labels are for myeloma that has come back or stopped responding. You told us yours "
            "is under control now."
        ),
        UNKNOWN: N_(
            "These labels are for myeloma that has come back or stopped responding. We do not know yet "
            "whether yours has."
        ),
    },
    "adult": {
        MET: N_("You told us you are 18 or over. This label is for adults."),
        NOT_MET: N_("This label is for adults (18 or over). You told us you are under 18."),
        UNKNOWN: N_("This label is for adults (18 or over). We do not know yet whether you are."),
    },
    "progressed_on_last": {
        MET: N_(
            "Your myeloma got worse during your latest treatment or within 60 days after it, as "
            "this label asks."
        ),
        NOT_MET: N_(
            "This label is for myeloma that got worse during the latest treatment or within 60 "
            "days after it. You told us yours did not."
        ),
        UNKNOWN: N_(
            "This label is for myeloma that got worse during the latest treatment or within 60 "
            "days after it. We do not know yet whether yours did."
        ),
    },
    "no_prior_bcma_car_t": {
        MET: N_("You have not had a BCMA-directed CAR-T before. This label is only for people who have not."),
        NOT_MET: N_(
            "This label is only for people who have not had a BCMA-directed CAR-T before. Your "
            "answers say you have."
        ),
        UNKNOWN: N_(
            "This label is only for people who have not had a BCMA-directed CAR-T before. We do "
            "not know yet whether you have."
        ),
    },
}


def _question(kind: str, arg: Any) -> str:
    """The question (answer field) that settles one step."""
    if kind in _DECIDED_BY:
        return _DECIDED_BY[kind]
    if kind in ("min_prior_lines", "max_prior_lines"):
        return "prior_lines"
    if kind == "exposed":
        return f"exposed_classes.{arg}" if arg in CLASS_IDS else "drugs"
    return f"refractory.{arg}"


# Texts for a criterion whose wording we do not hold, by outcome (design brief section 3, missing data).
_MISSING_MET = {
    key: Msg.of(
        N_("We could not read whether this label asks for %(what)s. Your answers meet it either way."),
        what=Msg.of(what),
    )
    for key, what in _MISSING_WHAT.items()
}
_MISSING_OPEN = {
    key: Msg.of(
        N_(
            "We could not read whether this label asks for %(what)s. We do not know yet whether your answers "
            "meet it; if they do, it is met either way."
        ),
        what=Msg.of(what),
    )
    for key, what in _MISSING_WHAT.items()
}
_MISSING_CLOSED = {
    key: Msg.of(
        N_(
            "The source we hold for this label does not say whether it asks for %(what)s, so no answer "
            "can decide this. The treating specialist can check the label."
        ),
        what=Msg.of(what),
    )
    for key, what in _MISSING_WHAT.items()
}
