"""One documentation page per rule (`docs/rules/<id>.md`), generated from the catalog.

The pages give every rule a stable link: SARIF `helpUri` and the PR comments point at them.
`python -m reviewbot.model.rule_docs` rewrites the folder; a test keeps it equal to the catalog.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reviewbot.model.catalog import RuleMeta, load_catalog

# Where the repository is published; the pages live at DOCS_PATH in it.
REPOSITORY_URL = "https://github.com/your-org/reviewbot"
DOCS_PATH = "docs/rules"


def docs_ref() -> str:
    """The reviewbot ref the pages are linked at: the Action's ref inside the Action (so a link
    shows the page of the version that made the finding), else `main`."""
    return os.environ.get("GITHUB_ACTION_REF") or "main"


def rule_doc_url(rule_id: str, ref: str | None = None) -> str:
    """The page of `rule_id` at `ref` (a branch, tag or commit of reviewbot)."""
    return f"{REPOSITORY_URL}/blob/{ref or docs_ref()}/{DOCS_PATH}/{rule_id}.md"


def _fence(text: str, language: str) -> list[str]:
    return [f"```{language}", text.rstrip("\n"), "```"]


def rule_doc(meta: RuleMeta) -> str:
    enabled = "on by default" if meta.default else "opt-in"
    if meta.planned:
        enabled = "planned, not implemented yet"
    fixes = {
        "none": "",
        "safe": " · fix: **safe** (`scan --fix`)",
        "unsafe": " · fix: **unsafe** (`scan --fix --unsafe-fixes`)",
        "mixed": " · fix: **safe or unsafe** by case (`scan --fix`, `--unsafe-fixes`)",
    }[meta.fix]
    lines = [
        f"# `{meta.id}`: {meta.title}",
        "",
        "<!-- Generated from rules/" + meta.id + ".yml by `python -m reviewbot.model.rule_docs`;"
        " edit the catalog, not this page. -->",
        "",
        f"Severity **{meta.severity.label}** · language **{meta.language}** · {enabled}"
        f" · tags: {', '.join(meta.tags) or '-'}{fixes}",
        "",
    ]
    if meta.summary:
        lines += [meta.summary.strip(), ""]
    if meta.docs:
        lines += [meta.docs.strip(), ""]
    if meta.options:
        lines += ["## Options", ""]
        for option in meta.options.values():
            lines.append(f"- `{option.name}` (default `{option.default!r}`): {option.description}")
        lines.append("")
    for title, examples in (("Flagged", meta.invalid), ("Not flagged", meta.valid)):
        if not examples:
            continue
        lines += [f"## {title}", ""]
        for example in examples:
            for path, text in example.files.items():
                if len(example.files) > 1:
                    lines.append(f"`{path}`:")
                lines += _fence(text, "sql" if path.endswith(".sql") else "python")
                lines.append("")
    phrases = [str(p) for p in meta.checklist]
    if phrases:
        lines += ["## Checklist wording it enforces", ""]
        lines += [f"- {p}" for p in phrases]
        lines.append("")
    if meta.references:
        lines += ["## References", ""]
        lines += [f"- <{r}>" for r in meta.references]
        lines.append("")
    lines += [
        "## Suppressing it",
        "",
        f"`# reviewbot: ignore[{meta.id}] -- why it is safe` on the line (or the line above);",
        "see the README's *Suppressing a finding*.",
        "",
    ]
    return "\n".join(lines)


def expected_pages() -> dict[str, str]:
    return {f"{meta.id}.md": rule_doc(meta) for meta in load_catalog().values()}


def write_pages(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pages = expected_pages()
    for stale in folder.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(DOCS_PATH)
    write_pages(target)
    print(f"Wrote {len(expected_pages())} rule pages to {target}.")
