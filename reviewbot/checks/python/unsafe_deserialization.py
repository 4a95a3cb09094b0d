"""unsafe-deserialization: pickle-family loads, `yaml.load` without a safe loader, dynamic shelves."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.findings import Edit, Fix
from reviewbot.model.rule import PythonRule
from reviewbot.python.fixes import NoImport, bind
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import argument, last_name
from reviewbot.python.strings import StringTracker
from reviewbot.python.syntax import Syntax, calls_to

# Loaders that build arbitrary Python objects from the bytes they read.
PICKLE_LOADS = {
    f"{module}.{function}": module
    for module in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
    for function in ("load", "loads", "Unpickler")
} | {
    "jsonpickle.decode": "jsonpickle",
    "marshal.load": "marshal",
    "marshal.loads": "marshal",
    "pandas.read_pickle": "pickle",
}
YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
YAML_UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
SAFE_LOADERS = frozenset(
    {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader", "FullLoader", "CFullLoader"}
)
SHELVE_OPEN = frozenset({"shelve.open", "shelve.DbfilenameShelf"})
LOADERS = frozenset(PICKLE_LOADS) | YAML_LOADS | YAML_UNSAFE | SHELVE_OPEN


class UnsafeDeserialization(ForeignSuppressions, StringTracker, PythonRule):
    id = "unsafe-deserialization"
    skip_tests = True
    FOREIGN_CODES = frozenset({"S301", "B301", "B302", "B403", "S302", "B506", "S506", "S403"})
    # `marshal.`/imports, not "marshal": that would match every marshmallow schema.
    prefilter = ("pickle", "yaml", "marshal.", "import marshal", "shelve", "dill")

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        return next(calls_to(syntax, LOADERS), None) is not None

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        if not names or self.foreign_suppressed():
            return
        for name in names:
            if name in PICKLE_LOADS:
                module = PICKLE_LOADS[name]
                self.report(
                    node,
                    f"`{name}` runs code chosen by whoever wrote the data (a {module} payload can "
                    "call any function while it loads); only unpickle bytes this service wrote "
                    "and nobody else can alter, or use JSON / a schema'd format for data that "
                    "crosses a trust boundary.",
                )
                return
            if name in YAML_UNSAFE:
                self._report_yaml(node, name)
                return
            if name in YAML_LOADS:
                loader = argument(node, 1, "Loader")
                if loader is None or last_name(loader) not in SAFE_LOADERS:
                    self._report_yaml(node, name, self._yaml_fix(node, name, loader))
                return
            if name in SHELVE_OPEN:
                path = argument(node, 0, "filename")
                # Only paths formatted from non-constant values: a fixed cache file is fine.
                if path is not None and self.follow(path).how:
                    self.report(
                        node,
                        "`shelve` unpickles whatever file it opens; open only paths your code "
                        "controls, never one built from request data.",
                    )
                return

    def _report_yaml(self, node: cst.Call, name: str, fix: Fix | None = None) -> None:
        self.report(
            node,
            f"`{name}` without a safe loader can build arbitrary Python objects (and run code) "
            "from the document; use `yaml.safe_load(...)` or pass `Loader=yaml.SafeLoader`.",
            fix=fix,
        )

    def _yaml_fix(self, node: cst.Call, name: str, loader: cst.BaseExpression | None) -> Fix | None:
        """`yaml.load` given only the stream -> `yaml.safe_load`: safe, since without a Loader the
        call either fails (PyYAML 6) or uses FullLoader, which reads every plain document as
        SafeLoader does. A loader named explicitly (`Loader=yaml.Loader`) was a choice: no fix,
        the author must say which objects the documents may build."""
        if loader is not None or len(node.args) != 1 or node.args[0].keyword is not None:
            return None
        if node.args[0].star:
            return None
        safe = "safe_load_all" if name.endswith("_all") else "safe_load"
        func = node.func
        edits: tuple[Edit, ...]
        if isinstance(func, cst.Attribute) and self.qualified_names(func.value) == {"yaml"}:
            edits = (self.edit(func.attr, safe),)
        elif isinstance(func, cst.Name):
            try:
                local, added = bind(self.file, "yaml", safe)
            except NoImport:
                return None
            edits = (self.edit(func, local), *([added] if added else []))
        else:
            return None
        return Fix(title=f"Use `yaml.{safe}`", edits=edits, safe=True)
