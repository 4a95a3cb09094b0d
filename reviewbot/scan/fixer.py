"""`scan --fix`: apply the fixes findings carry, re-scan, repeat (bounded), then write or diff.

Every pass scans the repository with the texts fixed so far standing in for the files (an
overlay; nothing is written until the end), picks the fixes of that scan's findings whose edits
do not overlap, applies them to the texts and checks that each changed file still parses. The
loop stops when a pass applies nothing or after MAX_PASSES. Writing keeps each file's encoding
and line endings; a file whose endings are mixed, or that is UTF-16/32, is left as it is.
"""

from __future__ import annotations

import ast
import codecs
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from reviewbot.model.findings import Edit, Finding, Fix
from reviewbot.workspace.sources import (
    MAX_FILE_BYTES,
    SourceFile,
    decode,
    language_of,
    read_regular,
)

# Passes after the first scan: a fix may enable another (an import added once for two calls);
# past this the loop stops and says so, as Ruff stops after 100.
MAX_PASSES = 10


@dataclass(frozen=True, slots=True)
class Applied:
    """One fix written into the texts: which finding it removed and what it did."""

    rule: str
    path: str
    line: int
    title: str
    safe: bool


@dataclass(slots=True)
class FixRun:
    """What `run_fixes` did: the new texts, the fixes applied, what could not be done."""

    root: Path
    dialect: str = "postgres"
    # Original decoded text of each changed file (None: the fix creates it) and its new text.
    originals: dict[str, str | None] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    applied: list[Applied] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passes: int = 0
    # Findings of the last scan that carry a fix this run did not apply because it is unsafe.
    unsafe_left: int = 0

    @property
    def changed(self) -> list[str]:
        return sorted(p for p, text in self.texts.items() if self.originals.get(p) != text)


Scan = Callable[[dict[str, str]], list[Finding]]


def run_fixes(
    scan: Scan,
    root: Path,
    unsafe: bool,
    dialect: str = "postgres",
    first: list[Finding] | None = None,
    read: Callable[[str], str | None] | None = None,
) -> tuple[FixRun, list[Finding]]:
    """Fix until nothing changes; `scan(overlay)` returns the findings with those texts in
    place of the files (`first`: the findings of a scan already made without any). Returns the
    run and the last scan's findings (what is left)."""
    run = FixRun(root=root, dialect=dialect)
    reader = read or (lambda rel: read_text(root, rel))
    refused: set[tuple[str, str, tuple[Edit, ...]]] = set()
    findings = first if first is not None else scan({})
    for _ in range(MAX_PASSES):
        chosen = choose(findings, unsafe, refused)
        if not chosen:
            break
        run.passes += 1
        texts = _apply_pass(run, chosen, reader, refused)
        if not texts:
            break
        run.texts.update(texts)
        findings = scan(dict(run.texts))
    else:
        if choose(findings, unsafe, refused):
            run.notes.append(
                f"Stopped after {MAX_PASSES} passes with fixes still to apply; run again."
            )
    run.unsafe_left = sum(1 for f in findings if f.fix is not None and not f.fix.safe)
    if unsafe:
        run.unsafe_left = 0
    return run, findings


def read_text(root: Path, rel: str) -> str | None:
    """A file's decoded text as the scan reads it; None when it does not exist."""
    absolute = root / rel
    if not absolute.exists():
        return None
    data = read_regular(absolute, MAX_FILE_BYTES)
    text = decode(data, rel)
    if not isinstance(text, str):
        raise OSError(text.message)
    return text


def choose(
    findings: list[Finding], unsafe: bool, refused: set[tuple[str, str, tuple[Edit, ...]]]
) -> list[tuple[Finding, Fix]]:
    """The fixes of one pass: in report order, each whose edits overlap none already taken.
    An edit identical to one taken is shared (two calls needing the same added import)."""
    taken: dict[str, list[Edit]] = {}
    chosen: list[tuple[Finding, Fix]] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule)):
        fix = finding.fix
        if fix is None or not fix.edits or not (fix.safe or unsafe):
            continue
        if (finding.rule, finding.path, fix.edits) in refused:
            continue
        if any(_conflicts(edit, other) for edit in fix.edits for other in taken.get(edit.path, ())):
            continue
        for edit in fix.edits:
            taken.setdefault(edit.path, []).append(edit)
        chosen.append((finding, fix))
    return chosen


def _conflicts(a: Edit, b: Edit) -> bool:
    if a == b:
        return False
    if a.start == a.end or b.start == b.end:
        # An insertion at the edge of another edit: which text comes first is not defined.
        return a.start <= b.end and b.start <= a.end
    return a.start < b.end and b.start < a.end


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (identical ones once) to one file's text."""
    unique = sorted(set(edits), key=lambda e: (e.start, e.end), reverse=True)
    for edit in unique:
        if not 0 <= edit.start <= edit.end <= len(text):
            raise ValueError(f"edit {edit.start}-{edit.end} outside the text ({len(text)})")
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


Refused = set[tuple[str, str, tuple[Edit, ...]]]


def _apply_pass(
    run: FixRun,
    chosen: list[tuple[Finding, Fix]],
    reader: Callable[[str], str | None],
    refused: Refused,
) -> dict[str, str]:
    """The texts of the files one pass changes. A fix is applied whole or not at all, in every
    file it touches; one whose result would not parse is refused (and said: a bug of the rule)
    and never offered again."""

    def base(path: str) -> str:
        if path in run.texts:
            return run.texts[path]
        if path not in run.originals:
            run.originals[path] = reader(path)
        return run.originals[path] or ""

    def result(path: str, fixes: list[Fix]) -> str | None:
        before = base(path)
        try:
            text = apply_edits(before, [e for fix in fixes for e in fix.edits if e.path == path])
        except ValueError:
            return None
        return text if parses(path, text, before, run.dialect) else None

    def refuse(finding: Finding, fix: Fix, why: str) -> None:
        refused.add((finding.rule, finding.path, fix.edits))
        run.notes.append(
            f"{finding.path}:{finding.line}: the fix of {finding.rule} ({fix.title}) {why}"
        )

    good: list[tuple[Finding, Fix]] = []
    for finding, fix in chosen:
        paths = list(dict.fromkeys(edit.path for edit in fix.edits))
        if not all(_safe_path(path) for path in paths):
            refuse(finding, fix, "names a path outside the scan root; not applied.")
            continue
        try:
            alone = [result(path, [fix]) for path in paths]
        except OSError as exc:
            refuse(finding, fix, f"cannot be applied ({exc}).")
            continue
        if any(text is None for text in alone):
            refuse(finding, fix, "would leave a file unparsable; not applied (please report it).")
            continue
        good.append((finding, fix))
    while good:
        paths = list(dict.fromkeys(edit.path for _, fix in good for edit in fix.edits))
        texts = {path: result(path, [fix for _, fix in good]) for path in paths}
        broken = {path for path, text in texts.items() if text is None}
        if not broken:
            for finding, fix in good:
                run.applied.append(
                    Applied(finding.rule, finding.path, finding.line, fix.title, fix.safe)
                )
            return {path: text for path, text in texts.items() if text is not None}
        for finding, fix in good:
            if any(edit.path in broken for edit in fix.edits):
                refuse(finding, fix, "does not parse together with the other fixes; not applied.")
        good = [(f, fix) for f, fix in good if not any(e.path in broken for e in fix.edits)]
    return {}


def _safe_path(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts


def parses(path: str, text: str, before: str, dialect: str = "postgres") -> bool:
    """Whether a fixed text still parses: Python by CPython's parser, SQL by sqlglot (no more
    statements refused than before the fix)."""
    language = language_of(path)
    if language == "python":
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        return True
    if language == "sql":
        return _sql_errors(path, text, dialect) <= _sql_errors(path, before, dialect)
    return True


def _sql_errors(path: str, text: str, dialect: str) -> int:
    from reviewbot.sql.source import SqlDocument, split_and_parse

    source = SourceFile(path=path, text=text, language="sql")
    document = split_and_parse(SqlDocument(host=source, text=source.text, dialect=dialect))
    return len(document.errors)


# -- showing a fix on one finding ---------------------------------------------------------------


def span_replacement(
    fix: Fix, source: SourceFile, line: int, column: int, end_line: int, end_column: int
) -> str | None:
    """The text that replaces the finding's own span when its fix touches only the finding's
    lines (what a GitHub suggestion block on those lines applies); None otherwise."""
    starts = source.line_starts
    if not 1 <= line <= end_line <= len(starts):
        return None
    first = starts[line - 1]
    last = starts[end_line] - 1 if end_line < len(starts) else len(source.text)
    if any(e.path != source.path or e.start < first or e.end > last for e in fix.edits):
        return None
    try:
        new = apply_edits(
            source.text[first:last],
            [Edit(e.path, e.start - first, e.end - first, e.text) for e in fix.edits],
        )
    except ValueError:
        return None
    head = source.text[first : first + column - 1]
    tail_start = starts[end_line - 1] + end_column - 1
    tail = source.text[tail_start:last]
    if len(new) < len(head) + len(tail) or not (new.startswith(head) and new.endswith(tail)):
        return None
    return new[len(head) : len(new) - len(tail)]


def fix_diff(fix: Fix, text_of: Callable[[str], str | None], context: int = 1) -> str:
    """The fix as a unified diff of the files it changes (a new file from /dev/null)."""
    out: list[str] = []
    for path in dict.fromkeys(e.path for e in fix.edits):
        before = text_of(path)
        try:
            after = apply_edits(before or "", [e for e in fix.edits if e.path == path])
        except ValueError:
            return ""
        for line in difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile="/dev/null" if before is None else f"a/{path}",
            tofile=f"b/{path}",
            n=context,
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- writing -----------------------------------------------------------------------------------


def encode_like(original: bytes | None, text: str, path: str) -> bytes:
    """`text` (newlines "\\n", as the scan reads files) in the original file's encoding and
    line endings. Raises ValueError for a file it cannot write back faithfully."""
    if original is None:
        return text.encode("utf-8")
    if original.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or original.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise ValueError("UTF-16/32 file")
    crlf, lf, cr = original.count(b"\r\n"), original.count(b"\n"), original.count(b"\r")
    if cr and not crlf == lf == cr:
        raise ValueError("mixed line endings")
    if cr:
        text = text.replace("\n", "\r\n")
    encoding = "utf-8"
    if original.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif path.endswith((".py", ".pyi")):
        from reviewbot.workspace.sources import _python_cookie

        encoding = _python_cookie(original) or "utf-8"
    try:
        return text.encode(encoding)
    except (UnicodeError, LookupError) as exc:
        raise ValueError(f"cannot encode as {encoding}") from exc


def write(run: FixRun) -> list[str]:
    """Write the changed texts; what could not be written, as notes."""
    problems: list[str] = []
    for path in run.changed:
        absolute = run.root / path
        try:
            original = absolute.read_bytes() if run.originals.get(path) is not None else None
            data = encode_like(original, run.texts[path], path)
            absolute.parent.mkdir(parents=True, exist_ok=True)
            absolute.write_bytes(data)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not written ({exc}).")
            run.applied = [a for a in run.applied if a.path != path]
    return problems


def unified_diff(run: FixRun, shown: Callable[[str], str] = str) -> str:
    """The fixes as one unified diff (`a/` and `b/` paths, as git prints them)."""
    out: list[str] = []
    for path in run.changed:
        before = run.originals.get(path)
        name = shown(path)
        for line in difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            run.texts[path].splitlines(keepends=True),
            fromfile="/dev/null" if before is None else f"a/{name}",
            tofile=f"b/{name}",
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def summary(run: FixRun, shown: Callable[[str], str] = str) -> list[str]:
    """What the run changed, one line per fix, then a count."""
    lines = [
        f"{shown(a.path)}:{a.line}: {a.rule}: {a.title}" + ("" if a.safe else " (unsafe fix)")
        for a in run.applied
    ]
    files = len({a.path for a in run.applied})
    lines.append(
        f"Fixed {len(run.applied)} finding{'s' if len(run.applied) != 1 else ''} in {files} "
        f"file{'s' if files != 1 else ''}."
        + (f" {run.unsafe_left} more can be fixed with --unsafe-fixes." if run.unsafe_left else "")
    )
    return [*lines, *run.notes]
