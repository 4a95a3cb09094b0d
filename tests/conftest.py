"""Shared test helpers: scan in-memory files or a temporary repo, and run the CLI in-process."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reviewbot import checks
from reviewbot.cli import main
from reviewbot.scan.engine import Scanner, ScanResult
from reviewbot.workspace.config import Config
from reviewbot.workspace.sources import SourceFile, language_of

# Tests read `REGISTRY` for every rule; a scan imports only the rules it runs.
checks.load_all()


def _find_seeds() -> Path | None:
    """The real-world agent documents the extraction and mapping suites are labelled on.

    $REVIEWBOT_SEEDS, else `shared/seeds` next to the checkout or next to the folder holding it
    (a git worktree under wt/). None when absent: the tests needing them skip, and the session
    ends with one loud line saying how many and why (REVIEWBOT_REQUIRE_SEEDS=1 fails instead).
    """
    if os.environ.get("REVIEWBOT_SEEDS"):
        return Path(os.environ["REVIEWBOT_SEEDS"])
    repo = Path(__file__).resolve().parents[1]
    for base in (repo.parent, repo.parent.parent):
        if (base / "shared" / "seeds").is_dir():
            return base / "shared" / "seeds"
    return None


SEEDS_FOUND = _find_seeds()
SEEDS = SEEDS_FOUND or Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEEDS_MISSING = "seed documents missing: set REVIEWBOT_SEEDS to the shared/seeds folder"


def skip_without_seeds() -> None:
    """Call first in a test that reads SEEDS."""
    if SEEDS_FOUND is not None and SEEDS_FOUND.is_dir():
        return
    if os.environ.get("REVIEWBOT_REQUIRE_SEEDS"):
        pytest.fail(SEEDS_MISSING)
    pytest.skip(SEEDS_MISSING)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = [
        r for r in terminalreporter.stats.get("skipped", []) if SEEDS_MISSING in str(r.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"WARNING: {len(skipped)} tests skipped because the seed documents are missing "
            "(labelled real agent documents); set REVIEWBOT_SEEDS=/path/to/shared/seeds, or "
            "REVIEWBOT_REQUIRE_SEEDS=1 to fail instead.",
            red=True,
            bold=True,
        )


def scan_texts(files: dict[str, str], rules: list[str], **config: object) -> ScanResult:
    """Scan in-memory files with exactly `rules` enabled."""
    sources = []
    for path, text in files.items():
        language = language_of(path)
        assert language is not None, path
        sources.append(SourceFile(path=path, text=text, language=language))
    cfg = Config(root=Path("/nonexistent"), **config)  # type: ignore[arg-type]
    return Scanner(cfg, rules).scan_sources(sources)


@pytest.fixture(autouse=True)
def _user_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Scans of folders outside any repository cache under $XDG_CACHE_HOME: keep it in tmp."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv("REVIEWBOT_CACHE_DIR", raising=False)


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliRun]:
    def run(*args: str, cwd: Path | None = None) -> CliRun:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write files (text is dedented) under a fresh folder and return it."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return make
