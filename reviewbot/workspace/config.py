"""Per-repo configuration: finding and validating `.reviewbot.yml` / `[tool.reviewbot]`, selecting rules."""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reviewbot.model.catalog import RuleMeta, active_catalog, load_catalog
from reviewbot.model.findings import Severity
from reviewbot.workspace import safe_yaml
from reviewbot.workspace.sources import FileTooLarge, read_regular

CONFIG_NAMES = (".reviewbot.yml", ".reviewbot.yaml")
FAIL_ON_VALUES = ("error", "warning", "info", "never")
DEFAULT_FAIL_ON = "warning"
DEFAULT_DIALECT = "postgres"
MAX_CONFIG_BYTES = 1_000_000


@functools.cache
def sql_dialects() -> tuple[str, ...]:
    """sqlglot's dialect names; sqlglot (a quarter of a second) loads only when one is checked."""
    import sqlglot

    return tuple(sorted(d.value for d in sqlglot.Dialects if d.value))


KEYS = (
    "agents",
    "enable",
    "extend-enable",
    "disable",
    "severity",
    "exclude",
    "per-file-ignores",
    "sql-dialect",
    "fail-on",
    "options",
    "migrations",
)
MIGRATION_KEYS = ("start-after",)


class ConfigError(Exception):
    """A usage or configuration mistake: reported in one line, exit status 2."""


def closest(value: str, choices: list[str] | tuple[str, ...]) -> str:
    match = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f" (did you mean `{match[0]}`?)" if match else ""


@dataclass(slots=True)
class Config:
    """Validated settings. `path` is None when no config file was found (recommended set runs)."""

    root: Path
    path: Path | None = None
    agents: tuple[str, ...] = ()
    enable: tuple[str, ...] | None = None  # None: the key is absent (the recommended set)
    extend_enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sql_dialect: str = DEFAULT_DIALECT
    fail_on: Severity | None = Severity.WARNING
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `migrations.start-after`: one cut-off, or folder -> cut-off(s); None: the default timeline.
    start_after: str | dict[str, str | list[str]] | None = None

    def rule_options(self, meta: RuleMeta) -> dict[str, Any]:
        merged = meta.option_defaults()
        merged.update(self.options.get(meta.id, {}))
        return merged


def _where(path: Path | None, key: str) -> str:
    return f"{path.name if path else 'config'}: `{key}`"


def _string_list(raw: Any, key: str, source: Path | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f"{_where(source, key)} must be a list of strings")
    return tuple(raw)


def check_rule_id(rule_id: str, where: str, allow_selectors: bool = False) -> None:
    catalog = load_catalog()
    if allow_selectors and (rule_id in ("all", "recommended") or rule_id.startswith("tag:")):
        if rule_id.startswith("tag:"):
            tags = sorted({t for m in catalog.values() for t in m.tags})
            tag = rule_id[4:]
            if tag not in tags:
                raise ConfigError(
                    f"{where}: unknown tag `{tag}`{closest(tag, tags)}; tags: {', '.join(tags)}"
                )
        return
    if rule_id not in catalog:
        raise ConfigError(
            f"{where}: unknown rule `{rule_id}`{closest(rule_id, list(catalog))}; "
            "`reviewbot rules` lists them"
        )
    if catalog[rule_id].planned:
        raise ConfigError(f"{where}: rule `{rule_id}` is planned and not implemented yet")


def parse_fail_on(value: Any, where: str) -> Severity | None:
    if not isinstance(value, str) or value.lower() not in FAIL_ON_VALUES:
        raise ConfigError(
            f"{where} must be one of {', '.join(FAIL_ON_VALUES)}, "
            f"not `{value}`{closest(str(value), FAIL_ON_VALUES)}"
        )
    return None if value.lower() == "never" else Severity.parse(value)


def parse_dialect(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.lower() not in sql_dialects():
        raise ConfigError(
            f"{where} must be a sqlglot dialect such as postgres, mysql or sqlite, "
            f"not `{value}`{closest(str(value), sql_dialects())}"
        )
    return value.lower()


def validate(raw: Any, root: Path, source: Path | None) -> Config:
    """Turn a raw mapping into a Config, rejecting unknown keys, ids and values."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source.name if source else 'config'}: must be a mapping of keys")
    config = Config(root=root, path=source)
    for key in raw:
        if key not in KEYS:
            raise ConfigError(
                f"{_where(source, str(key))} is not a reviewbot setting{closest(str(key), KEYS)}; "
                f"valid keys: {', '.join(KEYS)}"
            )
    config.agents = _string_list(raw.get("agents"), "agents", source)
    if "enable" in raw:
        config.enable = _string_list(raw["enable"], "enable", source)
    config.extend_enable = _string_list(raw.get("extend-enable"), "extend-enable", source)
    config.disable = _string_list(raw.get("disable"), "disable", source)
    for key, ids in (
        ("enable", config.enable or ()),
        ("extend-enable", config.extend_enable),
        ("disable", config.disable),
    ):
        for rule_id in ids:
            check_rule_id(rule_id, _where(source, key), allow_selectors=True)
    config.exclude = _string_list(raw.get("exclude"), "exclude", source)

    severities = raw.get("severity") or {}
    if not isinstance(severities, dict):
        raise ConfigError(f"{_where(source, 'severity')} must map rule ids to error|warning|info")
    for rule_id, level in severities.items():
        check_rule_id(str(rule_id), _where(source, "severity"))
        if not isinstance(level, str) or level.lower() not in ("error", "warning", "info"):
            raise ConfigError(
                f"{_where(source, f'severity.{rule_id}')} must be error, warning or info, "
                f"not `{level}`{closest(str(level), ('error', 'warning', 'info'))}"
            )
        config.severity[str(rule_id)] = Severity.parse(level)

    ignores = raw.get("per-file-ignores") or {}
    if not isinstance(ignores, dict):
        raise ConfigError(f"{_where(source, 'per-file-ignores')} must map globs to rule ids")
    for glob, ids in ignores.items():
        rule_ids = _string_list(ids, f"per-file-ignores.{glob}", source)
        for rule_id in rule_ids:
            if rule_id != "all":
                check_rule_id(rule_id, _where(source, f"per-file-ignores.{glob}"))
        config.per_file_ignores[str(glob)] = rule_ids

    if "sql-dialect" in raw:
        config.sql_dialect = parse_dialect(raw["sql-dialect"], _where(source, "sql-dialect"))
    if "fail-on" in raw:
        config.fail_on = parse_fail_on(raw["fail-on"], _where(source, "fail-on"))

    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{_where(source, 'options')} must map rule ids to option mappings")
    catalog = load_catalog()
    for rule_id, values in options.items():
        check_rule_id(str(rule_id), _where(source, "options"))
        known = catalog[str(rule_id)].options
        if not isinstance(values, dict):
            raise ConfigError(f"{_where(source, f'options.{rule_id}')} must be a mapping")
        for name, value in values.items():
            if name not in known:
                names = list(known) or ["(this rule has no options)"]
                raise ConfigError(
                    f"{_where(source, f'options.{rule_id}.{name}')} is not an option of "
                    f"{rule_id}{closest(str(name), names)}; options: {', '.join(names)}"
                )
            default = known[name].default
            if default is not None and not isinstance(value, type(default)):
                raise ConfigError(
                    f"{_where(source, f'options.{rule_id}.{name}')} must be a "
                    f"{type(default).__name__}, like its default {default!r}"
                )
        config.options[str(rule_id)] = dict(values)
    if "migrations" in raw:
        config.start_after = parse_migrations(raw["migrations"], source)
    return config


def _cut_off(value: Any, where: str) -> str | list[str]:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return [v.strip() for v in value]
    raise ConfigError(
        f"{where} must be a migration version, file name or Alembic revision as a quoted string "
        f"(or a list of Alembic head revisions), not `{value}`"
        + (" (quote numbers: YAML reads 0042 as an octal number)" if isinstance(value, int) else "")
    )


def parse_migrations(raw: Any, source: Path | None) -> str | dict[str, str | list[str]] | None:
    """`migrations: {start-after: CUT | {folder: CUT}}`: migrations up to CUT are history."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{_where(source, 'migrations')} must be a mapping (`start-after: ...`)")
    for key in raw:
        if key not in MIGRATION_KEYS:
            raise ConfigError(
                f"{_where(source, f'migrations.{key}')} is not a migrations setting"
                f"{closest(str(key), MIGRATION_KEYS)}; valid keys: {', '.join(MIGRATION_KEYS)}"
            )
    value = raw.get("start-after")
    where = _where(source, "migrations.start-after")
    if value is None:
        return None
    if isinstance(value, dict):
        cuts: dict[str, str | list[str]] = {}
        for folder, cut in value.items():
            name = str(folder).strip().strip("/")
            if not name:
                raise ConfigError(f"{where}: a folder name is empty")
            cuts[name] = _cut_off(cut, f"{where}.{folder}")
        return cuts
    cut = _cut_off(value, where)
    if isinstance(cut, list):
        raise ConfigError(f"{where}: give one cut-off, or map each migrations folder to its own")
    return cut


def _read_file(path: Path) -> Any:
    try:
        # A regular file of at most MAX_CONFIG_BYTES: a FIFO is never waited on, and a huge
        # planted file is not read whole before its size is checked.
        text = read_regular(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileTooLarge as exc:
        raise ConfigError(f"{path}: config file is larger than 1 MB") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    if path.suffix == ".toml":
        return _tool_table(_toml(text, path))
    try:
        # Plain data only, with aliases, depth and scalar values bounded (see safe_yaml).
        return safe_yaml.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from exc


def _toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ConfigError(f"{path}: invalid TOML: values nested too deeply") from None


def _tool_table(data: dict[str, Any]) -> Any:
    """`[tool.reviewbot]` of a pyproject, None when absent (or `tool` is not a table)."""
    tool = data.get("tool")
    return tool.get("reviewbot") if isinstance(tool, dict) else None


def find_config_file(start: Path) -> Path | None:
    """The nearest `.reviewbot.yml` or `pyproject.toml` with [tool.reviewbot], up to the repo top."""
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = read_regular(pyproject, MAX_CONFIG_BYTES).decode("utf-8")
                if _tool_table(_toml(data, pyproject)) is not None:
                    return pyproject
            except (OSError, UnicodeDecodeError, ConfigError):
                pass
        if (folder / ".git").exists():
            return None
    return None


def git_toplevel(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def load_config(start: Path, explicit: Path | None = None) -> Config:
    """Load the config for a scan starting at `start` (a folder); the root is where it lives."""
    start = start.resolve()
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"--config {explicit}: no such file")
        path = explicit.resolve()
        _project_rules(path.parent)
        return validate(_read_file(path), path.parent, path)
    found = find_config_file(start)
    if found is None:
        root = git_toplevel(start) or start
        _project_rules(root)
        return Config(root=root)
    _project_rules(found.parent)
    return validate(_read_file(found), found.parent, found)


def _project_rules(root: Path) -> None:
    """The repository's own rules (`.reviewbot/rules/` at the config's root) join the catalog
    before the config names them (reviewbot/project_rules/)."""
    from reviewbot.project_rules.install import install

    install(root)


# Rules that check reviewbot's own suppression comments: they run whatever the selection says
# (a misspelled `ignore[...]` must never silently do nothing) unless turned off by exact id.
ALWAYS_ON = ("invalid-suppression",)


@dataclass(frozen=True, slots=True)
class Selection:
    rules: frozenset[str]
    source: str
    # Recommended rules that do not run, with the reason, for the summary.
    off: dict[str, str] = field(default_factory=dict)


def expand(selectors: tuple[str, ...], catalog: dict[str, RuleMeta]) -> set[str]:
    out: set[str] = set()
    for sel in selectors:
        if sel == "all":
            out.update(catalog)
        elif sel == "recommended":
            out.update(rid for rid, m in catalog.items() if m.default)
        elif sel.startswith("tag:"):
            out.update(rid for rid, m in catalog.items() if sel[4:] in m.tags)
        elif sel in catalog:
            out.add(sel)
    return out


def select_rules(
    config: Config,
    agent_rules: set[str] | None = None,
    cli_select: tuple[str, ...] | None = None,
    cli_ignore: tuple[str, ...] = (),
    cli_extend: tuple[str, ...] = (),
) -> Selection:
    """Which rules run, in ruff's model (the README's "Which rules run" table).

    The base is `--select` if given, else the config's `enable` if the key is present, else the
    recommended set. `extend-enable`, `--extend-select` and the rules the `agents` checklists map
    to are added; `disable` and `--ignore` are removed. `invalid-suppression` always runs unless
    named by id in `disable` / `--ignore`. A selection that ends up with no rule is a ConfigError.
    """
    catalog = active_catalog()
    recommended = {rid for rid, m in catalog.items() if m.default}
    name = config.path.name if config.path is not None else "config"
    parts: list[str] = []
    if cli_select:
        base, why_not = expand(cli_select, catalog), "not in --select"
        parts.append("--select")
    elif config.enable is not None:
        base, why_not = expand(config.enable, catalog), f"not listed in `enable` ({name})"
        parts.append(f"{name}: `enable`")
    else:
        base, why_not = set(recommended), ""
        parts.append("recommended set")
    chosen = set(base)
    if not cli_select:
        added_by_agents = {r for r in (agent_rules or set()) if r in catalog}
        if added_by_agents:
            parts.append("agent checklists")
        chosen |= added_by_agents
        if config.extend_enable:
            parts.append(f"`extend-enable` ({name})")
        chosen |= expand(config.extend_enable, catalog)
    if cli_extend:
        parts.append("--extend-select")
        chosen |= expand(cli_extend, catalog)
    disabled = expand(config.disable, catalog) if not cli_select else set()
    ignored = expand(cli_ignore, catalog)
    before_removal = set(chosen)
    chosen -= disabled | ignored
    if before_removal - chosen:
        removed = []
        if disabled & before_removal:
            removed.append(f"`disable` ({name})")
        if ignored & before_removal:
            removed.append("--ignore")
        parts.append("minus " + " and ".join(removed))
    if not chosen - set(ALWAYS_ON):
        if cli_select or cli_ignore or cli_extend:
            cause = "--select / --ignore leave no rule to run"
        elif config.enable is not None and not config.enable:
            cause = f"{name}: `enable: []` selects no rule and no agent checklist adds one"
        else:
            cause = f"{name}: `enable` / `disable` leave no rule to run"
        raise ConfigError(
            f"{cause}; delete `enable` to run the recommended set, or list rule ids "
            "(`reviewbot rules` shows them)"
        )
    explicitly_off = set(config.disable) | set(cli_ignore)
    for rule_id in ALWAYS_ON:
        if rule_id in catalog and rule_id not in explicitly_off:
            chosen.add(rule_id)
    off: dict[str, str] = {}
    for rule_id in sorted(recommended - chosen):
        if rule_id in ignored:
            off[rule_id] = "--ignore"
        elif rule_id in disabled:
            off[rule_id] = f"`disable` ({name})"
        else:
            off[rule_id] = why_not
    source = " + ".join(parts).replace(" + minus", " minus")
    return Selection(rules=frozenset(chosen), source=source, off=off)
