"""Which PostgreSQL a verification talks to: a server the user names, or a throwaway one it starts.

The throwaway server is `initdb` + `pg_ctl` in a temporary folder, listening on a free port on
127.0.0.1 only, with fsync off (nothing in it must survive). It is stopped and its folder removed
when the `with` block ends, also on Ctrl-C and SIGTERM. `initdb` refuses to run as root, so a
root process runs the server as the `postgres` system user when there is one.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BINARY_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql`, macOS: "
    "`brew install postgresql`), or pass --database-url for a server you run"
)


class DatabaseError(Exception):
    """A database that cannot be used: said in one line, never as a traceback."""


def driver() -> Any:
    """psycopg 3, imported when a command needs it (plain scans do not)."""
    try:
        import psycopg
    except ImportError as exc:
        raise DatabaseError(
            "this command needs the PostgreSQL driver psycopg 3: "
            "`pip install 'reviewbot[postgres]'`"
        ) from exc
    return psycopg


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: PATH, `pg_config --bindir`, then the usual
    Debian/Homebrew locations (newest version first)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if out and (Path(out) / "initdb").is_file():
                return Path(out)
    candidates: list[Path] = []
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/local/opt/postgresql*/bin"):
        candidates += [p for p in Path("/").glob(pattern.lstrip("/")) if (p / "initdb").is_file()]

    def version(path: Path) -> tuple[int, ...]:
        digits = "".join(c if c.isdigit() else " " for c in str(path)).split()
        return tuple(int(d) for d in digits)

    candidates.sort(key=version, reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class _RunAs:
    uid: int
    gid: int

    def __call__(self) -> None:
        os.setgid(self.gid)
        os.setuid(self.uid)


def _run_as() -> _RunAs | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise DatabaseError(
            "initdb refuses to run as root and there is no `postgres` user to run it as: run "
            "reviewbot as another user, or pass --database-url"
        ) from exc
    return _RunAs(entry.pw_uid, entry.pw_gid)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so the server is stopped either way."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def throwaway_server(bindir: Path | None = None) -> Iterator[str]:
    """Start a private PostgreSQL and yield its URL; stop it and remove its folder afterwards."""
    bindir = bindir or find_binaries()
    if bindir is None:
        raise DatabaseError(
            f"no database URL was given and no PostgreSQL binaries were found: {BINARY_HINT}"
        )
    run_as = _run_as()
    # The handler is in place before the folder exists: a SIGTERM at any point unwinds through
    # the `finally` below.
    with _terminate_as_interrupt():
        folder = Path(tempfile.mkdtemp(prefix="reviewbot-pg-"))
        data = folder / "data"
        log = folder / "server.log"
        started = False
        try:
            if run_as is not None:
                os.chown(folder, run_as.uid, run_as.gid)
            port = _free_port()
            _run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                run_as,
                "initdb",
            )
            options = (
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off -c synchronous_commit=off"
            )
            started = True  # from here on a half-started server is stopped too
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                run_as,
                "pg_ctl start",
                log,
            )
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            if started:
                with contextlib.suppress(DatabaseError):
                    _run(
                        [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                        run_as,
                        "pg_ctl stop",
                    )
            # Interrupted while initdb or pg_ctl ran, a server (or initdb's bootstrap backend) may
            # still be running with no pid file for pg_ctl to stop: end whatever runs on this
            # data folder, then remove it, again while exiting backends still write into it.
            _kill_servers_of(data)
            for _ in range(50):
                shutil.rmtree(folder, ignore_errors=True)
                if not folder.exists():
                    break
                time.sleep(0.1)


def _kill_servers_of(data: Path) -> None:
    """SIGKILL every process whose command line names `data` (Linux /proc; elsewhere nothing)."""
    marker = str(data).encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)


def _run(command: list[str], run_as: _RunAs | None, what: str, log: Path | None = None) -> None:
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=run_as,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DatabaseError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        if log is not None and log.is_file():
            detail += log.read_text(errors="replace").strip().splitlines()[-3:]
        raise DatabaseError(f"{what} failed: {' / '.join(detail[-4:]) or proc.returncode}")


def with_database(url: str, name: str) -> str:
    """The same server URL, naming database `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def redact(url: str) -> str:
    """A URL fit for messages: the password replaced."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":****@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str, autocommit: bool = True) -> Any:
    psycopg = driver()
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot connect to {redact(url)}: {message}") from exc


def user_tables(connection: Any) -> int:
    """How many tables, views and sequences the connected database holds outside system schemas."""
    row = connection.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
    ).fetchone()
    return int(row[0])


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server for one run, dropped afterwards."""
    name = f"reviewbot_verify_{uuid.uuid4().hex[:12]}"
    admin = connect(server_url)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        admin.close()
        raise DatabaseError(
            f"cannot create a scratch database on {redact(server_url)}: {exc}"
        ) from exc
    try:
        yield with_database(server_url, name)
    finally:
        for _ in range(3):
            try:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except Exception:
                time.sleep(0.2)
        admin.close()


@contextlib.contextmanager
def target_database(url: str | None, allow_non_empty: bool) -> Iterator[tuple[str, bool]]:
    """The database a run uses, and whether it was empty.

    No URL: a throwaway server. A URL: that database, refused when it already holds tables,
    views or sequences unless `allow_non_empty` (then nothing in it is ever dropped).
    """
    if url is None:
        with throwaway_server() as server:
            yield server, True
        return
    connection = connect(url)
    try:
        count = user_tables(connection)
    finally:
        connection.close()
    if count and not allow_non_empty:
        raise DatabaseError(
            f"{redact(url)} already holds {count} tables, views or sequences; verification "
            "applies and rolls back migrations, so point it at an empty database, or pass "
            "--allow-non-empty if you mean it"
        )
    yield url, count == 0
