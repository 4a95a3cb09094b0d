"""Real-world precision check: scan pinned sdists of open-source Python backends with every rule.

Not part of the test suite (it downloads from the package index). Usage:

    python scripts/realworld.py [--cache DIR] [--show RULE] [--json FILE]

Downloads each sdist once into the cache (`pip download --no-deps --no-binary :all:`), unpacks
it, scans it with every stable rule via the same engine as `reviewbot scan`, and prints the
findings per project and per rule. `--show RULE` prints each finding of that rule with its code
frame, for reading them one by one. See scripts/REALWORLD.md for the last reading.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

# Import this checkout's reviewbot, not whichever one is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewbot.model.catalog import active_catalog
from reviewbot.scan.engine import Scanner
from reviewbot.workspace.config import Config

# Application backends with database code, pinned so a reading can be repeated.
PROJECTS = {
    "zou": "1.0.97",  # Flask + SQLAlchemy API (animation production tracker)
    "privacyidea": "3.14",  # Flask + SQLAlchemy multi-factor authentication server
    "misago": "0.39.6",  # Django forum
    "ckan": "2.12.0",  # Flask + SQLAlchemy open-data portal (raw SQL in its datastore)
}


def fetch(name: str, version: str, cache: Path) -> Path:
    unpacked = cache / f"{name}-{version}"
    if unpacked.is_dir():
        return unpacked
    cache.mkdir(parents=True, exist_ok=True)
    archives = list(cache.glob(f"{name}-{version}.tar.gz"))
    if not archives:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--dest",
                str(cache),
                f"{name}=={version}",
            ],
            check=True,
        )
        archives = list(cache.glob(f"{name}-{version}.tar.gz"))
    with tarfile.open(archives[0]) as tar:
        tar.extractall(cache, filter="data")
    return unpacked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(".realworld-cache"))
    parser.add_argument("--show", action="append", default=[], help="print findings of RULE")
    parser.add_argument("--json", type=Path, help="write every finding to FILE")
    args = parser.parse_args()

    rules = [rid for rid, meta in active_catalog().items() if meta.language != "sql"]
    totals: Counter[str] = Counter()
    dump = []
    for name, version in PROJECTS.items():
        root = fetch(name, version, args.cache).resolve()
        started = time.perf_counter()
        result = Scanner(Config(root=root), rules).scan_paths([root])
        elapsed = time.perf_counter() - started
        counts = Counter(f.rule for f in result.findings)
        totals.update(counts)
        print(
            f"== {name} {version}: {result.summary.python_files} Python files, "
            f"{len(result.findings)} findings, {len(result.errors)} errors, {elapsed:.1f}s"
        )
        for rule, count in sorted(counts.items()):
            print(f"   {rule:28} {count}")
        for kind, count in Counter(str(e.kind) for e in result.errors).items():
            print(f"   ({count} {kind})")
        for error in result.errors:
            if error.kind == "rule-crash":
                print(f"   CRASH {error.path}: {error.message}")
        for finding in result.findings:
            dump.append({"project": name, **finding.to_dict(), "snippet": finding.snippet})
            if finding.rule in args.show:
                print(f"\n{name}/{finding.path}:{finding.line}: {finding.rule} {finding.message}")
                print("    " + finding.snippet.replace("\n", "\n    "))
    print("== all projects")
    for rule, count in sorted(totals.items()):
        print(f"   {rule:28} {count}")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
