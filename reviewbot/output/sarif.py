"""SARIF 2.1.0 for GitHub code scanning and other viewers: rule metadata plus fingerprinted results."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reviewbot import __version__
from reviewbot.model.catalog import RuleMeta
from reviewbot.model.findings import Fix, Severity
from reviewbot.model.rule_docs import rule_doc_url
from reviewbot.output.context import ReportContext
from reviewbot.output.escape import json_safe

if TYPE_CHECKING:
    # Annotations only: the scan engine (and libcst behind it) loads when a scan runs.
    from reviewbot.scan.engine import ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning orders alerts by this property (0-10); mapped from our severities.
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def _rule(meta: RuleMeta) -> dict[str, Any]:
    help_text = meta.docs or meta.summary or meta.title
    rule: dict[str, Any] = {
        "id": meta.id,
        "name": "".join(part.capitalize() for part in meta.id.split("-")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.summary or meta.title},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "help": {"text": help_text, "markdown": help_text},
        "properties": {"tags": list(meta.tags)},
    }
    if "security" in meta.tags:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[meta.severity]
    # The rule's own page (docs/rules/<id>.md): a stable link for every rule; the references
    # stay in the help text.
    rule["helpUri"] = rule_doc_url(meta.id)
    return rule


def _fix(fix: Fix, context: ReportContext) -> dict[str, Any]:
    """SARIF `fixes`: one artifactChange per file, its replacements in character offsets."""
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        changes.setdefault(edit.path, []).append(
            {
                "deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
                "insertedContent": {"text": edit.text},
            }
        )
    return {
        "description": {"text": fix.title + ("" if fix.safe else " (unsafe fix: review it)")},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": context.repo_path(path), "uriBaseId": "%SRCROOT%"},
                "replacements": replacements,
            }
            for path, replacements in changes.items()
        ],
        "properties": {"safe": fix.safe},
    }


def render(result: ScanResult, context: ReportContext) -> str:
    metas = dict(result.rules)
    rule_ids = sorted(metas)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results: list[dict[str, Any]] = []
    # Silenced findings are kept with SARIF `suppressions` (viewers show them as suppressed, with
    # the directive's reason as the justification), as CodeQL and Semgrep do.
    for f in [*result.findings, *result.suppressed]:
        region: dict[str, Any] = {
            "startLine": f.line,
            "startColumn": f.column,
            "endLine": f.end_line,
            "endColumn": max(f.end_column, 1),
        }
        if f.snippet:
            region["snippet"] = {"text": f.snippet}
        item: dict[str, Any] = {
            "ruleId": f.rule,
            "level": LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": context.repo_path(f.path),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {"reviewbot/v1": f.fingerprint},
        }
        if f.rule in index:
            item["ruleIndex"] = index[f.rule]
        if f.checklist:
            item["properties"] = {"checklist": [ref.to_dict() for ref in f.checklist]}
        if f.fix is not None:
            item["fixes"] = [_fix(f.fix, context)]
        if f.suppression is not None:
            suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
            if f.suppression.get("reason"):
                suppression["justification"] = f.suppression["reason"]
            item["suppressions"] = [suppression]
        results.append(item)
    notifications = [
        {
            "level": "warning",
            "message": {"text": f"{e.kind}: {e.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": context.repo_path(e.path),
                            "uriBaseId": "%SRCROOT%",
                        },
                        **({"region": {"startLine": e.line}} if e.line else {}),
                    }
                }
            ],
        }
        for e in result.errors
    ]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "reviewbot",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(metas[rule_id]) for rule_id in rule_ids],
                    }
                },
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json_safe(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
