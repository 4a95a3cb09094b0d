"""GitHub Actions workflow commands (`::error file=...::message`), one per finding and error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewbot.model.findings import Severity
from reviewbot.output.context import ReportContext
from reviewbot.output.escape import printable

if TYPE_CHECKING:
    # Annotations only: the scan engine (and libcst behind it) loads when a scan runs.
    from reviewbot.scan.engine import ScanResult

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(value: str) -> str:
    """A command's message, escaped as the runner unescapes it (`%`, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    """A property value: also `:` and `,`, which would end the value or the properties. Control
    characters from the repository are written out visibly first."""
    return _data(printable(value)).replace(":", "%3A").replace(",", "%2C")


def render(result: ScanResult, context: ReportContext) -> str:
    lines: list[str] = []
    for f in result.findings:
        props = ",".join(
            [
                f"file={_property(context.repo_path(f.path))}",
                f"line={f.line}",
                f"col={f.column}",
                f"endLine={f.end_line}",
                *([f"endColumn={f.end_column}"] if f.end_line == f.line else []),
                f"title={_property(f'{f.rule} ({f.severity.label})')}",
            ]
        )
        message = printable(f.message)
        if f.checklist:
            ref = f.checklist[0]
            agent, where, text = printable(ref.agent), printable(ref.path), printable(ref.text)
            message += f'\nChecklist ({agent}, {where}:{ref.line}): "{text}"'
        lines.append(f"::{LEVEL[f.severity]} {props}::{_data(message)}")
    for e in result.errors:
        props = f"file={_property(context.repo_path(e.path))}"
        if e.line:
            props += f",line={e.line}"
        props += f",title={_property(str(e.kind))}"
        lines.append(f"::warning {props}::{_data(printable(e.message))}")
    return "\n".join(lines) + ("\n" if lines else "")
