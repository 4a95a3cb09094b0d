"""JSON report: the stable machine-readable record (schema version 1, documented in the README)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from reviewbot.output.context import ReportContext
from reviewbot.output.escape import json_safe

if TYPE_CHECKING:
    # Annotations only: the scan engine (and libcst behind it) loads when a scan runs.
    from reviewbot.scan.engine import ScanResult

SCHEMA_VERSION = 1


def summary_dict(result: ScanResult, context: ReportContext) -> dict[str, object]:
    summary = result.summary.to_dict()
    by_severity = Counter(f.severity.label for f in result.findings)
    summary.update(
        {
            "findings": len(result.findings),
            "by_severity": {k: by_severity.get(k, 0) for k in ("error", "warning", "info")},
            "errors": len(result.errors),
            "fail_on": context.fail_on.label if context.fail_on else "never",
            "rule_source": context.rule_source,
            "rules_off": dict(context.rules_off),
            "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        }
    )
    return summary


def render(result: ScanResult, context: ReportContext) -> str:
    document = {
        "version": SCHEMA_VERSION,
        # Finding paths are relative to this folder (the config's folder, else the repo top).
        "root": str(result.root),
        "findings": [f.to_dict() for f in result.findings],
        "errors": [e.to_dict() for e in result.errors],
        # Findings an inline directive silenced, each with its `suppression` (kind, line, reason).
        "suppressed": [f.to_dict() for f in result.suppressed],
        "summary": summary_dict(result, context),
    }
    return json_safe(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
