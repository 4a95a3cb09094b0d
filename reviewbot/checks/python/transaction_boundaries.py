"""transaction-boundaries: writes in one function that do not share one transaction (a commit
between them, or Django writes under autocommit with no `transaction.atomic()`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from typing import cast

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.context import Where
from reviewbot.python.handlers import (
    ROUTE_METHODS,
    VIEW_DECORATORS,
    is_request_handler,
)
from reviewbot.python.names import dotted, last_name, method_name, receiver, string_value
from reviewbot.python.syntax import Syntax

# SQL statements that change rows.
WRITE_SQL = re.compile(
    r"^\s*(?:with\b.*?\)\s*)?(?:insert|update|delete|merge|replace|upsert)\b", re.I | re.S
)
# SQLAlchemy session writes; the receiver must be named like a session (`seen.add(x)` is a set).
SESSION_WRITES = frozenset({"add", "add_all", "merge", "delete", "bulk_save_objects"})
SESSION_BULK = frozenset({"bulk_insert_mappings", "bulk_update_mappings", "bulk_save_objects"})
SESSION_NAME = re.compile(r"(?:^|_)(?:session|sess|dbsession|db_session)$", re.I)
# SQLAlchemy Core constructs that build a write statement: `insert(t)`, `t.update()`.
CORE_WRITES = frozenset({"insert", "update", "delete"})
EXECUTE = frozenset({"execute", "executemany", "exec_driver_sql"})
# Django: manager and queryset writes, reached through `.objects`, a queryset or a related manager.
QUERYSET_WRITES = frozenset(
    {
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "update",
        "delete",
    }
)
QUERYSET_STEPS = frozenset(
    {"objects", "filter", "exclude", "all", "select_for_update", "using", "order_by"}
)
# A block or decorator with one of these names makes its writes one transaction.
ATOMIC = frozenset({"atomic", "begin", "begin_nested", "transaction", "Transaction"})
DJANGO_TEXT = ("django", ".objects.")
# Class-based view and DRF hooks that Django runs outside any transaction of its own (the
# admin's `save_model` already runs in one).
DJANGO_HOOKS = frozenset({"perform_create", "perform_update", "perform_destroy", "form_valid"})
# Celery, Dramatiq, Huey, django-rq: functions that run outside any request.
TASK_DECORATORS = frozenset({"task", "shared_task", "actor", "periodic_task", "db_task", "job"})


class Kind(Enum):
    WRITE = "write"
    COMMIT = "commit"


def _chain(node: cst.BaseExpression | None) -> Iterator[str]:
    """Names along `a.b(...).c(...)`, outermost first: `c`, `b`, `a`."""
    while node is not None:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            yield node.attr.value
            node = node.value
        elif isinstance(node, cst.Name):
            yield node.value
            return
        else:
            return


def _leading_text(node: cst.BaseExpression | None) -> str | None:
    """The literal text a SQL argument starts with: a string, an f-string's head, `text("...")`."""
    if node is None:
        return None
    if isinstance(node, cst.Call) and last_name(node.func) == "text" and node.args:
        return _leading_text(node.args[0].value)
    value = string_value(node)
    if value is not None:
        return value
    if isinstance(node, cst.FormattedString) and node.parts:
        head = node.parts[0]
        return head.value if isinstance(head, cst.FormattedStringText) else None
    if isinstance(node, cst.ConcatenatedString):
        return _leading_text(node.left)
    return None


def sql_write(call: cst.Call) -> bool:
    """A DB-API or SQLAlchemy write: an INSERT/UPDATE/DELETE executed, or a session write."""
    name = method_name(call)
    if name in EXECUTE and call.args:
        first = call.args[0].value
        text = _leading_text(first)
        if text is not None:
            return WRITE_SQL.match(text) is not None
        if isinstance(first, cst.Call):
            built = list(_chain(first.func))
            return bool(built) and built[0] in CORE_WRITES
        return False
    if name in SESSION_WRITES or name in SESSION_BULK:
        target = last_name(receiver(call))
        if target is not None and SESSION_NAME.search(target) is not None and call.args:
            return True
    if name in ("update", "delete"):
        # `session.query(User).filter(...).update({...})`
        return "query" in list(_chain(receiver(call)))
    return False


def _only_keywords(call: cst.Call) -> bool:
    return all(arg.keyword is not None or arg.star for arg in call.args)


def django_write(call: cst.Call) -> bool:
    """`obj.save()`, `obj.delete()`, and manager or queryset writes (`X.objects.create(...)`)."""
    name = method_name(call)
    if name == "save":
        if not _only_keywords(call):
            return False
        commit = next(
            (a.value for a in call.args if a.keyword and a.keyword.value == "commit"), None
        )
        return not (isinstance(commit, cst.Name) and commit.value == "False")
    if name not in QUERYSET_WRITES:
        return False
    steps = list(_chain(receiver(call)))
    if name == "delete" and not call.args:
        return True
    return bool(steps) and (
        steps[0] in QUERYSET_STEPS or steps[0].endswith("_set") or "objects" in steps
    )


def _uses_other_database(call: cst.Call) -> bool:
    return any(a.keyword is not None and a.keyword.value == "using" for a in call.args) or (
        "using" in list(_chain(call.func))
    )


def _atomic_name(node: cst.BaseExpression) -> bool:
    target = node.func if isinstance(node, cst.Call) else node
    return last_name(target) in ATOMIC


def _calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls under `node` in source order, not entering nested functions, classes or lambdas."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and current is not node:
            continue
        if isinstance(current, cst.Call):
            yield current
        stack.extend(reversed(current.children))


State = tuple[object, ...]
# The `if` statements (and `match` cases) around an event, outermost first.
Conds = tuple[int, ...]
Step = Callable[[State, Kind, cst.Call, Conds], State]


def compatible(first: Conds, second: Conds) -> bool:
    """Whether two events sit under the same conditions, or one under the other's and more.
    Writes under sibling `if` blocks (`if "tz" in request.POST: ...` then `if "email" in
    request.POST: ...`) usually answer different requests, and flags that make branches
    exclusive (`if not saved: obj.save()`) are not followed."""
    shorter, longer = sorted((first, second), key=len)
    return longer[: len(shorter)] == shorter


class _Walk:
    """Abstract execution of a function body over the write/commit events of its paths: branches
    of an `if` or a `try`'s handlers are alternatives, a `return` or `raise` ends a path, and a
    loop body runs once (a commit per iteration is a batch, not a split)."""

    def __init__(self, classify: Callable[[cst.Call], Kind | None], step: Step) -> None:
        self.classify = classify
        self.step = step
        self.conds: list[int] = []
        # The `if` statements behind the ids in `conds`.
        self.tests: dict[int, cst.If] = {}

    def events(self, states: set[State], node: cst.CSTNode | None) -> set[State]:
        if node is None:
            return states
        for call in _calls(node):
            kind = self.classify(call)
            if kind is not None:
                conds = tuple(self.conds)
                states = {self.step(s, kind, call, conds) for s in states}
        return states

    def block(
        self, states: set[State], body: Sequence[cst.BaseStatement] | cst.BaseSuite
    ) -> set[State]:
        statements: Sequence[cst.CSTNode]
        if isinstance(body, cst.IndentedBlock):
            statements = body.body
        elif isinstance(body, cst.SimpleStatementSuite):
            statements = [body]
        elif isinstance(body, cst.BaseSuite):
            statements = []
        else:
            statements = body
        for statement in statements:
            if not states:
                return states
            states = self.statement(states, statement)
        return states

    def statement(self, states: set[State], node: cst.CSTNode) -> set[State]:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                states = self.events(states, small)
                if isinstance(small, (cst.Return, cst.Raise, cst.Continue, cst.Break)):
                    return set()
            return states
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return states
        if isinstance(node, cst.If):
            states = self.events(states, node.test)
            self.conds.append(id(node))
            self.tests[id(node)] = node
            try:
                taken = self.block(states, node.body)
                other = node.orelse
                if other is None:
                    return taken | states
                if isinstance(other, cst.If):
                    return taken | self.statement(states, other)
                return taken | self.block(states, other.body)
            finally:
                self.conds.pop()
        if isinstance(node, (cst.For, cst.While)):
            states = self.events(states, node.iter if isinstance(node, cst.For) else node.test)
            looped = self.block(states, node.body) | states
            if node.orelse is not None:
                looped = self.block(looped, node.orelse.body)
            return looped
        if isinstance(node, (cst.Try, cst.TryStar)):
            body = self.block(states, node.body)
            out = self.block(body, node.orelse.body) if node.orelse is not None else body
            for handler in node.handlers:
                out = out | self.block(states, handler.body)
            if node.finalbody is not None:
                out = self.block(out, node.finalbody.body)
            return out
        if isinstance(node, cst.With):
            for item in node.items:
                states = self.events(states, item.item)
            return self.block(states, node.body)
        if isinstance(node, cst.Match):
            states = self.events(states, node.subject)
            out = set(states)
            for case in node.cases:
                self.conds.append(id(case))
                out |= self.block(states, case.body)
                self.conds.pop()
            return out
        return self.events(states, node)


class TransactionBoundaries(PythonRule):
    id = "transaction-boundaries"
    prefilter = ("commit(", "save(", "create(", "update(", "delete(", "bulk_")
    skip_tests = True
    # Migrations run in a transaction of their own; commands commit between steps on purpose
    # (checkpoints an operator can resume from); sample-data and example code fill a demo
    # database, where no real data is left half-changed.
    skip_in = frozenset(
        {Where.MIGRATION, Where.COMMAND, Where.SETTINGS, Where.SAMPLE_DATA, Where.EXAMPLE}
    )

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        methods = [c.func.attr for c in syntax.nodes(ast.Call) if isinstance(c.func, ast.Attribute)]
        if "commit" in methods and sum(1 for m in methods if m in AST_SQL_WRITES) >= 2:
            return True
        if sum(1 for m in methods if m in AST_DJANGO_WRITES) < 2:
            return False
        return any(
            _ast_starts_work(function)
            and sum(
                1
                for node in ast.walk(function)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in AST_DJANGO_WRITES
            )
            >= 2
            for function in syntax.nodes(ast.FunctionDef, ast.AsyncFunctionDef)
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        text = self.file.source.text
        self.django = any(marker in text for marker in DJANGO_TEXT)
        self.in_class: list[bool] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.in_class.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.in_class.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._split_by_commit(node)
        if self.django and self._starts_work(node):
            self._django_autocommit(node)
        self.in_class.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.in_class.pop()

    def _starts_work(self, node: cst.FunctionDef) -> bool:
        """Whether the function is where a unit of work begins: a decorated view, a view
        method, a background task. Other functions (helpers, model methods, signal receivers)
        run inside whatever transaction their caller opened, which this file does not show."""
        in_class = bool(self.in_class) and self.in_class[-1]
        if any(_decorator_name(d) in TASK_DECORATORS for d in node.decorators):
            return True
        if in_class and node.name.value in DJANGO_HOOKS:
            return True
        return is_request_handler(node, in_class) and (in_class or bool(node.decorators))

    # -- a commit between writes (DB-API, SQLAlchemy) -------------------------------------------

    def _split_by_commit(self, node: cst.FunctionDef) -> None:
        def classify(call: cst.Call) -> Kind | None:
            if method_name(call) == "commit" and not call.args:
                return Kind.COMMIT
            return Kind.WRITE if sql_write(call) else None

        reported: set[int] = set()
        explained = _explained_commits(node.body)

        # State: (the conditions of writes not yet committed and the objects they wrote, or
        # None; the commit that followed them, with its conditions and those objects, or None
        # when the split is deliberate)
        def step(state: State, kind: Kind, call: cst.Call, conds: Conds) -> State:
            pending, split = state
            if kind is Kind.COMMIT:
                if isinstance(pending, tuple):
                    pending_conds, written = cast(tuple[Conds, frozenset[str]], pending)
                    if compatible(pending_conds, conds):
                        if id(call) in explained or _creates_missing(walk, conds, written):
                            return (None, None)
                        return (None, (call, conds, written))
                return (None, split)
            objects = _written_objects(call)
            if isinstance(split, tuple):
                commit, commit_conds, committed = split
                # Writing again (not deleting) an object already committed updates a row that
                # is complete on its own: `session.add(entry)`, commit, sign, `merge(entry)`.
                rewrite = (
                    method_name(call) in ("add", "add_all", "merge")
                    and bool(objects)
                    and objects <= committed
                )
                if id(commit) not in reported and compatible(commit_conds, conds) and not rewrite:
                    reported.add(id(commit))
                    self._report_split(commit, call)
            if isinstance(pending, tuple):
                objects = objects | cast(tuple[Conds, frozenset[str]], pending)[1]
            return ((conds, objects), split)

        walk = _Walk(classify, step)
        walk.block({(None, None)}, node.body)

    def _report_split(self, commit: cst.Call, write: cst.Call) -> None:
        target = dotted(commit.func) or "commit"
        self.report(
            commit,
            f"`{target}()` commits the writes before it on their own, and the function goes on "
            f"writing (`{dotted(write.func) or 'write'}(...)` after it): if a later write fails, "
            "the earlier ones stay committed and the data is half-changed. Commit once after the "
            "last write (`session.flush()` gets generated ids without committing), or put the "
            "writes in one transaction (`with session.begin():`, `with conn.transaction():`).",
        )

    # -- Django writes under autocommit ---------------------------------------------------------

    def _django_autocommit(self, node: cst.FunctionDef) -> None:
        if any(_atomic_name(d.decorator) for d in node.decorators):
            return
        # With ATOMIC_REQUESTS every request runs in one transaction, and so does every function
        # it calls: only background tasks are left under autocommit.
        if self.options.get("atomic-requests") and not any(
            _decorator_name(d) in TASK_DECORATORS for d in node.decorators
        ):
            return
        writes = [c for c in _calls(node.body) if django_write(c)]
        if len(writes) < 2 or any(_uses_other_database(c) for c in writes):
            return
        # A task that only deletes, or sets columns to values, does the same when it runs
        # again (a retry, the next scheduled run): a failure half-way is finished then.
        if any(_decorator_name(d) in TASK_DECORATORS for d in node.decorators) and all(
            _idempotent(c) for c in writes
        ):
            return
        # A function that opens a transaction anywhere has thought about where they go.
        for statement in _with_items(node.body):
            if _atomic_name(statement):
                return
        if any(
            method_name(c) in ("commit", "rollback", "set_autocommit") for c in _calls(node.body)
        ):
            return

        done: list[bool] = []

        def classify(call: cst.Call) -> Kind | None:
            return Kind.WRITE if django_write(call) else None

        # State: the earlier writes on this path, with their conditions.
        def step(state: State, kind: Kind, call: cst.Call, conds: Conds) -> State:
            for entry in state:
                earlier, earlier_conds = cast(tuple[cst.Call, Conds], entry)
                if not done and compatible(earlier_conds, conds):
                    done.append(True)
                    self._report_django(earlier, call)
            return state if len(state) >= 4 else (*state, (call, conds))

        _Walk(classify, step).block({()}, node.body)

    def _report_django(self, earlier: cst.Call, later: cst.Call) -> None:
        self.report(
            later,
            f"`{dotted(later.func) or 'write'}(...)` and `{dotted(earlier.func) or 'write'}(...)` "
            "before it each commit on their own (Django runs in autocommit): if this write fails, "
            "the earlier one stays. Wrap the writes in `with transaction.atomic():` (or decorate "
            "the function with `@transaction.atomic`). If the settings set `ATOMIC_REQUESTS = "
            "True`, set this rule's `atomic-requests` option.",
        )


AST_SQL_WRITES = EXECUTE | SESSION_WRITES | SESSION_BULK | {"update", "delete"}
AST_DJANGO_WRITES = QUERYSET_WRITES | {"save"}
REQUEST_PARAMS = frozenset({"request", "req"})


def _ast_starts_work(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A superset, on CPython's tree, of `TransactionBoundaries._starts_work`."""
    if function.name in DJANGO_HOOKS:
        return True
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name in TASK_DECORATORS or name in VIEW_DECORATORS or name in ROUTE_METHODS:
            return True
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    return any(p in REQUEST_PARAMS for p in params[:2])


def _decorator_name(decorator: cst.Decorator) -> str | None:
    target = decorator.decorator
    return last_name(target.func if isinstance(target, cst.Call) else target)


def _with_items(node: cst.CSTNode) -> Iterable[cst.BaseExpression]:
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.With):
            yield from (item.item for item in current.items)
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and current is not node:
            continue
        stack.extend(current.children)


# Django expressions that compute a column from its current value: running such an update twice
# is not running it once.
EXPRESSIONS = frozenset(
    {"F", "Case", "When", "Coalesce", "Greatest", "Least", "Concat", "Func", "ExpressionWrapper"}
)
EXPLAINS = re.compile(r"\bcommit|\btransaction", re.I)


def _idempotent(call: cst.Call) -> bool:
    """A Django write that leaves the same rows when repeated: a delete, or an `update(...)`
    setting columns to values that do not depend on the rows (no `F("n") + 1`)."""
    name = method_name(call)
    if name == "delete":
        return True
    if name != "update":
        return False
    return not any(
        isinstance(inner, cst.Call) and last_name(inner.func) in EXPRESSIONS
        for arg in call.args
        for inner in _calls(arg.value)
    )


def _written_objects(call: cst.Call) -> frozenset[str]:
    """The variables a session write writes (`session.add(entry)`, `session.add_all([a, b])`)."""
    if method_name(call) not in SESSION_WRITES or not call.args:
        return frozenset()
    value = call.args[0].value
    items = (
        [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else [value]
    )
    return frozenset(item.value for item in items if isinstance(item, cst.Name))


def _creates_missing(walk: _Walk, conds: Conds, written: frozenset[str]) -> bool:
    """Whether the commit ends `if thing is None:` (or `if not thing:`) that wrote `thing`: a
    row created when a lookup found none. A retry finds it and goes on, so a failure later
    leaves nothing a retry does not complete."""
    if not conds or conds[-1] not in walk.tests:
        return False
    test = walk.tests[conds[-1]].test
    name: cst.BaseExpression | None = None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        name = test.expression
    elif (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        name = test.left
    return isinstance(name, cst.Name) and name.value in written


def _explained_commits(body: cst.CSTNode) -> set[int]:
    """Commits whose statement has a comment about committing or transactions just above it:
    the author says why the commit is there."""
    found: set[int] = set()
    stack: list[cst.CSTNode] = [body]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and current is not body:
            continue
        if isinstance(current, cst.SimpleStatementLine):
            comments = [line.comment.value for line in current.leading_lines if line.comment]
            if any(EXPLAINS.search(text) for text in comments):
                found.update(
                    id(c) for c in _calls(current) if method_name(c) == "commit" and not c.args
                )
            continue
        stack.extend(current.children)
    return found
