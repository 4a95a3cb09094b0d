"""Parallel per-file pass and the content-hash cache: same findings, deterministic order."""

from __future__ import annotations

import json
import pickle

import pytest

from reviewbot.model.catalog import active_catalog
from reviewbot.model.rule import REGISTRY
from reviewbot.python.syntax import Syntax
from reviewbot.scan import cache as cache_module
from reviewbot.scan import engine
from reviewbot.scan.cache import CACHE_DIR, code_fingerprint
from reviewbot.scan.engine import Scanner
from reviewbot.sql.extract import SqlExtractor
from reviewbot.workspace.config import load_config
from tests.conftest import scan_texts

INJECTION = (
    "def find(cur, name):\n    cur.execute(f\"SELECT id FROM users WHERE name = '{name}'\")\n"
)
CLEAN = "def find(cur, name):\n    cur.execute('SELECT id FROM users WHERE name = %s', (name,))\n"


def _repo(make_repo, count: int = 40):
    files: dict[str, str | bytes] = {}
    for i in range(count):
        files[f"pkg/mod_{i:03}.py"] = INJECTION if i % 3 == 0 else CLEAN
        files[f"db/{i:03}_q.sql"] = "SELECT * FROM t;\n" if i % 4 == 0 else "SELECT a FROM t;\n"
    files["pkg/broken.py"] = "def broken(:\n    cur.execute(x)\n"
    root = make_repo(files)
    (root / ".git").mkdir(exist_ok=True)  # a repository: the cache lives at its top
    return root


def _scan(root, **kwargs):
    config = load_config(root)
    return Scanner(config, active_catalog(), **kwargs).scan_paths([root])


def _key(result):
    return (
        [f.to_dict() for f in result.findings],
        [e.to_dict() for e in result.errors],
        result.summary.files_scanned,
    )


def test_parallel_matches_serial_in_order(make_repo, monkeypatch) -> None:
    root = _repo(make_repo)
    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    serial = _scan(root, jobs=1)
    parallel = _scan(root, jobs=2)
    assert _key(parallel) == _key(serial)
    assert len([f for f in serial.findings if f.rule == "sql-injection"]) == 14
    assert [e.path for e in serial.errors] == ["pkg/broken.py"]


def test_cache_round_trip_and_invalidation(make_repo) -> None:
    root = _repo(make_repo, count=10)
    cold = Scanner(load_config(root), active_catalog(), cache=True)
    first = cold.scan_paths([root])
    assert cold.cache is not None and cold.cache.hits == 0 and cold.cache.misses == 21
    assert (root / CACHE_DIR / ".gitignore").read_text().strip().endswith("*")

    warm = Scanner(load_config(root), active_catalog(), cache=True)
    second = warm.scan_paths([root])
    assert warm.cache is not None and warm.cache.hits == 21
    assert _key(second) == _key(first)

    # One changed file is one miss, and its new finding is reported.
    (root / "pkg/mod_001.py").write_text(INJECTION)
    edited = Scanner(load_config(root), active_catalog(), cache=True)
    third = edited.scan_paths([root])
    assert edited.cache is not None and (edited.cache.hits, edited.cache.misses) == (20, 1)
    assert ("pkg/mod_001.py", "sql-injection") in {(f.path, f.rule) for f in third.findings}

    # Other rules or options are another key: nothing is reused.
    narrower = Scanner(load_config(root), ["select-star"], cache=True)
    narrower.scan_paths([root])
    assert narrower.cache is not None and narrower.cache.hits == 0


def test_corrupt_cache_entries_are_misses(make_repo) -> None:
    root = _repo(make_repo, count=3)
    Scanner(load_config(root), active_catalog(), cache=True).scan_paths([root])
    entries = list((root / CACHE_DIR).rglob("*.pickle"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    entries[0].write_bytes(pickle.dumps({"not": "an outcome"}))
    again = Scanner(load_config(root), active_catalog(), cache=True)
    result = again.scan_paths([root])
    assert again.cache is not None and again.cache.hits == 0
    assert any(f.rule == "sql-injection" for f in result.findings)


def test_project_rules_see_cached_files(make_repo) -> None:
    # The schema comes from an unchanged (cached) migration; the query file changes.
    root = make_repo(
        {
            "migrations/001_init.up.sql": "CREATE TABLE orders (id BIGINT PRIMARY KEY, "
            "customer_id BIGINT NOT NULL);\n",
            "migrations/001_init.down.sql": "DROP TABLE orders;\n",
            "queries.sql": "SELECT id FROM orders WHERE id = 1;\n",
        }
    )
    rules = ["unindexed-query-filter"]
    Scanner(load_config(root), rules, cache=True).scan_paths([root])
    (root / "queries.sql").write_text("SELECT id FROM orders WHERE customer_id = 1;\n")
    scanner = Scanner(load_config(root), rules, cache=True)
    result = scanner.scan_paths([root])
    assert scanner.cache is not None and scanner.cache.hits == 2
    assert [(f.path, f.rule) for f in result.findings] == [
        ("queries.sql", "unindexed-query-filter")
    ]


def test_cli_cache_flags_and_jobs(make_repo, run_cli) -> None:
    root = _repo(make_repo, count=3)
    run = run_cli("scan", str(root), "--no-cache", "--format", "json", "--jobs", "2")
    assert run.code == 1
    assert not (root / CACHE_DIR).exists()
    cached = run_cli("scan", str(root), "--format", "json", "--quiet")
    assert json.loads(cached.out)["findings"] == json.loads(run.out)["findings"]
    assert (root / CACHE_DIR).is_dir()
    assert run_cli("scan", str(root), "--jobs", "0").code == 2


@pytest.mark.parametrize("existing", ["", "build/\n", "build/", f"{CACHE_DIR}/\n"])
def test_init_keeps_the_cache_out_of_git(tmp_path, run_cli, existing) -> None:
    if existing:
        (tmp_path / ".gitignore").write_text(existing)
    assert run_cli("init", cwd=tmp_path).code == 0
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines.count(f"{CACHE_DIR}/") == 1
    if existing.startswith("build/"):
        assert lines[0] == "build/"


# -- the ast prefilter -------------------------------------------------------------------------

# Each text passes the rule's text prefilter but holds nothing the rule could report: CPython's
# parse must say so, so that libcst never parses the file for it.
NEAR_MISSES = {
    "n-plus-one": "for row in rows:\n    print(row)\nresult = cursor.execute(SQL, (1,))\n",
    "sql-injection": "cursor.execute('SELECT 1 FROM t WHERE id = %s', (user_id,))\n",
    "swallowed-exception": "try:\n    go()\nexcept Exception:\n    log.exception('failed')\n",
    "commit-without-rollback": "session.commit()\ntry:\n    go()\nexcept ValueError:\n    pass\n",
    "hardcoded-secret": "password = os.environ['DB_PASSWORD']\nTOKEN_HEADER = 'X-Token'\n",
}
# ... and the same shapes where the rule does report.
HITS = {
    "n-plus-one": "for user_id in ids:\n    cursor.execute('SELECT * FROM t WHERE id = %s', (user_id,))\n",
    "sql-injection": "cursor.execute(f'SELECT 1 FROM t WHERE id = {user_id}')\n",
    "swallowed-exception": "try:\n    go()\nexcept Exception:\n    pass\n",
    "commit-without-rollback": "try:\n    session.commit()\nexcept ValueError:\n    pass\n",
    "hardcoded-secret": "DB_PASSWORD = 'Xr7-q2Lp9vNw'\n",
}


@pytest.mark.parametrize("rule_id", sorted(NEAR_MISSES))
def test_ast_prefilter_spares_files_with_nothing_to_report(rule_id: str) -> None:
    cls = REGISTRY[rule_id]
    miss, hit = NEAR_MISSES[rule_id], HITS[rule_id]
    assert cls.wants(miss) and cls.wants(hit)  # type: ignore[attr-defined]
    assert not cls.wants_tree(Syntax.of(miss))  # type: ignore[attr-defined]
    assert cls.wants_tree(Syntax.of(hit))  # type: ignore[attr-defined]
    found = scan_texts({"app/db.py": hit}, [rule_id]).findings
    assert [f.rule for f in found] == [rule_id]
    assert not scan_texts({"app/db.py": miss}, [rule_id]).findings


def test_sql_extraction_needs_constant_sql_at_a_sink() -> None:
    dynamic = "def f(cur, sql):\n    cur.execute(sql)\nQUERY = 'SELECT 1'\n"
    constant = "def f(cur):\n    cur.execute(QUERY)\nQUERY = 'SELECT * FROM t'\n"
    assert SqlExtractor.wants(dynamic) and SqlExtractor.wants(constant)
    assert not SqlExtractor.wants_tree(Syntax.of(dynamic), dynamic)  # type: ignore[arg-type]
    assert SqlExtractor.wants_tree(Syntax.of(constant), constant)  # type: ignore[arg-type]


def test_ast_prefilter_follows_querysets_through_names() -> None:
    # The loop's queryset reaches `Model.objects` only through two assignments (a shape found
    # in a real project, which a one-step check dropped).
    text = (
        "def titles():\n"
        "    qs = Book.objects.filter(published=True)\n"
        "    recent = qs.order_by('-date')\n"
        "    for book in recent:\n"
        "        print(book.author.name)\n"
    )
    assert REGISTRY["n-plus-one"].wants_tree(Syntax.of(text))  # type: ignore[attr-defined,arg-type]
    found = scan_texts({"app/views.py": text}, ["n-plus-one"]).findings
    assert [(f.rule, f.line) for f in found] == [("n-plus-one", 5)]


def test_cache_key_changes_with_reviewbot_code(tmp_path, monkeypatch) -> None:
    # An Action ref or a checkout that changes the rules without a version bump must not be
    # served outcomes computed by the old code.
    package = tmp_path / "reviewbot"
    (package / "checks").mkdir(parents=True)
    (package / "checks" / "rule.py").write_text("X = 1\n")
    before = code_fingerprint(package)
    (package / "checks" / "rule.py").write_text("X = 2\n")
    assert code_fingerprint.__wrapped__(package) != before
    assert code_fingerprint() == code_fingerprint()  # the installed code: stable in a process
    # ... and the cache's keys follow it.
    keys = []
    for fingerprint in ("old", "new"):
        monkeypatch.setattr(cache_module, "code_fingerprint", lambda f=fingerprint: f)
        keys.append(cache_module.Cache(tmp_path, {}).key("app.py", "x = 1\n"))
    assert keys[0] != keys[1]


def test_a_failing_ast_prefilter_costs_nothing_but_a_notice(monkeypatch) -> None:
    def broken(cls: type, syntax: Syntax) -> bool:
        raise KeyError("bug")

    monkeypatch.setattr(REGISTRY["sql-injection"], "wants_tree", classmethod(broken))
    result = scan_texts({"app/db.py": HITS["sql-injection"]}, ["sql-injection"])
    assert [f.rule for f in result.findings] == ["sql-injection"]  # the rule still ran
    assert [(e.kind.value, "sql-injection" in e.message) for e in result.errors] == [
        ("rule-crash", True)
    ]


def test_cache_lives_at_the_repository_top_never_in_a_scanned_subfolder(
    tmp_path, make_repo, run_cli, monkeypatch
) -> None:
    root = _repo(make_repo, count=3)
    # A sub-project with its own config inside the repository: still cached at the top.
    (root / "pkg" / ".reviewbot.yml").write_text("fail-on: error\n")
    run_cli("scan", str(root / "pkg"), "--quiet")
    assert (root / CACHE_DIR).is_dir() and not (root / "pkg" / CACHE_DIR).exists()
    # No repository, no config (an installed package): the user's cache folder, not the package.
    package = tmp_path / "site-packages" / "lib"
    package.mkdir(parents=True)
    (package / "q.sql").write_text("SELECT * FROM t;\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    run_cli("scan", str(package), "--quiet")
    assert not (package / CACHE_DIR).exists()
    assert list((tmp_path / "xdg" / "reviewbot").glob("lib-*/v*/*/*.pickle"))
    # --cache-dir and the environment variable win.
    run_cli("scan", str(package), "--quiet", "--cache-dir", str(tmp_path / "explicit"))
    assert list((tmp_path / "explicit").rglob("*.pickle"))
    monkeypatch.setenv("REVIEWBOT_CACHE_DIR", str(tmp_path / "from-env"))
    run_cli("scan", str(package), "--quiet")
    assert list((tmp_path / "from-env").rglob("*.pickle"))
