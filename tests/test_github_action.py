"""action.yml end to end: its run step, verbatim, against the local GitHub; and the pre-commit hook."""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fake_github import TOKEN, FakeGitHub
from tests.github_support import git, make_pull_request

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


@pytest.fixture
def fake():
    server = FakeGitHub().start()
    yield server
    server.stop()


def _step(action: dict, name: str) -> dict:
    (step,) = [s for s in action["runs"]["steps"] if s["name"] == name]
    return step


def _run_bash(script: str, tmp_path: Path, cwd: Path, env: dict[str, str], name: str):
    path = tmp_path / f"{name}.sh"
    path.write_text(script)
    # How GitHub runs a `shell: bash` step.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_action_runs_reviewbot_on_a_pull_request(tmp_path: Path, fake: FakeGitHub) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "config",
        "fail-on",
        "mode",
        "filter",
        "max-comments",
        "github-token",
        "paths",
        "bot-login",
    }
    assert [s["name"] for s in action["runs"]["steps"]] == [
        "Check Python",
        "Restore reviewbot's virtualenv",
        "Install reviewbot",
        "Run reviewbot",
    ]
    check, install, run_step = (
        _step(action, "Check Python"),
        _step(action, "Install reviewbot"),
        _step(action, "Run reviewbot"),
    )
    # Installed from the action's own checkout and the index; no other download.
    assert "curl" not in install["run"] and "wget" not in install["run"]

    root = tmp_path / "repo"
    root.mkdir()
    pr = make_pull_request(root, fake)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    contexts = {
        "github.token": TOKEN,
        "github.action_path": str(ROOT),
        "runner.temp": str(runner_temp),
        # A restored cache: the install step keeps the virtualenv (no download here).
        "steps.cache.outputs.cache-hit": "true",
    }
    for name, spec in action["inputs"].items():
        contexts[f"inputs.{name}"] = EXPRESSION.sub(
            lambda m: contexts[m[1]], str(spec.get("default", ""))
        )

    def expand(text: str) -> str:
        return EXPRESSION.sub(lambda m: contexts[m[1]], text)

    env = {key: value for key, value in pr.environ(tmp_path).items() if key != "GITHUB_TOKEN"}
    env.update(
        {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "RUNNER_TEMP": str(runner_temp),
            # GitHub asks for a second between writes; the test server does not.
            "REVIEWBOT_WRITE_INTERVAL": "0",
        }
    )

    def step_env(step: dict) -> dict[str, str]:
        return {**env, **{k: expand(str(v)) for k, v in step.get("env", {}).items()}}

    checked = _run_bash(expand(check["run"]), tmp_path, root, step_env(check), "check")
    assert checked.returncode == 0, checked.stderr
    outputs = dict(
        line.split("=", 1) for line in (tmp_path / "github-output.txt").read_text().splitlines()
    )
    assert outputs["version"].startswith(f"CPython-{platform.python_version()}-")
    assert re.fullmatch(r"[0-9a-f]{16}", outputs["constraints"])
    (tmp_path / "github-output.txt").write_text("")

    # What the restored cache holds: a virtualenv with the dependencies (here borrowed from the
    # test environment through a path file) and no reviewbot of its own.
    venv = runner_temp / "reviewbot-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = Path(yaml.__file__).resolve().parent.parent
    Path(purelib, "deps.pth").write_text(f"{deps}\n")
    installed = _run_bash(expand(install["run"]), tmp_path, root, step_env(install), "install")
    assert installed.returncode == 0, installed.stderr
    # reviewbot's code comes from the action's checkout.
    assert Path(purelib, "reviewbot-action.pth").read_text() == f"{ROOT}\n"
    # A `reviewbot` package in the scanned repository is never what runs.
    (root / "reviewbot").mkdir()
    (root / "reviewbot" / "__main__.py").write_text("raise SystemExit(99)\n")

    proc = _run_bash(expand(run_step["run"]), tmp_path, root, step_env(run_step), "run")
    assert proc.returncode == 1, proc.stderr  # errors on changed lines fail the check
    assert TOKEN not in proc.stdout + proc.stderr
    (review,) = fake.calls("create_review")
    placed = [(c["path"], c["line"]) for c in review.body["comments"]]
    assert placed == [
        ("app/orders.py", 9),
        ("app/search.py", 8),
        ("app/search.py", 13),
        ("sql/report.sql", 2),
    ]
    assert review.headers.get("Authorization") == f"token {TOKEN}"
    assert len(fake.issue_comments) == 1
    summary = (tmp_path / "step-summary.md").read_text()
    assert "4 findings (3 error, 1 info)" in summary
    assert "findings=4" in (tmp_path / "github-output.txt").read_text()
    assert TOKEN not in fake.all_text


def _hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_pre_commit_hook_checks_the_files_it_is_given_and_fails_on_findings(
    make_repo, run_cli
) -> None:
    hook = _hooks()["reviewbot"]
    # pre-commit passes the filenames (the default), as `pre-commit run --all-files` in CI does.
    assert hook.get("pass_filenames", True) is True and hook["language"] == "python"
    program, *args = shlex.split(hook["entry"])
    assert program == "reviewbot"
    root = make_repo(
        {"q.sql": "SELECT * FROM a;\n", "app.py": "x = 1\n", "other.sql": "DELETE FROM b;\n"}
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    # A committed tree (no staged change) still fails on the findings of the files passed.
    run = run_cli(*args, "--fail-on", "info", "q.sql", "app.py", cwd=root)
    assert run.code == 1
    clean = run_cli(*args, "app.py", cwd=root)
    assert clean.code == 0, clean.out


def test_pre_commit_diff_hook_reports_staged_lines(make_repo, run_cli) -> None:
    hook = _hooks()["reviewbot-diff"]
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    program, *args = shlex.split(hook["entry"])
    assert program == "reviewbot"
    root = make_repo({"q.sql": "SELECT * FROM a;\n", "app.py": "x = 1\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "q.sql").write_text("SELECT * FROM a;\nSELECT * FROM b;\n")
    git(root, "add", "q.sql")
    run = run_cli(*args, "--format", "json", cwd=root)
    found = [(f["path"], f["line"]) for f in json.loads(run.out)["findings"]]
    assert found == [("q.sql", 2)]


def test_untracked_new_files_count_as_added_in_diff_mode(make_repo, run_cli) -> None:
    root = make_repo({"q.sql": "SELECT a FROM t;\n", ".gitignore": "ignored/\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "new.sql").write_text("SELECT * FROM fresh;\n")  # never `git add`-ed
    (root / "ignored").mkdir()
    (root / "ignored" / "x.sql").write_text("SELECT * FROM nope;\n")
    run = run_cli("scan", "--diff", "HEAD", "--format", "json", cwd=root)
    found = [(f["path"], f["line"]) for f in json.loads(run.out)["findings"]]
    assert found == [("new.sql", 1)]
