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
from typing import Any

from .model import CLASS_IDS, Label, Rules
from .texts import N_, NP_, Msg, Warning_


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"

    @property
    def as_bool(self) -> bool | None:
        return {Outcome.MET: True, Outcome.NOT_MET: False}.get(self)


MET, NOT_MET, UNKNOWN = Outcome.MET, Outcome.NOT_MET, Outcome.UNKNOWN
STATUSES = ("eligible", "possible", "not_eligible")
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


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    outcome: Outcome
    answer: Any
    threshold: Any
    text: Msg
    note: Msg | None = None
    decided_by: str | None = None
    missing_data: bool = False


@dataclass(frozen=True, slots=True)
class LabelResult:
    label: Label
    status: str
    criteria: tuple[CriterionResult, ...]
    decided_by: tuple[str, ...]

    @property
    def product(self) -> str:
        return self.label.product


@dataclass(frozen=True, slots=True)
class ElsewhereRegion:
    region: str
    status: str
    label_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Elsewhere:
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
    """The status of a label from its criteria (design brief section 3)."""
    seen = set(outcomes)
    if NOT_MET in seen:
        return "not_eligible"
    if UNKNOWN in seen:
        return "possible"
    return "eligible"


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


class Engine:
    """Evaluates answers against the immutable rules. Build once; share between requests and threads."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.class_drugs: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {cid: rules.drugs_of_class(cid) for cid in CLASS_IDS}
        )
        by_region: dict[str, list[Label]] = {}
        for label in rules.labels.values():
            by_region.setdefault(label.region, []).append(label)
        self.labels_by_region: Mapping[str, tuple[Label, ...]] = MappingProxyType(
            {r: tuple(sorted(ls, key=lambda lb: (lb.product, lb.id))) for r, ls in by_region.items()}
        )
        self._region_order = {r: i for i, r in enumerate(rules.regions)}

    def labels_in_force(self, region: str, as_of: dt.date) -> tuple[Label, ...]:
        return tuple(lb for lb in self.labels_by_region.get(region, ()) if lb.in_force_on(as_of))

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
        for product_id in self.rules.products:
            if product_id in here:
                continue
            regions: list[ElsewhereRegion] = []
            for other in self.rules.regions:
                if other == region:
                    continue
                in_force = [lb for lb in self.labels_by_region.get(other, ()) if lb.product == product_id]
                in_force = [lb for lb in in_force if lb.in_force_on(as_of)]
                if not in_force:
                    continue
                evaluated = [self.evaluate_label(lb, facts) for lb in in_force]
                best = min((r.status for r in evaluated), key=_STATUS_RANK.__getitem__)
                regions.append(ElsewhereRegion(other, best, tuple(lb.id for lb in in_force)))
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

    def evaluate_label(self, label: Label, facts: _Facts) -> LabelResult:
        criteria = tuple(self._criteria(label, facts))
        decided_by: list[str] = []
        for c in criteria:
            if c.outcome is UNKNOWN and c.decided_by and c.decided_by not in decided_by:
                decided_by.append(c.decided_by)
        status = combine(c.outcome for c in criteria)
        return LabelResult(label, status, criteria, tuple(decided_by) if status == "possible" else ())

    # -- one criterion at a time, in the order a clinician reads a label -------------------------------------
    def _criteria(self, label: Label, f: _Facts) -> Iterable[CriterionResult]:
        c, a = label.criteria, f.a
        unknown = set(c.unknown)
        yield _yes_no(
            "relapsed_or_refractory",
            a.relapsed_or_refractory,
            N_(
                "Your myeloma has come back or stopped responding, and needs treatment. These labels are "
                "for that situation."
            ),
            N_(
                "These labels are for myeloma that has come back or stopped responding. You told us yours "
                "is under control now."
            ),
            N_(
                "These labels are for myeloma that has come back or stopped responding. We do not know yet "
                "whether yours has."
            ),
        )
        if "adult" in unknown:
            yield _missing("adult")
        elif c.adult:
            yield _yes_no(
                "adult",
                a.adult,
                N_("You told us you are 18 or over. This label is for adults."),
                N_("This label is for adults (18 or over). You told us you are under 18."),
                N_("This label is for adults (18 or over). We do not know yet whether you are."),
            )
        yield from self._lines(label, a.prior_lines, unknown)
        if "exposed" in unknown:
            yield _missing("exposed")
        for target in c.exposed:
            yield self._exposure(target, f)
        if "refractory" in unknown:
            yield _missing("refractory")
        for target in c.refractory:
            yield self._refractoriness(target, f)
        if "progressed_on_last" in unknown:
            yield _missing("progressed_on_last")
        elif c.progressed_on_last:
            yield _yes_no(
                "progressed_on_last",
                a.progressed_on_last,
                N_(
                    "Your myeloma got worse during your latest treatment or within 60 days after it, as "
                    "this label asks."
                ),
                N_(
                    "This label is for myeloma that got worse during the latest treatment or within 60 "
                    "days after it. You told us yours did not."
                ),
                N_(
                    "This label is for myeloma that got worse during the latest treatment or within 60 "
                    "days after it. We do not know yet whether yours did."
                ),
            )
        if "no_prior_bcma_car_t" in unknown:
            yield _missing("no_prior_bcma_car_t")
        elif c.no_prior_bcma_car_t:
            outcome = f.no_prior_bcma_car_t()
            texts = {
                MET: N_(
                    "You have not had a BCMA-directed CAR-T before. This label is only for people who "
                    "have not."
                ),
                NOT_MET: N_(
                    "This label is only for people who have not had a BCMA-directed CAR-T before. Your "
                    "answers say you have."
                ),
                UNKNOWN: N_(
                    "This label is only for people who have not had a BCMA-directed CAR-T before. We do "
                    "not know yet whether you have."
                ),
            }
            yield CriterionResult(
                "no_prior_bcma_car_t",
                outcome,
                a.prior_bcma_car_t,
                True,
                Msg.of(texts[outcome]),
                decided_by="prior_bcma_car_t",
            )

    def _lines(self, label: Label, answer: int | None, unknown: set[str]) -> Iterable[CriterionResult]:
        c = label.criteria
        note = None
        if label.line_word != "lines":
            note = Msg.of(
                N_(
                    "The label counts “%(word)s”. We asked about lines of treatment; a specialist may "
                    "count these differently."
                ),
                word=Msg.of(_WORDS[label.line_word]),
            )
        phrase = _THRESHOLD_PHRASES[label.line_word]
        for key, bound in (("min_prior_lines", c.min_prior_lines), ("max_prior_lines", c.max_prior_lines)):
            if key in unknown:
                yield _missing(key)
                continue
            if bound is None:
                continue
            threshold = Msg.count(phrase, bound)
            if answer is None:
                outcome = UNKNOWN
                text = Msg.of(
                    N_(
                        "This label asks for at least %(threshold)s. We do not know yet how many you have had."
                    )
                    if key == "min_prior_lines"
                    else N_(
                        "This label is for at most %(threshold)s. We do not know yet how many you have had."
                    ),
                    threshold=threshold,
                )
            else:
                ok = answer >= bound if key == "min_prior_lines" else answer <= bound
                outcome = MET if ok else NOT_MET
                text = Msg.of(
                    N_("You told us %(answer)s; this label asks for at least %(threshold)s.")
                    if key == "min_prior_lines"
                    else N_("You told us %(answer)s; this label is for at most %(threshold)s."),
                    answer=Msg.count(_ANSWER_PHRASE, answer),
                    threshold=threshold,
                )
            yield CriterionResult(key, outcome, answer, bound, text, note, decided_by="prior_lines")

    def _exposure(self, target: str, f: _Facts) -> CriterionResult:
        outcome = f.exposed(target)
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
            answer: Any = {
                "drugs": f.listed_of_class(target) if f.listed is not None else None,
                "class": f.a.exposed_classes.get(target),
            }
            decided_by = f"exposed_classes.{target}"
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
            answer = (target in f.listed) if f.listed is not None else None
            decided_by = "drugs"
        return CriterionResult(
            f"exposed:{target}",
            outcome,
            answer,
            target,
            Msg.of(texts[outcome], name=name),
            decided_by=decided_by,
        )

    def _refractoriness(self, target: str, f: _Facts) -> CriterionResult:
        outcome = f.refractory(target)
        is_class = target in CLASS_IDS
        name: Any = self.rules.classes[target].names if is_class else self.rules.drugs[target].names
        never_had = outcome is NOT_MET and f.exposed(target) is NOT_MET
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
        if outcome is MET:
            text = Msg.of(met, name=name)
        else:
            tail = {
                NOT_MET: N_("You have not had it.") if never_had else N_("Your answers say it did not."),
                UNKNOWN: N_("We do not know yet whether it did."),
            }[outcome]
            text = Msg.of(N_("%(lead)s %(tail)s"), lead=Msg.of(lead, name=name), tail=Msg.of(tail))
        return CriterionResult(
            f"refractory:{target}",
            outcome,
            f.a.refractory.get(target),
            target,
            text,
            decided_by=f"refractory.{target}",
        )


def _yes_no(cid: str, answer: bool | None, met: str, not_met: str, unknown: str) -> CriterionResult:
    outcome = UNKNOWN if answer is None else MET if answer else NOT_MET
    text = {MET: met, NOT_MET: not_met, UNKNOWN: unknown}[outcome]
    return CriterionResult(cid, outcome, answer, True, Msg.of(text), decided_by=cid)


def _missing(key: str) -> CriterionResult:
    """A criterion no source gives: unknown for everyone, and no answer can settle it."""
    return CriterionResult(
        key,
        UNKNOWN,
        None,
        None,
        Msg.of(
            N_(
                "The source we hold for this label does not say whether it asks for %(what)s, so no answer "
                "can decide this. The treating specialist can check the label."
            ),
            what=Msg.of(_MISSING_WHAT[key]),
        ),
        missing_data=True,
    )
