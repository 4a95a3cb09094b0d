"""Latency of everyday commands: what pre-commit, an editor and a pull request wait for.

    python bench/latency.py                                  # one file, --version
    python bench/latency.py --tree /work/corpus/ckan-2.12.0  # + warm rescan of that tree
    python bench/latency.py --diff-tree /path/to/Django-5.1.4 --changed 10

Scenarios (each a whole `python -m reviewbot` process, `--repeat` times, medians):

- `--version`, and `scan app.py` with a warm cache in a scratch git repository holding one file
  (the pre-commit and editor case; target under 0.3 s);
- `--tree DIR`: a cold scan (empty cache folder) and warm rescans of the unchanged tree, and the
  ratio warm / cold (target 5%);
- `--diff-tree DIR`: DIR copied into a scratch git repository and committed, the cache primed by
  one scan, `--changed` Python files edited (a line appended), then `scan --diff HEAD`: the first
  run (the edited files analysed afresh) and repeats (everything cached). Target under 1 s.

Each figure is CPU time (user + system of the process and its workers) and wall time. CPU time
is the one to compare on a shared machine: wall time counts the waiting for other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ENV = dict(os.environ, PYTHONHASHSEED="0", NO_COLOR="1")
ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # users have bytecode caches; measure with them
ONE_FILE = (
    "import hashlib\n\n\ndef digest(password):\n    return hashlib.md5(password).hexdigest()\n"
)
CHANGE = (
    "\n\ndef _bench_change(cur, name):\n    cur.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n"
)


@dataclass
class Runs:
    name: str
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def line(self) -> str:
        cpu, wall = statistics.median(self.cpu), statistics.median(self.wall)
        return (
            f"{self.name:<44}{cpu:>9.3f}{wall:>9.3f}   "
            f"(cpu {min(self.cpu):.3f}-{max(self.cpu):.3f}, {len(self.cpu)} runs)"
        )


def run(args: list[str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one reviewbot process and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", *args],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"reviewbot {' '.join(args)} exited {proc.returncode}: {proc.stderr[-800:]!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def repeat(name: str, args: list[str], cwd: Path, times: int) -> Runs:
    runs = Runs(name)
    for _ in range(times):
        cpu, wall = run(args, cwd)
        runs.cpu.append(cpu)
        runs.wall.append(wall)
    print(runs.line(), flush=True)
    return runs


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def one_file(work: Path, times: int) -> list[Runs]:
    repo = work / "one"
    repo.mkdir()
    (repo / "app.py").write_text(ONE_FILE)
    git(repo, "init", "-q", ".")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one file")
    run(["scan", "app.py"], repo)  # prime the cache
    return [
        repeat("reviewbot --version", ["--version"], repo, times),
        repeat("reviewbot scan app.py (warm)", ["scan", "app.py"], repo, times),
    ]


def rescan(tree: Path, work: Path, times: int, jobs: int) -> list[Runs]:
    cache = work / "tree-cache"
    scan = ["scan", ".", "--format", "json", "--jobs", str(jobs), "--cache-dir", str(cache)]
    cold = Runs(f"cold scan of {tree.name} (--jobs {jobs})")
    for _ in range(max(1, times // 2)):
        shutil.rmtree(cache, ignore_errors=True)
        cpu, wall = run(scan, tree)
        cold.cpu.append(cpu)
        cold.wall.append(wall)
    print(cold.line(), flush=True)
    warm = repeat(f"warm rescan of {tree.name}, unchanged", scan, tree, times)
    ratio = statistics.median(warm.cpu) / statistics.median(cold.cpu)
    print(f"{'warm / cold (CPU)':<44}{ratio:>9.1%}")
    return [cold, warm]


def diff(tree: Path, work: Path, times: int, changed: int, jobs: int) -> list[Runs]:
    repo = work / "diff"
    shutil.copytree(tree, repo, symlinks=True)
    git(repo, "init", "-q", ".")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    scan = ["scan", ".", "--format", "json", "--jobs", str(jobs)]
    run(scan, repo)  # prime the cache (at the repository top)
    candidates = sorted(p for p in repo.rglob("*.py") if ".git" not in p.parts)
    step = max(1, len(candidates) // changed)
    for path in candidates[::step][:changed]:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(CHANGE)
    first = Runs(f"scan --diff HEAD, {changed} files changed, first")
    cpu, wall = run([*scan, "--diff", "HEAD"], repo)
    first.cpu.append(cpu)
    first.wall.append(wall)
    print(first.line(), flush=True)
    again = repeat(
        f"scan --diff HEAD, {changed} files changed, again", [*scan, "--diff", "HEAD"], repo, times
    )
    return [first, again]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--tree", type=Path, help="a tree for the cold scan / warm rescan")
    parser.add_argument("--diff-tree", type=Path, help="a tree for the --diff measurement")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()

    print(f"{'command':<44}{'cpu s':>9}{'wall s':>9}")
    results: list[Runs] = []
    with tempfile.TemporaryDirectory(prefix="reviewbot-latency-") as tmp:
        work = Path(tmp)
        results += one_file(work, args.repeat)
        if args.tree:
            results += rescan(args.tree.resolve(), work, args.repeat, args.jobs)
        if args.diff_tree:
            results += diff(args.diff_tree.resolve(), work, args.repeat, args.changed, args.jobs)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d %H:%M"),
                    "results": [{"name": r.name, "cpu": r.cpu, "wall": r.wall} for r in results],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
