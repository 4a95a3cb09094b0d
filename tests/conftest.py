"""Shared test helpers: scan in-memory files or a temporary repo, and run the CLI in-process."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.scan.engine import Scanner, ScanResult
from reviewbot.workspace.config import Config
from reviewbot.workspace.sources import SourceFile, language_of


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
