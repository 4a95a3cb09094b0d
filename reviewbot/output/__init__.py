"""Output formats: one module each, all rendering the same ScanResult; chosen from a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewbot.output import github_annotations, json_report, sarif, text
from reviewbot.output.context import ReportContext

if TYPE_CHECKING:
    # Annotations only: the scan engine (and libcst behind it) loads when a scan runs.
    from reviewbot.scan.engine import ScanResult

Reporter = Callable[["ScanResult", ReportContext], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "concise": text.render_concise,
    "json": json_report.render,
    "sarif": sarif.render,
    "github": github_annotations.render,
}

__all__ = ["REPORTERS", "ReportContext", "Reporter"]
