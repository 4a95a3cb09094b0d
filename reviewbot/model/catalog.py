"""The rule catalog: `rules/*.yml`, the one place that says what a rule is, why, and how it reads."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reviewbot.checklist.patterns import ChecklistPattern, PatternError, parse_checklist
from reviewbot.model.findings import Severity

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same safe constructors,
# about ten times faster; reading the bundled catalog was most of `reviewbot rules`' time.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# `database`: proven on a live PostgreSQL by `reviewbot migrations verify`, never in a plain scan.
LANGUAGES = ("python", "sql", "any", "database")
STATUSES = ("stable", "planned")
# Whether a rule's findings carry fixes (`scan --fix`): `safe` ones are applied by `--fix`,
# `unsafe` ones only with `--unsafe-fixes`, `mixed`: safe for some shapes, unsafe for others.
FIX_KINDS = ("none", "safe", "unsafe", "mixed")
FIX_LABELS = {"none": "-", "safe": "safe", "unsafe": "unsafe", "mixed": "safe/unsafe"}
_KNOWN_KEYS = {
    "id",
    "title",
    "status",
    "language",
    "severity",
    "default",
    "tags",
    "summary",
    "checklist",
    "docs",
    "options",
    "references",
    "examples",
    "fix",
}


class CatalogError(Exception):
    """The packaged catalog is malformed: a bug in reviewbot, reported without a traceback."""


@dataclass(frozen=True, slots=True)
class Example:
    """Files (path -> text) that a rule must flag (`invalid`) or must leave alone (`valid`)."""

    files: dict[str, str]
    description: str = ""


@dataclass(frozen=True, slots=True)
class RuleOption:
    name: str
    default: Any
    description: str


@dataclass(frozen=True, slots=True)
class RuleMeta:
    id: str
    title: str
    language: str
    severity: Severity
    default: bool
    status: str
    tags: tuple[str, ...]
    summary: str
    docs: str
    checklist: tuple[ChecklistPattern, ...]
    options: dict[str, RuleOption] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    valid: tuple[Example, ...] = ()
    invalid: tuple[Example, ...] = ()
    source: str = ""
    fix: str = "none"

    @property
    def planned(self) -> bool:
        return self.status == "planned"

    def option_defaults(self) -> dict[str, Any]:
        return {name: opt.default for name, opt in self.options.items()}


def data_dir(name: str) -> Path:
    """Packaged data (wheel: reviewbot/_data/NAME) or, in a source checkout, the repo-root folder."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_data" / name
    if packaged.is_dir():
        return packaged
    return package.parent / name


def _example(raw: Any, language: str, where: str) -> Example:
    default_name = "example.sql" if language == "sql" else "example.py"
    if isinstance(raw, str):
        return Example(files={default_name: raw})
    if isinstance(raw, dict):
        description = str(raw.get("description", ""))
        if "files" in raw:
            files = raw["files"]
            if not isinstance(files, dict) or not files:
                raise CatalogError(f"{where}: `files` must be a non-empty mapping of path to text")
            return Example(
                files={str(k): str(v) for k, v in files.items()}, description=description
            )
        if "code" in raw:
            return Example(
                files={str(raw.get("path", default_name)): str(raw["code"])},
                description=description,
            )
    raise CatalogError(f"{where}: an example is a string, or a mapping with `code` or `files`")


def _parse_rule(path: Path) -> RuleMeta:
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}: cannot read catalog entry: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"{path.name}: a catalog entry is a mapping")
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise CatalogError(f"{path.name}: unknown keys {sorted(unknown)}")
    for key in ("id", "title", "language", "severity"):
        if key not in raw:
            raise CatalogError(f"{path.name}: missing `{key}`")
    rule_id = str(raw["id"])
    if path.stem != rule_id:
        raise CatalogError(f"{path.name}: file name must be the rule id `{rule_id}`")
    language = str(raw["language"])
    if language not in LANGUAGES:
        raise CatalogError(f"{path.name}: language must be one of {LANGUAGES}")
    status = str(raw.get("status", "stable"))
    if status not in STATUSES:
        raise CatalogError(f"{path.name}: status must be one of {STATUSES}")
    fix = str(raw.get("fix", "none"))
    if fix not in FIX_KINDS:
        raise CatalogError(f"{path.name}: fix must be one of {FIX_KINDS}")
    try:
        severity = Severity.parse(str(raw["severity"]))
    except KeyError as exc:
        raise CatalogError(f"{path.name}: severity must be error, warning or info") from exc
    options = {
        str(name): RuleOption(
            name=str(name),
            default=(spec or {}).get("default"),
            description=str((spec or {}).get("description", "")),
        )
        for name, spec in (raw.get("options") or {}).items()
    }
    try:
        checklist = parse_checklist(raw.get("checklist"), path.name)
    except PatternError as exc:
        raise CatalogError(str(exc)) from exc
    examples = raw.get("examples") or {}
    where = f"{path.name} examples"
    return RuleMeta(
        id=rule_id,
        title=str(raw["title"]),
        language=language,
        severity=severity,
        default=bool(raw.get("default", False)),
        status=status,
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        summary=str(raw.get("summary", "")).strip(),
        docs=str(raw.get("docs", "")).strip(),
        checklist=checklist,
        options=options,
        references=tuple(str(r) for r in raw.get("references") or ()),
        valid=tuple(_example(e, language, where) for e in examples.get("valid") or ()),
        invalid=tuple(_example(e, language, where) for e in examples.get("invalid") or ()),
        source=path.name,
        fix=fix,
    )


@functools.cache
def load_catalog(directory: Path | None = None) -> dict[str, RuleMeta]:
    """Every catalog entry by id, sorted by id."""
    folder = directory or data_dir("rules")
    if not folder.is_dir():
        raise CatalogError(f"rule catalog not found at {folder}")
    rules = [_parse_rule(p) for p in sorted(folder.glob("*.yml"))]
    return {meta.id: meta for meta in sorted(rules, key=lambda m: m.id)}


def active_catalog() -> dict[str, RuleMeta]:
    """Rules a user can enable: catalogued and implemented (planned entries are listed only)."""
    return {rid: meta for rid, meta in load_catalog().items() if not meta.planned}
