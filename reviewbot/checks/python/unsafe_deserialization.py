"""unsafe-deserialization: pickle-family loads, `yaml.load` without a safe loader, dynamic shelves."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.rule import PythonRule
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
                    self._report_yaml(node, name)
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

    def _report_yaml(self, node: cst.Call, name: str) -> None:
        self.report(
            node,
            f"`{name}` without a safe loader can build arbitrary Python objects (and run code) "
            "from the document; use `yaml.safe_load(...)` or pass `Loader=yaml.SafeLoader`.",
        )
