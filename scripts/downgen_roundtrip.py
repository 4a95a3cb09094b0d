"""Proof of the generated down migrations on PostgreSQL (issue 18).

For a folder of migrations: copy it with every hand-written down migration removed (goose /
dbmate sections cut at their down marker, golang-migrate `.down.sql` files left out, Alembic
`downgrade()` bodies replaced by `pass`), let `missing-down-migration` generate each down
migration, apply every fix (safe and unsafe), then run `reviewbot migrations verify`: each
migration is applied, its generated down step applied, the schema compared with the one before,
and the up step applied again.

    python scripts/downgen_roundtrip.py FOLDER [--database-url URL] [--keep DIR]

Prints: migrations tried, fully inverted (safe fix), stubbed (unsafe fix: some TODO), without a
fix, round-tripped with an equal schema (of the fully inverted ones and of the stubbed ones), and
the failures and differences per migration.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from reviewbot.model.findings import Edit
from reviewbot.scan.runner import ScanRequest, run_scan

_GOOSE_DOWN = re.compile(r"^--\s*\+goose\s+down\b", re.I | re.M)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b", re.I | re.M)
_DOWNGRADE = re.compile(r"^def downgrade\([^)]*\)[^:\n]*:\n(?:(?:[ \t]+[^\n]*|)\n)*", re.M)


def strip_downs(source: Path, target: Path) -> int:
    """Copy `source` to `target` without its down migrations; the number of up migrations."""
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(source)
        if path.name.lower().endswith(".down.sql") or path.name.lower() == "down.sql":
            continue
        if path.suffix not in (".sql", ".py"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sql":
            for marker in (_GOOSE_DOWN, _DBMATE_DOWN):
                match = marker.search(text)
                if match:
                    text = text[: match.start()]
            count += 1
        elif "def upgrade" in text and "revision" in text:
            text = _DOWNGRADE.sub("def downgrade():\n    pass\n\n\n", text)
            count += 1
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return count


def apply(root: Path, edits: list[Edit]) -> None:
    by_path: dict[str, list[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    for rel, group in by_path.items():
        path = root / rel
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        for edit in sorted(group, key=lambda e: -e.start):
            text = text[: edit.start] + edit.text + text[edit.end :]
        path.write_text(text, encoding="utf-8")


def verify(root: Path, server_url: str) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """Up, generated down, compare, up again, for every migration under `root`: the paths whose
    round trip gave the schema back, those where it differed, those whose step failed."""
    from reviewbot.database import verify as verifying
    from reviewbot.database.server import scratch_database
    from reviewbot.database.session import SERVICE, DatabaseService, verification_of

    equal: set[str] = set()
    original = verifying.Verifier._round_trip_steps

    def recording(self: Any, connection: Any, unit: Any, before: Any) -> bool:
        known = len(self.result.incomplete) + len(self.result.failures)
        going_on = bool(original(self, connection, unit, before))
        if len(self.result.incomplete) + len(self.result.failures) == known:
            equal.add(unit.path)
        return going_on

    verifying.Verifier._round_trip_steps = recording  # type: ignore[method-assign]
    try:
        with scratch_database(server_url) as url:
            service = DatabaseService(url=url)
            outcome = run_scan(
                ScanRequest(
                    paths=[root],
                    select=("migration-down-incomplete",),
                    jobs=1,
                    cache=False,
                    all_migrations=True,
                    fail_on=None,
                    services={SERVICE: service},
                )
            )
            del outcome
    finally:
        verifying.Verifier._round_trip_steps = original  # type: ignore[method-assign]
    verification = service.verification
    if verification is None:
        raise SystemExit(f"verification failed: {service.error}")
    unequal = {i.unit.path: "; ".join(i.differences) for i in verification.incomplete}
    failed = {f.unit.path: f"{f.direction}: {f.message}" for f in verification.failures}
    for note in verification.notes:
        print("note:", note)
    del verification_of
    return equal - set(unequal) - set(failed), unequal, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--safe-only",
        action="store_true",
        help="apply only the safe fixes: migrations with a to-do keep no down step, so the folder "
        "goes on past them",
    )
    parser.add_argument("--keep", type=Path, help="write the copy with generated downs here")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="downgen-"))
    root = work / "repo"
    tried = strip_downs(args.folder, root)
    outcome = run_scan(
        ScanRequest(
            paths=[root],
            select=("missing-down-migration",),
            jobs=1,
            cache=False,
            all_migrations=True,
            fail_on=None,
        )
    )
    findings = [f for f in outcome.result.findings if f.rule == "missing-down-migration"]
    safe = [f for f in findings if f.fix is not None and f.fix.safe]
    unsafe = [f for f in findings if f.fix is not None and not f.fix.safe]
    none = [f for f in findings if f.fix is None]
    applied = safe if args.safe_only else safe + unsafe
    apply(root, [e for f in applied for e in f.fix.edits])  # type: ignore[union-attr]
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        shutil.copytree(root, args.keep)

    equal, unequal, failed = verify(root, args.database_url)
    safe_paths = {f.path for f in safe}
    unsafe_paths = {f.path for f in unsafe}
    print(f"up migrations tried: {tried}")
    print(f"missing-down findings: {len(findings)}")
    print(f"fully inverted (safe fix): {len(safe)}")
    print(f"stubbed (unsafe fix, some TODO): {len(unsafe)}")
    print(f"no fix (no exact inverse at all): {len(none)}")
    for label, paths in (("fully inverted", safe_paths), ("stubbed", unsafe_paths)):
        print(
            f"{label}: round trip equal {len(equal & paths)}, not equal {len(set(unequal) & paths)}"
            f", down or up-again failed {len(set(failed) & paths)}, not reached "
            f"{len(paths - equal - set(unequal) - set(failed))}"
        )
    for path, problem in sorted({**unequal, **failed}.items()):
        kind = "SAFE" if path in safe_paths else "STUB" if path in unsafe_paths else "-"
        print(f"[{kind}] {path}: {problem[:400]}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
