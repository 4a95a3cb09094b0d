"""Line and column of the few nodes a file reports: one code-generation pass that counts.

libcst's PositionProvider regenerates the whole module, splitting every token on newlines and
building a `CodeRange` for every node, after a metadata traversal that rebuilds the tree; for
a file with one finding that cost as much as parsing it. `positions` runs the same code
generation (so the answers are libcst's own, syntactic positions: what PositionProvider gives)
but only adds up token lengths, records offsets for the requested nodes (and the child nodes
their range is hoisted from), and turns offsets into lines and columns at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from reviewbot.workspace.sources import SourceFile

_NOTHING: AbstractContextManager[None] = nullcontext()


class _Counting(CodegenState):
    """Code generation that keeps only the running length and the wanted nodes' offsets."""

    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.offset = 0
        self.wanted = wanted
        self.opened: dict[cst.CSTNode, int] = {}
        self.found: dict[cst.CSTNode, tuple[int, int]] = {}

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.offset -= len(self.tokens.pop())

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            self.opened[node] = self.offset

    def after_codegen(self, node: cst.CSTNode) -> None:
        # Whitespace-inclusive range, for nodes without a syntactic one (as PositionProvider).
        if node in self.wanted and node not in self.found:
            self.found[node] = (self.opened[node], self.offset)

    # libcst declares the `@contextmanager` generator type; its `with` statements accept any
    # context manager, and a shared nullcontext or a slotted object costs no generator.
    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> AbstractContextManager[None]:
        if node not in self.wanted:
            return _NOTHING
        # The range may be hoisted from children generated inside: they become wanted too.
        for child in (start_node, end_node):
            if child is not None:
                self.wanted.add(child)
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _Counting,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        found = self.state.found
        start = found[self.start_node][0] if self.start_node is not None else self.start
        end = found[self.end_node][1] if self.end_node is not None else self.state.offset
        found[self.node] = (start, end)


def _counted(module: cst.Module, wanted: set[cst.CSTNode]) -> _Counting | None:
    """`module` regenerated once, counting where `wanted` nodes start and end; None when this
    libcst's code generation calls something `_Counting` does not know (then libcst's own
    PositionProvider answers)."""
    try:
        state = _Counting(module, set(wanted))
        module._codegen(state)
    except (AttributeError, TypeError, KeyError):
        return None
    return state


def offsets(
    module: cst.Module, source: SourceFile, nodes: Iterable[cst.CSTNode]
) -> dict[cst.CSTNode, tuple[int, int]]:
    """Character offsets `[start, end)` of `nodes`' syntactic ranges in `source.text` (what a
    fix's edits need); the same ranges `positions` gives as lines and columns."""
    wanted = set(nodes)
    if not wanted:
        return {}
    state = _counted(module, wanted)
    if state is None:
        ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        starts = source.line_starts

        def offset(position: CodePosition) -> int:
            return starts[position.line - 1] + position.column

        return {
            node: (offset(ranges[node].start), offset(ranges[node].end))
            for node in wanted
            if node in ranges
        }
    return {node: span for node, span in state.found.items() if node in wanted}


def positions(
    module: cst.Module, source: SourceFile, nodes: Iterable[cst.CSTNode]
) -> Mapping[cst.CSTNode, CodeRange]:
    """Syntactic ranges of `nodes` (lines 1-based, columns 0-based, as libcst's). `module` is
    `source`'s text parsed, which libcst regenerates exactly."""
    wanted = set(nodes)
    if not wanted:
        return {}
    state = _counted(module, wanted)
    if state is None:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    def position(offset: int) -> CodePosition:
        line, column = source.position(offset)
        return CodePosition(line, column - 1)

    return {
        node: CodeRange(position(span[0]), position(span[1]))
        for node, span in state.found.items()
        if node in wanted
    }
