"""The per-file pass in worker processes, with results in input order whatever finishes first."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from reviewbot.scan.analysis import Analyzer, FileOutcome
from reviewbot.workspace.sources import SourceFile

# Below these, forking workers costs more than it saves.
PARALLEL_MIN_FILES = 16
PARALLEL_MIN_BYTES = 256 * 1024
BATCH_BYTES = 512 * 1024

_ANALYZER: Analyzer | None = None


def _init(analyzer: Analyzer) -> None:
    global _ANALYZER
    _ANALYZER = analyzer


def _work(batch: list[SourceFile]) -> list[FileOutcome]:
    assert _ANALYZER is not None
    return [_ANALYZER.analyze(source).detach() for source in batch]


def _batches(sources: list[SourceFile]) -> list[list[int]]:
    """Consecutive runs of files of about BATCH_BYTES each (small files travel together)."""
    out: list[list[int]] = []
    current: list[int] = []
    size = 0
    for position, source in enumerate(sources):
        current.append(position)
        size += len(source.text)
        if size >= BATCH_BYTES or len(current) >= 64:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def parallel_analyze(
    analyzer: Analyzer, sources: list[SourceFile], indexes: list[int], jobs: int
) -> Iterator[tuple[int, FileOutcome]]:
    """Yield (index, outcome) in input order. A batch a worker could not return (a crash, an
    outcome too deep to pickle) is redone in this process, so nothing is lost."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    batches = _batches(sources)
    try:
        executor = ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_init, initargs=(analyzer,)
        )
    except (OSError, ValueError):
        for index, source in zip(indexes, sources, strict=True):
            yield index, analyzer.analyze(source)
        return
    with executor:
        futures: list[Future[list[FileOutcome]]] = [
            executor.submit(_work, [sources[p] for p in batch]) for batch in batches
        ]
        for batch, future in zip(batches, futures, strict=True):
            try:
                outcomes = future.result()
            except Exception:  # a dead worker, an outcome too deep to pickle: redo it here
                outcomes = [analyzer.analyze(sources[p]) for p in batch]
            for position, outcome in zip(batch, outcomes, strict=True):
                yield indexes[position], outcome
