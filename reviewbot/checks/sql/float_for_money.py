"""float-for-money: FLOAT / REAL / DOUBLE columns whose name says they hold money."""

from __future__ import annotations

import re

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, is_synthesized, role_of
from reviewbot.sql.names import ident

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


class FloatForMoney(SqlRule):
    id = "float-for-money"

    def visit_ColumnDef(self, node: exp.ColumnDef) -> None:
        self._check(node, node.args.get("kind"), node.this)

    def visit_AlterColumn(self, node: exp.AlterColumn) -> None:
        self._check(node, node.args.get("dtype"), node.this)

    def _check(
        self, node: exp.Expression, dtype: exp.Expression | None, name_node: exp.Expression | None
    ) -> None:
        # sqlglot keeps no position on a type, so the finding spans the column definition.
        if not isinstance(dtype, exp.DataType) or dtype.this not in FLOAT_TYPES:
            return
        # Word boundaries need the name as written (`amountUsd`), not case-folded.
        column = str(name_node.this) if isinstance(name_node, exp.Identifier) else ident(name_node)
        statement = self.context.statement
        if not is_money_name(column) or statement is None:
            return
        if role_of(self.context.document, statement) in (None, Role.DOWN):
            return
        fix = (
            "use `sa.Numeric(12, 2)` (or an integer count of cents)"
            if is_synthesized(self.context.document) == "alembic"
            else "use `numeric(12, 2)` (or an integer count of cents)"
        )
        self.report(
            node,
            f"`{column}` holds money in a binary floating-point type, which cannot represent "
            f"0.10 exactly and drifts in sums; {fix}.",
        )
