"""n-plus-one: a query run once per iteration of a loop or comprehension.

Three shapes: a query call whose arguments change with the loop (DB-API `execute`, asyncpg
`fetch*`, SQLAlchemy session calls, Django manager calls), and, for loops over a Django queryset,
related-object access on the loop variable that the queryset did not `select_related` /
`prefetch_related`. Loops are tracked with visit/leave stacks, never parent metadata.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from reviewbot.model.findings import Fix
from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.context import Where
from reviewbot.python.names import (
    dotted,
    method_name,
    names_in,
    positional,
    receiver,
    source_of,
    string_value,
)
from reviewbot.python.strings import REQUEST_DATA_ATTRIBUTES
from reviewbot.python.syntax import LOOPS, Syntax, ast_dotted, method_calls
from reviewbot.python.vocabulary import words

LOOKS_LIKE_SQL = re.compile(
    r"^\s*\(?\s*(select|insert|update|delete|with|replace|merge|upsert)\b", re.IGNORECASE
)
LOOP = re.compile(r"\b(?:for|while)\b")
QUERY_CALL = re.compile(
    r"\.(?:execute|fetch\w*)\s*\(|(?i:session)[\w.()]*\.(?:get|get_one|execute|scalars?|query)"
    r"\s*\(|\.objects\b"
)
DBAPI_METHODS = frozenset({"execute", "fetch", "fetchrow", "fetchval"})
SESSION_METHODS = frozenset({"get", "get_one", "execute", "scalars", "scalar", "query"})
DJANGO_READS = frozenset(
    {
        "get",
        "filter",
        "exclude",
        "count",
        "exists",
        "first",
        "last",
        "aggregate",
        "values",
        "values_list",
        "latest",
        "earliest",
        "in_bulk",
        "all",
        "update",
        "delete",
        "aget",
        "afirst",
        "acount",
        "aexists",
    }
)
DJANGO_WRITES = frozenset({"create", "get_or_create", "update_or_create", "acreate"})
# Related-manager calls: `book.tags.all()` runs a query per book.
MANAGER_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "count",
        "exists",
        "first",
        "last",
        "values",
        "values_list",
        "order_by",
        "aggregate",
        "annotate",
        "get",
        "latest",
        "earliest",
    }
)
QUERY_METHODS = DBAPI_METHODS | SESSION_METHODS | DJANGO_READS | DJANGO_WRITES
# Related-manager writes: one statement each, and no prefetch helps; a different problem.
RELATED_WRITES = frozenset({"add", "remove", "clear", "set", "create", "get_or_create"})
# Attributes and methods of plain field values (dates, strings, files, money, enums, JSON):
# `order.created_at.year` is not a relation.
VALUE_ATTRIBUTES = frozenset(
    {
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "date",
        "time",
        "isoformat",
        "strftime",
        "timestamp",
        "weekday",
        "tzinfo",
        "astimezone",
        "replace",
        "lower",
        "upper",
        "strip",
        "split",
        "startswith",
        "endswith",
        "format",
        "encode",
        "decode",
        "title",
        "capitalize",
        "url",
        "path",
        "size",
        "width",
        "height",
        "file",
        "read",
        "open",
        "amount",
        "currency",
        "value",
        "label",
        "choices",
        "get",
        "items",
        "keys",
        "values",
        "hex",
        "real",
        "quantize",
        "total_seconds",
        "days",
        "seconds",
        "count",
        "index",
        "append",
        "copy",
        "x",
        "y",
        "lat",
        "lng",
        "coords",
        "__class__",
        "__name__",
        # FieldFile methods: `avatar.image.delete()` touches storage, not the database.
        "delete",
        "save",
        "chunks",
        "close",
        "storage",
    }
)
# Loop variables with these words iterate over batches: one query per batch is the point.
BATCH_WORDS = ("chunk", "batch", "page", "slice", "group", "shard", "partition")
# Calls that make a SQLAlchemy `session.query(...)` chain run; without one it only builds a
# query (`q = session.query(M).filter(M.id == i)`), which costs nothing per iteration.
QUERY_EXECUTORS = frozenset(
    {
        "all",
        "first",
        "one",
        "one_or_none",
        "scalar",
        "count",
        "get",
        "delete",
        "update",
        "exists",
        "paginate",
        "first_or_404",
        "get_or_404",
        "one_or_404",
        "yield_per",
        "__iter__",
    }
)
# Django model fields that are relations: reading one on a row loads another row.
RELATION_FIELDS = frozenset(
    {
        "ForeignKey",
        "OneToOneField",
        "ManyToManyField",
        "ForeignObject",
        "GenericForeignKey",
        "GenericRelation",
        "ParentalKey",
        "ParentalManyToManyField",
        "TreeForeignKey",
        "TreeOneToOneField",
        "TreeManyToManyField",
    }
)
# Single-row relations: `book.owner` on its own loads the owner.
SINGLE_RELATION_FIELDS = frozenset(
    {"ForeignKey", "OneToOneField", "ParentalKey", "TreeForeignKey", "TreeOneToOneField"}
)
# Fields holding a document on the row: a loop over one walks that document (a template's
# list of statuses), a handful of entries, not the rows of a table.
DOCUMENT_FIELDS = frozenset({"JSONField", "ArrayField", "HStoreField"})
# Calls that take a relation object on its own: `handle(book.owner)`, `owners.append(...)`.
# A comment on a loop saying the author runs it row by row on purpose ("app by app to prevent
# timeouts", "one at a time", "deliberately"): the reviewer's comment would repeat theirs.
_DELIBERATE = re.compile(
    r"\b(?:one at a time|individually|on purpose|deliberate(?:ly)?|intentional(?:ly)?)\b"
    r"|\b(?!(?:step|side|little|bit)\b)(\w+) by \1\b"
    r"|\bn\s*\+\s*1\b.*\b(?:ok|fine|acceptable|expected|accepted)\b",
    re.IGNORECASE,
)
# ... unless the words just before say the opposite ("instead of one by one", "avoid N+1")...
_NEGATED = re.compile(
    r"\b(?:instead of|rather than|avoid\w*|not|don't|no longer|without)\b", re.IGNORECASE
)
# ... or the comment flags the loop as a bug to fix.
_TO_FIX = re.compile(r"\b(?:todo|fixme|xxx|hack)\b", re.IGNORECASE)
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_CLASS_NAME = re.compile(r"^_*[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")


@dataclass(slots=True)
class QuerysetInfo:
    """What a Django queryset a loop iterates over already loads."""

    source: str
    select_all: bool = False
    selected: set[str] = field(default_factory=set)
    prefetched: set[str] = field(default_factory=set)
    prefetch_all: bool = False
    rows_are_models: bool = True
    # `.defer("body")`: fields each row loads on first read; `.only("title")`: the fields it
    # loads (None: no `.only()`, or one built at run time).
    deferred: set[str] = field(default_factory=set)
    only: set[str] | None = None

    def covers(self, relation: str) -> bool:
        if self.select_all or self.prefetch_all:
            return True
        return any(
            path == relation or path.startswith(relation + "__")
            for path in self.selected | self.prefetched
        )


@dataclass(slots=True)
class Loop:
    variant: set[str]
    targets: set[str]
    # Not a per-row loop: batches (`for chunk in ...`, `range(0, n, step)`) or a literal list of
    # a few different things (`for model in (User, Group)`), each getting its own statement.
    batched: bool
    returns: int = 0  # `return` statements open when the loop was entered
    guards: int = 0  # cache-miss guards (`if key not in cache:`) open when the loop was entered
    querysets: dict[str, QuerysetInfo] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    # Names bound to the keys of a mapping (`for key, value in data.items()`).
    keys: set[str] = field(default_factory=set)
    # Rows this loop's body creates and then works on (`us = UserStory.objects.create(...)`).
    created: set[str] = field(default_factory=set)


class NPlusOne(Bindings, PythonRule):
    id = "n-plus-one"
    METADATA_DEPENDENCIES = ()
    # Test code runs against tiny fixtures; its query count is not a production concern.
    skip_tests = True
    # A migration's loop runs once, at deploy, over the rows of that day (often a `RunPython`
    # over historical models); an applied one cannot change. Not worth a review comment.
    # Sample-data generators fill a developer's database with made-up rows, and example
    # programs show (or time) an access pattern on purpose: neither serves a user's request.
    skip_in = frozenset({Where.MIGRATION, Where.SAMPLE_DATA, Where.EXAMPLE})

    @classmethod
    def wants(cls, text: str) -> bool:
        # A superset of what can be reported: a loop, and a DB-API call, a session call or a
        # Django manager somewhere in the file.
        if ".only(" in text and "select_related" in text:
            return True  # `.select_related(...).only(...)`, loop or not
        return LOOP.search(text) is not None and QUERY_CALL.search(text) is not None

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # A call `visit_Call` can report inside a `for` or a comprehension, or a loop over a
        # queryset (`visit_Attribute`: its iterable starts at some `Model.objects`, directly or
        # through a name assigned from one).
        for call in syntax.nodes(ast.Call):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "only"
                and any(
                    isinstance(inner, ast.Attribute) and inner.attr == "select_related"
                    for inner in ast.walk(func.value)
                )
            ):
                return True  # `_only_drops_selected`, loop or not
        loops = list(syntax.nodes(*LOOPS))
        if not loops:
            return False
        if any(
            _ast_query_call(call) for loop in loops for call in method_calls(loop, QUERY_METHODS)
        ):
            return True
        from_objects = _names_from_objects(syntax)
        for loop in loops:
            generators = getattr(loop, "generators", None)
            iterables = [g.iter for g in generators] if generators else [loop.iter]  # type: ignore[attr-defined]
            for iterable in iterables:
                root = _ast_root(iterable)
                if isinstance(root, ast.Attribute) and root.attr == "objects":
                    return True
                if isinstance(root, ast.Name) and root.id in from_objects:
                    return True
        return False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Active loops, innermost last; None marks a function boundary (a `def` in a loop body
        # is not run per iteration by the loop).
        self.loops: list[Loop | None] = []
        self.seen_chains: set[int] = set()
        self.returns = 0
        # `if key not in cache:` bodies (and `else:` of `if key in cache:`) open now: a query
        # there runs once per distinct key, the lookup the loop already avoids repeating.
        self.guards = 0
        self.guarded: list[cst.BaseSuite] = []
        # Model classes defined in this file: field name -> field class (`JSONField`).
        self.model_fields = _model_fields(self.file.module)
        # Attributes assigned to (`row.price = 0`): setting a deferred field loads nothing.
        self.stores: set[int] = set()
        # Enclosing classes, innermost last (`self.statuses` reads a field of the last).
        self.classes: list[str] = []
        # `x = M.objects.create(...)` calls whose row the loop goes on to work on.
        self.worked_on: set[int] = set()
        # Enclosing functions, innermost last: whether each is a background task
        # (`@shared_task`, `@app.task(...)`, `@dramatiq.actor`).
        self.tasks: list[bool] = []

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        suggestion: str | None = None,
        redact: tuple[str, ...] = (),
        *,
        fix: Fix | None = None,
    ) -> None:
        if any(self.tasks):
            # Worth a comment there too: nobody waits on a task, but a worker does.
            message += (
                " In a background task this holds a worker and its database connection for the "
                "whole loop, and the query count grows with the rows it handles: large runs time "
                "out or back up the queue."
            )
        elif self.context.command:
            # Worth a comment there too: a command is rerun (often from cron) as the data grows.
            if any(loop.querysets for loop in self._active()):
                message += (
                    " In a command this walks every row the queryset selects on each run, so "
                    "the query count grows with the table."
                )
            else:
                message += (
                    " In a command this runs on each invocation (often from cron), so the query "
                    "count grows with the rows or arguments it processes."
                )
        super().report(node, message, suggestion, redact, fix=fix)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        self.classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        super().leave_ClassDef(original_node)
        self.classes.pop()

    def visit_If(self, node: cst.If) -> None:
        suite = _cache_miss_suite(node)
        if suite is not None:
            self.guarded.append(suite)

    def leave_If(self, original_node: cst.If) -> None:
        if self.guarded and self.guarded[-1] is _cache_miss_suite(original_node):
            self.guarded.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self.guarded and self.guarded[-1] is node:
            self.guards += 1

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        if self.guarded and self.guarded[-1] is original_node:
            self.guards -= 1

    def visit_Return(self, node: cst.Return) -> None:
        self.returns += 1

    def leave_Return(self, original_node: cst.Return) -> None:
        self.returns -= 1

    # -- loop context --------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.loops.append(None)
        self.tasks.append(any(_is_task_decorator(d.decorator) for d in node.decorators))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        self.loops.pop()
        self.tasks.pop()

    def visit_For_body(self, node: cst.For) -> None:
        loop = self._loop(node.target, node.iter)
        if _deliberate(node):
            # `# remove app by app to prevent timeouts`: the author chose one statement per
            # item and said so; only a per-row loop nested in it is still reported.
            loop.batched = True
        worked_on, loop.created = _created_then_worked_on(node.body)
        self.worked_on |= worked_on
        if _prompts(node.body):
            # `for user in users: ... input("username: ")`: each turn waits for a person at
            # the terminal; a query per answer is not what makes it slow.
            loop.batched = True
        self.loops.append(loop)

    def leave_For_body(self, node: cst.For) -> None:
        self.loops.pop()

    def _enter_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        comp: cst.CompFor | None = node.for_in
        targets: list[cst.BaseAssignTargetExpression] = []
        first = comp
        while comp is not None:
            targets.append(comp.target)
            comp = comp.inner_for_in
        assert first is not None
        loop = self._loop(first.target, first.iter)
        for target in targets[1:]:
            loop.variant |= names_in(target)
        self.loops.append(loop)

    # A nested `for` clause and the `if` clauses run once per item of the clause before them.
    def visit_CompFor_inner_for_in(self, node: cst.CompFor) -> None:
        self.loops.append(self._loop(node.target, node.iter))

    def leave_CompFor_inner_for_in(self, node: cst.CompFor) -> None:
        self.loops.pop()

    def visit_CompFor_ifs(self, node: cst.CompFor) -> None:
        self.loops.append(self._loop(node.target, node.iter))

    def leave_CompFor_ifs(self, node: cst.CompFor) -> None:
        self.loops.pop()

    def visit_ListComp_elt(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node)

    def leave_ListComp_elt(self, node: cst.ListComp) -> None:
        self.loops.pop()

    def visit_SetComp_elt(self, node: cst.SetComp) -> None:
        self._enter_comprehension(node)

    def leave_SetComp_elt(self, node: cst.SetComp) -> None:
        self.loops.pop()

    def visit_GeneratorExp_elt(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node)

    def leave_GeneratorExp_elt(self, node: cst.GeneratorExp) -> None:
        self.loops.pop()

    def visit_DictComp_value(self, node: cst.DictComp) -> None:
        self._enter_comprehension(node)

    def leave_DictComp_value(self, node: cst.DictComp) -> None:
        self.loops.pop()

    def _loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> Loop:
        names = names_in(target)
        text = " ".join([*names, dotted(iterable) or ""]).lower()
        loop = Loop(
            variant=set(names),
            targets=set(names),
            batched=any(w in text for w in BATCH_WORDS)
            or _bounded(iterable)
            or self._constant_iterable(iterable),
            returns=self.returns,
            guards=self.guards,
        )
        loop.keys = _mapping_keys(target, iterable)
        if isinstance(target, cst.Name):
            info = self._queryset(iterable, set())
            if info is not None and info.rows_are_models:
                loop.querysets[target.value] = info
        return loop

    def _constant_iterable(self, iterable: cst.BaseExpression, depth: int = 0) -> bool:
        """Not rows of a query: a constant (`for key, label in STATUS_LABELS.items()`), a name
        bound to a literal display, an enum or choices class (`for status in OrderStatus`),
        a model's field list (`Model._meta.get_fields()`)."""
        if depth > 3:
            return False
        if isinstance(iterable, cst.Call):
            func = iterable.func
            if isinstance(func, cst.Attribute) and func.attr.value in (
                "items",
                "keys",
                "values",
                "get_fields",
            ):
                return self._constant_iterable(func.value, depth + 1)
            if isinstance(func, cst.Name) and func.value in (
                "sorted",
                "enumerate",
                "list",
                "tuple",
                "reversed",
            ):
                first = positional(iterable, 0)
                return first is not None and self._constant_iterable(first, depth + 1)
            return False
        if self._document_field(iterable) or self._field_of_fetched_row(iterable):
            return True  # `for status in self.statuses:` over a JSONField of this model
        text = dotted(iterable) or ""
        parts = text.split(".")
        if "_meta" in parts:
            return True  # `Model._meta.fields`, `opts._meta.get_fields()`
        if isinstance(iterable, (cst.Dict, cst.Tuple, cst.List, cst.Set)):
            return True
        if isinstance(iterable, cst.Attribute) and iterable.attr.value == "choices":
            return True  # Django `Status.choices`
        if not text:
            return False
        last = parts[-1]
        if _CONSTANT_NAME.match(last) and last not in REQUEST_DATA_ATTRIBUTES:
            return True
        if isinstance(iterable, cst.Name):
            bound = self.bindings_of(iterable)
            if bound:
                # Non-empty displays only: `if items is None: items = []` rebinds a parameter.
                return all(
                    b.op == "="
                    and isinstance(b.value, (cst.Dict, cst.Tuple, cst.List, cst.Set))
                    and bool(b.value.elements)
                    for b in bound
                )
        # Iterating a class (`for status in OrderStatus`): only an enum iterates its members.
        return _CLASS_NAME.match(last) is not None and not self.bindings_of(iterable)

    def _document_field(self, node: cst.BaseExpression) -> bool:
        """`self.statuses` where this file's model enclosing the method declares `statuses`
        as a JSONField or ArrayField: the entries of a document stored on one row."""
        return (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
            and bool(self.classes)
            and self.model_fields.get(self.classes[-1], {}).get(node.attr.value) in DOCUMENT_FIELDS
        )

    def _field_of_fetched_row(self, node: cst.BaseExpression) -> bool:
        """`for entry in template.due_dates:` where `template = M.objects.get(...)` (or
        `.first()`, `.last()`): a Django row's related managers are not iterable, so an
        attribute of one row iterated as it is holds a value (a JSON or array field), the
        entries of one document."""
        if not (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)):
            return False
        if node.attr.value.startswith("_"):
            return False
        bound = self.bindings_of(node.value)
        if not bound or len(bound) != 1 or bound[0].op != "=":
            return False
        root, calls = _call_chain(bound[0].value)
        return (
            bool(calls)
            and method_name(calls[0]) in ("get", "first", "last", "latest", "earliest")
            and isinstance(root, cst.Attribute)
            and root.attr.value == "objects"
        )

    def _active(self) -> list[Loop]:
        """Loops of the current function, innermost last."""
        active: list[Loop] = []
        for loop in reversed(self.loops):
            if loop is None:
                break
            active.append(loop)
        active.reverse()
        return active

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        active = self._active()
        for target in node.targets:
            if isinstance(target.target, cst.Attribute):
                self.stores.add(id(target.target))
        if active:
            # A value computed in the loop body changes with the loop.
            for target in node.targets:
                active[-1].variant |= names_in(target.target)

    # -- querysets -----------------------------------------------------------------------------

    def _queryset(self, node: cst.BaseExpression, visiting: set[str]) -> QuerysetInfo | None:
        """What a Django queryset expression (or a name bound to one) selects and prefetches."""
        if isinstance(node, cst.Name):
            if node.value in visiting:
                return None
            merged: QuerysetInfo | None = None
            for origin in self.origins(node):
                if origin is node:
                    return None
                root, calls = _call_chain(origin)
                if isinstance(root, cst.Name) and root.value == node.value and calls:
                    # `qs = qs.prefetch_related(...)`: the name rebound from its earlier value.
                    if merged is not None:
                        self._apply(calls, merged)
                    continue
                info = self._queryset(origin, visiting | {node.value})
                if info is None:
                    continue
                if merged is None:
                    merged = info
                else:
                    merged.select_all |= info.select_all
                    merged.prefetch_all |= info.prefetch_all
                    merged.selected |= info.selected
                    merged.prefetched |= info.prefetched
                    merged.rows_are_models &= info.rows_are_models
            return merged
        current, calls = _call_chain(node)
        if isinstance(current, cst.Attribute) and current.attr.value == "objects":
            info = QuerysetInfo(source=dotted(current) or "objects")
        elif isinstance(current, cst.Name) and calls:
            found = self._queryset(current, visiting)
            if found is None:
                return None
            info = found
        else:
            return None
        self._apply(calls, info)
        return info

    @staticmethod
    def _apply(calls: list[cst.Call], info: QuerysetInfo) -> None:
        """What the calls of a chain add to (or take from) the queryset's rows."""
        for call in calls:
            method = method_name(call)
            paths = {string_value(a.value) for a in call.args if a.keyword is None}
            if method == "select_related":
                if not call.args:
                    info.select_all = True
                elif None in paths:
                    info.select_all = True  # built at run time: assume it covers
                info.selected |= {p for p in paths if p}
            elif method == "prefetch_related":
                for arg in call.args:
                    name = string_value(arg.value)
                    if name is None and isinstance(arg.value, cst.Call):
                        name = string_value(positional(arg.value, 0))  # Prefetch("tags", ...)
                    if name is None:
                        info.prefetch_all = True
                    else:
                        info.prefetched.add(name)
            elif method in ("values", "values_list", "count", "exists", "aggregate", "in_bulk"):
                info.rows_are_models = False
            elif method == "defer":
                if any(
                    isinstance(a.value, cst.Name) and a.value.value == "None" for a in call.args
                ):
                    info.deferred.clear()
                info.deferred |= {p for p in paths if p and "__" not in p}
            elif method == "only":
                if None in paths:
                    info.only = None
                else:
                    info.only = {p.split("__", 1)[0] for p in paths if p}

    # -- checks --------------------------------------------------------------------------------

    def _deferred_read(self, node: cst.Attribute) -> None:
        """`book.body` on rows of `.defer("body")` (or of `.only(...)` without it, when this
        file's model says `body` is a field): one query per row, on first read."""
        assert isinstance(node.value, cst.Name)
        var, name = node.value.value, node.attr.value
        if id(node) in self.stores or name in ("pk", "id") or name.startswith("_"):
            return
        for loop in reversed(self._active()):
            info = loop.querysets.get(var)
            if info is None:
                continue
            key = f"{var}.{name}"
            if key in loop.reported:
                return
            kind = self._field_kind(info, name)
            if name in info.deferred:
                how = f'`.defer("{name}")` leaves it out'
            elif (
                info.only is not None
                and name not in info.only
                and kind is not None
                and kind not in RELATION_FIELDS
            ):
                how = "`.only(...)` does not list it"
            else:
                return
            loop.reported.add(key)
            self.report(
                node,
                f"`{key}` is not loaded with the rows of `{info.source}` ({how}): reading it "
                "runs one query per row; load it with the queryset instead.",
            )
            return

    def _only_drops_selected(self, node: cst.Call) -> None:
        """`.select_related("author").only("title")`: Django raises FieldError, since a field
        cannot be both deferred and traversed; `.only()` must name `author` too."""
        if method_name(node) != "only":
            return
        only = {string_value(a.value) for a in node.args if a.keyword is None}
        if None in only or not only:
            return
        kept = {p.split("__", 1)[0] for p in only if p}
        # `.only("variant_id")` keeps the foreign key's column: Django then follows it fine.
        kept |= {p.removesuffix("_id") for p in kept}
        _, calls = _call_chain(node)
        for call in calls[1:]:
            if method_name(call) != "select_related":
                continue
            for arg in call.args:
                path = string_value(arg.value)
                if path is None:
                    continue
                relation = path.split("__", 1)[0]
                if relation not in kept:
                    self.report(
                        node,
                        f'`.only(...)` defers `{relation}`, which `.select_related("{path}")` '
                        "follows: Django raises FieldError (a field cannot be both deferred and "
                        f'traversed); add `"{relation}"` (or the `{relation}__...` fields the code '
                        "reads) to `.only(...)`.",
                    )
                    return

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name):
            self._deferred_read(node)
            return
        # `book.author.name` / `book.tags.all`: related access on a queryset's loop variable.
        inner = node.value
        if not (isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Name)):
            return
        var, relation, member = inner.value.value, inner.attr.value, node.attr.value
        if member in (VALUE_ATTRIBUTES - MANAGER_METHODS) | RELATED_WRITES or relation.endswith(
            "_id"
        ):
            return
        if relation.startswith("_") or relation in ("pk", "id", "objects"):
            return
        for loop in reversed(self._active()):
            info = loop.querysets.get(var)
            if info is None:
                continue
            key = f"{var}.{relation}"
            if key in loop.reported or info.covers(relation):
                return
            kind = self._field_kind(info, relation)
            if kind is not None and kind not in RELATION_FIELDS:
                return  # a JSONField, ArrayField, FileField...: its value, not another row
            if kind is None and words(relation)[-1:] == ("file",):
                return  # `payload_file.name` of a model defined elsewhere: a FileField
            loop.reported.add(key)
            if member in MANAGER_METHODS:
                advice = f'add `.prefetch_related("{relation}")` to the queryset'
            else:
                advice = (
                    f'add `.select_related("{relation}")` (or `.prefetch_related("{relation}")` '
                    "for many-to-many and reverse relations) to the queryset"
                )
            self.report(
                inner,
                f"`{var}.{relation}` runs one query per row of `{info.source}`; {advice} so it is "
                "loaded in one query.",
            )
            return

    def _field_kind(self, info: QuerysetInfo, name: str) -> str | None:
        """The field class of `name` on the queryset's model, when this file defines it."""
        model = info.source.rsplit(".", 2)[-2] if "." in info.source else ""
        return self.model_fields.get(model, {}).get(name)

    def _relation_on_its_own(self, node: cst.Call) -> None:
        """`handle(book.owner)`, `owners.append(book.owner)`: a single-row relation of each row
        read on its own, when this file's model says it is a relation."""
        for arg in node.args:
            value = arg.value
            if not (isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name)):
                continue
            var, relation = value.value.value, value.attr.value
            for loop in reversed(self._active()):
                info = loop.querysets.get(var)
                if info is None:
                    continue
                key = f"{var}.{relation}"
                if key in loop.reported or info.covers(relation):
                    break
                if self._field_kind(info, relation) not in SINGLE_RELATION_FIELDS:
                    break
                loop.reported.add(key)
                self.report(
                    value,
                    f"`{key}` runs one query per row of `{info.source}` to load the related "
                    f'row; add `.select_related("{relation}")` to the queryset so it is loaded '
                    "in the same query.",
                )
                break

    def visit_Call(self, node: cst.Call) -> None:
        self._only_drops_selected(node)
        if self._active():
            self._relation_on_its_own(node)
        if id(node) in self.seen_chains:
            return
        active = self._active()
        if not active or self.returns > active[-1].returns:
            # A query in a `return` inside the loop runs once: the loop ends there.
            return
        if self.guards > active[-1].guards:
            return  # on a cache miss only: once per distinct key
        chain = self._chain(node)
        self.seen_chains.update(id(call) for call in chain)
        # Only loops that run row by row count: a query that varies with `for chunk in ...` or
        # `for model in (A, B)` only is fine, one inside a per-row loop nested in them is not.
        variant = set().union(*(loop.variant for loop in active if not loop.batched))
        if not variant:
            return
        root = chain[-1]
        method = method_name(root)
        target = receiver(root)
        if target is None or method is None:
            return
        statement = positional(root, 0)
        if isinstance(statement, cst.Name) and any(statement.value in lp.targets for lp in active):
            return  # `for stmt in statements: execute(stmt)`: a list of statements, not rows
        in_hand = set().union(*(loop.variant - loop.targets for loop in active))
        if in_hand and self._updates_row_in_hand(chain, in_hand):
            return  # `M.objects.filter(id=snapshot.id).update(...)`: that row's `save()`
        keys = set().union(*(loop.keys for loop in active))
        # A plain INSERT per entry has its one-statement form (`bulk_create`); a read or an
        # upsert per key of one owner does not.
        entries = (
            set()
            if any(method_name(c) in ("create", "acreate") for c in chain)
            else set().union(*(loop.targets for loop in active))
        )
        if self._per_setting_key(chain, variant, keys, entries):
            return  # `Config.objects.get(key=key)` per key of a settings mapping
        if method in DBAPI_METHODS and self._dbapi_per_row(root, variant):
            self._report(node, f"`{_callee(root)}()`", "executemany")
            return
        if method in SESSION_METHODS and "session" in (dotted(target) or "").lower():
            if method in ("get", "get_one") and not _is_model_class(positional(root, 0)):
                return  # `session.get(url)` of an HTTP client; SQLAlchemy's is `get(Model, id)`
            if method == "query" and not any(method_name(c) in QUERY_EXECUTORS for c in chain):
                return  # only builds a query; nothing runs in this loop
            if self._uses(chain, variant):
                self._report(node, f"`{_callee(root)}()`", "session")
            return
        django = self._django_root(chain)
        if django is not None and self._uses(chain, variant):
            call, manager_method = django
            manager = call.func.value if isinstance(call.func, cst.Attribute) else call.func
            selects = set().union(*(names_in(arg.value) for arg in call.args)) & variant
            if selects and selects <= set().union(*(loop.created for loop in active)):
                # `UserStory.objects.filter(id=us.id).update(...)` on the row this iteration
                # created and works on: part of that row's own work, like the INSERT.
                return
            if names_in(manager) & variant:
                # `for model in models: model.objects.filter(pk__in=ids)`: one query per
                # table, which no single query could replace.
                return
            if manager_method in DJANGO_WRITES:
                if id(call) in self.worked_on:
                    # `us = UserStory.objects.create(...)` then `us.watchers.add(...)`,
                    # `take_snapshot(us)`: each row is created to be worked on (its pk, its
                    # signals), which `bulk_create` would not give; the INSERT is not the problem.
                    return
                self._report(node, f"`{_callee(call)}()`", "bulk_create")
            else:
                self._report(node, f"`{_callee(call)}()`", "django")

    @staticmethod
    def _chain(node: cst.Call) -> list[cst.Call]:
        """`a.objects.filter(x).first()` -> [first(), filter(x)]: outermost call first."""
        chain = [node]
        current: cst.BaseExpression = node.func
        while isinstance(current, cst.Attribute):
            current = current.value
            if isinstance(current, cst.Call):
                chain.append(current)
                current = current.func
        return chain

    @staticmethod
    def _django_root(chain: list[cst.Call]) -> tuple[cst.Call, str] | None:
        for call in reversed(chain):
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Attribute)
                and func.value.attr.value == "objects"
            ):
                method = func.attr.value
                if method in DJANGO_READS or method in DJANGO_WRITES:
                    return call, method
                return None
        return None

    def _per_setting_key(
        self, chain: list[cst.Call], variant: set[str], keys: set[str], entries: set[str]
    ) -> bool:
        """A row of a key/value settings table per key of a mapping the loop walks
        (`for key, value in data.items()`): the query selects by a column named `key`
        (`filter_by(resolver_id=rid, Key=key)`, `Option.key == key`, also through a statement
        built earlier in the loop) with that key. One row per setting of one owner: the loop is
        as long as the form that was saved, not as the table.

        Over a list the same holds when the query also names that one owner with a value the
        loop does not change (`Info.container_id == self.container.id`) and the key is the
        loop's own: `for key in key_values` or `for data in info: ... == data.key`. Without
        the owner (`Option.objects.get(key=key)` per key) it is a lookup per item."""
        stack: list[cst.CSTNode] = [arg for call in chain for arg in call.args]
        followed = 0
        listed = False
        owner = False
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name) and current.value in variant and followed < 4:
                followed += 1
                stack.extend(b.value for b in self.bindings_of(current) or () if b.op == "=")
                continue
            column: str | None = None
            value: cst.BaseExpression | None = None
            if isinstance(current, cst.Arg) and current.keyword is not None:
                column, value = current.keyword.value, current.value
            elif (
                isinstance(current, cst.Comparison)
                and isinstance(current.left, cst.Attribute)
                and len(current.comparisons) == 1
                and isinstance(current.comparisons[0].operator, cst.Equal)
            ):
                column, value = current.left.attr.value, current.comparisons[0].comparator
            if column is not None and value is not None:
                used = names_in(value)
                if column.lower() == "key":
                    if used & keys:
                        return True
                    listed |= _own_key(value, entries)
                elif used and not used & variant and column not in ("defaults", "values"):
                    owner = True  # `container_id == self.container.id`, `shop=shop`
            stack.extend(current.children)
        return listed and owner

    def _updates_row_in_hand(self, chain: list[cst.Call], in_hand: set[str]) -> bool:
        """An UPDATE of exactly one row the iteration already holds, selected by its primary
        key alone: `M.objects.filter(id=snapshot.id).update(created_at=...)` on the row a
        helper just wrote, `session.execute(update(M).where(M.id == row.id).values(...))`.
        It is that row's `save()`, which is not reported either; the query that loaded or
        wrote the row (if any) is where the loop's cost is."""
        calls = chain
        if len(chain) == 1 and method_name(chain[0]) == "execute":
            statement = positional(chain[0], 0)
            if isinstance(statement, cst.Name):
                bound = self.bindings_of(statement) or ()
                if len(bound) != 1 or bound[0].op != "=":
                    return False
                statement = bound[0].value
            if not isinstance(statement, cst.Call):
                return False
            root, calls = _call_chain(statement)
            if not (
                isinstance(root, cst.Call)
                and isinstance(root.func, cst.Name)
                and root.func.value == "update"
            ):
                return False
        elif method_name(chain[0]) != "update":
            return False
        conditions = [
            arg
            for call in calls
            if method_name(call) in ("filter", "filter_by", "where")
            for arg in call.args
        ]
        if len(conditions) != 1:
            return False
        condition = conditions[0]
        if condition.keyword is not None:
            if condition.keyword.value not in ("id", "pk"):
                return False
            value: cst.BaseExpression = condition.value
        else:
            test = condition.value
            if not (
                isinstance(test, cst.Comparison)
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.Equal)
                and isinstance(test.left, cst.Attribute)
                and test.left.attr.value in ("id", "pk")
            ):
                return False
            value = test.comparisons[0].comparator
        return (
            isinstance(value, cst.Attribute)
            and value.attr.value in ("id", "pk")
            and isinstance(value.value, cst.Name)
            and value.value.value in in_hand
        )

    @staticmethod
    def _uses(chain: list[cst.Call], variant: set[str]) -> bool:
        return any(names_in(arg.value) & variant for call in chain for arg in call.args)

    def _dbapi_per_row(self, call: cst.Call, variant: set[str]) -> bool:
        sql = positional(call, 0)
        if sql is None:
            return False
        text = string_value(sql)
        if text is None:
            bound = self.bindings_of(sql) if isinstance(sql, cst.Name) else None
            if not bound or len(bound) != 1:
                return False
            text = string_value(bound[0].value)
        if text is None or not LOOKS_LIKE_SQL.match(text):
            return False
        params = [arg.value for arg in call.args[1:]]
        if not params or not any(names_in(p) & variant for p in params):
            return False
        # `ids[i:i + 500]`: a batch per iteration, not a row.
        return not any(isinstance(n, cst.Slice) for p in params for n in _walk(p))

    def _report(self, node: cst.Call, what: str, flavour: str) -> None:
        advice = {
            "executemany": "collect the parameters and run one `executemany(...)`, or one query "
            "with `WHERE id = ANY(%s)` / `IN (...)`",
            "session": "load all rows in one query before the loop (`where(Model.id.in_(ids))`, "
            "`selectinload(...)`)",
            "django": "fetch everything once before the loop (`filter(id__in=ids)`, "
            "`in_bulk(ids)`, `select_related` / `prefetch_related`)",
            "bulk_create": "build the objects in the loop and save them with one "
            "`bulk_create(...)` (or `bulk_update`)",
        }[flavour]
        self.report(
            node,
            f"{what} runs one query per iteration of this loop (N+1); {advice}.",
        )


def _model_fields(module: cst.Module) -> dict[str, dict[str, str]]:
    """`{"Book": {"owner": "ForeignKey", "tags": "JSONField"}}` for the classes of this module
    whose body assigns `name = <...>Field(...)` / `ForeignKey(...)` (Django models)."""
    models: dict[str, dict[str, str]] = {}
    for statement in module.body:
        if not isinstance(statement, cst.ClassDef):
            continue
        fields: dict[str, str] = {}
        body = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else []
        for line in body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for small in line.body:
                if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                    continue
                value = small.value
                if not isinstance(value, cst.Call):
                    continue
                kind = (dotted(value.func) or "").rsplit(".", 1)[-1]
                if not (kind.endswith("Field") or kind in RELATION_FIELDS):
                    continue
                targets = (
                    [t.target for t in small.targets]
                    if isinstance(small, cst.Assign)
                    else [small.target]
                )
                for target in targets:
                    if isinstance(target, cst.Name):
                        fields[target.value] = kind
        if fields:
            models[statement.name.value] = fields
    return models


# Calls that only collect or print a value: `created.append(obj)`, `log.info("%s", obj)` leave
# `bulk_create` possible.
COLLECTING = frozenset(
    {
        "append",
        "add",
        "extend",
        "insert",
        "update",
        "setdefault",
        "write",
        "debug",
        "info",
        "warning",
        "error",
        "exception",
        "log",
    }
)
PRINTING = frozenset({"print", "str", "repr", "len", "format"})


def _created_then_worked_on(body: cst.BaseSuite) -> tuple[set[int], set[str]]:
    """`x = M.objects.create(...)` in a loop body whose `x` is then handed to a call
    (`take_snapshot(x)`, `M.objects.filter(id=x.id)`) or has a method called on it
    (`x.tags.set(...)`, `x.save()`): the ids of those create calls, and the names they bind."""
    created: dict[str, int] = {}
    nodes = _walk(body)
    for node in nodes:
        if not (isinstance(node, cst.Assign) and isinstance(node.value, cst.Call)):
            continue
        _, calls = _call_chain(node.value)
        root = calls[-1] if calls else None
        if root is None or method_name(root) not in ("create", "acreate"):
            continue  # `get_or_create` per row reads first: one `filter(...__in=...)` helps
        func = root.func
        if not (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Attribute)
            and func.value.attr.value == "objects"
        ):
            continue
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                created[target.target.value] = id(root)
    if not created:
        return set(), set()
    used: set[int] = set()
    for node in nodes:
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Attribute):
            base: cst.BaseExpression = func.value
            while isinstance(base, cst.Attribute):
                base = base.value
            if isinstance(base, cst.Name) and base.value in created:
                used.add(created[base.value])  # `x.save()`, `x.tags.set(...)`
                continue
            if func.attr.value in COLLECTING:
                continue
        elif isinstance(func, cst.Name) and func.value in PRINTING:
            continue
        for arg in node.args:
            # `take_snapshot(x)`, `M.objects.filter(id=x.id).update(...)`
            for name in names_in(arg.value) & created.keys():
                used.add(created[name])
    return used, {name for name, call in created.items() if call in used}


def _own_key(value: cst.BaseExpression, entries: set[str]) -> bool:
    """The loop's own key: a loop variable named for a key (`for key in key_values`,
    `option_key`) or the `key` of each entry (`data.key`)."""
    if isinstance(value, cst.Name):
        return value.value in entries and words(value.value)[-1:] == ("key",)
    return (
        isinstance(value, cst.Attribute)
        and value.attr.value.lower() == "key"
        and isinstance(value.value, cst.Name)
        and value.value.value in entries
    )


# Decorators that make a function a background job: Celery, Huey, Dramatiq, RQ.
TASK_DECORATORS = frozenset(
    {"task", "shared_task", "periodic_task", "db_task", "db_periodic_task", "actor", "job"}
)


def _is_task_decorator(decorator: cst.BaseExpression) -> bool:
    """`@shared_task`, `@app.task(bind=True)`, `@huey.db_periodic_task(...)`, `@dramatiq.actor`."""
    if isinstance(decorator, cst.Call):
        decorator = decorator.func
    name = dotted(decorator) or ""
    return name.rsplit(".", 1)[-1] in TASK_DECORATORS


def _deliberate(node: cst.For) -> bool:
    """A comment right above the `for` (the comment lines just before it), on its line, or
    opening its body, that says the loop goes item by item on purpose."""
    lines: list[str] = []
    for line in reversed(node.leading_lines):
        if line.comment is None:
            break
        lines.append(line.comment.value)
    body = node.body
    if isinstance(body, cst.IndentedBlock):
        if body.header.comment is not None:
            lines.append(body.header.comment.value)
        if body.body:
            first = body.body[0]
            lines.extend(
                line.comment.value
                for line in getattr(first, "leading_lines", ())
                if line.comment is not None
            )
    text = " ".join(line.lstrip("#").strip() for line in lines)
    if not text or _TO_FIX.search(text):
        return False
    for match in _DELIBERATE.finditer(text):
        before = re.split(r"[.;:!?]", text[: match.start()])[-1][-30:]
        if not _NEGATED.search(before) and not _NEGATED.search(match.group(0)):
            return True  # "N+1 here is fine", never "N+1 is not fine"
    return False


def _prompts(body: cst.BaseSuite) -> bool:
    """A call of the builtin `input(...)` anywhere in the loop body."""
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "input"
        for node in _walk(body)
    )


def _mapping_keys(target: cst.BaseExpression, iterable: cst.BaseExpression) -> set[str]:
    """`key` of `for key, value in data.items()` / `for key in data.keys()`."""
    if not (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Attribute)
        and iterable.func.attr.value in ("items", "keys")
        and not iterable.args
    ):
        return set()
    if iterable.func.attr.value == "keys":
        return {target.value} if isinstance(target, cst.Name) else set()
    if isinstance(target, (cst.Tuple, cst.List)) and target.elements:
        first = target.elements[0].value
        return {first.value} if isinstance(first, cst.Name) else set()
    return set()


def _callee(call: cst.Call) -> str:
    """`Book.objects.filter`, or the code of a callee that is not a dotted name
    (`apps.get_model("shop", "Book").objects.filter`), never `None`."""
    return dotted(call.func) or source_of(call.func, limit=60)


def _cache_miss_suite(node: cst.If) -> cst.BaseSuite | None:
    """The branch of `if key not in cache:` / `if key in cache: ... else:` that fills that
    cache (`cache[key] = ...` in it); a membership test of anything else guards nothing."""
    test = node.test
    negated = False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, negated = test.expression, True
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    operator = test.comparisons[0].operator
    container = source_of(test.comparisons[0].comparator, limit=200)
    suite: cst.BaseSuite | None = None
    if isinstance(operator, cst.NotIn) != negated and isinstance(operator, (cst.In, cst.NotIn)):
        suite = node.body
    elif isinstance(operator, (cst.In, cst.NotIn)) and isinstance(node.orelse, cst.Else):
        suite = node.orelse.body
    if suite is None or not _fills(suite, container):
        return None
    return suite


def _fills(suite: cst.BaseSuite, container: str) -> bool:
    """`container[...] = ...` or `container.setdefault(...)` somewhere in the suite."""
    stack: list[cst.CSTNode] = [suite]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Subscript) and source_of(current.value, limit=200) == container:
            return True
        if (
            isinstance(current, cst.Attribute)
            and current.attr.value in ("setdefault", "add", "update")
            and source_of(current.value, limit=200) == container
        ):
            return True
        stack.extend(current.children)
    return False


def _call_chain(node: cst.BaseExpression) -> tuple[cst.BaseExpression, list[cst.Call]]:
    """`Book.objects.filter(x).all()` -> (`Book.objects`, [all(), filter(x)])."""
    calls: list[cst.Call] = []
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        calls.append(node)
        node = node.func.value
    return node, calls


def _ast_query_call(call: ast.Call) -> bool:
    """The calls `visit_Call` reports, loosely: a DB-API call with parameters, a method of
    something named like a session, a Django manager read or write."""
    func = call.func
    assert isinstance(func, ast.Attribute)
    method = func.attr
    if method in DBAPI_METHODS and len(call.args) + len(call.keywords) >= 2:
        return True
    if method in SESSION_METHODS and "session" in (ast_dotted(func.value) or "").lower():
        return True
    return (
        method in DJANGO_READS | DJANGO_WRITES
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "objects"
    )


def _ast_root(node: ast.AST) -> ast.AST:
    """`_queryset`'s starting point: `Book.objects` of `Book.objects.filter(...).all()`, the
    name `qs` of `qs.select_related(...)`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node


def _names_from_objects(syntax: Syntax) -> set[str]:
    """Names that may hold a queryset: assigned from something mentioning `.objects`, or from
    a call chain on such a name (`qs = Book.objects.all()`, `recent = qs.filter(...)`), to a
    fixed point, as `_queryset` follows bindings."""
    pairs: list[tuple[str, ast.AST]] = []
    for node in syntax.nodes(ast.Assign, ast.AnnAssign, ast.NamedExpr):
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            value = node.value
            if isinstance(target, ast.Name) and value is not None:
                pairs.append((target.id, value))
    for item in syntax.nodes(ast.withitem):
        if isinstance(item.optional_vars, ast.Name):
            pairs.append((item.optional_vars.id, item.context_expr))
    found = {name for name, value in pairs if _mentions_objects(value)}
    while True:
        more = {
            name
            for name, value in pairs
            if name not in found
            and isinstance(root := _ast_root(value), ast.Name)
            and root.id in found
        }
        if not more:
            return found
        found |= more


def _mentions_objects(node: ast.AST | None) -> bool:
    return node is not None and any(
        isinstance(item, ast.Attribute) and item.attr == "objects" for item in ast.walk(node)
    )


def _bounded(iterable: cst.BaseExpression) -> bool:
    """A literal display (`(User, Group)`) or a stepped range (`range(0, n, 500)`)."""
    if isinstance(iterable, (cst.Tuple, cst.List, cst.Set)):
        return True
    return (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Name)
        and iterable.func.value == "range"
        and len(iterable.args) == 3
    )


def _is_model_class(node: cst.BaseExpression | None) -> bool:
    name = node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", "")
    return isinstance(node, (cst.Name, cst.Attribute)) and str(name)[:1].isupper()


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.children)
    return out
