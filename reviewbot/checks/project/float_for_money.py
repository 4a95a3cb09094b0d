"""float-for-money: FLOAT / REAL / DOUBLE columns whose name says they hold money."""

from __future__ import annotations

import re

from sqlglot import exp

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.fixes import numeric_fix
from reviewbot.sql.migrations import is_synthesized
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import catalog_of

FLOAT_TYPES = frozenset({exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE})
# Words that name an amount of money on their own.
MONEY_WORDS = frozenset(
    {
        "price",
        "prices",
        "amount",
        "amounts",
        "cost",
        "costs",
        "balance",
        "fee",
        "fees",
        "salary",
        "wage",
        "wages",
        "payment",
        "revenue",
        "subtotal",
        "refund",
        "payout",
        "cents",
        "money",
        "usd",
        "eur",
        "gbp",
        "budget",
        "fare",
        "tax",
        "vat",
    }
)
# Words that name money only when nothing else in the name says it measures something else.
WEAK_MONEY_WORDS = frozenset(
    {"total", "discount", "credit", "debit", "tip", "income", "profit", "spend"}
)
# A measure that is not money: `total_weight`, `tax_rate`, `discount_percent` are fine as floats.
NOT_MONEY = frozenset(
    {
        "rate",
        "ratio",
        "percent",
        "percentage",
        "pct",
        "count",
        "weight",
        "distance",
        "duration",
        "time",
        "seconds",
        "minutes",
        "hours",
        "days",
        "score",
        "points",
        "size",
        "length",
        "width",
        "height",
        "volume",
        "km",
        "miles",
        "kg",
        "lat",
        "lng",
        "lon",
        "latitude",
        "longitude",
        "temperature",
        "factor",
        "multiplier",
        "probability",
        "share",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_money_name(name: str) -> bool:
    words = {w.lower() for w in _WORD.findall(name)}
    if words & NOT_MONEY:
        return False
    return bool(words & MONEY_WORDS or words & WEAK_MONEY_WORDS)


class FloatForMoney(ProjectRule):
    """Judges the schema as it stands: each column once, where its type was last set, and not
    at all when a later migration made it `numeric`."""

    id = "float-for-money"

    def check(self) -> None:
        for table in catalog_of(self.project).tables.values():
            for column in table.columns.values():
                dtype = column.dtype
                if dtype is None or dtype.this not in FLOAT_TYPES or column.document is None:
                    continue
                written = column.written or column.name
                if not is_money_name(written):
                    continue
                fix = (
                    "use `sa.Numeric(12, 2)` (or an integer count of cents)"
                    if is_synthesized(column.document) == "alembic"
                    else "use `numeric(12, 2)` (or an integer count of cents)"
                )
                report_site(
                    self,
                    column.type_site or column.site,
                    f"`{written}` holds money in a binary floating-point type, which cannot "
                    f"represent 0.10 exactly and drifts in sums; {fix}.",
                    fix=numeric_fix(table, column),
                )
