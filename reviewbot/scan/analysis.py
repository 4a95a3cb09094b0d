"""The per-file pass: parse one file once and run every per-file rule on it.

Runs in the scanning process or in worker processes; its result (`FileOutcome`) is plain,
picklable data, which is also what the cache stores.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

from reviewbot import checks
from reviewbot.model.findings import ErrorKind, ScanError
from reviewbot.model.rule import (
    REGISTRY,
    PythonFile,
    PythonRule,
    RawFinding,
    SqlRule,
    SqlRuleContext,
)
from reviewbot.python.context import FileContext, Where, file_context
from reviewbot.python.positions import positions as node_positions
from reviewbot.python.scopes import NameTable, ScopeEntry, ScopeExit
from reviewbot.python.syntax import Syntax
from reviewbot.python.traverse import walk
from reviewbot.scan.outcome import FileOutcome as FileOutcome
from reviewbot.scan.outcome import rule_crash as rule_crash
from reviewbot.sql.extract import SqlExtractor
from reviewbot.sql.migrations import unchecked
from reviewbot.sql.source import SqlDocument, split_and_parse
from reviewbot.sql.templates import expand_templates
from reviewbot.workspace.config import Config
from reviewbot.workspace.guards import (
    SHALLOW_PYTHON_NESTING,
    in_deep_thread,
    python_shape,
    run_deep,
)
from reviewbot.workspace.sources import SourceFile

checks.load_all()


class _NeedsDeepStack(BaseException):
    """The file nests deeper than the default stack and recursion limit allow: redo it on a
    thread with a large stack (see `guards.run_deep`). A BaseException, so that no handler meant
    for a rule's own failure takes it for a crash of that rule."""


def _handler_table(rules: list[SqlRule]) -> dict[type, list[Any]]:
    table: dict[type, list[Any]] = {}
    for rule in rules:
        for node_type, name in type(rule).handlers():
            table.setdefault(node_type, []).append(getattr(rule, name))
    return table


class Analyzer:
    """The enabled per-file rules and their options; `analyze(source)` is the per-file pass."""

    def __init__(
        self,
        config: Config,
        enabled: frozenset[str],
        options: dict[str, Any],
        extract_sql: bool,
    ) -> None:
        self.config = config
        self.options = options
        classes = [REGISTRY[rule_id] for rule_id in sorted(enabled)]
        self.python_rules = [c for c in classes if issubclass(c, PythonRule)]
        self.sql_rules = [c for c in classes if issubclass(c, SqlRule)]
        # SQL inside Python (query strings, Alembic operations, Django RunSQL) is extracted by a
        # built-in visitor of the same traversal whenever any SQL rule is enabled.
        self.extract_sql = extract_sql
        # Settings modules only tests or CI load (python/context.py), set by the scanner once it
        # has read the files: they count as test code.
        self.test_settings: frozenset[str] = frozenset()

    def context_of(self, source: SourceFile) -> FileContext:
        context = file_context(source.path, source.text)
        if source.path in self.test_settings:
            return context.adding(Where.TEST, Where.SETTINGS)
        return context

    def analyze(self, source: SourceFile) -> FileOutcome:
        """The per-file pass; whatever goes wrong becomes an error entry of this file."""
        try:
            try:
                return self._analyze(source)
            except (_NeedsDeepStack, RecursionError):
                # Deeper than the default stack: the whole file again, on a large one.
                return run_deep(self._analyze, source)
        except Exception as exc:  # a bug of ours must cost one file, never the scan
            outcome = FileOutcome(path=source.path)
            outcome.errors.append(
                ScanError(
                    ErrorKind.RULE_CRASH,
                    source.path,
                    f"reviewbot failed on this file ({type(exc).__name__}: {exc}); "
                    "please report it. Other files were checked.",
                )
            )
            return outcome

    def _analyze(self, source: SourceFile) -> FileOutcome:
        outcome = FileOutcome(path=source.path)
        if source.language == "python":
            self._python(source, outcome)
        elif source.language == "sql":
            text, segments = expand_templates(source.text, [(0, 0)])
            document = SqlDocument(
                host=source, text=text, dialect=self.config.sql_dialect, segments=segments
            )
            self._sql(document, outcome)
        return outcome

    def _syntax_check(self, source: SourceFile, outcome: FileOutcome) -> None:
        # CPython's parser bounds its own depth (SyntaxError / MemoryError, caught by Syntax.of),
        # so only the libcst fallback needs the shape guard.
        if Syntax.of(source.text) is not None:
            return
        shape = python_shape(source.text)
        if shape.refusal() is not None or shape.nesting > SHALLOW_PYTHON_NESTING:
            return  # not parsed here: too deep or too large for libcst on a normal stack
        # Newer syntax than this Python knows can still be what libcst parses: ask it.
        try:
            cst.parse_module(source.text)
        except (cst.ParserSyntaxError, cst.CSTValidationError) as exc:
            outcome.errors.append(_syntax_notice(source, exc))
        except (RecursionError, MemoryError, ValueError):
            pass

    def _python(self, source: SourceFile, outcome: FileOutcome) -> None:
        context = self.context_of(source)
        active = [
            cls
            for cls in self.python_rules
            if not (context.test and cls.skip_tests)
            and not (cls.skip_in & context.places)
            and cls.wants(source.text)
        ]
        extract = self.extract_sql and SqlExtractor.wants(source.text)
        if not active and not extract:
            # No rule looks at this file, but a file that does not parse still gets its notice
            # (CPython's parser, a tenth of libcst's cost; libcst only when CPython refuses).
            self._syntax_check(source, outcome)
            return
        deep = in_deep_thread()
        # libcst's parser is native code that recurses once per nesting level: past its stack it
        # kills the process, so the file is measured before libcst sees it.
        shape = python_shape(source.text)
        refusal = shape.refusal()
        if refusal is not None:
            kind = ErrorKind.TOO_LARGE if shape.oversized else ErrorKind.PARSE_ERROR
            outcome.errors.append(
                ScanError(kind, source.path, f"Python file not parsed: {refusal}; file not checked")
            )
            return
        if shape.nesting > SHALLOW_PYTHON_NESTING and not deep:
            raise _NeedsDeepStack
        # CPython's parse (a tenth of libcst's) decides next, for rules that can ask it.
        syntax = Syntax.of(source.text)
        if syntax is not None:
            active = [cls for cls in active if _wants_tree(cls, syntax, source.text, outcome)]
            extract = extract and _wants_tree(SqlExtractor, syntax, source.text, outcome)
            if not active and not extract:
                return
        try:
            module = cst.parse_module(source.text)
        except RecursionError:
            if not deep:
                raise _NeedsDeepStack from None
            outcome.errors.append(_too_deep(source.path))
            return
        except (cst.ParserSyntaxError, cst.CSTValidationError) as exc:
            # A validation error: parsed, but a tree libcst refuses (a bare `except:` before
            # another handler, which CPython's compiler refuses too).
            outcome.errors.append(_syntax_notice(source, exc))
            return
        except (MemoryError, ValueError) as exc:
            outcome.errors.append(
                ScanError(
                    ErrorKind.PARSE_ERROR,
                    source.path,
                    f"Python file could not be parsed ({type(exc).__name__}); file not checked",
                )
            )
            return
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        pyfile = PythonFile(
            source=source,
            module=module,
            context=context,
            resolver=lambda: wrapper.resolve(QualifiedNameProvider),
            # CPython's tree, parsed once above; none when CPython refused the file.
            _bindings=syntax.names if syntax is not None else NameTable(ok=False),
        )
        instances = [cls(pyfile, self.options[cls.id]) for cls in active]
        extractor = SqlExtractor(pyfile, self.config.sql_dialect) if extract else None
        entry, exit_ = ScopeEntry(pyfile.scope_path), ScopeExit(pyfile.scope_path)
        try:
            _traverse(wrapper, [entry, *instances, *([extractor] if extractor else []), exit_])
        except RecursionError:
            if not deep:
                raise _NeedsDeepStack from None
            # Even the large stack was not enough: name no rule, none of them is at fault.
            outcome.errors.append(_too_deep(source.path))
            return
        except Exception:
            # One rule crashed the shared traversal: rerun each alone so the others still report
            # and the culprit is named.
            pyfile.pending.clear()
            pyfile.facts.clear()
            pyfile.embedded_sql.clear()
            for cls in active:
                kept = len(pyfile.pending)
                try:
                    _traverse(wrapper, [entry, cls(pyfile, self.options[cls.id]), exit_])
                except Exception as exc:  # a bug in a rule must not stop the scan
                    del pyfile.pending[kept:]
                    outcome.errors.append(rule_crash(cls.id, source.path, exc))
            if extractor is not None:
                extractor = SqlExtractor(pyfile, self.config.sql_dialect)
                try:
                    _traverse(wrapper, [entry, extractor, exit_])
                except Exception as exc:
                    extractor = None
                    outcome.errors.append(rule_crash(SqlExtractor.name, source.path, exc))
        pyfile.scope_path.path = None  # whatever happened above, the traversal is over
        resolved: list[Any] = []

        def positions() -> Any:
            # Positions cost as much as the parse: computed once, only for files that reported
            # something or hold SQL, and only for the nodes reported or holding SQL.
            if not resolved:
                wanted = [item.node for item in pyfile.pending]
                if extractor is not None:
                    wanted.extend(extractor.needed_nodes())
                try:
                    resolved.append(node_positions(module, source, wanted))
                except RecursionError:
                    if not deep:
                        raise _NeedsDeepStack from None
                    raise
            return resolved[0]

        if extractor is not None:
            try:
                extractor.finish(positions)
            except RecursionError:
                if not deep:
                    raise _NeedsDeepStack from None
                outcome.errors.append(_too_deep(source.path))
            except Exception as exc:
                outcome.errors.append(rule_crash(SqlExtractor.name, source.path, exc))
        for item in pyfile.pending:
            code_range = positions().get(item.node)
            if code_range is None:
                continue
            outcome.raw.append(
                RawFinding(
                    rule=item.rule,
                    path=source.path,
                    line=code_range.start.line,
                    column=code_range.start.column + 1,
                    end_line=code_range.end.line,
                    end_column=code_range.end.column + 1,
                    message=item.message,
                    suggestion=item.suggestion,
                    redact=item.redact,
                    fix=item.fix,
                )
            )
        for fact_kind, values in pyfile.facts.items():
            outcome.facts.setdefault(fact_kind, []).extend(values)
        for document in pyfile.embedded_sql:
            self._sql(document, outcome)

    def _sql(self, document: SqlDocument, outcome: FileOutcome) -> None:
        if not document.statements and not document.errors:
            split_and_parse(document)
        if not unchecked(document):
            outcome.errors.extend(document.errors)
        outcome.sql_documents.append(document)
        if not self.sql_rules:
            return
        context = SqlRuleContext(document=document, sink=outcome.raw.append)
        rules = [cls(context, self.options[cls.id]) for cls in self.sql_rules]
        table = _handler_table(rules)
        resolved: dict[type, list[Any]] = {}
        for statement in document.statements:
            if statement.expression is None:
                continue
            context.statement = statement
            for node in statement.expression.walk():
                node_type = type(node)
                handlers = resolved.get(node_type)
                if handlers is None:
                    handlers = [h for t in node_type.__mro__ for h in table.get(t, ())]
                    resolved[node_type] = handlers
                for handler in handlers:
                    try:
                        handler(node)
                    except RecursionError as exc:
                        if not in_deep_thread():
                            raise _NeedsDeepStack from None
                        outcome.errors.append(rule_crash(handler.__self__.id, document.path, exc))
                    except Exception as exc:
                        outcome.errors.append(rule_crash(handler.__self__.id, document.path, exc))
        context.statement = None


def _wants_tree(cls: Any, syntax: Syntax, text: str, outcome: FileOutcome) -> bool:
    """A rule's ast prefilter; if it fails, the rule runs anyway (nothing is lost) and the
    failure is reported, as any other bug of a rule."""
    try:
        if cls is SqlExtractor:
            return SqlExtractor.wants_tree(syntax, text)
        return bool(cls.wants_tree(syntax))
    except Exception as exc:
        name = SqlExtractor.name if cls is SqlExtractor else cls.id
        outcome.errors.append(rule_crash(name, outcome.path, exc))
        return True


def _traverse(wrapper: MetadataWrapper, visitors: list[Any]) -> None:
    """One read-only batched traversal (traverse.py); libcst's own if that cannot run."""
    if not walk(wrapper.module, visitors):
        wrapper.visit_batched(visitors)


def _too_deep(path: str) -> ScanError:
    return ScanError(
        ErrorKind.PARSE_ERROR,
        path,
        "Python file nested too deeply to check (recursion limit reached); file not checked",
    )


def _syntax_notice(
    source: SourceFile, exc: cst.ParserSyntaxError | cst.CSTValidationError
) -> ScanError:
    """The notice for a Python file libcst refuses, at the failing token."""
    message, line, column = _syntax_error(exc, source.text)
    return ScanError(
        ErrorKind.PARSE_ERROR,
        source.path,
        f"Python syntax error ({message}); file not checked",
        line=line,
        column=column,
    )


def _syntax_error(
    exc: cst.ParserSyntaxError | cst.CSTValidationError, text: str
) -> tuple[str, int, int]:
    """Message and 1-based position of a syntax error.

    libcst's native parser reports positions that are often a token or a line off; CPython's own
    parser (which runs only for files that failed) names the spot and the problem precisely.
    """
    try:
        ast.parse(text)
    except SyntaxError as err:
        return str(err.msg), err.lineno or 1, err.offset or 1
    except (ValueError, RecursionError, MemoryError):
        pass
    if isinstance(exc, cst.CSTValidationError):
        return str(exc), 1, 1
    # CPython accepts it but libcst does not (syntax newer than libcst knows).
    message = re.sub(r"^parser error: error at \d+:\d+: ", "", exc.message.split("\n", 1)[0])
    if len(message) > 80:
        message = message[:77] + "..."
    return f"{message}; libcst cannot parse this syntax", exc.editor_line, exc.editor_column
