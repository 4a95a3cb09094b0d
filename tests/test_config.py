"""Config loading and validation (exit 2 naming the key) and opt-in semantics."""

from __future__ import annotations

import pytest

from reviewbot.model.catalog import load_catalog
from reviewbot.workspace.config import ConfigError, load_config, select_rules

INJECTION = "def f(c, x):\n    c.execute(f'SELECT a FROM t WHERE b = {x}')\n"
STAR_SQL = "SELECT * FROM t;\n"
# Any rule still only planned (the set shrinks as rule packs land).
PLANNED = sorted(rid for rid, meta in load_catalog().items() if meta.planned)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("enabel: [select-star]\n", "`enabel` is not a reviewbot setting (did you mean `enable`?)"),
        ("enable: [select-stra]\n", "unknown rule `select-stra` (did you mean `select-star`?)"),
        ("enable: [tag:securty]\n", "unknown tag `securty` (did you mean `security`?)"),
        ("fail-on: erorr\n", "`fail-on` must be one of error, warning, info, never, not `erorr`"),
        ("sql-dialect: postgress\n", "(did you mean `postgres`?)"),
        (
            "severity:\n  select-star: loud\n",
            "`severity.select-star` must be error, warning or info",
        ),
        ("severity: [1]\n", "`severity` must map rule ids"),
        ("enable: 3\n", "`enable` must be a list of strings"),
        ("per-file-ignores:\n  'tests/**': [nope]\n", "unknown rule `nope`"),
        ("options:\n  select-star:\n    depth: 1\n", "is not an option of select-star"),
        ("- just\n- a list\n", "must be a mapping of keys"),
        ("enable: [select-star\n", "invalid YAML at line"),
        *([(f"enable: [{PLANNED[0]}]\n", "is planned and not implemented yet")] if PLANNED else []),
    ],
)
def test_bad_config_exits_2_naming_the_key(make_repo, run_cli, config, fragment) -> None:
    root = make_repo({".reviewbot.yml": config, "q.sql": STAR_SQL})
    run = run_cli("scan", str(root))
    assert run.code == 2
    assert fragment in run.err
    assert "Traceback" not in run.err


def test_pyproject_tool_section_is_read(make_repo) -> None:
    root = make_repo({"pyproject.toml": "[tool.reviewbot]\nenable = ['select-star']\n"})
    config = load_config(root)
    assert config.path == root / "pyproject.toml"
    assert config.enable == ("select-star",)


def test_pyproject_tool_section_is_validated(make_repo) -> None:
    root = make_repo({"pyproject.toml": "[tool.reviewbot]\nfail_on = 'error'\n"})
    with pytest.raises(
        ConfigError, match=r"`fail_on` is not a reviewbot setting \(did you mean `fail-on`"
    ):
        load_config(root)


def test_no_config_runs_the_recommended_set(make_repo, run_cli) -> None:
    root = make_repo({"q.sql": STAR_SQL, "a.py": INJECTION})
    run = run_cli("scan", str(root), "--format", "json")
    import json

    report = json.loads(run.out)
    rules = set(report["summary"]["rules_enabled"])
    assert {"sql-injection", "select-star"} <= rules
    assert "recommended set" in report["summary"]["rule_source"]
    assert {f["rule"] for f in report["findings"]} == {"sql-injection", "select-star"}


def test_config_runs_exactly_what_it_opts_in(make_repo, run_cli) -> None:
    root = make_repo(
        {".reviewbot.yml": "enable: [select-star]\n", "q.sql": STAR_SQL, "a.py": INJECTION}
    )
    run = run_cli("scan", str(root), "--format", "json")
    import json

    report = json.loads(run.out)
    # `enable` replaces the recommended set (ruff's `select`); suppression checking always runs.
    assert report["summary"]["rules_enabled"] == ["invalid-suppression", "select-star"]
    assert [f["rule"] for f in report["findings"]] == ["select-star"]
    assert (
        report["summary"]["rules_off"]["sql-injection"] == "not listed in `enable` (.reviewbot.yml)"
    )
    assert "sql-injection, " not in run.out  # the json report carries no text note


@pytest.mark.parametrize(
    "config",
    [
        "fail-on: error\n",
        "sql-dialect: mysql\n",
        "exclude: ['legacy/**']\n",
        "[tool.reviewbot]\nsql-dialect = 'postgres'\n",
    ],
)
def test_config_without_enable_keeps_the_recommended_set(make_repo, run_cli, config: str) -> None:
    name = "pyproject.toml" if config.startswith("[tool") else ".reviewbot.yml"
    root = make_repo({name: config, "a.py": INJECTION})
    run = run_cli("scan", str(root))
    assert run.code == 1, run.out + run.err
    assert "sql-injection" in run.out
    assert "Rules: " in run.out and "recommended set" in run.out
    assert "Recommended rules off" not in run.out


def test_explicit_empty_selection_is_an_error(make_repo, run_cli) -> None:
    root = make_repo({".reviewbot.yml": "enable: []\n", "a.py": INJECTION})
    run = run_cli("scan", str(root))
    assert run.code == 2
    assert "`enable: []` selects no rule" in run.err
    root = make_repo({".reviewbot.yml": "disable: [all]\n", "a.py": INJECTION})
    run = run_cli("scan", str(root))
    assert run.code == 2 and "leave no rule to run" in run.err


def test_summary_says_which_recommended_rules_are_off(make_repo, run_cli) -> None:
    root = make_repo(
        {".reviewbot.yml": "disable: [select-star]\n", "q.sql": STAR_SQL, "a.py": INJECTION}
    )
    run = run_cli("scan", str(root), "--ignore", "update-without-where")
    assert "Recommended rules off: select-star (`disable` (.reviewbot.yml)); " in run.out
    assert "update-without-where (--ignore)" in run.out
    assert "select-star" not in run.out.split("Recommended rules off")[0]


def test_extend_enable_adds_to_the_recommended_set(make_repo) -> None:
    root = make_repo({".reviewbot.yml": "extend-enable: [unindexed-query-filter]\n"})
    rules = select_rules(load_config(root)).rules
    assert {"unindexed-query-filter", "sql-injection", "invalid-suppression"} <= rules


def test_invalid_suppression_runs_unless_disabled_by_id(make_repo) -> None:
    root = make_repo({".reviewbot.yml": "enable: [select-star]\ndisable: [tag:meta]\n"})
    assert "invalid-suppression" in select_rules(load_config(root)).rules
    root = make_repo({".reviewbot.yml": "disable: [invalid-suppression]\n"})
    assert "invalid-suppression" not in select_rules(load_config(root)).rules


def test_disable_and_tags(make_repo) -> None:
    root = make_repo({".reviewbot.yml": "enable: [tag:sql]\ndisable: [select-star]\n"})
    selection = select_rules(load_config(root))
    assert "sql-injection" in selection.rules
    assert "select-star" not in selection.rules


def test_cli_select_and_ignore_override_config(make_repo) -> None:
    root = make_repo({".reviewbot.yml": "enable: [select-star]\n"})
    config = load_config(root)
    assert select_rules(config, cli_select=("sql-injection",)).rules == {
        "sql-injection",
        "invalid-suppression",
    }
    everything = select_rules(config, cli_select=("all",), cli_ignore=("select-star",)).rules
    assert "select-star" not in everything and "sql-injection" in everything


def test_cli_flags_validated(make_repo, run_cli) -> None:
    root = make_repo({"q.sql": STAR_SQL})
    assert run_cli("scan", str(root), "--select", "select-stars").code == 2
    assert run_cli("scan", str(root), "--fail-on", "sometimes").code == 2
    run = run_cli("scan", str(root), "--format", "jsn")
    assert run.code == 2 and "did you mean `json`" in run.err
    assert run_cli("scan", str(root), "--sql-dialect", "oracle2").code == 2


def test_explicit_config_path(make_repo, run_cli, tmp_path) -> None:
    root = make_repo({"q.sql": STAR_SQL})
    other = tmp_path / "strict.yml"
    other.write_text("enable: [select-star]\nfail-on: info\n")
    assert run_cli("scan", str(root), "--config", str(other)).code == 1
    assert run_cli("scan", str(root), "--config", str(tmp_path / "missing.yml")).code == 2


def test_severity_override_and_fail_on(make_repo, run_cli) -> None:
    root = make_repo(
        {".reviewbot.yml": "enable: [select-star]\nfail-on: warning\n", "q.sql": STAR_SQL}
    )
    assert run_cli("scan", str(root)).code == 0  # select-star is info
    (root / ".reviewbot.yml").write_text(
        "enable: [select-star]\nfail-on: warning\nseverity:\n  select-star: error\n"
    )
    run = run_cli("scan", str(root))
    assert run.code == 1
    assert "error select-star" in run.out
    assert run_cli("scan", str(root), "--fail-on", "never").code == 0


def test_sql_dialect_reaches_the_parser(make_repo, run_cli) -> None:
    # Backtick identifiers are MySQL; in postgres they do not tokenize as identifiers.
    root = make_repo({"q.sql": "SELECT * FROM `orders`;\n"})
    mysql = run_cli(
        "scan", str(root), "--select", "select-star", "--sql-dialect", "mysql", "--format", "json"
    )
    import json

    assert [f["rule"] for f in json.loads(mysql.out)["findings"]] == ["select-star"]
