"""unindexed-query-filter: queries filtering or joining catalog tables on columns no index leads with.

Each SELECT / UPDATE / DELETE scope is read on its own: its tables (catalog tables only, CTE names
excluded), the WHERE conjuncts comparing one of their columns with a value (`=`, `IN`, ranges,
`BETWEEN`), and the JOIN conditions equating two of their columns. A table is reached through an
index when some index's first column is among its filtered or joined columns; otherwise the
database reads the whole table. Predicates inside OR, NOT, functions or casts are left alone:
whether an index serves them depends on more than this rule knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.migrations import Role, is_synthesized, role_of
from reviewbot.sql.names import ident, table_key
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import Catalog, Site, Table, catalog_of
from reviewbot.sql.source import SqlDocument, SqlStatement

_EQUALITY = (exp.EQ,)
_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE)
_LOW_SELECTIVITY = (exp.Boolean, exp.Null)
MAX_SUGGESTED_COLUMNS = 3


@dataclass(slots=True)
class _Occurrence:
    alias: str
    table: Table | None  # None: not a catalog table (a CTE, a subquery, an unknown table)
    filters: list[tuple[str, bool, exp.Expression]] = field(default_factory=list)
    joined: set[str] = field(default_factory=set)


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


class _Scope:
    """One SELECT / UPDATE / DELETE: its tables by alias and what its predicates compare."""

    def __init__(
        self, node: exp.Expression, catalog: Catalog, dialect: str, ctes: set[str]
    ) -> None:
        self.occurrences: dict[str, _Occurrence] = {}
        self.joins: list[tuple[str, str, str, str, exp.Expression]] = []
        # Sources that are not plain tables (subqueries, functions, CTEs): their columns are
        # unknown, so unqualified names may belong to them.
        self.opaque: set[str] = set()
        self.ambiguous = False
        for source in self._sources(node):
            alias = source.alias_or_name.lower()
            key = table_key(source, dialect) if isinstance(source, exp.Table) else None
            if key is None or (not source.args.get("db") and source.name.lower() in ctes):
                self.ambiguous = True
                self.opaque.add(alias)
                continue
            self.occurrences[alias] = _Occurrence(alias, catalog.known(key))

    @staticmethod
    def _sources(node: exp.Expression) -> list[exp.Expression]:
        sources: list[exp.Expression | None] = []
        from_ = node.args.get("from_") or node.args.get("from")
        if isinstance(node, (exp.Update, exp.Delete)):
            sources.append(node.this)
            using = node.args.get("using")
            for item in using if isinstance(using, list) else [using]:
                if isinstance(item, exp.Expression):
                    sources.append(item)
        if isinstance(from_, exp.From):
            sources.append(from_.this)
        for join in node.args.get("joins") or ():
            sources.append(join.this)
        return [s for s in sources if s is not None]

    def resolve(self, node: exp.Expression) -> tuple[str, str] | bool | None:
        """(alias, column) for a column of this scope; True for an outer reference; None if unsure."""
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            return None
        name = ident(node.this)
        qualifier = node.table.lower()
        if qualifier:
            if qualifier in self.occurrences:
                return qualifier, name
            return None if qualifier in self.opaque else True
        if len(self.occurrences) == 1 and not self.ambiguous:
            return next(iter(self.occurrences)), name
        if self.ambiguous or any(o.table is None for o in self.occurrences.values()):
            return None
        owners = [a for a, o in self.occurrences.items() if o.table and name in o.table.columns]
        return (owners[0], name) if len(owners) == 1 else None

    def is_value(self, node: exp.Expression) -> bool:
        """Whether `node` is fixed for the duration of the scan: literals, parameters, outer columns."""
        if isinstance(node, _LOW_SELECTIVITY):
            return False
        for column in node.find_all(exp.Column):
            if self.resolve(column) is not True:
                return False
        return not isinstance(node, exp.Star)

    def read(self, condition: exp.Expression, where: bool) -> None:
        if isinstance(condition, (*_EQUALITY, *_RANGE)):
            left, right = condition.this, condition.expression
            left_column, right_column = self.resolve(left), self.resolve(right)
            if isinstance(left_column, tuple) and isinstance(right_column, tuple):
                if left_column[0] != right_column[0] and isinstance(condition, _EQUALITY):
                    self.joins.append((*left_column, *right_column, condition))
                return
            equality = isinstance(condition, _EQUALITY)
            if where and isinstance(left_column, tuple) and self.is_value(right):
                self._filter(left_column, equality, condition)
            elif where and isinstance(right_column, tuple) and self.is_value(left):
                self._filter(right_column, equality, condition)
        elif where and isinstance(condition, exp.In):
            column = self.resolve(condition.this)
            values = condition.expressions
            if (isinstance(column, tuple) and values and all(self.is_value(v) for v in values)) or (
                isinstance(column, tuple) and condition.args.get("query") is not None
            ):
                self._filter(column, True, condition)
        elif where and isinstance(condition, exp.Between):
            column = self.resolve(condition.this)
            if (
                isinstance(column, tuple)
                and self.is_value(condition.args["low"])
                and self.is_value(condition.args["high"])
            ):
                self._filter(column, False, condition)

    def _filter(self, column: tuple[str, str], equality: bool, node: exp.Expression) -> None:
        occurrence = self.occurrences.get(column[0])
        if occurrence is not None:
            occurrence.filters.append((column[1], equality, node))


class UnindexedQueryFilter(ProjectRule):
    id = "unindexed-query-filter"

    def check(self) -> None:
        catalog = catalog_of(self.project)
        if not catalog.tables:
            return
        for document in self.project.sql_documents:
            for statement in document.statements:
                expression = statement.expression
                if expression is None or role_of(document, statement) != Role.QUERY:
                    continue
                if isinstance(expression, (exp.Command, exp.Alter, exp.Drop)) or (
                    isinstance(expression, exp.Create) and expression.expression is None
                ):
                    continue
                ctes = {ident(c.alias) for c in expression.find_all(exp.CTE)}
                for node in expression.find_all(exp.Select, exp.Update, exp.Delete):
                    if node.args.get("where") is None and not node.args.get("joins"):
                        continue
                    self._scope(document, statement, node, catalog, ctes)

    def _scope(
        self,
        document: SqlDocument,
        statement: SqlStatement,
        node: exp.Expression,
        catalog: Catalog,
        ctes: set[str],
    ) -> None:
        scope = _Scope(node, catalog, document.dialect, ctes)
        if not any(o.table is not None for o in scope.occurrences.values()):
            return
        where = node.args.get("where")
        for condition in _conjuncts(where.this if isinstance(where, exp.Where) else None):
            scope.read(condition, where=True)
        for join in node.args.get("joins") or ():
            for condition in _conjuncts(join.args.get("on")):
                scope.read(condition, where=False)
        for left_alias, left_column, right_alias, right_column, _ in scope.joins:
            scope.occurrences[left_alias].joined.add(left_column)
            scope.occurrences[right_alias].joined.add(right_column)

        served: dict[str, bool] = {}
        for alias, occurrence in scope.occurrences.items():
            table = occurrence.table
            if table is None or not occurrence.filters:
                continue
            filtered = [c for c, _, _ in occurrence.filters]
            if any(c not in table.columns for c in filtered):
                continue  # the catalog does not know this column: it is incomplete, stay quiet
            reachable = set(filtered) | occurrence.joined
            if table.index_leading_with(reachable) is not None:
                served[alias] = True
                continue
            served[alias] = False
            self._report_filter(document, statement, table, occurrence)

        for left_alias, left_column, right_alias, right_column, condition in scope.joins:
            for source, target, column in (
                (left_alias, right_alias, right_column),
                (right_alias, left_alias, left_column),
            ):
                destination = scope.occurrences[target]
                table = destination.table
                if not served.get(source) or table is None or destination.filters:
                    continue
                if column not in table.columns or table.index_leading_with(destination.joined):
                    continue
                origin = scope.occurrences[source].table
                label = origin.name if origin is not None else source
                self._report_join(document, statement, table, column, label, condition)

    def _suggest(self, document: SqlDocument, table: Table, columns: list[str]) -> str:
        if is_synthesized(document) == "alembic":
            listed = ", ".join(repr(c) for c in columns)
            return f'`op.create_index(None, "{table.name}", [{listed}])`'
        return f"`CREATE INDEX ON {table.name} ({', '.join(columns)})`"

    def _report_filter(
        self, document: SqlDocument, statement: SqlStatement, table: Table, occurrence: _Occurrence
    ) -> None:
        equality = list(dict.fromkeys(c for c, eq, _ in occurrence.filters if eq))
        ranges = [c for c, eq, _ in occurrence.filters if not eq and c not in equality]
        suggested = (equality + ranges[:1])[:MAX_SUGGESTED_COLUMNS]
        columns = ", ".join(f"`{c}`" for c in dict.fromkeys(c for c, _, _ in occurrence.filters))
        first = occurrence.filters[0][2]
        report_site(
            self,
            Site.of_node(document, statement, first),
            f"This query filters `{table.name}` on {columns}, but no index of `{table.name}` "
            f"starts with {'it' if len(suggested) == 1 else 'any of them'}, so every row is read; "
            f"an index such as {self._suggest(document, table, suggested)} would serve it.",
        )

    def _report_join(
        self,
        document: SqlDocument,
        statement: SqlStatement,
        table: Table,
        column: str,
        source: str,
        condition: exp.Expression,
    ) -> None:
        report_site(
            self,
            Site.of_node(document, statement, condition),
            f"This join looks up `{table.name}` by `{column}` for each row of `{source}`, but no "
            f"index of `{table.name}` starts with `{column}`; an index such as "
            f"{self._suggest(document, table, [column])} would serve it.",
        )
