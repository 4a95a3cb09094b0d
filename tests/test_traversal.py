"""What replaces libcst machinery gives libcst's answers: the read-only traversal (traverse.py)
makes the calls libcst's batched traversal makes, positions.py gives PositionProvider's ranges,
and the ast-based scope answers (scopes.py) follow Python's scoping rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from reviewbot.model.catalog import active_catalog
from reviewbot.model.rule import PythonFile
from reviewbot.python.positions import positions
from reviewbot.python.scopes import NameTable, ScopeEntry, ScopeExit
from reviewbot.python.traverse import TRIVIA, field_order, walk
from reviewbot.workspace.sources import SourceFile

ROOT = Path(__file__).resolve().parent.parent

TRICKY = '''
"""Docstring."""
from __future__ import annotations
import os.path as p, sys
from . import (a, b as c,)
from ..x import *

@decorator(lambda q=1: q)
@other.attr
async def f(a, /, b: int = 2, *args: str, c=lambda: 0, **kw) -> "T":
    global g
    x: list[int] = [i for i in range(3) if i for j in "ab"]
    y = {k: v for k, v in kw.items()}
    z = {i async for i in aiter()}
    w = (i for i in x)
    async with open(a) as h, open(b):
        await h.read()
    async for item in stream():
        yield item
    if (n := len(x)) > 1 and not b or c is None:
        pass
    elif x:
        del x[0]
    else:
        assert False, f"{n!r:>{10}} {x=}"
    try:
        raise ValueError("e") from None
    except* (TypeError, ValueError) as group:
        pass
    else:
        pass
    finally:
        return None

class K(Base, metaclass=Meta):
    attr: int
    def method(self): return self.attr; x = 1
    @property
    def value(self): ...
    @value.setter
    def value(self, v): nonlocal_name = v

while True:
    match command.split():
        case [action, *rest] if action:
            break
        case {"k": 1, **others}:
            continue
        case Point(x=0) | None:
            pass
        case _:
            pass
x = a if b else c; y = ~x ** -2 // 3 @ m
print(*args, sep="", **kw)
t = 1, 2
s = x[1:2, ::3]
'''


def sources() -> list[str]:
    """Every Python fixture and catalog example, and the tricky module above."""
    texts = [TRICKY]
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.py")):
        texts.append(path.read_text(encoding="utf-8"))
    for meta in active_catalog().values():
        for example in (*meta.valid, *meta.invalid):
            texts.extend(t for p, t in example.files.items() if p.endswith(".py"))
    return [text for text in dict.fromkeys(texts) if _parses(text)]


def _parses(text: str) -> bool:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError:
        return False  # fixtures of syntax errors
    return True


def _node_classes() -> list[type[cst.CSTNode]]:
    return [
        value
        for value in vars(cst).values()
        if isinstance(value, type) and issubclass(value, cst.CSTNode) and value is not cst.CSTNode
    ]


def recorder(classes: list[type[cst.CSTNode]], with_fields: bool) -> cst.BatchableCSTVisitor:
    """A visitor with visit_/leave_ methods (and, optionally, per-field ones) for `classes`
    that logs every call."""
    namespace: dict[str, Any] = {}

    def logger(label: str) -> Any:
        def method(self: Any, node: cst.CSTNode) -> None:
            self.log.append((label, id(node)))

        method.__name__ = label  # libcst finds visitor methods by their __name__
        return method

    for cls in classes:
        name = cls.__name__
        namespace[f"visit_{name}"] = logger(f"visit_{name}")
        namespace[f"leave_{name}"] = logger(f"leave_{name}")
        if with_fields and "_visit_and_replace_children" in vars(cls):
            for field, _ in field_order(cls) or ():
                namespace[f"visit_{name}_{field}"] = logger(f"visit_{name}_{field}")
                namespace[f"leave_{name}_{field}"] = logger(f"leave_{name}_{field}")
    visitor = type("Recorder", (cst.BatchableCSTVisitor,), namespace)()
    visitor.log = []  # type: ignore[attr-defined]
    return visitor


def logs(text: str, classes: list[type[cst.CSTNode]], with_fields: bool) -> tuple[list, list]:
    module = cst.parse_module(text)
    ours, theirs = recorder(classes, with_fields), recorder(classes, with_fields)
    assert walk(module, [ours])
    cst.visit_batched(module, [theirs])
    return ours.log, theirs.log  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", sources()[:1] + sources()[1::5])
def test_every_callback_in_libcsts_order(text: str) -> None:
    """With a method for every node type and every field, nothing is pruned: the call logs
    must be identical, node by node."""
    ours, theirs = logs(text, _node_classes(), with_fields=True)
    assert theirs
    assert ours == theirs


@pytest.mark.parametrize("text", sources())
def test_rule_shaped_visitors_see_the_same_calls(text: str) -> None:
    """Visitors that ignore whitespace and punctuation, as rules do: same calls as libcst's
    traversal, though those subtrees are skipped."""
    classes = [c for c in _node_classes() if c not in TRIVIA]
    ours, theirs = logs(text, classes, with_fields=True)
    assert ours == theirs


def test_a_visitor_for_a_punctuation_type_still_gets_it() -> None:
    ours, theirs = logs("f(a, b)\nx = [1, 2,]\n", [cst.Comma], with_fields=False)
    assert ours == theirs
    assert len(ours) == 6  # three commas, visit and leave


def test_no_tree_is_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    module = cst.parse_module(TRICKY)
    seen: list[cst.CSTNode] = []

    class Calls(cst.BatchableCSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            seen.append(node)

    def built(self: cst.CSTNode) -> None:
        raise AssertionError(f"a {type(self).__name__} was built")

    # libcst's own traversal constructs a copy of every node it leaves; walk constructs none.
    monkeypatch.setattr(cst.CSTNode, "__post_init__", built)
    with pytest.raises(AssertionError, match="was built"):
        cst.visit_batched(module, [Calls()])
    seen.clear()
    assert walk(module, [Calls()])
    monkeypatch.undo()
    # The nodes handed to visitors are the module's own (positions resolve by identity).
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    assert len(seen) > 10 and all(node in positions for node in seen)


# -- scopes ------------------------------------------------------------------------------------

SCOPED = """
from django.db import connection
import pools as pool

connection.cursor()                      # 1 module: the import

def by_parameter(connection):
    connection.cursor()                  # 2 the parameter

def by_import():
    connection.cursor()                  # 3 module import, seen from a function

def declared_global():
    global connection
    connection = connect()
    connection.cursor()                  # 4 module scope: import and the global assignment

class Holder:
    pool = make_pool()
    pool.get()                           # 5 class body: the class attribute

    def method(self):
        pool.get()                       # 6 methods skip the class body: the import

def outer():
    pool = make_pool()
    def inner():
        nonlocal pool
        pool.get()                       # 7 nonlocal: outer's assignment
    def sees_enclosing():
        pool.get()                       # 8 closure: outer's assignment
    return inner, sees_enclosing

class Same:
    @property
    def pool(self):
        return pool.get()                # 9 getter: the import (the def binds the class scope)
    @pool.setter
    def pool(self, pool):
        pool.get()                       # 10 setter parameter

def imports_locally():
    from other import connection
    connection.cursor()                  # 11 the local import
"""


def scoped_answers(text: str) -> list[set[str]]:
    source = SourceFile(path="m.py", text=text, language="python")
    module = cst.parse_module(text)
    file = PythonFile(source=source, module=module, resolver=lambda: {})
    answers: list[set[str]] = []

    class Ask(cst.BatchableCSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("cursor", "get"):
                answers.append(file.qualified_names(node.func))

    state = file.scope_path
    assert walk(module, [ScopeEntry(state), Ask(), ScopeExit(state)])
    return answers


def test_scope_rules_for_names_bound_by_import_and_otherwise() -> None:
    table = NameTable.of(SCOPED)
    assert {"connection", "pool"} <= table.ambiguous
    assert scoped_answers(SCOPED) == [
        {"django.db.connection.cursor", "connection.cursor"},
        {"connection.cursor"},
        {"django.db.connection.cursor", "connection.cursor"},
        {"django.db.connection.cursor", "connection.cursor"},
        {"pool.get"},
        {"pools.get"},
        {"pool.get"},
        {"pool.get"},
        {"pools.get"},
        {"pool.get"},
        {"other.connection.cursor"},
    ]


def test_scope_answers_match_libcst_on_imports() -> None:
    """Where libcst's scope analysis names an import, so do we, and vice versa."""
    source = SourceFile(path="m.py", text=SCOPED, language="python")
    module = cst.parse_module(SCOPED)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    provider = wrapper.resolve(cst.metadata.QualifiedNameProvider)
    file = PythonFile(source=source, module=module, resolver=lambda: provider)
    pairs: list[tuple[set[str], set[str]]] = []

    class Ask(cst.BatchableCSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("cursor", "get"):
                value: Any = provider.get(node.func, ())
                theirs = {q.name for q in (value() if callable(value) else value)}
                pairs.append((file.qualified_names(node.func), theirs))

    state = file.scope_path
    walk(module, [ScopeEntry(state), Ask(), ScopeExit(state)])
    imported = ("django.db.", "other.", "pools.")
    for ours, theirs in pairs:
        assert {n for n in ours if n.startswith(imported)} == {
            n for n in theirs if n.startswith(imported)
        }
    assert len(pairs) == 11


STAR = """
from django.db.models import *
from .compat import *
from hashlib import md5
import logging as log

Q(a=1)                                  # only the star binds it: no import answers
md5(b"x").hexdigest()                   # the explicit import, star or not
log.getLogger(__name__).info("x")
len([])

def view(request, md5=None):
    from os.path import *
    join("a", "b")
    md5()                                # the parameter
    log.warning("x")

class Model:
    objects = Manager()
    md5 = md5                            # the class binds it, the value is the import
    def save(self):
        md5()                            # methods skip the class body: the import
"""


@pytest.mark.parametrize("text", [SCOPED, STAR], ids=["scoped", "star-imports"])
def test_answers_through_imports_are_libcsts(text: str) -> None:
    """Every callee and decorator: the names we resolve through an import are exactly those
    libcst's QualifiedNameProvider resolves through one, and libcst's analysis never runs."""
    source = SourceFile(path="m.py", text=text, language="python")
    module = cst.parse_module(text)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    provider = wrapper.resolve(cst.metadata.QualifiedNameProvider)
    asked: list[bool] = []

    def resolver() -> Any:
        asked.append(True)
        return provider

    file = PythonFile(source=source, module=module, resolver=resolver)
    table = NameTable.of(text)
    assert table.ok
    targets = {t for found in table.imports.values() for t in found}

    def through_imports(names: set[str]) -> set[str]:
        return {n for n in names if any(n == t or n.startswith(t + ".") for t in targets)}

    pairs: list[tuple[str, set[str], set[str]]] = []

    class Ask(cst.BatchableCSTVisitor):
        def ask(self, node: cst.BaseExpression) -> None:
            value: Any = provider.get(node, ())
            theirs = {q.name for q in (value() if callable(value) else value)}
            ours = file.qualified_names(node)
            pairs.append(
                (module.code_for_node(node), through_imports(ours), through_imports(theirs))
            )

        def visit_Call(self, node: cst.Call) -> None:
            self.ask(node.func)

        def visit_Decorator(self, node: cst.Decorator) -> None:
            self.ask(node.decorator)

    state = file.scope_path
    walk(module, [ScopeEntry(state), Ask(), ScopeExit(state)])
    assert len(pairs) > 8
    assert [(code, ours) for code, ours, _ in pairs] == [
        (code, theirs) for code, _, theirs in pairs
    ]
    assert asked == []
    if text is STAR:
        md5_calls = [ours for code, ours, _ in pairs if code == "md5"]
        assert md5_calls == [{"hashlib.md5"}, set(), {"hashlib.md5"}]  # import, parameter, import


def test_outside_the_traversal_libcsts_analysis_answers() -> None:
    text = "import pool\ndef f(pool):\n    pool.get()\n"
    source = SourceFile(path="m.py", text=text, language="python")
    module = cst.parse_module(text)
    call = module.body[1].body.body[0].body[0].value  # type: ignore[attr-defined]
    asked: list[bool] = []

    def resolver() -> dict[cst.CSTNode, set[Any]]:
        asked.append(True)
        return {}

    file = PythonFile(source=source, module=module, resolver=resolver)
    assert file.qualified_names(call.func) == set()
    assert asked == [True]


# -- positions ---------------------------------------------------------------------------------


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Every(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return True

    module.visit(Every())
    return found


@pytest.mark.parametrize("text", sources()[:1] + sources()[1::4])
def test_positions_are_libcsts_for_every_node(text: str) -> None:
    module = cst.parse_module(text)
    theirs = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(
        cst.metadata.PositionProvider
    )
    nodes = _all_nodes(module)
    ours = positions(module, SourceFile(path="m.py", text=text, language="python"), nodes)
    assert {n: ours[n] for n in nodes} == {n: theirs[n] for n in nodes}


def test_positions_of_a_few_nodes_only() -> None:
    module = cst.parse_module(TRICKY)
    theirs = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(
        cst.metadata.PositionProvider
    )
    calls = [n for n in _all_nodes(module) if isinstance(n, cst.Call | cst.SimpleString)][::3]
    source = SourceFile(path="m.py", text=TRICKY, language="python")
    ours = positions(module, source, calls)
    assert set(ours) == set(calls)
    assert all(ours[n] == theirs[n] for n in calls)
    assert positions(module, source, []) == {}
