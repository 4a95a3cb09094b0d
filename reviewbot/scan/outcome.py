"""What the per-file pass learned about one file: plain, picklable data (workers, the cache).

Apart from the pass itself (`scan.analysis`), so reading a cached outcome imports no parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewbot.model.findings import ErrorKind, ScanError
from reviewbot.model.registry import RawFinding
from reviewbot.workspace.sources import SourceFile

if TYPE_CHECKING:
    from reviewbot.sql.source import SqlDocument


@dataclass(slots=True)
class FileOutcome:
    """Everything the per-file pass learned about one file."""

    path: str
    raw: list[RawFinding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    facts: dict[str, list[Any]] = field(default_factory=dict)
    sql_documents: list[SqlDocument] = field(default_factory=list)
    # Set on a cached outcome whose SQL documents sit in their own cache entry (`Cache.sql_key`):
    # loading them imports sqlglot, which a warm scan served whole by the project entry skips.
    sql_elsewhere: bool = False

    def detach(self) -> FileOutcome:
        """Drop the host file's text from SQL documents before crossing a process or the cache."""
        for document in self.sql_documents:
            host = document.host
            document.host = SourceFile(path=host.path, text="", language=host.language)
        return self

    def attach(self, source: SourceFile) -> FileOutcome:
        for document in self.sql_documents:
            document.host = source
        return self


def rule_crash(rule_id: str, path: str, exc: BaseException) -> ScanError:
    return ScanError(
        ErrorKind.RULE_CRASH,
        path,
        f"rule {rule_id} failed on this file ({type(exc).__name__}: {exc}); "
        "please report it. Other rules still ran.",
    )
