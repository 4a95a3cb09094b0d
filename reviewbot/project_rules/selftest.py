"""`reviewbot rules --test`: every project rule's examples, run as the catalog tests run the
built-in ones (Semgrep's `--test`): each `invalid` example must be flagged by its rule, each
`valid` one must not; a rule without an `invalid` example fails, since it proves nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.model.catalog import Example
from reviewbot.project_rules.spec import RuleSpec

MAX_SHOWN_LINES = 8


@dataclass(slots=True)
class RuleTest:
    rule: str
    file: str
    passed: int = 0
    failures: list[str] = field(default_factory=list)


def _shown(example: Example) -> list[str]:
    lines: list[str] = []
    for path, text in example.files.items():
        body = text.rstrip("\n").split("\n")
        lines.append(f"      {path}:")
        lines.extend("        " + line for line in body[:MAX_SHOWN_LINES])
        if len(body) > MAX_SHOWN_LINES:
            lines.append(f"        ... ({len(body) - MAX_SHOWN_LINES} more lines)")
    return lines


def run_one(spec: RuleSpec) -> RuleTest:
    from reviewbot.scan.engine import Scanner
    from reviewbot.workspace.config import Config
    from reviewbot.workspace.sources import SourceFile, language_of

    result = RuleTest(spec.meta.id, spec.file)
    if not spec.meta.invalid:
        result.failures.append("  no `examples.invalid`: add one the rule must flag")
    for kind, examples in (("invalid", spec.meta.invalid), ("valid", spec.meta.valid)):
        for index, example in enumerate(examples):
            sources = []
            for path, text in example.files.items():
                language = language_of(path)
                if language is None:
                    result.failures.append(
                        f"  examples.{kind}[{index}]: `{path}` is not a .py or .sql file name"
                    )
                    break
                sources.append(SourceFile(path=path, text=text, language=language))
            else:
                config = Config(root=Path("/nonexistent"))
                scan = Scanner(config, [spec.meta.id]).scan_sources(sources)
                hits = [f for f in scan.findings if f.rule == spec.meta.id]
                crashes = [e for e in scan.errors if e.kind in ("rule-crash", "parse-error")]
                label = f"examples.{kind}[{index}]" + (
                    f" ({example.description})" if example.description else ""
                )
                if crashes:
                    result.failures.append(f"  {label}: {crashes[0].message}")
                elif kind == "invalid" and not hits:
                    result.failures.append(f"  {label} was not flagged:")
                    result.failures.extend(_shown(example))
                elif kind == "valid" and hits:
                    where = ", ".join(f"{h.path}:{h.line}" for h in hits[:5])
                    result.failures.append(f"  {label} was flagged at {where}:")
                    result.failures.extend(_shown(example))
                else:
                    result.passed += 1
    return result


def run(specs: list[RuleSpec]) -> tuple[str, bool]:
    """The report, and whether every example passed."""
    lines: list[str] = []
    failed = 0
    examples = 0
    for spec in specs:
        outcome = run_one(spec)
        count = len(spec.meta.invalid) + len(spec.meta.valid)
        examples += count
        if outcome.failures:
            failed += 1
            lines.append(f"FAIL {outcome.rule} ({outcome.file})")
            lines.extend(outcome.failures)
        else:
            lines.append(f"ok   {outcome.rule} ({count} examples)")
    lines.append("")
    lines.append(
        f"{len(specs)} project rules, {examples} examples: "
        + (f"{failed} rules failed." if failed else "all passed.")
    )
    return "\n".join(lines) + "\n", failed == 0
