"""The per-file pass in worker processes, with results in input order whatever finishes first.

Workers are plain processes, each fed one batch of files at a time over a pipe. A worker says
which file it starts before it starts it, so the scanning process always knows which file each
worker is on:

- a worker that dies (a native parser overflowing its stack kills the process with SIGSEGV) costs
  the file it was on, reported as an error entry; the rest of its batch goes to a fresh worker.
  A crashed file is never redone in the scanning process, which would die the same way.
- a file that takes longer than the time budget (`file_timeout` seconds) is stopped by killing its
  worker, and reported; the rest of its batch goes to a fresh worker.
- an interrupt (Ctrl-C) kills every worker at once and propagates: nothing waits for queued work.
  Workers ignore SIGINT themselves (the terminal sends it to the whole process group), so they
  never print a traceback of their own.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from reviewbot.model.findings import ErrorKind, ScanError
from reviewbot.scan import DEFAULT_FILE_TIMEOUT
from reviewbot.scan.outcome import FileOutcome
from reviewbot.workspace.sources import SourceFile

if TYPE_CHECKING:
    from reviewbot.scan.analysis import Analyzer

# Below these, forking workers costs more than it saves.
PARALLEL_MIN_FILES = 16
PARALLEL_MIN_BYTES = 256 * 1024
BATCH_BYTES = 512 * 1024
BATCH_FILES = 64
# Workers that die before starting any file (a machine out of processes or memory): after this
# many in a row the remaining files are checked in the scanning process, as without --jobs.
MAX_START_FAILURES = 3


def _worker(conn: Connection, analyzer: Analyzer) -> None:
    """Analyze each batch received; announce each file before analyzing it."""
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        for position, source in task:
            conn.send(("start", position))
            outcome = analyzer.analyze(source).detach()
            try:
                conn.send(("done", position, outcome))
            except (RecursionError, TypeError, AttributeError, ValueError):
                # An outcome too deep to pickle (the file analyzed fine): redone by the caller.
                conn.send(("unsent", position))
        conn.send(("idle",))


def _batches(sources: list[SourceFile]) -> list[list[int]]:
    """Consecutive runs of files of about BATCH_BYTES each (small files travel together)."""
    out: list[list[int]] = []
    current: list[int] = []
    size = 0
    for position, source in enumerate(sources):
        current.append(position)
        size += len(source.text)
        if size >= BATCH_BYTES or len(current) >= BATCH_FILES:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection
    batch: deque[int] = field(default_factory=deque)
    current: int | None = None
    started: float = 0.0
    idle: bool = True


WORKER_DIED = "reviewbot's worker process died"


def transient(outcome: FileOutcome) -> bool:
    """Whether the outcome says the worker was stopped or died rather than what the file holds
    (a budget exceeded on a loaded machine, a worker killed for memory): never cached."""
    return any(
        e.kind == ErrorKind.TIMEOUT or e.message.startswith(WORKER_DIED) for e in outcome.errors
    )


def crashed(path: str, exitcode: int | None) -> ScanError:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exit status {exitcode}"
    return ScanError(
        ErrorKind.RULE_CRASH,
        path,
        f"{WORKER_DIED} while checking this file ({how}; a parser crashed "
        "on it); file not checked, please report it. Other files were checked.",
    )


def timed_out(path: str, budget: float) -> ScanError:
    return ScanError(
        ErrorKind.TIMEOUT,
        path,
        f"checking this file took longer than {budget:g} s and was stopped; file not checked "
        "(raise the budget with --file-timeout). Other files were checked.",
    )


class _Pool:
    def __init__(
        self,
        analyzer: Analyzer,
        sources: list[SourceFile],
        jobs: int,
        budget: float | None,
    ) -> None:
        methods = multiprocessing.get_all_start_methods()
        self.context: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.analyzer = analyzer
        self.sources = sources
        self.jobs = jobs
        self.budget = budget
        self.pending: deque[deque[int]] = deque(deque(b) for b in _batches(sources))
        self.workers: list[_Worker] = []
        self.results: dict[int, FileOutcome] = {}
        self.start_failures = 0

    def _spawn(self) -> _Worker:
        ours, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=_worker, args=(theirs, self.analyzer), name="reviewbot-worker", daemon=True
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _assign(self, worker: _Worker) -> bool:
        if not self.pending:
            return False
        batch = self.pending.popleft()
        worker.batch = batch
        worker.idle = False
        worker.current = None
        worker.conn.send([(p, self.sources[p]) for p in batch])
        return True

    def _fill(self) -> None:
        for worker in list(self.workers):
            if worker.idle and not self._assign(worker):
                self._retire(worker)
        while self.pending and len(self.workers) < self.jobs:
            try:
                worker = self._spawn()
            except OSError:  # no more processes or memory: the scanning process takes over
                self.start_failures = MAX_START_FAILURES
                return
            self.workers.append(worker)
            self._assign(worker)

    def _retire(self, worker: _Worker, kill: bool = False) -> None:
        self.workers.remove(worker)
        with contextlib.suppress(OSError, ValueError):
            if kill:
                worker.process.kill()
            else:
                worker.conn.send(None)
        with contextlib.suppress(OSError):
            worker.conn.close()
        worker.process.join(timeout=None if kill else 5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()

    def _lost(self, worker: _Worker, error: ScanError | None) -> None:
        """The worker is gone: its current file gets `error`, the rest of its batch is queued."""
        current = worker.current
        rest = deque(p for p in worker.batch if p != current and p not in self.results)
        if current is not None and error is None:
            error = crashed(self.sources[current].path, worker.process.exitcode)
        if current is not None and error is not None:
            self.results[current] = FileOutcome(path=self.sources[current].path, errors=[error])
            self.start_failures = 0
        else:
            self.start_failures += 1
        if rest:
            self.pending.appendleft(rest)
        self._retire(worker, kill=True)

    def _receive(self, worker: _Worker) -> None:
        while worker in self.workers and worker.conn.poll():
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                worker.process.join(timeout=5)
                source = self.sources[worker.current] if worker.current is not None else None
                self._lost(
                    worker,
                    crashed(source.path, worker.process.exitcode) if source is not None else None,
                )
                return
            kind = message[0]
            if kind == "start":
                worker.current = message[1]
                worker.started = time.monotonic()
            elif kind == "done":
                self.results[message[1]] = message[2]
                worker.current = None
            elif kind == "unsent":
                position = message[1]
                self.results[position] = self.analyzer.analyze(self.sources[position]).detach()
                worker.current = None
            elif kind == "idle":
                worker.idle = True
                worker.batch = deque()
                self.start_failures = 0

    def _check_time(self, now: float) -> None:
        if self.budget is None:
            return
        for worker in list(self.workers):
            if worker.current is not None and now - worker.started > self.budget:
                self._lost(worker, timed_out(self.sources[worker.current].path, self.budget))

    def _wait_timeout(self, now: float) -> float | None:
        if self.budget is None:
            return None
        deadlines = [w.started + self.budget - now for w in self.workers if w.current is not None]
        return max(0.0, min(deadlines)) + 0.01 if deadlines else 1.0

    def run(self) -> Iterator[tuple[int, FileOutcome]]:
        """(position, outcome) in input order."""
        emitted = 0
        total = len(self.sources)
        try:
            while emitted < total:
                while emitted in self.results:
                    yield emitted, self.results.pop(emitted)
                    emitted += 1
                if emitted >= total:
                    break
                if self.start_failures >= MAX_START_FAILURES:
                    self._in_process()
                    continue
                self._fill()
                if not self.workers and self.pending:
                    continue  # workers could not start: checked here on the next turn
                if not self.workers:
                    # Nothing running and nothing pending, yet results are missing: a file was
                    # lost without a worker to blame (cannot happen); never hang on it.
                    for position in range(emitted, total):
                        if position not in self.results:
                            self.results[position] = FileOutcome(
                                path=self.sources[position].path,
                                errors=[crashed(self.sources[position].path, None)],
                            )
                    continue
                ready = wait(
                    [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers],
                    timeout=self._wait_timeout(time.monotonic()),
                )
                for worker in list(self.workers):
                    if worker.conn in ready or worker.process.sentinel in ready:
                        self._receive(worker)
                    if worker in self.workers and not worker.process.is_alive():
                        self._receive(worker)  # messages sent before it died
                        if worker in self.workers:
                            source = (
                                self.sources[worker.current] if worker.current is not None else None
                            )
                            error = (
                                crashed(source.path, worker.process.exitcode)
                                if source is not None
                                else None
                            )
                            self._lost(worker, error)
                self._check_time(time.monotonic())
        except KeyboardInterrupt:
            # The scan is ending: a second Ctrl-C must not interrupt the workers' shutdown.
            previous: Any = None
            with contextlib.suppress(ValueError, OSError):  # ValueError: not the main thread
                previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self.close()
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            raise
        finally:
            self.close()

    def _in_process(self) -> None:
        """Workers cannot start at all: check the queued files here (as `--jobs 1` would); no
        file a worker started is among them."""
        self.start_failures = 0
        while self.pending:
            for position in self.pending.popleft():
                if position not in self.results:
                    self.results[position] = self.analyzer.analyze(self.sources[position])

    def close(self) -> None:
        """Kill every worker now (an interrupt, an error, or the end): nothing waits for them."""
        workers, self.workers = self.workers, []
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.process.kill()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.close()
            worker.process.join(timeout=5)


def parallel_analyze(
    analyzer: Analyzer,
    sources: list[SourceFile],
    indexes: list[int],
    jobs: int,
    file_timeout: float | None = DEFAULT_FILE_TIMEOUT,
) -> Iterator[tuple[int, FileOutcome]]:
    """Yield (index, outcome) in input order; see the module's docstring for what a crash, a
    slow file or an interrupt costs."""
    try:
        pool = _Pool(analyzer, sources, jobs, file_timeout)
    except (OSError, ValueError):
        for index, source in zip(indexes, sources, strict=True):
            yield index, analyzer.analyze(source)
        return
    for position, outcome in pool.run():
        yield indexes[position], outcome
