"""The rule engine: pure Python, no Flask. Load ``rules/`` once, then evaluate answers against it."""

from .dates import PartialDate, parse_partial_date
from .engine import STATUSES, Answers, CriterionResult, Engine, LabelResult, Outcome, Result, combine
from .loader import RulesError, load_rules
from .model import CLASS_IDS, Drug, Label, Product, Region, Rules
from .texts import Msg, Warning_

__all__ = [
    "CLASS_IDS",
    "STATUSES",
    "Answers",
    "CriterionResult",
    "Drug",
    "Engine",
    "Label",
    "LabelResult",
    "Msg",
    "Outcome",
    "PartialDate",
    "Product",
    "Region",
    "Result",
    "Rules",
    "RulesError",
    "Warning_",
    "combine",
    "load_rules",
    "parse_partial_date",
]
