"""Helpers for the GitHub tests: a pull request as a real git repository, the Actions environment."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.fake_github import TOKEN, FakeGitHub

BASE_FILES = {
    "app/orders.py": '''"""Order queries."""


def by_id(cur, order_id):
    cur.execute("SELECT id FROM orders WHERE id = %s", (order_id,))


def legacy(cur, name):
    cur.execute(f"SELECT id FROM orders WHERE name = '{name}'")
''',
    "sql/report.sql": "SELECT id, total FROM report;\n",
    "sql/legacy.sql": "SELECT * FROM legacy_orders;\n",
    "docs/notes.txt": "notes\n",
}

HEAD_FILES = {
    "app/orders.py": '''"""Order queries."""


def by_id(cur, order_id):
    cur.execute("SELECT id FROM orders WHERE id = %s", (order_id,))


def by_email(cur, email):
    cur.execute(f"SELECT id FROM orders WHERE email = '{email}'")


def legacy(cur, name):
    cur.execute(f"SELECT id FROM orders WHERE name = '{name}'")
''',
    "app/search.py": '''"""Search."""


def search(cur, term, limit):
    cur.execute(
        "SELECT id FROM products WHERE name LIKE '%"
        + term
        + "%'"
    )


def by_sku(cur, sku):
    cur.execute("SELECT id FROM products WHERE sku = '" + sku + "'")
''',
    "sql/report.sql": "SELECT id, total FROM report;\nSELECT * FROM report_archive;\n",
    # Moved without a change: its old finding is not the pull request's doing.
    "sql/legacy.sql": None,
    "sql/archive/legacy.sql": "SELECT * FROM legacy_orders;\n",
    "docs/notes.txt": None,
}


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "core.quotePath=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout


def write_files(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def pr_files(root: Path, base: str, head: str) -> list[dict[str, object]]:
    """GET /pulls/{n}/files as GitHub builds it: status, previous name and the patch per file."""
    statuses = {"A": "added", "D": "removed", "M": "modified", "R": "renamed"}
    out: list[dict[str, object]] = []
    # -z: file names may hold newlines, tabs or quotes.
    tokens = git(root, "diff", "--name-status", "-z", "-M", base, head).split("\0")
    i = 0
    while i < len(tokens) - 1:
        code = tokens[i]
        count = 2 if code.startswith(("R", "C")) else 1
        names = tokens[i + 1 : i + 1 + count]
        i += 1 + count
        entry: dict[str, object] = {"filename": names[-1], "status": statuses[code[0]]}
        if code.startswith("R"):
            entry["previous_filename"] = names[0]
        patch = git(root, "diff", "-M", base, head, "--", *names)
        if "@@" in patch:
            entry["patch"] = patch[patch.index("@@") :].rstrip("\n")
        numstat = git(root, "diff", "--numstat", "-z", "-M", base, head, "--", *names)
        added, deleted = (int(n) if n.isdigit() else 0 for n in numstat.split("\t")[:2])
        entry.update(additions=added, deletions=deleted, changes=added + deleted)
        out.append(entry)
    return out


@dataclass
class PullRequest:
    """A repository whose HEAD is a pull request's head, and the fake GitHub serving that PR."""

    root: Path
    fake: FakeGitHub
    base: str = ""
    commits: list[str] = field(default_factory=list)

    def push(self, files: dict[str, str | None], message: str = "change") -> str:
        """Commit `files` on the branch, as a new push to the pull request."""
        write_files(self.root, files)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        head = git(self.root, "rev-parse", "HEAD").strip()
        self.fake.head_sha = head
        self.fake.files = pr_files(self.root, self.base, head)
        self.commits.append(head)
        return head

    def event(self) -> dict[str, object]:
        return {
            "action": "synchronize",
            "number": self.fake.number,
            "pull_request": self.fake.pull_data(),
            "repository": {"full_name": self.fake.repo},
        }

    def environ(self, tmp: Path, **extra: str) -> dict[str, str]:
        event_path = tmp / "event.json"
        event_path.write_text(json.dumps(self.event()), encoding="utf-8")
        summary = tmp / "step-summary.md"
        summary.write_text("", encoding="utf-8")
        output = tmp / "github-output.txt"
        output.write_text("", encoding="utf-8")
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": self.fake.repo,
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_WORKSPACE": str(self.root),
            "GITHUB_RUN_ID": "4242",
        }
        env.update(extra)
        return env


def make_pull_request(root: Path, fake: FakeGitHub) -> PullRequest:
    write_files(root, BASE_FILES)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    base = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "-b", "feature")
    fake.base_sha = base
    pr = PullRequest(root=root, fake=fake, base=base)
    pr.push(HEAD_FILES, "add search")
    return pr
