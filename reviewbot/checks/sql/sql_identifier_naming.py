"""sql-identifier-naming: tables and columns created with names that are not snake_case or that
need quoting (mixed case, reserved words)."""

from __future__ import annotations

import re

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, role_of

SNAKE_CASE = re.compile(r"[a-z_][a-z0-9_]*")
# PostgreSQL's reserved key words (and SQL:2016's most common ones): as names they must be
# quoted in every query, forever (`SELECT * FROM "user"`).
RESERVED = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "between",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "inner",
        "intersect",
        "into",
        "is",
        "join",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "natural",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "overlaps",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "similar",
        "some",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
    ]
)


class SqlIdentifierNaming(SqlRule):
    id = "sql-identifier-naming"

    def visit_Create(self, node: exp.Create) -> None:
        if str(node.args.get("kind") or "").upper() != "TABLE":
            return
        table = node.find(exp.Table)
        if table is not None and isinstance(table.this, exp.Identifier):
            self._check(table.this, "table")

    def visit_ColumnDef(self, node: exp.ColumnDef) -> None:
        if isinstance(node.this, exp.Identifier):
            self._check(node.this, "column")

    def _check(self, name: exp.Identifier, what: str) -> None:
        statement = self.context.statement
        if statement is None or role_of(self.context.document, statement) in (None, Role.DOWN):
            return
        raw = str(name.this)
        if raw.lower() in RESERVED:
            self.report(
                name,
                f'{what} `{raw}` is a reserved word: every query must quote it (`"{raw}"`) and '
                f"forgetting once is a syntax error; name it for what it holds "
                f"(e.g. `{raw.lower()}_account`, `sort_{raw.lower()}`).",
            )
            return
        if SNAKE_CASE.fullmatch(raw):
            return
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+", "_", raw).strip("_").lower()
        if name.args.get("quoted"):
            self.report(
                name,
                f'{what} `"{raw}"` keeps its case only while quoted, so every query must quote '
                f"it exactly; use snake_case (`{snake}`).",
            )
        else:
            self.report(
                name,
                f"{what} `{raw}` is folded to `{raw.lower()}` by PostgreSQL, so the written name "
                f"and the stored one differ; write it in snake_case (`{snake}`).",
            )
