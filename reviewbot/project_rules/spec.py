"""Reading `.reviewbot/rules/<id>.yml`: plain data, strictly validated, no pattern compiled yet.

A project rule has the shape of a built-in catalog entry (`rules/*.yml`) plus `match:` and
`message:`. Everything a repository controls is untrusted: the files go through `safe_yaml`,
their size is bounded, and a mistake is a `ConfigError` (exit 2) naming the file, the key and,
where one is close, the valid value meant.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from reviewbot.checklist.patterns import PatternError, parse_checklist
from reviewbot.model.catalog import Example, RuleMeta
from reviewbot.model.findings import Severity
from reviewbot.workspace import safe_yaml
from reviewbot.workspace.config import ConfigError, closest
from reviewbot.workspace.sources import FileTooLarge, read_regular

RULES_DIR = Path(".reviewbot") / "rules"
MAX_RULE_BYTES = 100_000
MAX_RULES = 200
MAX_PATTERN_CHARS = 2_000
ID_SHAPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
TOP_KEYS = (
    "id",
    "title",
    "severity",
    "default",
    "language",
    "tags",
    "summary",
    "message",
    "checklist",
    "docs",
    "references",
    "match",
    "examples",
)
MATCH_KEYS = ("python", "sql", "schema", "inside", "not-inside", "where", "paths")
WHERE_KEYS = ("metavariable", "regex", "not-regex", "is-literal")
PATH_KEYS = ("include", "exclude")
SCHEMA_KEYS = ("tables", "table-without-column", "column", "type", "type-not")
SEVERITIES = ("error", "warning", "info")
METAVARIABLE = re.compile(r"^\$[A-Z_][A-Z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Where:
    metavariable: str
    regex: str | None = None
    not_regex: str | None = None
    is_literal: bool | None = None


@dataclass(frozen=True, slots=True)
class SchemaCondition:
    """`table-without-column: {name, type}` (each table lacking it) or `column: GLOB` with
    `type` / `type-not` (each column so named whose type is, or is not, the one given)."""

    tables: str = "*"
    required_column: str | None = None
    required_type: str | None = None
    column: str | None = None
    type_is: str | None = None
    type_not: str | None = None


@dataclass(frozen=True, slots=True)
class MatchSpec:
    python: tuple[str, ...] = ()
    sql: tuple[str, ...] = ()
    schema: SchemaCondition | None = None
    inside: tuple[str, ...] = ()
    not_inside: tuple[str, ...] = ()
    where: tuple[Where, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    meta: RuleMeta
    match: MatchSpec
    message: str
    file: str  # as shown in messages: `.reviewbot/rules/<id>.yml`
    digest: str  # of the file's bytes: part of the cache key
    extra: dict[str, Any] = field(default_factory=dict)


def _fail(
    file: str, key: str, problem: str, value: Any = None, choices: tuple[str, ...] = ()
) -> NoReturn:
    hint = closest(str(value), choices) if value is not None and choices else ""
    raise ConfigError(f"{file}: `{key}` {problem}{hint}")


def _strings(raw: Any, file: str, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x for x in raw):
        _fail(file, key, "must be a string or a non-empty list of strings")
    for value in raw:
        if len(value) > MAX_PATTERN_CHARS:
            _fail(file, key, f"is longer than {MAX_PATTERN_CHARS} characters")
    return tuple(raw)


def _check_keys(raw: dict[Any, Any], allowed: tuple[str, ...], file: str, where: str) -> None:
    for key in raw:
        if str(key) not in allowed:
            prefix = f"{where}." if where else ""
            _fail(
                file,
                f"{prefix}{key}",
                f"is not a project-rule key; valid keys: {', '.join(allowed)}",
                key,
                allowed,
            )


def _where(raw: Any, file: str) -> tuple[Where, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    out: list[Where] = []
    for index, item in enumerate(raw):
        key = f"match.where[{index}]"
        if not isinstance(item, dict):
            _fail(file, key, "must be a mapping with `metavariable` and a condition")
        _check_keys(item, WHERE_KEYS, file, key)
        name = item.get("metavariable")
        if not isinstance(name, str) or not METAVARIABLE.match(name):
            _fail(file, f"{key}.metavariable", "must name a metavariable such as `$NAME`")
        literal = item.get("is-literal")
        if literal is not None and not isinstance(literal, bool):
            _fail(file, f"{key}.is-literal", "must be true or false")
        regexes: dict[str, str | None] = {}
        for rkey in ("regex", "not-regex"):
            value = item.get(rkey)
            if value is None:
                regexes[rkey] = None
                continue
            if not isinstance(value, str):
                _fail(file, f"{key}.{rkey}", "must be a string")
            from reviewbot.project_rules.regex_guard import RegexRefused, check_regex

            try:
                check_regex(value)
            except RegexRefused as exc:
                _fail(file, f"{key}.{rkey}", str(exc))
            regexes[rkey] = value
        if literal is None and regexes["regex"] is None and regexes["not-regex"] is None:
            _fail(file, key, "needs a condition: regex, not-regex or is-literal")
        out.append(Where(name, regexes["regex"], regexes["not-regex"], literal))
    return tuple(out)


def _schema(raw: Any, file: str) -> SchemaCondition:
    if not isinstance(raw, dict):
        _fail(file, "match.schema", "must be a mapping")
    _check_keys(raw, SCHEMA_KEYS, file, "match.schema")
    tables = raw.get("tables", "*")
    if not isinstance(tables, str) or not tables:
        _fail(file, "match.schema.tables", "must be a table-name glob such as `*`")
    required = raw.get("table-without-column")
    column = raw.get("column")
    if (required is None) == (column is None):
        _fail(file, "match.schema", "needs exactly one of `table-without-column` and `column`")
    types = {k: raw.get(k) for k in ("type", "type-not")}
    for key, value in types.items():
        if value is not None and not isinstance(value, str):
            _fail(file, f"match.schema.{key}", "must be a type name such as `timestamptz`")
    if required is not None:
        if isinstance(required, str):
            required = {"name": required}
        if not isinstance(required, dict) or not isinstance(required.get("name"), str):
            _fail(file, "match.schema.table-without-column", "must be `{name: NAME, type: TYPE}`")
        _check_keys(required, ("name", "type"), file, "match.schema.table-without-column")
        rtype = required.get("type")
        if rtype is not None and not isinstance(rtype, str):
            _fail(file, "match.schema.table-without-column.type", "must be a type name")
        if types["type"] is not None or types["type-not"] is not None:
            _fail(file, "match.schema", "`type` / `type-not` go with `column`")
        return SchemaCondition(tables, required_column=required["name"], required_type=rtype)
    if not isinstance(column, str) or not column:
        _fail(file, "match.schema.column", "must be a column-name glob such as `*_at`")
    if types["type"] is None and types["type-not"] is None:
        _fail(file, "match.schema", "`column` needs `type` or `type-not`")
    return SchemaCondition(tables, column=column, type_is=types["type"], type_not=types["type-not"])


def _match(raw: Any, file: str) -> MatchSpec:
    if not isinstance(raw, dict) or not raw:
        _fail(file, "match", "must be a mapping with one of `python`, `sql` or `schema`")
    _check_keys(raw, MATCH_KEYS, file, "match")
    kinds = [k for k in ("python", "sql", "schema") if raw.get(k) is not None]
    if len(kinds) != 1:
        _fail(file, "match", "needs exactly one of `python`, `sql` and `schema`")
    paths = raw.get("paths") or {}
    if not isinstance(paths, dict):
        _fail(file, "match.paths", "must be a mapping with `include` and/or `exclude` globs")
    _check_keys(paths, PATH_KEYS, file, "match.paths")
    spec = MatchSpec(
        python=_strings(raw.get("python"), file, "match.python"),
        sql=_strings(raw.get("sql"), file, "match.sql"),
        schema=_schema(raw["schema"], file) if raw.get("schema") is not None else None,
        inside=_strings(raw.get("inside"), file, "match.inside"),
        not_inside=_strings(raw.get("not-inside"), file, "match.not-inside"),
        where=_where(raw.get("where"), file),
        include=_strings(paths.get("include"), file, "match.paths.include"),
        exclude=_strings(paths.get("exclude"), file, "match.paths.exclude"),
    )
    if (spec.inside or spec.not_inside) and not spec.python:
        _fail(file, "match.inside", "applies to `python` patterns only")
    if spec.where and spec.schema is not None:
        _fail(file, "match.where", "applies to `python` and `sql` patterns only")
    for index, where in enumerate(spec.where):
        if not any(
            re.search(re.escape(where.metavariable) + r"\b", p) for p in spec.python + spec.sql
        ):
            _fail(
                file,
                f"match.where[{index}].metavariable",
                f"`{where.metavariable}` does not occur in the pattern",
            )
    return spec


def _example(raw: Any, language: str, file: str, key: str) -> Example:
    default_name = "example.sql" if language == "sql" else "example.py"
    if isinstance(raw, str):
        return Example(files={default_name: raw})
    if isinstance(raw, dict):
        description = str(raw.get("description", ""))
        files = raw.get("files")
        if isinstance(files, dict) and files:
            return Example({str(k): str(v) for k, v in files.items()}, description)
        if "code" in raw:
            return Example({str(raw.get("path", default_name)): str(raw["code"])}, description)
    _fail(file, key, "is a string, or a mapping with `code` (and `path`) or `files`")


def parse_rule(raw: Any, file: str, stem: str, digest: str, builtin: frozenset[str]) -> RuleSpec:
    """One project rule from its YAML data; ConfigError on any mistake."""
    if not isinstance(raw, dict):
        _fail(file, "id", "is missing: a project rule is a mapping (id, title, severity, match)")
    _check_keys(raw, TOP_KEYS, file, "")
    for key in ("id", "title", "severity", "match"):
        if raw.get(key) is None:
            _fail(file, key, "is missing")
    rule_id = raw["id"]
    if not isinstance(rule_id, str) or not ID_SHAPE.match(rule_id):
        _fail(file, "id", "must be kebab-case (`no-utcnow`)")
    if rule_id != stem:
        _fail(file, "id", f"must be the file's name: `{stem}`, not `{rule_id}`")
    if rule_id in builtin:
        _fail(file, "id", f"`{rule_id}` is a built-in rule; give the project rule its own id")
    severity = raw["severity"]
    if not isinstance(severity, str) or severity.lower() not in SEVERITIES:
        _fail(file, "severity", "must be error, warning or info", severity, SEVERITIES)
    default = raw.get("default", True)
    if not isinstance(default, bool):
        _fail(file, "default", "must be true or false")
    match = _match(raw["match"], file)
    language = "sql" if (match.sql or match.schema is not None) else "python"
    stated = raw.get("language")
    if stated is not None and stated != language:
        _fail(file, "language", f"is `{language}` for this `match`", stated, ("python", "sql"))
    for key in ("title", "summary", "message", "docs"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            _fail(file, key, "must be a string")
    tags = _strings(raw.get("tags"), file, "tags")
    references = _strings(raw.get("references"), file, "references")
    try:
        checklist = parse_checklist(raw.get("checklist"), file)
    except PatternError as exc:
        raise ConfigError(str(exc)) from exc
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict):
        _fail(file, "examples", "must be a mapping with `invalid` and `valid` lists")
    _check_keys(examples, ("invalid", "valid"), file, "examples")
    parsed: dict[str, tuple[Example, ...]] = {}
    for kind in ("invalid", "valid"):
        items = examples.get(kind) or []
        if not isinstance(items, list):
            _fail(file, f"examples.{kind}", "must be a list")
        parsed[kind] = tuple(
            _example(item, language, file, f"examples.{kind}[{i}]") for i, item in enumerate(items)
        )
    title = str(raw["title"])
    meta = RuleMeta(
        id=rule_id,
        title=title,
        language=language,
        severity=Severity.parse(severity.lower()),
        default=default,
        status="stable",
        tags=("project", *tags),
        summary=str(raw.get("summary") or "").strip(),
        docs=str(raw.get("docs") or "").strip(),
        checklist=checklist,
        references=references,
        valid=parsed["valid"],
        invalid=parsed["invalid"],
        source=file,
    )
    message = str(raw.get("message") or title).strip()
    return RuleSpec(meta=meta, match=match, message=message, file=file, digest=digest)


def rule_files(root: Path) -> list[Path]:
    folder = root / RULES_DIR
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))
    if len(files) > MAX_RULES:
        raise ConfigError(f"{RULES_DIR.as_posix()}: more than {MAX_RULES} project rules")
    return files


def read_rules(root: Path, builtin: frozenset[str]) -> list[RuleSpec]:
    """Every project rule under `root`, validated (patterns not compiled yet)."""
    specs: list[RuleSpec] = []
    for path in rule_files(root):
        shown = (RULES_DIR / path.name).as_posix()
        try:
            data = read_regular(path, MAX_RULE_BYTES)
            text = data.decode("utf-8")
        except FileTooLarge:
            raise ConfigError(f"{shown}: larger than {MAX_RULE_BYTES // 1000} kB") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{shown}: cannot read project rule: {exc}") from exc
        try:
            raw = safe_yaml.load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(
                f"{shown}: invalid YAML{at}: {getattr(exc, 'problem', None) or exc}"
            ) from exc
        if raw is None:
            continue  # comments only (`reviewbot init`'s example): defines nothing
        digest = hashlib.sha256(data).hexdigest()
        specs.append(parse_rule(raw, shown, path.stem, digest, builtin))
    return specs
