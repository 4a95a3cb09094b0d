"""Terminal report: `path:line:col: severity rule-id message`, a code frame, then a summary line."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from reviewbot.model.findings import ErrorKind, Finding, ScanError, Severity, snippet_window
from reviewbot.output.context import ReportContext
from reviewbot.output.escape import no_commands, printable

if TYPE_CHECKING:
    # Annotations only: the scan engine (and libcst behind it) loads when a scan runs.
    from reviewbot.scan.engine import ScanResult

COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, enabled: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if enabled else text


def _frame(finding: Finding, color: bool) -> list[str]:
    if not finding.snippet:
        return []
    lines = finding.snippet.split("\n")
    width = len(str(finding.line + len(lines) - 1))
    gutter = " " * width
    out = [f"{gutter} |"]
    # A clipped first line is a window of the real one (models.clip_snippet): shift the column.
    window = snippet_window(finding.column) if finding.snippet_clipped else 0
    shift = window - 1 if window else 0
    for offset, code in enumerate(lines):
        number = finding.line + offset
        out.append(f"{number:>{width}} | {printable(code.expandtabs(4))}")
        if offset == 0:
            start = max(finding.column - 1 - shift, 0)
            end = finding.end_column - 1 - shift if finding.end_line == finding.line else len(code)
            end = min(end, len(code))
            end = max(end, start + 1)
            prefix = printable(code[:start].expandtabs(4))
            shown = printable(code[start:end].expandtabs(4))
            marker = _paint("^" * (len(shown) or 1), "1;31", color)
            out.append(f"{gutter} | {' ' * len(prefix)}{marker}")
    return out


def tally(result: ScanResult) -> list[tuple[str, int, Severity]]:
    """(rule, count, severity) per rule, most findings first, like `ruff --statistics`."""
    counts = Counter(f.rule for f in result.findings)
    severity = {f.rule: f.severity for f in result.findings}
    return [
        (rule, n, severity[rule]) for rule, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    ]


def tally_lines(result: ScanResult, color: bool) -> list[str]:
    rows = tally(result)
    if not rows:
        return []
    count_width = max(len(str(n)) for _, n, _ in rows)
    rule_width = max(len(rule) for rule, _, _ in rows)
    return [
        f"{n:>{count_width}}  {rule:<{rule_width}}  {_paint(sev.label, COLOURS[sev], color)}".rstrip()
        for rule, n, sev in rows
    ]


def render_statistics(result: ScanResult, context: ReportContext) -> str:
    """`--statistics`: the per-rule tally only (an empty report when nothing was found)."""
    lines = tally_lines(result, context.color)
    return "\n".join(lines) + "\n" if lines else ""


def render_concise(result: ScanResult, context: ReportContext) -> str:
    """`--format concise`: one line per finding, `path:line:col: rule message`, for editors."""
    # Paths and messages come from the scanned repository: made printable like the text report.
    lines = [
        f"{printable(context.display_path(f.path))}:{f.line}:{f.column}: {f.rule} "
        f"{printable(f.message)}"
        for f in result.findings
    ]
    for e in result.errors:
        where = printable(context.display_path(e.path))
        if e.line:
            where += f":{e.line}" + (f":{e.column}" if e.column else "")
        lines.append(f"{where}: notice {e.kind} {printable(e.message)}")
    # A line a CI runner would read as a workflow command (`::stop-commands::...`) is defused.
    return no_commands("\n".join(lines) + "\n") if lines else ""


def collapse_notices(errors: list[ScanError]) -> list[tuple[ScanError, int]]:
    """One parse notice per file (its first), with how many more statements the parser skipped
    there: a dump in another database's dialect must not bury the report."""
    shown: list[tuple[ScanError, int]] = []
    first: dict[str, int] = {}
    for error in errors:
        if error.kind is ErrorKind.PARSE_ERROR:
            at = first.get(error.path)
            if at is not None:
                shown[at] = (shown[at][0], shown[at][1] + 1)
                continue
            first[error.path] = len(shown)
        shown.append((error, 0))
    return shown


def render(result: ScanResult, context: ReportContext) -> str:
    color = context.color
    out: list[str] = []
    for f in result.findings:
        path = printable(context.display_path(f.path))
        location = _paint(f"{path}:{f.line}:{f.column}:", "1", color)
        severity = _paint(f.severity.label, COLOURS[f.severity], color)
        out.append(f"{location} {severity} {_paint(f.rule, '1', color)} {printable(f.message)}")
        out.extend(_frame(f, color))
        if f.fix is not None:
            how = "--fix" if f.fix.safe else "unsafe: --fix --unsafe-fixes"
            out.append(f"  = fix: {printable(f.fix.title)} ({how})")
        for ref in f.checklist[:3]:
            out.append(
                f"  = checklist {printable(ref.agent)} ({printable(ref.path)}:{ref.line}): "
                f'"{printable(ref.text)}"'
            )
        if len(f.checklist) > 3:
            out.append(f"  = and {len(f.checklist) - 3} more checklist items")
        out.append("")
    for e, more in collapse_notices(result.errors):
        where = printable(context.display_path(e.path))
        if e.line:
            where += f":{e.line}" + (f":{e.column}" if e.column else "")
        notice = _paint("notice", "35", color)
        tail = ""
        if more:
            noun = "statement" if more == 1 else "statements"
            tail = f" [and {more} more {noun} in this file; `--format json` lists each]"
        out.append(f"{where}: {notice} {e.kind} {printable(e.message)}{tail}")
    for path, reason in result.skipped:
        shown = printable(context.display_path(path))
        out.append(f"{shown}: {_paint('notice', '35', color)} skipped: {printable(reason)}")
    if result.errors or result.skipped:
        out.append("")
    if result.findings:
        out.append(_paint("Findings by rule:", "1", color))
        out.extend("  " + line for line in tally_lines(result, color))
        out.append("")
    out.extend(printable(note) for note in context.notes)
    counts = Counter(f.severity for f in result.findings)
    files = result.summary.files_scanned
    if result.findings:
        parts = ", ".join(
            f"{counts[s]} {s.label}"
            for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
            if counts[s]
        )
        noun = "finding" if len(result.findings) == 1 else "findings"
        headline = f"Found {len(result.findings)} {noun} ({parts}) in {files} files."
    else:
        headline = f"No findings in {files} files."
    extras = []
    if result.errors:
        files_with_notices = len({e.path for e in result.errors})
        extras.append(f"{files_with_notices} could not be checked (see notices)")
    if result.summary.suppressed:
        foreign = result.summary.foreign_suppressed
        by_foreign = f" ({foreign} by `# noqa`/`# nosec` codes)" if foreign else ""
        extras.append(f"{result.summary.suppressed} suppressed{by_foreign}")
    if result.summary.baselined:
        extras.append(f"{result.summary.baselined} in baseline")
    if extras:
        headline += " " + "; ".join(extras).capitalize() + "."
    out.append(_paint(headline, "1", color))
    safe = sum(1 for f in result.findings if f.fix is not None and f.fix.safe)
    unsafe = sum(1 for f in result.findings if f.fix is not None and not f.fix.safe)
    if safe or unsafe:
        offer = [f"{safe} with `--fix`"] if safe else []
        also = " more" if safe else ""
        offer += [f"{unsafe}{also} with `--fix --unsafe-fixes`"] if unsafe else []
        out.append(f"Fixable: {', '.join(offer)} (`--fix-diff` shows them).")
    n_rules = len(result.summary.rules_enabled)
    out.append(f"Rules: {n_rules} enabled from {printable(context.rule_source)}.")
    # Nothing the repository wrote may start a line GitHub's runner reads as a command.
    return no_commands("\n".join(out) + "\n")
